"""A connector to handlers in memory, for testing code that uses a session without sockets
(as httpx's ``MockTransport``).

``Session("pbx", username="admin", secret="s3cret", transport=MemoryTransport())`` connects
to no socket: each connection is a pair of queues, its requests are read on a thread of
the ``MemoryTransport`` and answered by handlers, and the answers come back through the
session's own I/O thread, parser and router, as bytes from a socket would. Login (plain and
MD5), Challenge, Logoff, Ping and UserEvent are answered as Asterisk answers them (a
UserEvent goes to the connections that asked for the ``user`` class); ``handle(action,
func)`` answers any other action (or replaces one of those) with ``func(connection,
request)``, the signature of ``sdk.testing.AMIServer.handle``. ``broadcast`` sends an event,
``inject(raw)`` raw bytes to every client; ``MemoryConnection.abort()`` drops a connection
as a network would, and ``refuse`` makes connecting fail, as a PBX that is down does.

What it does not do is what ``sdk.testing.AMIServer`` is for: the actions themselves, each
user's permissions, TLS, faults at the byte level.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping

from sdk.client.auth import Secret
from sdk.client.capabilities import ALWAYS
from sdk.client.connection import Callbacks, Destination, Link, Opening
from sdk.errors import ConnectionError, ProtocolError
from sdk.model.fields import SECRET_HEADERS
from sdk.wire.answers import event_text, response_text
from sdk.wire.message import Headers, Message
from sdk.wire.parser import Parser
from sdk.wire.transport import ConnectFailed

__all__ = ["MemoryConnection", "MemoryTransport"]

log = logging.getLogger("sdk.client.memory")

BANNER = "Asterisk Call Manager/9.0.0"
Handler = Callable[["MemoryConnection", Message], None]
_ON = frozenset({"on", "yes", "true", "1"})


class Request(Message):
    """A request as the handlers read it. Its repr, str and HTML show the values of secret
    headers (Secret, Key) as ``***``; ``get()`` still returns them, as a login needs them."""

    __slots__ = ()

    def _shown(self) -> Message:
        pairs = [(n, "***" if n.lower() in SECRET_HEADERS else v) for n, v in self.headers]
        return Message(Headers(pairs), self.unparsed)

    def __repr__(self) -> str:
        return f"Request({list(self._shown().headers)!r})"

    def __str__(self) -> str:
        return str(self._shown())

    def _repr_html_(self) -> str:
        return self._shown()._repr_html_()


class MemoryConnection:
    """One client connection, as the handlers see it: ``respond``, ``ack``, ``error`` and
    ``event`` write an answer or an event to the client, ``write`` raw bytes; ``close``
    ends it after what was written (as Asterisk after Goodbye), ``abort`` at once.

    Its requests are read and answered on a thread of its own; the session reads what the
    handlers wrote on its own I/O thread (``_SessionEnd``), as it would read a socket.
    """

    def __init__(self, transport: MemoryTransport, number: int) -> None:
        self.transport = transport
        self.number = number
        self.authenticated = False
        self.username: str | None = None
        self.login: Message | None = None  # the accepted Login (its Events header, say)
        self.challenge = ""
        self.received: list[Message] = []
        # Both directions share one lock: the handlers' thread and the session's I/O thread
        # wait on the same condition.
        self._cond = threading.Condition(threading.Lock())
        self._to_server: collections.deque[tuple[bytes, Hashable | None]] = collections.deque()
        self._to_client: collections.deque[bytes] = collections.deque()
        self._peer_closed: str | None = None  # "close" (after what was written) or "abort"
        self._ended = False
        self._thread = threading.Thread(
            target=self._serve, name=f"ami-memory-server-{number}", daemon=True
        )

    @property
    def closed(self) -> bool:
        return self._ended or self._peer_closed is not None

    def wants(self, category: str) -> bool:
        """Whether the client asked at login for events of ``category`` (``Events: on``,
        ``off`` or a class list; on when absent, as in Asterisk)."""
        if self.login is None:
            return False
        mask = (self.login.get("Events") or "on").strip().lower()
        if mask in _ON:
            return True
        classes = {name.strip() for name in mask.split(",")}
        return "all" in classes or category in classes

    def write(self, data: bytes | str) -> None:
        """Bytes to the client, as they are (a str as UTF-8); nothing once it is closed."""
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        with self._cond:
            if self._ended or self._peer_closed is not None:
                return
            self._to_client.append(raw)
            self._cond.notify_all()

    def respond(
        self,
        request: Message,
        status: str,
        message: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        """An answer to ``request``, its ActionID echoed as Asterisk echoes it
        (``sdk.wire.answers.response_text``)."""
        self.write(response_text(request, status, message, headers))

    def ack(self, request: Message, message: str | None = None) -> None:
        self.respond(request, "Success", message)

    def error(self, request: Message, message: str) -> None:
        self.respond(request, "Error", message)

    def event(
        self, name: str, headers: Iterable[tuple[str, str]] = (), *, privilege: str | None = None
    ) -> None:
        self.write(event_text(name, headers, privilege=privilege))

    def close(self) -> None:
        """End the connection once the client has read what was written."""
        self._peer_close("close")

    def abort(self) -> None:
        """End the connection now: what was written and not yet read is lost."""
        self._peer_close("abort")

    def _peer_close(self, how: str) -> None:
        with self._cond:
            if self._peer_closed is None:
                self._peer_closed = how
            self._cond.notify_all()

    def _serve(self) -> None:
        """Read each request as it comes, and answer it."""
        parser = Parser(banner=False)
        while True:
            with self._cond:
                while not self._to_server and not self.closed:
                    self._cond.wait()
                if self.closed:
                    return
                chunks = list(self._to_server)
                self._to_server.clear()
            try:
                for data, _tag in chunks:
                    for message in parser.feed(data):
                        request = Request(message.headers, message.unparsed)
                        self.received.append(request)
                        self.transport._process(self, request)
            except Exception:  # a handler's bug, or requests past the parser's bounds
                log.exception("memory connection %d: dropped", self.number)
                self.abort()  # as a crashing server would: the session sees the loss


class _SessionEnd:
    """The session's side of a ``MemoryConnection``: an ``Opening``, then its ``Link``."""

    def __init__(self, connection: MemoryConnection, stop: threading.Event) -> None:
        self._conn = connection
        self._cond = connection._cond
        self._stop = stop
        self._closing: str | None = None
        self._calls: Callbacks | None = None  # given by link()
        self.thread = threading.Thread(target=self._run, name="ami-io-memory", daemon=True)

    # --- Opening ---

    def read(self, deadline: float) -> bytes:
        conn = self._conn
        with self._cond:
            while not conn._to_client and conn._peer_closed is None:
                if self._stop.is_set():
                    raise ConnectFailed("waiting for data: stopped")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ConnectFailed("waiting for data", timeout=True)
                self._cond.wait(min(remaining, 0.1))
            if conn._peer_closed == "abort" or not conn._to_client:
                return b""
            data = b"".join(conn._to_client)
            conn._to_client.clear()
            return data

    def link(self, name: str, calls: Callbacks) -> Link:
        self.thread.name = name
        self._calls = calls
        return self

    def abandon(self) -> None:
        self._finish("abandoned", None)

    # --- Link ---

    def start(self) -> None:
        self.thread.start()

    def write(self, data: bytes, tag: Hashable | None = None) -> bool:
        with self._cond:
            if self._closing is not None or self._conn._ended:
                return False
            self._conn._to_server.append((data, tag))
            self._cond.notify_all()
        return True

    def close(self, reason: str = "closed") -> None:
        with self._cond:
            if self._closing is not None or self._conn._ended:
                return
            self._closing = reason
            self._cond.notify_all()
        if self.thread.ident is None:  # never started: nobody else will end it
            self._finish(reason, None)

    def drive(self, until: Callable[[], bool], deadline: float) -> None:
        """Callers wait for the I/O thread here: nothing to drive."""

    def exchange(
        self, data: bytes, tag: Hashable | None, until: Callable[[], bool], deadline: float
    ) -> bool:
        return self.write(data, tag)

    def join(self, timeout: float | None = None) -> None:
        if self.thread.ident is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def _run(self) -> None:
        """The session's I/O thread: what the handlers wrote goes to ``on_data``."""
        conn, calls = self._conn, self._calls
        assert calls is not None
        on_data, tick, interval = calls.on_data, calls.tick, calls.tick_interval
        next_tick = None if interval is None else time.monotonic() + interval
        reason, error = "closed", None
        try:
            while True:
                with self._cond:
                    while not conn._to_client and conn._peer_closed is None:
                        if self._closing is not None:
                            break
                        wait = None if next_tick is None else next_tick - time.monotonic()
                        if wait is not None and wait <= 0:
                            break
                        self._cond.wait(wait)
                    if self._closing is not None:
                        reason = self._closing
                        break
                    gone = conn._peer_closed
                    chunks = [] if gone == "abort" else list(conn._to_client)
                    conn._to_client.clear()
                for chunk in chunks:
                    on_data(chunk)
                if gone is not None:
                    reason = "connection closed by the peer"
                    break
                if next_tick is not None and time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + (interval or 0.0)
                    if tick is not None:
                        tick()
        except Exception as exc:  # a parser's ProtocolError, a callback's bug
            reason, error = str(exc) or type(exc).__name__, exc
            if isinstance(exc, ProtocolError):  # the server's doing; its message says it all
                error = exc.with_traceback(None)
            else:
                log.exception("%s: I/O thread failed", self.thread.name)
        self._finish(reason, error)

    def _finish(self, reason: str, error: BaseException | None) -> None:
        conn = self._conn
        with self._cond:
            if conn._ended:
                return
            conn._ended = True
            unsent = [tag for _, tag in conn._to_server if tag is not None]
            conn._to_server.clear()
            conn._to_client.clear()
            self._cond.notify_all()  # the handlers' thread ends
        conn.transport._forget(conn)
        if self._calls is not None:
            self._calls.on_closed(self, reason, error, unsent)


class MemoryTransport:
    """Connects sessions to handlers in memory (see the module doc). ``users`` maps each
    user name to its secret (default: admin / s3cret); ``challenge`` is the MD5 challenge.
    ``default`` answers the actions no handler answers (else: Asterisk's "Invalid/unknown
    command"). ``received`` lists every request of every connection; ``connections`` the
    open ones. ``refuse`` (a reason) makes the next connections fail, as a PBX that is down
    does."""

    def __init__(
        self,
        handlers: Mapping[str, Handler] | None = None,
        *,
        users: Mapping[str, str] | None = None,
        banner: str = BANNER,
        challenge: str = "424242",
        default: Handler | None = None,
    ) -> None:
        self._default = default
        given = users if users is not None else {"admin": "s3cret"}
        self._users = {name: Secret(secret) for name, secret in given.items()}  # shown as ***
        self.banner = banner
        self.challenge = challenge
        self.refuse: str | None = None
        self.received: list[Message] = []
        self.connections: list[MemoryConnection] = []
        self.connected = 0  # connections made so far
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {
            "challenge": _challenge,
            "login": _login,
            "logoff": _logoff,
            "ping": _ping,
            "userevent": _user_event,
        }
        for name, func in (handlers or {}).items():
            self.handle(name, func)

    def handle(self, action: str, func: Handler) -> None:
        """Answer ``action`` (any case) with ``func(connection, request)`` from now on."""
        self._handlers[action.lower()] = func

    def __call__(self, target: Destination, stop: threading.Event) -> Opening:
        """The connector: a new connection to the handlers (``Session(transport=...)``)."""
        if self.refuse is not None:
            raise ConnectionError(f"could not connect to {target.where}: {self.refuse}")
        connection = MemoryConnection(self, next(self._numbers))
        end = _SessionEnd(connection, stop)
        connection.write(self.banner + "\r\n")
        with self._lock:
            self.connections.append(connection)
            self.connected += 1
        connection._thread.start()
        return end

    def broadcast(self, name: str, category: str, headers: Iterable[tuple[str, str]]) -> None:
        """An event to every logged-in connection that asked for ``category`` at login."""
        text = event_text(name, headers, privilege=f"{category},all")
        with self._lock:
            connections = list(self.connections)
        for connection in connections:
            if connection.wants(category):
                connection.write(text)

    def inject(self, raw: bytes | str) -> None:
        """Write ``raw`` to every open connection as it is."""
        with self._lock:
            connections = list(self.connections)
        for connection in connections:
            connection.write(raw)

    def secret_of(self, username: str | None) -> str | None:
        secret = self._users.get(username or "")
        return None if secret is None else secret.reveal()

    def _forget(self, connection: MemoryConnection) -> None:
        with self._lock:
            if connection in self.connections:
                self.connections.remove(connection)

    def _process(self, connection: MemoryConnection, request: Message) -> None:
        with self._lock:
            self.received.append(request)
        action = request.get("Action")
        if not action:
            connection.error(request, "Missing action in request")
            return
        folded = action.lower()
        # before login, only Login, Logoff and Challenge, as in Asterisk
        if not connection.authenticated and folded not in ALWAYS:
            connection.error(request, "Permission denied")
            return
        func = self._handlers.get(folded, self._default)
        if func is None:
            connection.error(
                request,
                f"Invalid/unknown command: {action}. Use Action: ListCommands to show"
                " available commands.",
            )
            return
        func(connection, request)

    def __repr__(self) -> str:
        return f"<MemoryTransport {len(self.connections)} open, {len(self.received)} requests>"


# --- what every Asterisk answers -----------------------------------------------------------


def _challenge(connection: MemoryConnection, request: Message) -> None:
    if (request.get("AuthType") or "").lower() != "md5":
        connection.error(request, "Must specify AuthType")
        return
    connection.challenge = connection.transport.challenge
    connection.respond(request, "Success", headers=[("Challenge", connection.challenge)])


def _login(connection: MemoryConnection, request: Message) -> None:
    name = request.get("Username")
    secret = connection.transport.secret_of(name)
    if (request.get("AuthType") or "").lower() == "md5":
        given = request.get("Key")
        wanted = None
        if secret is not None and connection.challenge:
            wanted = hashlib.md5((connection.challenge + secret).encode()).hexdigest()
    else:
        given, wanted = request.get("Secret"), secret
    if wanted is None or given != wanted:
        connection.error(request, "Authentication failed")
        connection.close()  # as Asterisk does
        return
    connection.authenticated = True
    connection.username = name
    connection.login = request
    connection.ack(request, "Authentication accepted")


def _logoff(connection: MemoryConnection, request: Message) -> None:
    connection.respond(request, "Goodbye", "Thanks for all the fish.")
    connection.close()


def _ping(connection: MemoryConnection, request: Message) -> None:
    connection.respond(request, "Success", headers=[("Ping", "Pong"), ("Timestamp", _now())])


def _user_event(connection: MemoryConnection, request: Message) -> None:
    name = request.get("UserEvent") or ""
    rest = [(k, v) for k, v in request.headers if k.lower() not in ("action", "userevent")]
    connection.ack(request, "Event Sent")
    connection.transport.broadcast("UserEvent", "user", [("UserEvent", name), *rest])


def _now() -> str:
    return f"{time.time():.6f}"
