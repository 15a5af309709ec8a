"""A synchronous AMI session: one I/O thread per connection, reconnecting by itself.

``Session(host, port, username=..., secret=...)`` connects (over TLS when asked), checks the
banner and logs in (MD5 challenge by default), like ``socket.create_connection``. One I/O
thread owns the socket (``sdk.transport``): it hands each response, with the items of its
event list, to the caller waiting on that ActionID, and every other event to callbacks,
waiters and a bounded queue. Several threads may send at once; every wait ends within its
timeout.

When the connection drops, the actions in flight fail with ``sdk.OutcomeUnknown`` (they may
or may not have run; the session never sends them again), and the session reconnects with a
bounded exponential backoff and logs in again; callbacks, waiters and queued events carry
over. ``keepalive=`` sends a Ping when the line has been quiet that long, so that a dead
peer is found even when nothing is being sent.
"""

from __future__ import annotations

import collections
import fnmatch
import hashlib
import itertools
import logging
import os
import random
import re
import secrets as _secrets
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from sdk.action import Action
from sdk.capabilities import ServerInfo
from sdk.errors import (
    ActionError,
    AMIError,
    AuthenticationError,
    ConnectionError,
    FieldProblem,
    OutcomeUnknown,
    ProtocolError,
    TimeoutError,
    ValidationError,
)
from sdk.message import Event, Message, Response
from sdk.transport import ConnectFailed, Transport, open_socket, recv_some
from sdk.wire import BANNER_PREFIX, DEFAULT_MAX_LINE, Parser

__all__ = ["PendingResponse", "Reconnect", "Session", "connect"]

log = logging.getLogger("sdk.session")

DEFAULT_PORT = 5038
DEFAULT_TLS_PORT = 5039
DEFAULT_EVENT_QUEUE = 10_000
_STALE_LIMIT = 10_000  # timed-out ActionIDs remembered until their late answer comes


@attrs.frozen
class Reconnect:
    """How a session reconnects: exponential backoff from ``initial`` seconds, multiplied by
    ``factor`` each attempt, never above ``maximum``; each delay is shortened by a random
    part of up to ``jitter`` (so that many scripts do not hammer a restarted PBX in step).
    ``attempts=None`` tries until ``close()``; a number gives up after that many attempts.
    """

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2
    attempts: int | None = None

    def __attrs_post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum:
            raise ValueError("Reconnect needs 0 < initial <= maximum")
        if self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("Reconnect needs factor >= 1 and 0 <= jitter < 1")
        if self.attempts is not None and self.attempts < 1:
            raise ValueError("Reconnect attempts must be at least 1 (or None: no limit)")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (1 for the first)."""
        base = min(self.maximum, self.initial * self.factor ** min(attempt - 1, 64))
        return base * (1 - self.jitter * random.random())


class _Secret:
    """Holds the secret; any repr of it, so any dump of a session, shows ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a session's secret cannot be pickled")


class PendingResponse:
    """The answer to an action that was written and not yet answered (a small future)."""

    __slots__ = (
        "_done",
        "_gate",
        "_transport",
        "_unsent",
        "action",
        "action_id",
        "error",
        "response",
    )

    def __init__(self, action: Action, action_id: str) -> None:
        self.action = action
        self.action_id = action_id
        self.response: Response | None = None
        self.error: AMIError | None = None
        self._done = False
        # Held until the answer comes: a lock costs a fraction of a threading.Event, and
        # one is made per action.
        self._gate = threading.Lock()
        self._gate.acquire()
        self._transport: Transport | None = None
        self._unsent = False  # failed before any of its bytes were written

    @property
    def events(self) -> list[Event]:
        """The list items that came so far: the response's own ``events`` (none before it)."""
        return self.response.events if self.response is not None else []

    def done(self) -> bool:
        return self._done

    def _finish(self, error: AMIError | None = None) -> None:
        self.error = error
        if not self._done:
            self._done = True
            try:
                self._gate.release()
            except RuntimeError:  # finished twice at once: released once is enough
                pass

    def _wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the answer; True once it came."""
        if self._done:
            return True
        if self._gate.acquire(timeout=max(0.0, timeout)):
            self._gate.release()  # open for any other waiter
            return True
        return self._done


class _Waiter:
    __slots__ = ("done", "error", "event", "match", "predicate")

    def __init__(
        self, match: Callable[[str], bool], predicate: Callable[[Event], bool] | None
    ) -> None:
        self.match = match
        self.predicate = predicate
        self.event: Event | None = None
        self.error: AMIError | None = None
        self.done = threading.Event()

    def wants(self, event: Event) -> bool:
        return self.match(event.name) and (self.predicate is None or bool(self.predicate(event)))


def _matcher(pattern: str | re.Pattern[str]) -> Callable[[str], bool]:
    """Event names match a name (any case), a glob (``Peer*``), or a compiled regex."""
    if isinstance(pattern, re.Pattern):
        return lambda name: pattern.search(name) is not None
    if any(c in pattern for c in "*?["):
        regex = re.compile(fnmatch.translate(pattern), re.IGNORECASE)
        return lambda name: regex.match(name) is not None
    folded = pattern.lower()
    return lambda name: name.lower() == folded


def _events_header(events: bool | str | list[str] | tuple[str, ...]) -> str:
    if events is True:
        return "on"
    if events is False:
        return "off"
    if isinstance(events, (list, tuple)):
        return ",".join(events)
    return str(events)


def _tls_context(
    tls: bool | ssl.SSLContext, verify: bool, cafile: str | os.PathLike[str] | None
) -> ssl.SSLContext | None:
    if isinstance(tls, ssl.SSLContext):
        if cafile is not None or not verify:
            raise ValueError("pass either an ssl.SSLContext or tls_cafile/tls_verify, not both")
        return tls
    if not tls:
        if cafile is not None or not verify:
            raise ValueError("tls_cafile and tls_verify need tls=True (or an amis:// URL)")
        return None
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _bool_option(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, not {text!r}")


_URL_OPTIONS: dict[str, Callable[[str], Any]] = {
    "auth": str,
    "events": str,
    "timeout": float,
    "keepalive": float,
    "reconnect": _bool_option,
    "event_queue_size": int,
    "tls_verify": _bool_option,
    "tls_cafile": str,
    "tls_server_name": str,
}


class Session(ServerInfo):
    """A logged-in AMI connection. Use it as a context manager; ``close()`` is idempotent.

    ``events=False`` asks the server for no events (``Events: off``); ``True`` for all; a
    class list such as ``"system,call"`` for those. ``timeout`` bounds every wait: connect,
    login, each ``send``.

    TLS: ``tls=True`` (port 5039 by default) checks the server's certificate against the
    system's CAs, or ``tls_cafile``, and its name against ``tls_server_name`` (default:
    ``host``); ``tls_verify=False`` turns the checks off (logged as a warning). An
    ``ssl.SSLContext`` may be passed as ``tls`` instead.

    ``reconnect`` (on by default; ``False`` or a ``Reconnect`` policy): see the module doc.
    The first connection is not retried: ``Session()`` raises when it fails.
    ``keepalive``: seconds of silence after which a Ping is sent; an unanswered Ping (within
    ``timeout``) counts as a lost connection. Off by default.

    Events: at most ``event_queue_size`` wait in the queue; when it is full the oldest is
    dropped, counted in ``dropped_events`` and logged (the first drop, then every 1000th).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        username: str,
        secret: str,
        auth: str = "md5",
        timeout: float = 10.0,
        events: bool | str | list[str] | tuple[str, ...] = False,
        event_queue_size: int = DEFAULT_EVENT_QUEUE,
        max_line: int = DEFAULT_MAX_LINE,
        tls: bool | ssl.SSLContext = False,
        tls_verify: bool = True,
        tls_cafile: str | os.PathLike[str] | None = None,
        tls_server_name: str | None = None,
        reconnect: bool | Reconnect = True,
        keepalive: float | None = None,
    ) -> None:
        if auth not in ("md5", "plain"):
            raise ValueError(f"auth must be 'md5' or 'plain', not {auth!r}")
        if keepalive is not None and keepalive <= 0:
            raise ValueError("keepalive must be a number of seconds above 0 (or None)")
        self._tls = _tls_context(tls, tls_verify, tls_cafile)
        self.host = host
        self.port = port or (DEFAULT_TLS_PORT if self._tls is not None else DEFAULT_PORT)
        self.username = username
        self.__secret = _Secret(secret)
        self.auth = auth
        self.timeout = timeout
        self.events_mask = _events_header(events)
        self.tls = self._tls is not None
        self.keepalive = keepalive
        self.reconnect: Reconnect | None = (
            reconnect if isinstance(reconnect, Reconnect) else Reconnect() if reconnect else None
        )
        self.banner: str | None = None
        self.ami_version: str | None = None
        self.dropped_events = 0
        self.reconnects = 0
        self.unmatched: collections.deque[Message] = collections.deque(maxlen=100)
        if self._tls is not None and self._tls.verify_mode == ssl.CERT_NONE:
            log.warning("TLS to %s: certificate checks are off", self._where)

        self._tls_server_name = tls_server_name
        self._max_line = max_line
        self._ids = itertools.count(1)
        self._id_prefix = _secrets.token_hex(3) + "-"
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # state changes
        self._state = "connecting"  # connecting, ready, reconnecting, closed
        self._closing = False
        self._stop = threading.Event()  # set by close(): stops reconnecting
        self._transport: Transport | None = None
        self._login_thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._down_reason = ""
        self._ended: ConnectionError | None = None
        self._pending: dict[str, PendingResponse] = {}
        self._answered: list[PendingResponse] = []  # answered during the current read
        self._stale: dict[str, int] = {}
        self._queue: collections.deque[Event] = collections.deque()
        self._queue_size = max(1, event_queue_size)
        self._queue_lock = threading.Lock()
        self._queue_cond = threading.Condition(self._queue_lock)
        self._queue_readers = 0  # events() iterators waiting on _queue_cond
        self._waiters: list[_Waiter] = []
        self._callbacks: list[tuple[Callable[[str], bool], Callable[[Event], Any]]] = []
        self._callback_failures: dict[int, int] = {}
        self._last_rx = time.monotonic()
        self._keepalive_ping: PendingResponse | None = None
        self._keepalive_sent = 0.0

        try:
            self._establish()
        except BaseException:
            self._close(logoff=False)
            raise

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def _sock(self) -> Any:
        """The current connection's socket, None between connections: a new object after each
        reconnect, for code that keeps what it learned per connection."""
        transport = self._transport
        return None if transport is None else transport.sock

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_url(
        cls, url: str | None = None, *, secret: str | None = None, **kwargs: Any
    ) -> Session:
        """Connect to ``ami://user@host:port`` or, over TLS, ``amis://user@host:port``
        (default: ``$AMI_URL``) with ``secret`` (default: ``$AMI_SECRET``).

        Options may follow the URL: ``?auth=plain&events=on&timeout=5&keepalive=30``,
        ``reconnect=false``, ``tls_verify=false``, ``tls_cafile=/path/ca.pem``,
        ``tls_server_name=pbx.example.net``, ``event_queue_size=1000``.
        """
        url = url or os.environ.get("AMI_URL")
        if not url:
            raise ValueError("no AMI URL given and AMI_URL is not set (ami://user@host:port)")
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("ami", "amis"):
            raise ValueError(
                f"AMI URL must start with ami:// or amis:// (TLS), not {parsed.scheme or 'nothing'}://"
            )
        if parsed.password:
            raise ValueError("put the secret in AMI_SECRET or pass secret=, never in the URL")
        if not parsed.username or not parsed.hostname:
            raise ValueError("AMI URL needs a user and a host: ami://user@host:port")
        if secret is None:
            secret = os.environ.get("AMI_SECRET")
        if secret is None:
            raise ValueError("no secret: pass secret= or set AMI_SECRET")
        for key, value in urllib.parse.parse_qsl(parsed.query):
            convert = _URL_OPTIONS.get(key)
            if convert is None:
                raise ValueError(
                    f"unknown AMI URL option {key!r}; known: {', '.join(sorted(_URL_OPTIONS))}"
                )
            try:
                kwargs.setdefault(key, convert(value))
            except ValueError as exc:
                raise ValueError(f"AMI URL option {key}: {exc}") from None
        if parsed.scheme == "amis":
            kwargs.setdefault("tls", True)
        return cls(
            parsed.hostname,
            parsed.port,
            username=urllib.parse.unquote(parsed.username),
            secret=secret,
            **kwargs,
        )

    def _establish(self) -> None:
        """Open a connection and log in on it (the constructor, and each reconnect attempt)."""
        self._login_thread = threading.current_thread()
        try:
            transport = self._open()
            try:
                self._login()
            except BaseException:
                transport.close("login failed")
                transport.join(max(self.timeout, 1.0))
                raise
        finally:
            self._login_thread = None

    def _open(self) -> Transport:
        """Connect, shake hands (TLS), read the banner and start the I/O thread."""
        where = self._where
        try:
            sock = open_socket(
                self.host,
                self.port,
                timeout=self.timeout,
                tls=self._tls,
                server_hostname=self._tls_server_name,
                stop=self._stop,
            )
        except ConnectFailed as exc:
            if exc.timeout:
                raise TimeoutError(f"connecting to {where} took over {self.timeout} s") from None
            raise ConnectionError(f"could not connect to {where}: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            hint = ""
            if exc.verify_code in (18, 19, 20):  # self-signed, or an issuer not trusted here
                hint = "; trust its CA with tls_cafile= (or pass an ssl.SSLContext as tls=)"
            raise ConnectionError(
                f"TLS: the certificate of {where} was refused: {exc.verify_message or exc}{hint}"
            ) from None
        except ssl.SSLError as exc:
            raise ConnectionError(
                f"TLS handshake with {where} failed ({exc.reason or exc});"
                f" is it a plain AMI port? (Asterisk's plain port is {DEFAULT_PORT})"
            ) from None
        parser = Parser(max_line=self._max_line)
        try:
            early = self._read_banner(sock, parser)
        except BaseException:
            sock.close()
            raise
        transport = Transport(
            sock,
            name=f"ami-io-{where}",
            on_data=lambda data: self._on_data(parser, data),
            on_closed=self._on_lost,
            tick=self._tick if self.keepalive else None,
            tick_interval=min(1.0, max(0.05, min(self.keepalive, self.timeout) / 4))
            if self.keepalive
            else None,
        )
        for message in early:
            self._dispatch(message)
        self._release_answered()
        with self._cond:
            if self._closing:
                transport.close("session closed")
                raise ConnectionError(f"session to {where} closed")
            self._transport = transport
            self._last_rx = time.monotonic()
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(transport.thread)
        transport.start()
        return transport

    def _read_banner(self, sock: Any, parser: Parser) -> list[Message]:
        where = self._where
        deadline = time.monotonic() + self.timeout
        early: list[Message] = []
        try:
            while parser.banner is None:
                data = recv_some(sock, deadline, self._stop)
                if not data:
                    raise ConnectionError(
                        f"{where} closed the connection before its banner"
                        " (Asterisk does so past its authlimit of unauthenticated connections)"
                    )
                early = parser.feed(data)
        except ConnectFailed as exc:
            if not exc.timeout:
                raise ConnectionError(f"connecting to {where}: {exc}") from None
            hint = ""
            if self._tls is None:
                hint = "; if it is a TLS port (Asterisk's is 5039), pass tls=True or use amis://"
            raise TimeoutError(f"no banner from {where} within {self.timeout} s{hint}") from None
        except OSError as exc:
            raise ConnectionError(f"connection to {where} failed: {exc}") from None
        banner = parser.banner
        if not banner.startswith(BANNER_PREFIX):
            raise ProtocolError(f"{where} is not an AMI server: banner {banner[:80]!r}")
        version = banner.rpartition("/")[2].strip() or None
        if self.ami_version is not None and version != self.ami_version:
            log.warning("%s now speaks AMI %s (was %s)", where, version, self.ami_version)
        self.banner = banner
        self.ami_version = version
        log.debug("connected to %s%s, %s", where, " over TLS" if self._tls else "", banner)
        return early

    def _login(self) -> None:
        from sdk.actions import Challenge, Login

        where = self._where
        try:
            if self.auth == "md5":
                answer = self.send(Challenge(auth_type="MD5"))
                challenge = answer.get("Challenge")
                if not answer.ok or not challenge:
                    raise AuthenticationError(
                        f"MD5 challenge refused: {answer.message or 'no challenge'}"
                    )
                key = hashlib.md5((challenge + self.__secret.reveal()).encode()).hexdigest()
                login = Login(
                    username=self.username, auth_type="MD5", key=key, events=self.events_mask
                )
            else:
                login = Login(
                    username=self.username, secret=self.__secret.reveal(), events=self.events_mask
                )
            answer = self.send(login)
        except ConnectionError as exc:
            cause = exc.__cause__
            if isinstance(cause, ProtocolError):
                raise ProtocolError(f"{where} broke the protocol during login: {cause}") from None
            raise ConnectionError(f"connection to {where} lost during login: {exc}") from None
        if not answer.ok:
            raise AuthenticationError(
                f"login as {self.username!r} refused: {answer.message or 'Error'}"
            )
        with self._cond:
            self._state = "ready"
            self._cond.notify_all()
        log.info("logged in to %s as %s (%s)", where, self.username, self.auth)

    # --- sending ---------------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids)}"

    def submit(self, action: Action, *, timeout: float | None = None) -> PendingResponse:
        """Write ``action`` and return at once; ``wait(pending)`` gives its response.

        Many actions may be submitted before waiting: their answers come back in order.
        While the session reconnects, waits up to ``timeout`` (default: the session's) for
        the connection to come back, then raises ``sdk.ConnectionError`` (nothing was sent).
        """
        if not isinstance(action, Action):
            raise TypeError(
                f"send() takes an action object (sdk.actions.*), not {type(action).__name__}"
            )
        self._check_available(action)  # what the server offers: sdk.capabilities
        action_id = action.action_id or self._next_id()
        data = action.to_bytes(action_id=action_id)
        pending = PendingResponse(action, action_id)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        me = threading.current_thread()
        while True:
            with self._lock:  # _cond's lock (its wait() needs it held, as here)
                if self._state == "closed" or (self._closing and action.ACTION != "Logoff"):
                    raise ConnectionError(
                        f"{action.ACTION} {action_id} was not sent: {self._closed_reason()}"
                    )
                transport = self._transport
                logging_in = me is self._login_thread
                if transport is None or not (self._state == "ready" or logging_in):
                    self._wait_for_connection(action, action_id, deadline, logging_in)
                    continue
                if action_id in self._pending:
                    problem = FieldProblem(
                        "action_id",
                        "ActionID",
                        f"{action_id!r} is already used by an action in flight",
                    )
                    raise ValidationError(action.ACTION, [problem])
                pending._transport = transport
                self._pending[action_id] = pending
            # Written outside the session's lock: the I/O thread, filing answers, need not
            # wait for this thread's system call.
            if transport.write(data, tag=action_id):
                break
            with self._lock:  # the connection is closing: not written
                if self._pending.get(action_id) is pending:
                    del self._pending[action_id]
                self._wait_for_connection(action, action_id, deadline, logging_in)
            pending = PendingResponse(action, action_id)  # _on_lost may have failed that one
        if log.isEnabledFor(logging.DEBUG):
            log.debug("send %s", action.describe(action_id).replace("\n", " | "))
        return pending

    def _wait_for_connection(
        self, action: Action, action_id: str, deadline: float, logging_in: bool
    ) -> None:
        """With the lock held, not connected: wait for the connection until ``deadline``,
        or raise ``ConnectionError`` (nothing was sent)."""
        if logging_in:
            raise ConnectionError(
                f"{action.ACTION} {action_id} was not sent: the connection to"
                f" {self._where} was lost"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ConnectionError(
                f"{action.ACTION} {action_id} was not sent: not connected to"
                f" {self._where} ({self._down_reason or 'connection closing'});"
                + (" reconnecting" if self.reconnect else " not reconnecting")
            )
        self._cond.wait(remaining)  # _on_lost and each login notify

    def wait(
        self, pending: PendingResponse, *, timeout: float | None = None, check: bool = False
    ) -> Response:
        """Wait for the response of a submitted action (and the items of its event list).

        A response that comes after its wait timed out is never given to anyone (it is kept
        in ``unmatched``), even when the same ActionID is used again.
        """
        timeout = self.timeout if timeout is None else timeout
        return self._wait(pending, timeout, check, timeout)

    def _wait(
        self, pending: PendingResponse, timeout: float, check: bool, asked: float
    ) -> Response:
        transport = self._transport
        if transport is not None and transport.thread is threading.current_thread():
            raise RuntimeError(
                "send() and wait() cannot run in an event callback: the callback runs on the"
                " thread that reads the answer. Use submit() there, and wait elsewhere."
            )
        if not pending._wait(timeout):
            with self._lock:
                if not pending.done():
                    if self._pending.get(pending.action_id) is pending:
                        del self._pending[pending.action_id]
                        if pending.response is None:
                            self._stale[pending.action_id] = (
                                self._stale.get(pending.action_id, 0) + 1
                            )
                            if len(self._stale) > _STALE_LIMIT:
                                del self._stale[next(iter(self._stale))]
                    got = (
                        f", {len(pending.events)} list items so far"
                        if pending.response is not None
                        else ""
                    )
                    raise TimeoutError(
                        f"{pending.action.ACTION} {pending.action_id}: no complete answer within {asked} s{got}",
                        pending.events,
                        response=pending.response,
                    )
        if pending.error is not None:
            raise pending.error
        response = pending.response
        assert response is not None
        if check and not response.ok:
            raise ActionError(response, pending.action.ACTION)
        return response

    def send(
        self, action: Action, *, timeout: float | None = None, check: bool = False
    ) -> Response:
        """Send ``action`` and wait for its response (with its list items, if it has a list).

        ``check=True`` raises ``sdk.ActionError`` when the server answers Error. If the
        connection drops before the answer, raises ``sdk.OutcomeUnknown``: the action may or
        may not have run, and it is not sent again. An action whose bytes had not left yet
        when the connection dropped is sent on the next connection, within ``timeout``.
        """
        start = time.monotonic()
        timeout = self.timeout if timeout is None else timeout
        while True:
            remaining = max(0.0, timeout - (time.monotonic() - start))
            pending = self.submit(action, timeout=remaining)
            remaining = max(0.0, timeout - (time.monotonic() - start))
            try:
                return self._wait(pending, remaining, check, timeout)
            except ConnectionError:
                if not pending._unsent or self.reconnect is None or self.closed:
                    raise
                log.debug("%s %s was not written before the drop", action.ACTION, pending.action_id)

    # --- events ----------------------------------------------------------------------------

    def on(
        self, pattern: str | re.Pattern[str], callback: Callable[[Event], Any]
    ) -> Callable[[], None]:
        """Call ``callback(event)`` on the I/O thread for each event whose name matches
        ``pattern`` (a name, a glob such as ``Peer*``, ``*``, or a compiled regex).

        Returns a function that removes the callback. A callback that raises is logged (its
        first failure with the traceback, then a count every 1000 failures) and does not stop
        the reader. Keep callbacks short; they may ``submit()`` but not wait. Callbacks stay
        registered across reconnects.
        """
        entry = (_matcher(pattern), callback)
        with self._lock:
            self._callbacks = [*self._callbacks, entry]

        def remove() -> None:
            with self._lock:
                self._callbacks = [e for e in self._callbacks if e is not entry]

        return remove

    def events(self, timeout: float | None = None) -> Iterator[Event]:
        """Yield queued events as they come; stop after ``timeout`` seconds without one, or
        when the session ends (not while it reconnects)."""
        while True:
            with self._queue_cond:
                if not self._queue:
                    self._queue_readers += 1
                    try:
                        self._queue_cond.wait_for(
                            lambda: self._queue or self._ended is not None, timeout
                        )
                    finally:
                        self._queue_readers -= 1
                if not self._queue:
                    return
                event = self._queue.popleft()
            yield event

    def wait_for_event(
        self,
        pattern: str | re.Pattern[str],
        predicate: Callable[[Event], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> Event:
        """Return the first event matching ``pattern`` (and ``predicate``), taking it from the
        queue if it already arrived; raise ``sdk.TimeoutError`` after ``timeout`` seconds.
        A reconnect does not end the wait; the session's end does (``sdk.ConnectionError``)."""
        timeout = self.timeout if timeout is None else timeout
        waiter = _Waiter(_matcher(pattern), predicate)
        with self._queue_cond:
            for event in self._queue:
                if waiter.wants(event):
                    self._queue.remove(event)
                    return event
            if self._ended is not None:
                raise self._ended
            self._waiters.append(waiter)
        if not waiter.done.wait(timeout):
            with self._queue_cond:
                if not waiter.done.is_set():
                    self._waiters.remove(waiter)
                    raise TimeoutError(f"no {pattern} event within {timeout} s")
        if waiter.error is not None:
            raise waiter.error
        assert waiter.event is not None
        return waiter.event

    def _deliver(self, event: Event) -> None:
        name = event.name
        for entry in self._callbacks:
            match, callback = entry
            if match(name):
                try:
                    callback(event)
                except Exception:
                    self._callback_failed(entry, name)
        with self._queue_lock:  # _queue_cond's lock
            for waiter in self._waiters:
                if waiter.wants(event):
                    self._waiters.remove(waiter)
                    waiter.event = event
                    waiter.done.set()
                    return
            queue = self._queue
            if len(queue) >= self._queue_size:
                queue.popleft()
                self.dropped_events += 1
                if self.dropped_events == 1 or self.dropped_events % 1000 == 0:
                    log.warning(
                        "event queue full (%d): dropped the oldest event (%d dropped so far)",
                        self._queue_size,
                        self.dropped_events,
                    )
            queue.append(event)
            if self._queue_readers:
                self._queue_cond.notify_all()

    def _callback_failed(self, entry: object, name: str) -> None:
        count = self._callback_failures.get(id(entry), 0) + 1
        self._callback_failures[id(entry)] = count
        callback = entry[1]  # type: ignore[index]
        if count == 1:
            log.exception("event callback %r failed on %s", callback, name)
        elif count % 1000 == 0:
            log.error("event callback %r has failed %d times", callback, count)

    # --- reading (on the I/O thread) -------------------------------------------------------

    def _on_data(self, parser: Parser, data: bytes) -> None:
        self._last_rx = time.monotonic()
        try:
            for message in parser.feed(data):
                self._dispatch(message)
        finally:
            self._release_answered()

    def _release_answered(self) -> None:
        """Wake the callers whose answers this read completed: once the read is filed, so
        that a woken caller does not wait for this thread to let go of the interpreter."""
        answered = self._answered
        if answered:
            self._answered = []
            for pending in answered:
                pending._finish()

    def _dispatch(self, message: Message) -> None:
        if isinstance(message, Response):
            self._on_response(message)
        elif isinstance(message, Event):
            if not self._on_list_item(message):
                self._deliver(message)
        else:
            log.warning("message that is neither response nor event: %r", message)
            self.unmatched.append(message)

    def _on_response(self, response: Response) -> None:
        action_id = response.action_id
        late = False
        with self._lock:
            pending = self._pending.get(action_id) if action_id is not None else None
            if action_id is not None and action_id in self._stale:
                late = True  # answers come in order: this one is owed to a timed-out wait
                count = self._stale.pop(action_id)
                if count > 1:
                    self._stale[action_id] = count - 1
                pending = None
            elif pending is None or pending.response is not None:
                pending = None
            else:
                pending.response = response
                if (pending.action.LIST_COMPLETE or response.is_list) and response.ok:
                    return  # the items follow
                del self._pending[action_id]  # type: ignore[arg-type]
        if pending is None:
            if late:
                log.info("late answer to timed-out action %s: %s", action_id, response.message)
            else:
                log.warning(
                    "response that no caller waits for (ActionID %r): %s",
                    action_id,
                    response.message,
                )
            self.unmatched.append(response)
            return
        self._answered.append(pending)  # woken at the end of the read: _release_answered

    def _on_list_item(self, event: Event) -> bool:
        """File ``event`` under the list it belongs to; False if it belongs to none."""
        action_id = event.action_id
        if action_id is None:
            return False
        with self._lock:
            pending = self._pending.get(action_id)
            if pending is None or pending.response is None:
                return False
            complete_name = pending.action.LIST_COMPLETE
            ends = (event.get("EventList") or "").lower() == "complete" or (
                complete_name is not None and event.name.lower() == complete_name.lower()
            )
            if not ends:
                pending.response.events.append(event)
                return True
            pending.response.complete = event
            del self._pending[action_id]
        self._answered.append(pending)  # woken at the end of the read: _release_answered
        return True

    def _tick(self) -> None:
        """Keepalive, on the I/O thread: Ping after ``keepalive`` s of silence; drop the
        connection when a Ping goes unanswered for ``timeout`` s."""
        from sdk.actions import Ping

        with self._lock:
            if self._state != "ready" or self._closing:
                return
            transport = self._transport
        ping = self._keepalive_ping
        now = time.monotonic()
        if ping is not None:
            if ping.done():
                self._keepalive_ping = None
            elif now - self._keepalive_sent > self.timeout and transport is not None:
                log.warning(
                    "keepalive Ping to %s unanswered for %.1f s: dropping the connection",
                    self._where,
                    now - self._keepalive_sent,
                )
                transport.close(f"keepalive Ping unanswered within {self.timeout} s")
            return
        if now - self._last_rx >= self.keepalive:  # type: ignore[operator]
            try:
                self._keepalive_ping = self.submit(Ping(), timeout=0)
                self._keepalive_sent = now
                log.debug("keepalive Ping to %s", self._where)
            except AMIError as exc:
                log.debug("keepalive Ping not sent: %s", exc)

    # --- losing the connection, reconnecting -----------------------------------------------

    def _on_lost(
        self, transport: Transport, reason: str, error: BaseException | None, unsent: list[Any]
    ) -> None:
        """The I/O thread of ``transport`` ended: fail what was in flight, then reconnect or end."""
        where = self._where
        restart = final = False
        with self._cond:
            current = transport is self._transport
            was_ready = current and self._state == "ready"
            if current:
                self._transport = None
                self._stale.clear()
                self._keepalive_ping = None
            failed = [p for p in self._pending.values() if p._transport is transport]
            for item in failed:
                del self._pending[item.action_id]
            if was_ready:
                if self._closing or self.reconnect is None:
                    final = True
                else:
                    self._state = "reconnecting"
                    self._down_reason = reason
                    restart = True
            self._cond.notify_all()
        if was_ready and not self._closing:
            log.warning("connection to %s lost: %s", where, reason)
        not_sent = set(unsent)
        for item in failed:
            text = f"connection to {where} ended ({reason})"
            if item.action_id in not_sent:
                item._unsent = True
                failure: AMIError = ConnectionError(
                    f"{item.action.ACTION} {item.action_id} was not sent: {text}"
                )
            else:
                failure = OutcomeUnknown(
                    f"{item.action.ACTION} {item.action_id}: {text} before its answer;"
                    " it may or may not have run",
                    item.action_id,
                )
            failure.__cause__ = error
            item._finish(failure)
        if restart:
            thread = threading.Thread(
                target=self._reconnect_loop, name=f"ami-reconnect-{where}", daemon=True
            )
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()
        if final:
            self._end(
                f"session to {where} closed"
                if self._closing
                else f"session to {where} ended: {reason}"
            )

    def _reconnect_loop(self) -> None:
        policy = self.reconnect
        assert policy is not None
        where = self._where
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            if policy.attempts is not None and attempt > policy.attempts:
                log.error("gave up reconnecting to %s after %d attempts", where, policy.attempts)
                self._end(
                    f"session to {where} ended: {self._down_reason};"
                    f" gave up reconnecting after {policy.attempts} attempts"
                )
                return
            delay = policy.delay(attempt)
            log.info("reconnecting to %s in %.2f s (attempt %d)", where, delay, attempt)
            if self._stop.wait(delay):
                return
            try:
                self._establish()
            except AuthenticationError as exc:
                log.error("reconnected to %s, but %s: not trying again", where, exc)
                self._end(f"session to {where} ended: {exc}")
                return
            except AMIError as exc:
                with self._lock:
                    self._down_reason = str(exc)
                if not self._stop.is_set():
                    log.warning("reconnect attempt %d to %s failed: %s", attempt, where, exc)
                continue
            self.reconnects += 1
            log.info("reconnected to %s after %d attempt(s)", where, attempt)
            return

    def _end(self, text: str) -> None:
        """The session is over for good: wake every waiter and ``events()`` iterator."""
        with self._cond:
            if self._ended is not None:
                return
            self._state = "closed"
            self._ended = ConnectionError(text)
            self._cond.notify_all()
        with self._queue_cond:
            for waiter in self._waiters:
                waiter.error = ConnectionError(text)
                waiter.done.set()
            self._waiters.clear()
            self._queue_cond.notify_all()

    def _closed_reason(self) -> str:
        ended = self._ended
        if ended is not None:
            return str(ended)
        return f"session to {self._where} is closed"

    # --- closing ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called or the session ended for good."""
        return self._closing or self._state == "closed"

    @property
    def connected(self) -> bool:
        """True while logged in (False while reconnecting)."""
        return self._state == "ready" and not self._closing

    def close(self) -> None:
        """Log off and close; join every thread the session started. Safe to call more than
        once, and from any thread. From an event callback it cannot wait for the I/O thread
        it runs on; that thread ends when the callback returns, and a later ``close()``
        from elsewhere joins it."""
        self._close(logoff=True)

    def _close(self, *, logoff: bool) -> None:
        with self._cond:
            first = not self._closing
            self._closing = True
            transport = self._transport
            ready = self._state == "ready"
            self._cond.notify_all()
        self._stop.set()
        me = threading.current_thread()
        on_io_thread = transport is not None and transport.thread is me
        if first and logoff and ready and transport is not None and not on_io_thread:
            from sdk.actions import Logoff

            try:
                self.send(Logoff(), timeout=min(self.timeout, 2.0))
            except AMIError as exc:
                log.debug("logoff failed: %s", exc)
        # Stop every thread; a reconnect in progress may install a new transport until it
        # sees _closing, so look again until every thread is gone.
        for _ in range(100):
            with self._lock:
                transport = self._transport
                threads = [t for t in self._threads if t.is_alive() and t is not me]
            if transport is not None:
                transport.close("session closed")
            if not threads:
                break
            for thread in threads:
                thread.join(max(self.timeout, 1.0) + 1.0)
        self._end(f"session to {self._where} closed")

    def _shutdown(self) -> None:
        """Close without logging off (kept for tests that stop a session abruptly)."""
        self._close(logoff=False)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            state = "closed"
        elif self._state == "reconnecting":
            state = "reconnecting"
        else:
            state = "open"
        tls = " TLS" if self.tls else ""
        return (
            f"<Session {self.username}@{self.host}:{self.port}{tls}"
            f" AMI {self.ami_version or '?'} {state}>"
        )


def connect(url: str | None = None, *, secret: str | None = None, **kwargs: Any) -> Session:
    """``Session.from_url``: connect to ``ami://user@host:port`` (or ``$AMI_URL``)."""
    return Session.from_url(url, secret=secret, **kwargs)
