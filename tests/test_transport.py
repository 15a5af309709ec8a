"""The transport on its own: what it reports of its writes."""

from __future__ import annotations

import socket
import threading

from conftest import wait_until

from sdk.wire.transport import Transport


def test_backlog_counts_the_bytes_not_yet_written() -> None:
    ours, peer = socket.socketpair()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    closed = threading.Event()
    transport = Transport(
        ours,
        name="test-transport",
        on_data=lambda data: None,
        on_closed=lambda *args: closed.set(),
    )
    transport.start()
    try:
        assert transport.backlog == 0
        chunk = b"x" * (1 << 20)
        for _ in range(4):  # more than the socket buffers hold: the peer does not read yet
            assert transport.write(chunk)
        assert wait_until(lambda: 0 < transport.backlog < 4 << 20, 5)
        received = 0
        peer.settimeout(5)
        while received < 4 << 20:
            received += len(peer.recv(1 << 20))
        assert received == 4 << 20
        assert wait_until(lambda: transport.backlog == 0, 5)  # counted down once sent
    finally:
        transport.close()
        transport.join(5)
        peer.close()
    assert closed.is_set()
    assert transport.backlog == 0


class CountingSocket:
    """A socket that counts its sends (everything else goes to the real one)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.sends = 0

    def send(self, data: bytes) -> int:
        self.sends += 1
        return self._sock.send(data)

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)


def test_chunks_waiting_together_go_out_in_few_sends_each_counted_exactly() -> None:
    ours, peer = socket.socketpair()
    counting = CountingSocket(ours)
    ended: list[list[object]] = []
    transport = Transport(
        counting,  # type: ignore[arg-type]
        name="test-transport",
        on_data=lambda data: None,
        on_closed=lambda transport, reason, error, unsent: ended.append(unsent),
    )
    chunks = [bytes([65 + n % 26]) * 100 for n in range(10_000)]
    for n, chunk in enumerate(chunks):  # queued before the thread runs: all wait together
        assert transport.write(chunk, tag=n)
    transport.start()
    try:
        assert wait_until(lambda: transport.backlog < 100 * 10_000, 10)  # the socket took some
        last = -1
        while transport.backlog != last:  # until the socket takes no more (the peer waits)
            last = transport.backlog
            wait_until(lambda: False, 0.2)
        assert 0 < transport.backlog < 100 * 10_000
        assert counting.sends < 20  # not one a chunk
    finally:
        transport.close()
        transport.join(5)
    received = b""
    peer.settimeout(5)
    while data := peer.recv(1 << 20):
        received += data
    peer.close()
    assert received == b"".join(chunks)[: len(received)]  # in order, nothing lost
    started = -(-len(received) // 100)  # chunks that left, in whole or in part
    assert ended == [list(range(started, 10_000))]  # the others are reported unsent


def test_an_eager_write_goes_out_at_once_and_what_does_not_fit_keeps_its_place() -> None:
    ours, peer = socket.socketpair()
    big, small, other = b"A" * (8 << 20), b"C" * 10, b"B" * 10
    wrote = threading.Event()

    racing = threading.Event()

    def race() -> None:
        racing.set()
        transport.write(other)  # waits for the lock the first send holds

    class Racing(CountingSocket):
        """The first send: another thread writes while it is on its way (a broadcast)."""

        def send(self, data: bytes) -> int:
            if self.sends == 0:
                threading.Thread(target=race).start()
                assert racing.wait(30)  # the racer is on its way to the lock (never joined:
                # it cannot get the lock before this send is done)
            return super().send(data)

    def on_data(data: bytes) -> None:  # a server's handler, on the I/O thread
        transport.write(big)  # more than the socket holds: the rest waits, first in line
        transport.write(small)  # behind it
        wrote.set()

    transport = Transport(
        Racing(ours),  # type: ignore[arg-type]
        name="test-eager",
        on_data=on_data,
        on_closed=lambda *args: None,
        eager=True,
    )
    transport.start()
    try:
        peer.sendall(b"go")
        received = b""
        peer.settimeout(30)
        while len(received) < len(big) + len(small) + len(other):
            received += peer.recv(1 << 20)
        assert received == big + other + small
        assert wrote.wait(5)
    finally:
        transport.close()
        transport.join(5)
        peer.close()
