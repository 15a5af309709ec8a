"""A caller that reads its own answer while the I/O thread sleeps (``Transport.drive``).

On plain TCP, ``send()`` and ``wait()`` read the socket on the caller's thread when the I/O
thread has nothing to do. These tests hold that path to the rules of the I/O thread: events
reach callbacks on the I/O thread, in the order they came, before the answer that followed
them wakes its caller; answers reach their own callers from any number of threads; a caller
that times out leaves its late answer to nobody while another reads; event lists, a lost
connection and keepalive work as they do without it. The peer is a scripted TCP server that
writes each answer in pieces, as Asterisk does (three ``write()`` calls an answer).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from conftest import run_threads, wait_until

import sdk
from sdk import OutcomeUnknown, Session
from sdk.actions import Command, Ping, SIPpeers
from sdk.wire.message import Event

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
Answer = Callable[["Peer", str, str], None]  # (peer, action, action id)


class Peer:
    """A TCP AMI peer: it accepts connections one after another, logs each in, and answers
    every other request with ``answer(peer, action, action_id)``, which writes through
    ``send`` (whole messages, from any thread, never interleaved)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)  # accept() looks at _stop this often
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._conn: socket.socket | None = None
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def send(self, *pieces: bytes, pause: float = 0.0) -> None:
        """Write ``pieces`` one ``sendall`` each (``pause`` s apart), as one message."""
        with self._lock:
            conn = self._conn
            if conn is None:
                return
            for index, piece in enumerate(pieces):
                if index and pause:
                    time.sleep(pause)
                try:
                    conn.sendall(piece)
                except OSError:
                    return

    def drop(self) -> None:
        """End the connection now (the session sees the peer's end)."""
        with self._lock:
            if self._conn is not None:
                self._conn.shutdown(socket.SHUT_RDWR)

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conn = conn
                self.connections += 1
            conn.sendall(BANNER)
            self._read(conn)
            with self._lock:
                self._conn = None
            conn.close()

    def _read(self, conn: socket.socket) -> None:
        data = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            data += chunk
            while b"\r\n\r\n" in data:
                text, data = data.split(b"\r\n\r\n", 1)
                request = text.decode()
                action = re.search(r"(?im)^action: *(.*)$", request)
                action_id = re.search(r"(?im)^actionid: *(.*)$", request)
                name = action.group(1).strip() if action else ""
                aid = action_id.group(1).strip() if action_id else ""
                self.requests.append(name)
                if name.lower() == "login":
                    self.send(response(aid, "Message: Authentication accepted"))
                elif name.lower() == "logoff":
                    self.send(b"Response: Goodbye\r\nActionID: %s\r\n\r\n" % aid.encode())
                else:
                    self.answer(self, name, aid)

    def close(self) -> None:
        self._stop = True
        self.drop()
        self.thread.join(10)
        self.listener.close()


def response(action_id: str, *lines: str) -> bytes:
    body = "".join(f"{line}\r\n" for line in lines)
    return f"Response: Success\r\nActionID: {action_id}\r\n{body}\r\n".encode()


def pong_in_pieces(peer: Peer, action_id: str) -> None:
    """A Pong written as Asterisk 20 writes it: the Response line, the ActionID, the rest."""
    peer.send(
        b"Response: Success\r\n",
        b"ActionID: %s\r\n" % action_id.encode(),
        b"Ping: Pong\r\nTimestamp: 1.0\r\n\r\n",
    )


def pongs(peer: Peer, action: str, action_id: str) -> None:
    """Answer every action with a Pong in pieces."""
    pong_in_pieces(peer, action_id)


def user_event(number: int) -> bytes:
    return b"Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: N\r\nN: %d\r\n\r\n" % number


@pytest.fixture
def peer_factory() -> Iterator[Callable[[Answer], Peer]]:
    made: list[Peer] = []

    def make(answer: Answer) -> Peer:
        peer = Peer(answer)
        made.append(peer)
        return peer

    yield make
    for peer in made:
        peer.close()


def connect(peer: Peer, **kwargs: object) -> Session:
    kwargs.setdefault("timeout", 10.0)
    return Session(
        "127.0.0.1", peer.port, username="admin", secret="s3cret", auth="plain", **kwargs
    )  # type: ignore[arg-type]


def count_drives(ami: Session) -> list[int]:
    """Count the reads a caller did for the I/O thread (the path under test was taken)."""
    transport = ami._transport
    assert transport is not None
    driven = transport._on_driven
    assert driven is not None
    counter = [0]

    def counting(data: bytes) -> Callable[[], object] | None:
        counter[0] += 1
        return driven(data)

    transport._on_driven = counting
    return counter


def test_events_before_an_answer_reach_callbacks_on_the_io_thread_first(
    peer_factory: Callable[[Answer], Peer],
) -> None:
    numbers = iter(range(1, 10**9))
    sent: list[int] = []

    def answer(peer: Peer, action: str, action_id: str) -> None:
        if action == "Ping":
            if len(peer.requests) % 3:  # two Pings in three: events come first
                number = next(numbers)
                sent.append(number)
                peer.send(user_event(number))
            pong_in_pieces(peer, action_id)

    peer = peer_factory(answer)
    seen: list[tuple[int, bool]] = []
    with connect(peer, events="user") as ami:
        io_thread = ami._transport.thread  # type: ignore[union-attr]
        drives = count_drives(ami)
        ami.on(
            "UserEvent",
            lambda e: seen.append((int(e["N"]), threading.current_thread() is io_thread)),
        )
        for _ in range(300):
            assert ami.send(Ping()).get("Ping") == "Pong"
            # every event written before this answer has reached its callback already
            assert [n for n, _ in seen] == sent
        queued = [int(e["N"]) for e in ami.events(timeout=0.5)]
    assert drives[0] > 0  # the callers did read for the I/O thread
    assert all(on_io for _, on_io in seen)
    assert queued == sent  # the queue got them all, in order


def test_two_threads_sending_while_events_flood_keep_every_answer_and_event(
    peer_factory: Callable[[Answer], Peer],
) -> None:
    peer = peer_factory(pongs)
    seen: list[int] = []
    flooding = threading.Event()
    total = 3000

    def flood() -> None:
        flooding.wait(10)
        for number in range(1, total + 1):
            peer.send(user_event(number))
            if number % 50 == 0:
                time.sleep(0.001)

    with connect(peer, events="user", event_queue_size=total + 10) as ami:
        io_thread = ami._transport.thread  # type: ignore[union-attr]
        drives = count_drives(ami)
        off_thread: list[int] = []

        def on_event(event: Event) -> None:
            seen.append(int(event["N"]))
            if threading.current_thread() is not io_thread:
                off_thread.append(int(event["N"]))

        ami.on("UserEvent", on_event)
        flooder = threading.Thread(target=flood)
        flooder.start()

        def sender(index: int) -> None:
            flooding.set()
            for j in range(300):
                action_id = f"t{index}-{j}"
                got = ami.send(Ping(action_id=action_id))
                assert got.action_id == action_id and got.get("Ping") == "Pong"

        run_threads(sender, 2)
        flooder.join(30)
        assert wait_until(lambda: len(seen) >= total, 30)
    assert seen == list(range(1, total + 1))  # none lost, none out of order
    assert not off_thread
    assert drives[0] > 0


def test_a_caller_timing_out_while_another_reads_leaves_its_answer_to_nobody(
    peer_factory: Callable[[Answer], Peer],
) -> None:
    def answer(peer: Peer, action: str, action_id: str) -> None:
        if action_id.startswith("slow"):  # answered late, by another thread of the peer
            threading.Timer(0.4, pong_in_pieces, (peer, action_id)).start()
        else:
            pong_in_pieces(peer, action_id)

    peer = peer_factory(answer)
    with connect(peer) as ami:
        drives = count_drives(ami)
        timed_out: list[float] = []
        stop = threading.Event()

        def slow() -> None:
            for j in range(5):
                start = time.monotonic()
                with pytest.raises(sdk.TimeoutError, match="no complete answer within 0.1 s"):
                    ami.send(Ping(action_id=f"slow{j}"), timeout=0.1)
                timed_out.append(time.monotonic() - start)
            stop.set()

        def fast() -> None:
            j = 0
            while not stop.is_set():  # reads the slow answers as they come
                got = ami.send(Ping(action_id=f"fast{j}"))
                assert got.action_id == f"fast{j}"
                j += 1

        run_threads(lambda i: slow() if i == 0 else fast(), 2)
        # the late answers came to nobody, and the next send of the slow caller works
        assert wait_until(
            lambda: sum(str(m.action_id).startswith("slow") for m in ami.unmatched) == 5, 10
        )
        assert ami.send(Ping(action_id="after")).action_id == "after"
    assert len(timed_out) == 5
    assert all(t < 5.0 for t in timed_out)  # bounded by the timeout, generously
    assert drives[0] > 0


def test_an_event_list_written_in_small_pieces_comes_whole(
    peer_factory: Callable[[Answer], Peer],
) -> None:
    def answer(peer: Peer, action: str, action_id: str) -> None:
        aid = action_id.encode()
        pieces = [
            b"Response: Success\r\n",
            b"ActionID: %s\r\nEventList: start\r\nMessage: Peer status list will follow\r\n\r\n"
            % aid,
        ]
        for n in range(40):
            item = b"Event: PeerEntry\r\nActionID: %s\r\nObjectName: phone%d\r\n\r\n" % (aid, n)
            pieces += [item[:7], item[7:30], item[30:]]  # cut inside lines
        pieces.append(
            b"Event: PeerlistComplete\r\nActionID: %s\r\nEventList: Complete\r\n"
            b"ListItems: 40\r\n\r\n" % aid
        )
        peer.send(*pieces)

    peer = peer_factory(answer)
    with connect(peer) as ami:
        drives = count_drives(ami)
        for _ in range(20):
            got = ami.send(SIPpeers())
            assert [e["ObjectName"] for e in got.events] == [f"phone{n}" for n in range(40)]
            assert got.complete is not None and got.complete["ListItems"] == "40"
    assert drives[0] > 0


def test_a_connection_lost_while_a_caller_reads_gives_outcome_unknown_then_reconnects(
    peer_factory: Callable[[Answer], Peer],
) -> None:
    def answer(peer: Peer, action: str, action_id: str) -> None:
        if action == "Command":  # never answered: the connection ends under the caller
            threading.Timer(0.2, peer.drop).start()
        else:
            pong_in_pieces(peer, action_id)

    peer = peer_factory(answer)
    with connect(peer) as ami:
        drives = count_drives(ami)
        assert ami.send(Ping()).get("Ping") == "Pong"
        start = time.monotonic()
        with pytest.raises(OutcomeUnknown):
            ami.send(Command(command="core show uptime"))
        assert time.monotonic() - start < 9.0  # not its timeout: the drop ended it
        assert wait_until(lambda: ami.connected and peer.connections == 2, 20)
        for _ in range(20):
            assert ami.send(Ping()).get("Ping") == "Pong"
    assert drives[0] > 0


def test_keepalive_holds_while_callers_read_for_the_io_thread(
    peer_factory: Callable[[Answer], Peer],
) -> None:
    peer = peer_factory(pongs)
    with connect(peer, keepalive=0.05, timeout=5.0) as ami:
        drives = count_drives(ami)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            assert ami.send(Ping()).get("Ping") == "Pong"
        time.sleep(0.3)  # quiet: keepalive's own Pings go out and are answered
        assert ami.send(Ping()).get("Ping") == "Pong"
        assert ami.reconnects == 0 and peer.connections == 1
    assert drives[0] > 0
