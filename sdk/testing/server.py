"""An embedded AMI server that answers the way the recorded Asterisk answered.

It reads requests as Asterisk's ``manager.c`` does: lines end at LF (a CR before it is
dropped), a line longer than 1024 bytes with its line end spoils its message ("line too
long"), at most 128 lines a message (``sdk.model.checks``' limits), header names matched
without regard to case with the first one winning, leading blanks of values skipped, every
lone blank line a message with no action. What each action does lives in
``sdk.testing.handlers``, dispatched by ``sdk.testing.dispatch``; a handler is given the
connection's ``ConnectionContext`` (``sdk.testing.context``), never the server itself.

Each connection has one I/O thread (``sdk.wire.transport``) that reads requests, runs the
handlers and writes, so the server can speak TLS (``tls=``) while other threads broadcast.
``fault()`` makes it misbehave on request (``sdk.testing.faults``).
"""

from __future__ import annotations

import logging
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from typing import Any

from sdk.model.checks import MAX_LINE_BYTES, MAX_LINES
from sdk.testing.context import Context, Handler
from sdk.testing.dispatch import handlers_for
from sdk.testing.faults import (
    ENDLESS,
    GARBAGE,
    LATIN1_EVENT,
    MIB,
    Fault,
    blank_lines,
    endless,
    long_line,
)
from sdk.testing.known import KnownActions
from sdk.testing.pbx import Endpoint, PBXState, SipPeer
from sdk.testing.releases import PLAYS
from sdk.testing.request import ReceivedMessage
from sdk.testing.sessions import ManagerSession, User, parse_classes
from sdk.testing.sip import Notify
from sdk.wire.answers import event_text, response_text
from sdk.wire.message import Message
from sdk.wire.transport import Transport

__all__ = ["AMIServer", "Connection", "ConnectionContext"]

log = logging.getLogger("sdk.testing.server")


class Connection:
    """One client connection: reads its requests and writes answers and events.

    Its socket belongs to one I/O thread (``sdk.wire.transport.Transport``), which also runs the
    handlers; ``write`` may be called from any thread (broadcasts, ``inject``).
    """

    def __init__(self, server: AMIServer, sock: socket.socket, peer: tuple[str, int]) -> None:
        self.server = server
        self.sock = sock
        self.peer = peer
        self.session = ManagerSession()
        self.closed = False
        self.session_id = f"0x{secrets.token_hex(6)}"
        self._capture: list[bytes] | None = None
        self._buf = b""
        self._lines: list[str] = []
        self._too_long = False
        self._lost_lines = False
        self.transport = Transport(
            sock,
            name=f"ami-server-conn-{peer[1]}",
            on_data=self._on_data,
            on_closed=self._on_closed,
            on_open=self._on_open,
            handshake_timeout=10.0 if isinstance(sock, ssl.SSLSocket) else None,
            eager=True,
        )
        self.context: Context = ConnectionContext(self)  # what its handlers are given

    @property
    def authenticated(self) -> bool:
        return self.session.authenticated

    # --- writing ---

    def write(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if self._capture is not None and threading.current_thread() is self.transport.thread:
            self._capture.append(data)
            return
        if not self.transport.write(data):
            self.closed = True

    def respond(
        self,
        request: Message,
        status: str,
        message: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        *,
        list_start: bool = False,
        trailer: str = "",
    ) -> None:
        """Write a response (``sdk.wire.answers.response_text``), then ``trailer``, in one write."""
        self.write(
            response_text(request, status, message, headers, list_start=list_start) + trailer
        )

    def error(self, request: Message, message: str) -> None:
        self.respond(request, "Error", message)

    def ack(self, request: Message, message: str | None = None) -> None:
        self.respond(request, "Success", message)

    def event(
        self, name: str, headers: Iterable[tuple[str, str]], *, privilege: str | None = None
    ) -> None:
        """Write one event to this connection only (a list item, say)."""
        self.write(event_text(name, headers, privilege=privilege))

    def close(self) -> None:
        """Close after what was written so far has gone out (Asterisk's Goodbye)."""
        self.closed = True
        self.transport.close("closed by the server", flush=True)

    def abort(self) -> None:
        """Close at once, dropping what was not written yet."""
        self.closed = True
        self.transport.close("dropped by the server")

    # --- reading (on the I/O thread) ---

    def _on_open(self) -> None:
        if self.server._take_fault(None, connection=True) is not None:
            log.debug("fault: closing %s before the banner", self.peer)
            self.abort()
            return
        self.write(self.server.banner + "\r\n")

    def _on_closed(
        self,
        transport: Transport,
        reason: str,
        error: BaseException | None,
        unsent: list[Hashable],
    ) -> None:
        self.closed = True
        self.server._forget(self)

    def _on_data(self, data: bytes) -> None:
        """Split requests as manager.c does (see the module doc)."""
        buf = self._buf + data
        pos = 0  # where the next line starts: a read may hold thousands, so no slicing
        while not self.closed:
            end = buf.find(b"\n", pos, pos + MAX_LINE_BYTES)
            if end < 0:
                if len(buf) - pos >= MAX_LINE_BYTES:
                    pos += MAX_LINE_BYTES - 1  # manager.c keeps the last byte, drops the rest
                    self._too_long = True
                    continue
                break
            raw = buf[pos : end - 1] if end > pos and buf[end - 1 : end] == b"\r" else buf[pos:end]
            pos = end + 1
            line = raw.decode("utf-8", "surrogateescape")
            if line:
                if len(self._lines) < MAX_LINES:
                    self._lines.append(line)
                else:
                    self._lost_lines = True
                continue
            request = ReceivedMessage(self._lines, self.peer)
            self._lines = []
            self.server._record(request)
            if self._lost_lines:
                self.error(request, "Too many lines in message or allocation failure")
            elif self._too_long:
                self.error(request, "Failed to parse message: line too long")
            else:
                self._process(request)
            self._too_long = self._lost_lines = False
        self._buf = buf[pos:]

    def _process(self, request: ReceivedMessage) -> None:
        fault = self.server._take_fault(request.action)
        if fault is None:
            self.server.handlers.process(self.context, request)
            return
        kind = fault.kind
        log.debug("fault %s on %s", kind, request.action)
        if kind == "close":
            self.abort()
            return
        if kind == "long-line":
            self.write(long_line(fault.size or MIB))
            return
        if kind == "slow":
            if self.server._stopping_event.wait(fault.delay):
                return  # the server stops: the answer never comes
        elif kind == "garbage":
            self.write(GARBAGE)
        elif kind == "blank-lines":
            self.write(blank_lines())
        elif kind == "latin1":
            self.write(LATIN1_EVENT)
        if kind not in ("cut", "no-action-id", "lag", *ENDLESS):
            self.server.handlers.process(self.context, request)
            return
        self._capture = []
        try:
            self.server.handlers.process(self.context, request)
            answer = b"".join(self._capture)
        finally:
            self._capture = None
        if kind in ENDLESS:
            head, block = endless(kind, answer)
            self.server.schedule(0, lambda: self._flood(head, block, fault.size))
        elif kind == "lag":
            self.server.schedule(fault.delay, lambda: self.write(answer))
        elif kind == "cut":
            self.write(answer[: max(1, len(answer) // 2)])
            self.close()
        else:
            kept = [
                line for line in answer.split(b"\r\n") if not line.lower().startswith(b"actionid:")
            ]
            self.write(b"\r\n".join(kept))

    def _flood(self, head: bytes, block: bytes, size: int | None) -> None:
        """Write ``head``, then ``block`` again and again (up to ``size`` bytes in all), as
        fast as the client reads, until the connection or the server closes."""
        self.write(head)
        sent = len(head)
        stopping = self.server._stopping_event
        while not self.closed and (size is None or sent < size):
            if self.transport.backlog > 2 * len(block):  # the client has not read it yet
                if stopping.wait(0.002):
                    return
                continue
            data = block if size is None else block[: size - sent]
            self.write(data)
            sent += len(data)


class AMIServer:
    """A threaded AMI server on 127.0.0.1 for demos and tests; a context manager.

    ``version`` "20" answers as Asterisk 20.20.1 with chan_sip (or, with ``sip="pjsip"``, as
    an Asterisk 20 that runs res_pjsip instead); "22" as Asterisk 22.10.1 with res_pjsip;
    "16", "18", "21" and "23" as those releases, with a ListCommands derived from their
    documentation, not recorded (``sdk.testing.releases``: chan_sip on 16 and 18, or
    ``sip="pjsip"``; res_pjsip on 21 and 23).
    ``challenge`` fixes the MD5 challenge (replaying a recorded login needs it). ``.received`` lists every message read,
    ``.notifies`` every SIP NOTIFY it would have sent; with ``send_sip=True`` it also sends
    each one over UDP to the peer. ``inject(raw)`` writes bytes to every client as they are.

    ``sip_port`` is the SIP port its NOTIFYs say they come from (default: the recorded
    lab's, 5060 for chan_sip, 5062 for res_pjsip).

    ``tls`` (a server-side ``ssl.SSLContext`` holding the certificate) serves AMI over TLS,
    as Asterisk's ``tlsenable`` does; ``url()`` then starts with ``amis://``. ``fault()``
    arms a fault (``sdk.testing.faults``); ``restart()`` drops every connection and listens
    again on the same port.
    """

    def __init__(
        self,
        version: str = "20",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        challenge: str | None = None,
        send_sip: bool = False,
        auth_fail_delay: float = 1.0,
        started: datetime | None = None,
        sip: str | None = None,
        tls: ssl.SSLContext | None = None,
        sip_port: int | None = None,
    ) -> None:
        if version not in PLAYS:
            raise ValueError(f"version must be one of {', '.join(PLAYS)}, not {version!r}")
        plays = PLAYS[version]
        self.version = version
        self.asterisk_version = plays.asterisk
        self.banner = plays.banner
        self.challenge = challenge
        self.send_sip = send_sip
        self.auth_fail_delay = auth_fail_delay
        self.tls = tls
        self.users: dict[str, User] = {}
        self.build = "built by root @ vm on a x86_64 running Linux on 2026-11-26 06:21:24 UTC"
        self.received: list[ReceivedMessage] = []
        self.notifies: list[Notify] = []
        self.sip = sip or plays.sip
        if self.sip not in plays.sips:
            raise ValueError(
                f"sip must be {' or '.join(map(repr, plays.sips))} on version {version},"
                f" not {sip!r}"
            )
        # where its SIP requests come from (Via, Contact): chan_sip's and res_pjsip's
        # addresses in the recorded lab unless told
        sip_address = ("127.0.0.1", sip_port or (5060 if self.sip == "chan_sip" else 5062))
        self.faults: list[Fault] = []
        self.handlers = handlers_for(version, self.sip)
        self.pbx = PBXState(started=started, sip_address=sip_address)
        self._timers: list[threading.Timer] = []
        self._requested = (host, port)
        self._address: tuple[str, int] | None = None
        self._listener: socket.socket | None = None
        self._accepter: threading.Thread | None = None
        self._connections: list[Connection] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._received_cond = threading.Condition(self._lock)
        self._stopping = False
        self._stopping_event = threading.Event()
        self.started_at = time.monotonic()

    @classmethod
    def as_recorded(cls, version: str = "20", **kwargs: Any) -> AMIServer:
        """A server set up like the Asterisk the fixtures were recorded from: users ``admin``
        (secret ``s3cret``, all classes) and ``readonly`` (``r3ad``, no write class), peers
        ``phone1`` (static, 127.0.0.1:5070) and ``phone2`` (dynamic, never registered)."""
        server = cls(version, **kwargs)
        server.add_user("admin", "s3cret")
        if server.sip == "pjsip":
            server.add_pjsip_endpoint("phone1", ["sip:phone1@127.0.0.1:5072"])
            server.add_pjsip_endpoint("phone2")
            server.add_notify_option("check-sync", [("Event", "check-sync")])
            server.add_notify_option(
                "clear-mwi",
                [
                    ("Event", "message-summary"),
                    ("Content-type", "application/simple-message-summary"),
                    ("Content", "Messages-Waiting: no"),
                    ("Content", "Message-Account: sip:asterisk@127.0.0.1"),
                    ("Content", "Voice-Message: 0/0 (0/0)"),
                    ("Content", ""),
                ],
            )
            return server
        server.add_user("readonly", "r3ad", write="")
        server.add_sip_peer("phone1", "127.0.0.1", 5070)
        server.add_sip_peer("phone2")
        return server

    # --- configuration ---

    @property
    def sip_peers(self) -> dict[str, SipPeer]:
        """chan_sip's peers (``add_sip_peer``), by name."""
        return self.pbx.sip_peers

    @property
    def pjsip_endpoints(self) -> dict[str, Endpoint]:
        """res_pjsip's endpoints (``add_pjsip_endpoint``), by name."""
        return self.pbx.pjsip_endpoints

    @property
    def notify_options(self) -> dict[str, list[tuple[str, str]]]:
        """pjsip_notify.conf's sections (``add_notify_option``), by name."""
        return self.pbx.notify_options

    @property
    def dialogs(self) -> set[str]:
        """The Call-IDs of the SIP dialogs an in-dialog SIPnotify finds (``add_dialog``)."""
        return self.pbx.dialogs

    @property
    def sip_address(self) -> tuple[str, int]:
        """Where its SIP requests say they come from (Via, Contact)."""
        return self.pbx.sip_address

    def add_user(self, name: str, secret: str, *, read: str = "all", write: str = "all") -> User:
        user = User(name, secret, parse_classes(read), parse_classes(write))
        self.users[name] = user
        return user

    def find_user(self, name: str) -> User | None:
        """The manager user ``name``; manager.c compares user names without regard to case."""
        folded = name.lower()
        return next((u for n, u in self.users.items() if n.lower() == folded), None)

    def add_sip_peer(self, name: str, host: str | None = None, port: int = 5060) -> SipPeer:
        """A chan_sip peer. Its name is matched exactly (``PHONE1`` is not ``phone1``)."""
        peer = SipPeer(name, host, port)
        self.pbx.sip_peers[name] = peer
        return peer

    def add_pjsip_endpoint(self, name: str, contacts: Iterable[str] = ()) -> Endpoint:
        """A PJSIP endpoint with an AOR of the same name holding ``contacts`` (SIP URIs);
        without contacts a NOTIFY to it is accepted and goes nowhere, as in Asterisk. Its
        name is matched exactly, as sorcery does."""
        endpoint = Endpoint(name, list(contacts))
        self.pbx.pjsip_endpoints[name] = endpoint
        return endpoint

    def add_notify_option(self, name: str, headers: Iterable[tuple[str, str]]) -> None:
        """A section of pjsip_notify.conf: what ``PJSIPNotify`` with ``Option: name`` sends
        (res_pjsip_notify finds it without regard to case)."""
        self.pbx.notify_options[name] = list(headers)

    def add_dialog(self, call_id: str) -> None:
        """Make ``call_id`` an existing dialog, so an in-dialog SIPnotify finds it."""
        self.pbx.dialogs.add(call_id)

    def fault(
        self,
        kind: str,
        action: str | None = None,
        *,
        times: int = 1,
        delay: float = 0.0,
        size: int | None = None,
    ) -> Fault:
        """Arm a fault for the next ``times`` requests for ``action`` (``None``: any); see
        ``sdk.testing.faults`` for the kinds (and ``size``). Returns it; its ``hits`` count
        its uses."""
        fault = Fault(kind, action, times=times, delay=delay, size=size)
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, action: str | None, *, connection: bool = False) -> Fault | None:
        with self._lock:
            faults = [f for f in self.faults if not f.spent]
        for fault in faults:
            if fault.take(action, connection=connection):
                return fault
        return None

    # --- running ---

    @property
    def listening(self) -> bool:
        """Whether it accepts connections: started, and not stopped since."""
        return self._listener is not None

    @property
    def host(self) -> str:
        assert self._address is not None, "the server is not started"
        return self._address[0]

    @property
    def port(self) -> int:
        assert self._address is not None, "the server is not started"
        return self._address[1]

    def url(self, username: str = "admin") -> str:
        scheme = "amis" if self.tls is not None else "ami"
        return f"{scheme}://{username}@{self.host}:{self.port}"

    def start(self) -> AMIServer:
        if self._listener is not None:
            return self
        self._stopping = False
        self._stopping_event.clear()
        listener = socket.create_server(self._address or self._requested)
        self._listener = listener
        self._address = listener.getsockname()[:2]
        self.started_at = time.monotonic()
        self._accepter = threading.Thread(
            target=self._accept_loop, args=(listener,), name="ami-server-accept", daemon=True
        )
        self._accepter.start()
        log.debug(
            "embedded AMI server (Asterisk %s) on %s:%s%s",
            self.asterisk_version,
            self.host,
            self.port,
            " over TLS" if self.tls is not None else "",
        )
        return self

    def stop(self) -> None:
        """Drop every connection and close the listener; wait for every thread to end."""
        self._stopping = True
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            conn.abort()
        self._stopping_event.set()  # after the aborts: a delayed answer finds them closed
        with self._lock:
            threads = list(self._threads)
        if self._accepter is not None:
            threads.append(self._accepter)
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
            threads.append(timer)
        for thread in threads:
            thread.join(timeout=5)

    def restart(self, downtime: float = 0.0) -> None:
        """Drop every connection, refuse connections for ``downtime`` seconds, then listen
        again on the same port (a PBX restart, as clients see it)."""
        log.debug("embedded AMI server restarting (down for %.2f s)", downtime)
        self.stop()
        time.sleep(downtime)
        self.start()

    def __enter__(self) -> AMIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping:
            try:
                sock, peer = listener.accept()
            except OSError:
                return
            if self._stopping:
                sock.close()
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # answers go out at once
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            conn = Connection(self, sock, peer[:2])
            with self._lock:
                self._connections.append(conn)
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(conn.transport.thread)
            conn.transport.start()

    def _forget(self, conn: Connection) -> None:
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)

    def _record(self, message: ReceivedMessage) -> None:
        with self._received_cond:
            self.received.append(message)
            self._received_cond.notify_all()

    def wait_received(
        self, predicate: Callable[[ReceivedMessage], bool], timeout: float = 5.0
    ) -> ReceivedMessage:
        """Wait until a received message satisfies ``predicate``; raise TimeoutError if none."""
        with self._received_cond:
            found = self._received_cond.wait_for(  # the first match (a message is never false)
                lambda: next((m for m in self.received if predicate(m)), None), timeout
            )
            if found is None:
                raise TimeoutError(f"no matching message received within {timeout} s")
            return found

    def handle(self, action: str, func: Handler) -> None:
        """Answer ``action`` with ``func(context, request)`` instead of the built-in
        behaviour: an action of your own specs, or an unusual answer to test a client with.

        ``func`` answers with ``context.ack(request, message)``, ``context.error(request,
        message)`` or ``context.respond(request, status, message, headers)`` (each carries
        the request's ActionID), and reads what was sent with ``request.get(header)``; the
        rest it may do is ``sdk.testing.Context``'s. An action this version lacks becomes one
        it lists, needing no write class."""
        self.handlers.set(action, func)

    # --- what handlers call ---

    @property
    def known_actions(self) -> KnownActions:
        return self.handlers.known

    @property
    def uptime(self) -> int:
        return int(time.monotonic() - self.started_at)

    def schedule(self, delay: float, func: Callable[[], None]) -> None:
        """Run ``func`` after ``delay`` seconds, unless the server stops first."""
        timer = threading.Timer(delay, func)
        timer.daemon = True
        with self._lock:
            if self._stopping:
                return
            self._timers = [t for t in self._timers if t.is_alive()]
            self._timers.append(timer)
        timer.start()

    @property
    def connections(self) -> list[Connection]:
        with self._lock:
            return list(self._connections)

    def broadcast(self, name: str, category: str, headers: Iterable[tuple[str, str]] | str) -> None:
        """Send an event to every logged-in connection that reads ``category`` and asked for it."""
        text = event_text(name, headers, privilege=f"{category},all")
        for conn in self.connections:
            if conn.session.reads(category) and conn.session.passes_filters(text):
                conn.write(text)

    def security_event(
        self,
        conn: Connection,
        name: str,
        severity: str,
        fields: Iterable[tuple[str, str]],
        *,
        account_optional: bool = False,
    ) -> None:
        """A security event about ``conn`` (``SuccessfulAuth``, ``RequestNotAllowed``...), with
        the common fields Asterisk's security_events.c writes around ``fields``: the
        required ones first, then the optional ones (SessionTV; AccountID too when the event
        type has it optional, as RequestBadFormat does)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
        local = conn.sock.getsockname()
        account = [("AccountID", conn.session.username)]
        self.broadcast(
            name,
            "security",
            [
                ("EventTV", now),
                ("Severity", severity),
                ("Service", "AMI"),
                ("EventVersion", "1"),
                *([] if account_optional else account),
                ("SessionID", conn.session_id),
                ("LocalAddress", f"IPV4/TCP/{local[0]}/{local[1]}"),
                ("RemoteAddress", f"IPV4/TCP/{conn.peer[0]}/{conn.peer[1]}"),
                *fields,
                ("SessionTV", now),
                *(account if account_optional else []),
            ],
        )

    def inject(self, raw: bytes) -> None:
        """Write ``raw`` to every connected client as it is (garbage, answers without ActionID).

        Each call's bytes go out whole, never split by another write."""
        for conn in self.connections:
            conn.write(raw)

    def record_notify(self, notify: Notify) -> None:
        self.notifies.append(notify)
        if self.send_sip:
            try:
                notify.send_udp()
            except OSError as exc:
                log.warning("could not send the NOTIFY to %s:%s: %s", *notify.address, exc)


class ConnectionContext:
    """The ``Context`` (``sdk.testing.context``) a connection gives its handlers: its own
    answers and manager session, and of its server the events, the clock, what it plays and
    the PBX; nothing else of either."""

    __slots__ = (
        "_conn",
        "_server",
        "ack",
        "asterisk_version",
        "banner",
        "broadcast",
        "build",
        "close",
        "error",
        "event",
        "find_user",
        "fixed_challenge",
        "pbx",
        "record_notify",
        "respond",
        "schedule",
        "session",
        "version",
        "write",
    )

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        server = self._server = conn.server
        # this connection
        self.session = conn.session
        self.write = conn.write
        self.respond = conn.respond
        self.ack = conn.ack
        self.error = conn.error
        self.event = conn.event
        self.close = conn.close
        # the server: its events, what it plays, its users, the PBX
        self.broadcast = server.broadcast
        self.schedule = server.schedule
        self.version = server.version
        self.asterisk_version = server.asterisk_version
        self.banner = server.banner
        self.build = server.build
        self.find_user = server.find_user
        self.fixed_challenge = server.challenge
        self.pbx = server.pbx
        self.record_notify = server.record_notify

    def security_event(
        self,
        name: str,
        severity: str,
        fields: Iterable[tuple[str, str]],
        *,
        account_optional: bool = False,
    ) -> None:
        self._server.security_event(
            self._conn, name, severity, fields, account_optional=account_optional
        )

    # what changes while the server runs
    @property
    def uptime(self) -> int:
        return self._server.uptime

    @property
    def known_actions(self) -> KnownActions:
        return self._server.known_actions

    @property
    def auth_fail_delay(self) -> float:
        return self._server.auth_fail_delay
