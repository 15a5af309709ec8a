"""A small synchronous AMI session with one reader thread.

``Session(host, port, username=..., secret=...)`` connects, checks the banner and logs in
(MD5 challenge by default), like ``socket.create_connection``. One reader thread owns the
socket's input: it hands each response, with the items of its event list, to the caller
waiting on that ActionID, and every other event to callbacks, waiters and a bounded queue.
Several threads may send at once; every wait ends within its timeout.
"""

from __future__ import annotations

import builtins
import collections
import fnmatch
import hashlib
import itertools
import logging
import os
import re
import secrets as _secrets
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from sdk.action import Action
from sdk.capabilities import ServerInfo
from sdk.errors import (
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
from sdk.wire import BANNER_PREFIX, DEFAULT_MAX_LINE, Parser

__all__ = ["PendingResponse", "Session", "connect"]

log = logging.getLogger("sdk.session")

DEFAULT_PORT = 5038
DEFAULT_EVENT_QUEUE = 10_000


class PendingResponse:
    """The answer to an action that was written and not yet answered (a small future)."""

    __slots__ = ("_done", "action", "action_id", "error", "events", "response")

    def __init__(self, action: Action, action_id: str) -> None:
        self.action = action
        self.action_id = action_id
        self.response: Response | None = None
        self.events: list[Event] = []
        self.error: AMIError | None = None
        self._done = threading.Event()

    def done(self) -> bool:
        return self._done.is_set()

    def _finish(self, error: AMIError | None = None) -> None:
        self.error = error
        self._done.set()


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


class Session(ServerInfo):
    """A logged-in AMI connection. Use it as a context manager; ``close()`` is idempotent.

    ``events=False`` asks the server for no events (``Events: off``); ``True`` for all; a
    class list such as ``"system,call"`` for those. ``timeout`` bounds every wait: connect,
    login, each ``send``. At most ``event_queue_size`` events wait in the queue: when it is
    full the oldest is dropped, counted in ``dropped_events`` and logged.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        username: str,
        secret: str,
        auth: str = "md5",
        timeout: float = 10.0,
        events: bool | str | list[str] | tuple[str, ...] = False,
        event_queue_size: int = DEFAULT_EVENT_QUEUE,
        max_line: int = DEFAULT_MAX_LINE,
    ) -> None:
        if auth not in ("md5", "plain"):
            raise ValueError(f"auth must be 'md5' or 'plain', not {auth!r}")
        self.host = host
        self.port = port
        self.username = username
        self.__secret = secret
        self.auth = auth
        self.timeout = timeout
        self.events_mask = _events_header(events)
        self.banner: str | None = None
        self.ami_version: str | None = None
        self.dropped_events = 0
        self.unmatched: collections.deque[Message] = collections.deque(maxlen=100)

        self._ids = itertools.count(1)
        self._id_prefix = _secrets.token_hex(3) + "-"
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: dict[str, PendingResponse] = {}
        self._queue: collections.deque[Event] = collections.deque()
        self._queue_size = max(1, event_queue_size)
        self._queue_cond = threading.Condition()
        self._waiters: list[_Waiter] = []
        self._callbacks: list[tuple[Callable[[str], bool], Callable[[Event], Any]]] = []
        self._parser = Parser(max_line=max_line)
        self._closing = False
        self._lost: ConnectionError | None = None
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None

        try:
            self._connect()
            self._login()
        except BaseException:
            self._shutdown()
            raise

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_url(
        cls, url: str | None = None, *, secret: str | None = None, **kwargs: Any
    ) -> Session:
        """Connect to ``ami://user@host:port`` (default: ``$AMI_URL``) with ``secret``
        (default: ``$AMI_SECRET``). ``?auth=plain`` and ``?events=on`` may follow the URL."""
        url = url or os.environ.get("AMI_URL")
        if not url:
            raise ValueError("no AMI URL given and AMI_URL is not set (ami://user@host:port)")
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "ami":
            raise ValueError(f"AMI URL must start with ami://, not {parsed.scheme or 'nothing'}://")
        if parsed.password:
            raise ValueError("put the secret in AMI_SECRET or pass secret=, never in the URL")
        if not parsed.username or not parsed.hostname:
            raise ValueError("AMI URL needs a user and a host: ami://user@host:port")
        if secret is None:
            secret = os.environ.get("AMI_SECRET")
        if secret is None:
            raise ValueError("no secret: pass secret= or set AMI_SECRET")
        options = dict(urllib.parse.parse_qsl(parsed.query))
        for key, value in options.items():
            kwargs.setdefault(key, value)
        return cls(
            parsed.hostname,
            parsed.port or DEFAULT_PORT,
            username=urllib.parse.unquote(parsed.username),
            secret=secret,
            **kwargs,
        )

    def _connect(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except builtins.TimeoutError as exc:
            raise TimeoutError(
                f"connecting to {self.host}:{self.port} took over {self.timeout} s"
            ) from exc
        except OSError as exc:
            raise ConnectionError(
                f"could not connect to {self.host}:{self.port}: {exc.strerror or exc}"
            ) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        deadline = time.monotonic() + self.timeout
        early: list[Message] = []
        while self._parser.banner is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no banner from {self.host}:{self.port} within {self.timeout} s"
                )
            sock.settimeout(remaining)
            try:
                data = sock.recv(65536)
            except builtins.TimeoutError as exc:
                raise TimeoutError(
                    f"no banner from {self.host}:{self.port} within {self.timeout} s"
                ) from exc
            except OSError as exc:
                raise ConnectionError(
                    f"connection to {self.host}:{self.port} failed: {exc}"
                ) from exc
            if not data:
                raise ConnectionError(
                    f"{self.host}:{self.port} closed the connection before its banner"
                )
            early = self._parser.feed(data)
        self.banner = self._parser.banner
        if not self.banner.startswith(BANNER_PREFIX):
            raise ProtocolError(
                f"{self.host}:{self.port} is not an AMI server: banner {self.banner[:80]!r}"
            )
        self.ami_version = self.banner.rpartition("/")[2].strip() or None
        log.debug("connected to %s:%s, %s", self.host, self.port, self.banner)
        sock.settimeout(self.timeout)
        self._reader = threading.Thread(
            target=self._read_loop, name=f"ami-reader-{self.host}:{self.port}", daemon=True
        )
        self._reader.start()
        for message in early:
            self._dispatch(message)

    def _login(self) -> None:
        from sdk.actions import Challenge, Login

        if self.auth == "md5":
            answer = self.send(Challenge(auth_type="MD5"))
            challenge = answer.get("Challenge")
            if not answer.ok or not challenge:
                raise AuthenticationError(
                    f"MD5 challenge refused: {answer.message or 'no challenge'}"
                )
            key = hashlib.md5((challenge + self.__secret).encode()).hexdigest()
            login = Login(username=self.username, auth_type="MD5", key=key, events=self.events_mask)
        else:
            login = Login(username=self.username, secret=self.__secret, events=self.events_mask)
        try:
            answer = self.send(login)
        except ConnectionError as exc:
            raise AuthenticationError(
                f"login as {self.username!r} failed: connection lost ({exc})"
            ) from None
        if not answer.ok:
            raise AuthenticationError(
                f"login as {self.username!r} refused: {answer.message or 'Error'}"
            )
        log.info("logged in to %s:%s as %s (%s)", self.host, self.port, self.username, self.auth)

    # --- sending ---------------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids)}"

    def submit(self, action: Action) -> PendingResponse:
        """Write ``action`` and return at once; ``wait(pending)`` gives its response.

        Many actions may be submitted before waiting: their answers come back in order.
        """
        if not isinstance(action, Action):
            raise TypeError(
                f"send() takes an action object (sdk.actions.*), not {type(action).__name__}"
            )
        self._check_available(action)  # what the server offers: sdk.capabilities
        action_id = action.action_id or self._next_id()
        data = action.to_bytes(action_id=action_id)
        pending = PendingResponse(action, action_id)
        with self._lock:
            if self._lost is not None or self._closing and action.ACTION != "Logoff":
                raise ConnectionError(f"session to {self.host}:{self.port} is closed")
            if action_id in self._pending:
                problem = FieldProblem(
                    "action_id", "ActionID", f"{action_id!r} is already used by an action in flight"
                )
                raise ValidationError(action.ACTION, [problem])
            self._pending[action_id] = pending
        if log.isEnabledFor(logging.DEBUG):
            log.debug("send %s", action.describe(action_id).replace("\n", " | "))
        try:
            with self._write_lock:
                self._sock.sendall(data)  # type: ignore[union-attr]
        except OSError as exc:
            with self._lock:
                self._pending.pop(action_id, None)
            raise OutcomeUnknown(
                f"{action.ACTION} {action_id}: writing to {self.host}:{self.port} failed ({exc});"
                " it may or may not have reached the server",
                action_id,
            ) from None
        return pending

    def wait(
        self, pending: PendingResponse, *, timeout: float | None = None, check: bool = False
    ) -> Response:
        """Wait for the response of a submitted action (and the items of its event list)."""
        timeout = self.timeout if timeout is None else timeout
        if not pending._done.wait(timeout):
            with self._lock:
                if not pending.done():
                    self._pending.pop(pending.action_id, None)
                    got = (
                        f", {len(pending.events)} list items so far"
                        if pending.response is not None
                        else ""
                    )
                    raise TimeoutError(
                        f"{pending.action.ACTION} {pending.action_id}: no complete answer within {timeout} s{got}",
                        pending.events,
                        response=pending.response,
                    )
        if pending.error is not None:
            raise pending.error
        response = pending.response
        assert response is not None
        if check and not response.ok:
            from sdk.errors import ActionError

            raise ActionError(response, pending.action.ACTION)
        return response

    def send(
        self, action: Action, *, timeout: float | None = None, check: bool = False
    ) -> Response:
        """Send ``action`` and wait for its response (with its list items, if it has a list).

        ``check=True`` raises ``sdk.ActionError`` when the server answers Error.
        """
        return self.wait(self.submit(action), timeout=timeout, check=check)

    # --- events ----------------------------------------------------------------------------

    def on(
        self, pattern: str | re.Pattern[str], callback: Callable[[Event], Any]
    ) -> Callable[[], None]:
        """Call ``callback(event)`` on the reader thread for each event whose name matches
        ``pattern`` (a name, a glob such as ``Peer*``, ``*``, or a compiled regex).

        Returns a function that removes the callback. A callback that raises is logged and
        does not stop the reader; keep callbacks short.
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
        when the session ends."""
        while True:
            with self._queue_cond:
                if not self._queue:
                    self._queue_cond.wait_for(
                        lambda: self._queue or self._lost is not None, timeout
                    )
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
        queue if it already arrived; raise ``sdk.TimeoutError`` after ``timeout`` seconds."""
        timeout = self.timeout if timeout is None else timeout
        waiter = _Waiter(_matcher(pattern), predicate)
        with self._queue_cond:
            for event in self._queue:
                if waiter.wants(event):
                    self._queue.remove(event)
                    return event
            if self._lost is not None:
                raise self._lost
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
        for match, callback in self._callbacks:
            if match(name):
                try:
                    callback(event)
                except Exception:
                    log.exception("event callback %r failed on %s", callback, name)
        with self._queue_cond:
            for waiter in self._waiters:
                if waiter.wants(event):
                    self._waiters.remove(waiter)
                    waiter.event = event
                    waiter.done.set()
                    return
            if len(self._queue) >= self._queue_size:
                self._queue.popleft()
                self.dropped_events += 1
                if self.dropped_events == 1 or self.dropped_events % 1000 == 0:
                    log.warning(
                        "event queue full (%d): dropped the oldest event (%d dropped so far)",
                        self._queue_size,
                        self.dropped_events,
                    )
            self._queue.append(event)
            self._queue_cond.notify_all()

    # --- reading ---------------------------------------------------------------------------

    def _read_loop(self) -> None:
        sock = self._sock
        assert sock is not None
        reason = "connection closed by the server"
        try:
            while True:
                try:
                    data = sock.recv(65536)
                except builtins.TimeoutError:
                    continue
                if not data:
                    break
                for message in self._parser.feed(data):
                    self._dispatch(message)
        except ProtocolError as exc:
            reason = f"protocol error: {exc}"
            log.error("%s:%s broke the protocol: %s", self.host, self.port, exc)
        except OSError as exc:
            reason = f"connection error: {exc}"
        except Exception:  # a bug must not leave callers waiting forever
            reason = "reader failed"
            log.exception("AMI reader for %s:%s failed", self.host, self.port)
        self._connection_lost(reason)

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
        with self._lock:
            pending = self._pending.get(action_id) if action_id is not None else None
            if pending is None or pending.response is not None:
                pending = None
            else:
                pending.response = response
                if response.ok and (response.is_list or pending.action.LIST_COMPLETE):
                    return  # the items follow
                del self._pending[action_id]  # type: ignore[arg-type]
        if pending is None:
            log.warning(
                "response that no caller waits for (ActionID %r): %s", action_id, response.message
            )
            self.unmatched.append(response)
            return
        pending._finish()

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
                pending.events.append(event)
                pending.response.events.append(event)
                return True
            pending.response.complete = event
            del self._pending[action_id]
        pending._finish()
        return True

    def _connection_lost(self, reason: str) -> None:
        closing = self._closing
        error_text = f"session to {self.host}:{self.port} ended: {reason}"
        with self._lock:
            if self._lost is not None:
                return
            self._lost = ConnectionError(error_text)
            pending = list(self._pending.values())
            self._pending.clear()
        if not closing:
            log.warning("%s", error_text)
        for item in pending:
            item._finish(
                OutcomeUnknown(
                    f"{item.action.ACTION} {item.action_id}: {error_text} before its answer;"
                    " it may or may not have run",
                    item.action_id,
                )
            )
        with self._queue_cond:
            for waiter in self._waiters:
                waiter.error = ConnectionError(error_text)
                waiter.done.set()
            self._waiters.clear()
            self._queue_cond.notify_all()

    # --- closing ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closing or self._lost is not None

    def close(self) -> None:
        """Log off and close. Safe to call more than once, and from any thread."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            connected = self._lost is None and self._sock is not None and self._reader is not None
        if connected:
            from sdk.actions import Logoff

            try:
                self.send(Logoff(), timeout=min(self.timeout, 2.0))
            except AMIError as exc:
                log.debug("logoff failed: %s", exc)
        self._shutdown()

    def _shutdown(self) -> None:
        self._closing = True
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        reader = self._reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=max(self.timeout, 1.0))
        self._connection_lost("session closed")

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Session {self.username}@{self.host}:{self.port} AMI {self.ami_version or '?'} {state}>"


def connect(url: str | None = None, *, secret: str | None = None, **kwargs: Any) -> Session:
    """``Session.from_url``: connect to ``ami://user@host:port`` (or ``$AMI_URL``)."""
    return Session.from_url(url, secret=secret, **kwargs)
