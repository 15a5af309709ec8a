"""A synchronous AMI session: one I/O thread per connection, reconnecting by itself.

``Session(host, port, username=..., secret=...)`` connects (over TLS when asked), checks the
banner and logs in (MD5 challenge by default), like ``socket.create_connection``. One I/O
thread owns the socket (``sdk.wire.transport``): it hands each response, with the items of its
event list, to the caller waiting on that ActionID, and every other event to callbacks,
waiters and a bounded queue. Several threads may send at once; every wait ends within its
timeout.

The session keeps the state of its connection (connecting, ready, reconnecting, closed)
and composes the parts of ``sdk.client``: its options, the login strategy (``auth``), the
connector (``connection``; ``transport=`` replaces the socket, as ``sdk.client.memory``
does in tests), the router of answers, the event hub, keepalive, the reconnect loop, and
what the server offers (``session.server``).

When the connection drops, the actions in flight fail with ``sdk.OutcomeUnknown`` (they may
or may not have run; the session never sends them again), and the session reconnects with a
bounded exponential backoff and logs in again; callbacks, waiters and queued events carry
over. ``keepalive=`` sends a Ping when the line has been quiet that long, so that a dead
peer is found even when nothing is being sent.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets as _secrets
import ssl
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar, overload

from sdk import actions
from sdk.client.auth import Auth, Secret
from sdk.client.capabilities import ServerAction
from sdk.client.connection import (
    Callbacks,
    Connector,
    Destination,
    Link,
    connect_socket,
    read_banner,
)
from sdk.client.hub import EventHub, Pattern
from sdk.client.keepalive import Keepalive
from sdk.client.options import (
    DEFAULT_EVENT_QUEUE,
    Events,
    SessionOptions,
    tls_context,
    url_arguments,
)
from sdk.client.reconnect import Reconnect, retry
from sdk.client.router import DEFAULT_MAX_LIST_ITEMS, PendingResponse, Router
from sdk.client.server import ServerInfo
from sdk.errors import (
    ActionError,
    AMIError,
    AuthenticationError,
    ConnectionError,
    OutcomeUnknown,
    ProtocolError,
)
from sdk.model.action import Action
from sdk.model.releases import Release
from sdk.model.values import plain
from sdk.wire.message import Event, Response
from sdk.wire.parser import (
    DEFAULT_MAX_LINE,
    DEFAULT_MAX_MESSAGE,
    DEFAULT_MAX_MESSAGE_LINES,
    Parser,
)

__all__ = ["PendingResponse", "Reconnect", "Session", "connect"]

log = logging.getLogger("sdk.client.session")

E = TypeVar("E", bound=Event)
_DRIVE = 0.05  # seconds a waiting caller may read for the I/O thread (Transport.drive)


class Session:
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

    What the server may make the session hold (``sdk.wire.parser.Parser``): a line of ``max_line``
    bytes (256 KiB), a message of ``max_message`` characters (16 MiB) and
    ``max_message_lines`` lines (200,000), far above any real answer; past them the
    connection ends with ``sdk.ProtocolError``, and the session reconnects. An event list
    holds at most ``max_list_items`` items (500,000): past them its caller gets
    ``sdk.ProtocolError`` and the rest of that list is dropped; the connection goes on.

    Releases (``sdk.model.releases``): every action is checked against what the server's
    release has before it is sent (``sdk.client.capabilities``): an action or a field it
    lacks is refused. ``release="20"`` says which release the server runs when it reports
    oddly (a distribution's patched build); ``lenient=True`` sends a field the docs say the
    release lacks, with a logged warning (a release not documented here, 17 or 19, is
    always checked so, its actions too). The server's ListCommands answer, once asked,
    decides on actions.

    ``auth`` may also be a strategy of one's own (``sdk.client.auth``). ``transport``: a
    connector to use instead of TCP and TLS sockets (``sdk.client.connection``), such as
    ``sdk.client.memory.MemoryTransport()`` for tests without a network. ``options`` holds
    every option, checked (``sdk.client.options.SessionOptions``); ``server``, what the
    server offers (``sdk.client.server``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        username: str,
        secret: str,
        auth: str | Auth = "md5",
        timeout: float = 10.0,
        events: Events = False,
        event_queue_size: int = DEFAULT_EVENT_QUEUE,
        max_line: int = DEFAULT_MAX_LINE,
        max_message: int = DEFAULT_MAX_MESSAGE,
        max_message_lines: int = DEFAULT_MAX_MESSAGE_LINES,
        max_list_items: int = DEFAULT_MAX_LIST_ITEMS,
        tls: bool | ssl.SSLContext = False,
        tls_verify: bool = True,
        tls_cafile: str | os.PathLike[str] | None = None,
        tls_server_name: str | None = None,
        reconnect: bool | Reconnect = True,
        keepalive: float | None = None,
        release: str | None = None,
        lenient: bool = False,
        transport: Connector | None = None,
    ) -> None:
        options = SessionOptions(
            host=host,
            port=port,
            username=username,
            auth=auth,
            timeout=timeout,
            events=events,
            event_queue_size=event_queue_size,
            max_line=max_line,
            max_message=max_message,
            max_message_lines=max_message_lines,
            max_list_items=max_list_items,
            tls=tls_context(tls, tls_verify, tls_cafile),
            tls_server_name=tls_server_name,
            reconnect=reconnect,
            keepalive=keepalive,
            release=release,
            lenient=lenient,
        )
        self.options = options
        self.host = options.host
        self.port = options.port
        self.username = options.username
        self.__secret = Secret(plain(secret))
        self._auth = options.auth
        self.auth = options.auth.name
        self.timeout = options.timeout
        self.events_mask = options.events
        self.tls = options.tls is not None
        self.keepalive = options.keepalive
        self.reconnect = options.reconnect
        self.server = ServerInfo(  # what it offers
            self.send, where=self._where, release=options.release, lenient=options.lenient
        )
        self.reconnects = 0
        if options.tls is not None and options.tls.verify_mode == ssl.CERT_NONE:
            log.warning("TLS to %s: certificate checks are off", self._where)

        self._connector: Connector = connect_socket if transport is None else transport
        self._target = Destination(
            options.host, options.port, options.timeout, options.tls, options.tls_server_name
        )
        self._ids = itertools.count(1)
        self._id_prefix = _secrets.token_hex(3) + "-"
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # state changes
        self._state = "connecting"  # connecting, ready, reconnecting, closed
        self._closing = False
        self._stop = threading.Event()  # set by close(): stops reconnecting
        self._transport: Link | None = None  # the connection now, None between connections
        self._login_thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._down_reason = ""
        self._ended: ConnectionError | None = None
        self._close_note = ""  # how the session came to close, for the error of a later send
        self._hub = EventHub(options.event_queue_size)
        self._router = Router(
            self._lock,
            deliver=self._hub.deliver,
            on_goodbye=self._logged_off,
            max_list_items=options.max_list_items,
        )
        self.unmatched = self._router.unmatched  # answers owed to nobody (the last 100)
        self._keepalive = (
            None
            if options.keepalive is None
            else Keepalive(
                options.keepalive,
                options.timeout,
                where=self._where,
                submit=lambda action: self.submit(action, timeout=0),
            )
        )

        try:
            self._establish()
        except BaseException:
            self._close(logoff=False)
            raise

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    # --- what the server offers: sdk.client.server -----------------------------------------

    @property
    def banner(self) -> str | None:
        """The banner of the server, as the last connection read it."""
        return self.server.banner

    @property
    def ami_version(self) -> str | None:
        """The AMI version the banner gave (``9.0.0``), or None before a banner came."""
        return self.server.ami_version

    @property
    def asterisk_major(self) -> int | None:
        """Asterisk's major version (20 for AMI 9.0.0), or None when it is not known."""
        return self.server.asterisk_major

    @property
    def release(self) -> Release:
        """What is known of the server's release (``sdk.model.releases.Release``): from the
        banner, from CoreSettings once ``asterisk_version()`` was asked, or the override."""
        return self.server.release

    def server_actions(
        self, *, refresh: bool = False, timeout: float | None = None
    ) -> dict[str, ServerAction]:
        """``session.server.actions()``: what the server lets this user send (ListCommands),
        asked once per connection; every action sent is then checked against it."""
        return self.server.actions(refresh=refresh, timeout=timeout)

    def asterisk_version(
        self, *, refresh: bool = False, timeout: float | None = None
    ) -> str | None:
        """``session.server.asterisk_version()``: ``20.20.1``, from CoreSettings, asked once."""
        return self.server.asterisk_version(refresh=refresh, timeout=timeout)

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_url(
        cls, url: str | None = None, *, secret: str | None = None, **kwargs: Any
    ) -> Session:
        """Connect to ``ami://user@host:port`` or, over TLS, ``amis://user@host:port``
        (default: ``$AMI_URL``) with ``secret`` (default: ``$AMI_SECRET``).

        Options may follow the URL: ``?auth=plain&events=on&timeout=5&keepalive=30``,
        ``reconnect=false``, ``tls_verify=false``, ``tls_cafile=/path/ca.pem``,
        ``tls_server_name=pbx.example.net``, ``event_queue_size=1000``,
        ``max_message=33554432``, ``max_message_lines=500000``, ``max_list_items=1000000``,
        ``release=20``, ``lenient=true``.
        """
        host, port, username, secret, kwargs = url_arguments(url, secret, kwargs)
        return cls(host, port, username=username, secret=secret, **kwargs)

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

    def _open(self) -> Link:
        """Connect, read the banner and start the connection's I/O thread."""
        where = self._where
        opening = self._connector(self._target, self._stop)
        parser = self.options.parser()
        try:
            banner, early = read_banner(opening, parser, self._target)
        except BaseException:
            opening.abandon()
            raise
        self.server.connected(banner)
        keepalive = self._keepalive
        transport = opening.link(
            f"ami-io-{where}",
            Callbacks(
                self._reader(parser),
                self._on_lost,
                tick=None if keepalive is None else self._tick,
                tick_interval=None if keepalive is None else keepalive.tick_interval,
                on_driven=self._driven_reader(parser),
            ),
        )
        self._router.route_all(early)
        with self._cond:
            if self._closing:
                transport.close("session closed")
                raise ConnectionError(f"session to {where} closed")
            self._transport = transport
            if self._keepalive is not None:
                self._keepalive.reset()
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(transport.thread)
        transport.start()
        return transport

    def _login(self) -> None:
        where = self._where
        try:
            answer = self._auth.login(self.send, self.username, self.__secret, self.events_mask)
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
        return self._submit(action, self.timeout if timeout is None else timeout, False)

    def _submit(self, action: Action, timeout: float, drive: bool) -> PendingResponse:
        """``submit``; with ``drive`` (``send``, which waits next), the answer may already be
        read on this thread, for a while, if the I/O thread has nothing to do: the thread
        wake-up of a round trip is saved (``Transport.exchange``)."""
        if not isinstance(action, Action):
            raise TypeError(
                f"send() takes an action object (sdk.actions.*), not {type(action).__name__}"
            )
        self.server.check(action)  # what the server offers: sdk.client.server
        action_id = action.action_id or self._next_id()
        data = action.to_bytes(action_id=action_id)
        start = time.monotonic()
        deadline = start + timeout
        logging_in = threading.current_thread() is self._login_thread
        router = self._router
        while True:
            pending = PendingResponse(action, action_id)
            with self._lock:  # _cond's lock: its wait() needs it held, as here
                while True:
                    if self._state == "closed" or (self._closing and action.ACTION != "Logoff"):
                        raise ConnectionError(
                            f"{action.ACTION} {action_id} was not sent: {self._closed_reason()}"
                        )
                    transport = self._transport
                    if transport is not None and (self._state == "ready" or logging_in):
                        router.file(pending, transport)
                        break
                    self._wait_for_connection(action, action_id, deadline, logging_in)
            # Written outside the session's lock: the I/O thread, filing answers, need not
            # wait for this thread's system call.
            if drive:
                written = transport.exchange(
                    data, action_id, pending.done, start + min(timeout, _DRIVE)
                )
            else:
                written = transport.write(data, action_id)
            if written:
                break
            with self._lock:  # the connection is closing: not written, try the next one
                router.unfile(pending)
                self._wait_for_connection(action, action_id, deadline, logging_in)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("send %s", action.describe(action_id).replace("\n", " | "))
        return pending

    def _wait_for_connection(
        self, action: Action, action_id: str, deadline: float, logging_in: bool
    ) -> None:
        """With the lock held and no connection to write to: wait for one until ``deadline``,
        or raise ``sdk.ConnectionError`` (nothing was sent)."""
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
        if transport is not None:
            if transport.thread is threading.current_thread():
                raise RuntimeError(
                    "send() and wait() cannot run in an event callback: the callback runs on"
                    " the thread that reads the answer. Use submit() there, and wait elsewhere."
                )
            if pending.awaited_on(transport):
                # Read the answer on this thread if the I/O thread has nothing to do (one
                # thread wake-up fewer), for a short while: then the I/O thread takes over.
                start = time.monotonic()
                transport.drive(pending.done, start + min(timeout, _DRIVE))
                timeout -= time.monotonic() - start
        response = self._router.wait(pending, timeout, asked)
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
            pending = self._submit(action, remaining, True)
            remaining = max(0.0, timeout - (time.monotonic() - start))
            try:
                return self._wait(pending, remaining, check, timeout)
            except OutcomeUnknown:
                raise  # written: it may have run, so it is never sent again
            except ConnectionError:  # not written before the connection dropped
                if self.reconnect is None or self.closed:
                    raise
                log.debug("%s %s was not written before the drop", action.ACTION, pending.action_id)

    # --- events ----------------------------------------------------------------------------

    @overload
    def on(self, pattern: type[E], callback: Callable[[E], object]) -> Callable[[], None]: ...
    @overload
    def on(
        self, pattern: str | re.Pattern[str], callback: Callable[[Event], object]
    ) -> Callable[[], None]: ...
    def on(self, pattern: Pattern, callback: Callable[[Any], object]) -> Callable[[], None]:
        """Call ``callback(event)`` on the I/O thread for each event whose name matches
        ``pattern`` (a name, a glob such as ``Peer*``, ``*``, a compiled regex, or an event
        class such as ``sdk.events.PeerStatus``). Every event comes as its class of
        ``sdk.events`` (``event.peer_status``), or as ``Event`` when no spec has it.

        Returns a function that removes the callback. A callback that raises is logged (its
        first failure with the traceback, then a count every 1000 failures) and does not stop
        the reader. Keep callbacks short; they may ``submit()`` but not wait. Callbacks stay
        registered across reconnects.
        """
        return self._hub.on(pattern, callback)

    def events(self, timeout: float | None = None) -> Iterator[Event]:
        """Yield queued events as they come, each of its class in ``sdk.events`` (``Event``
        when no spec has it); stop after ``timeout`` seconds without one, or when the
        session ends (not while it reconnects)."""
        return self._hub.events(timeout)

    @overload
    def wait_for_event(
        self,
        pattern: type[E],
        predicate: Callable[[E], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> E: ...
    @overload
    def wait_for_event(
        self,
        pattern: str | re.Pattern[str],
        predicate: Callable[[Event], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> Event: ...
    def wait_for_event(
        self,
        pattern: Pattern,
        predicate: Callable[[Any], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> Event:
        """Return the first event matching ``pattern`` (a name, glob, regex or event class,
        as ``on``) and ``predicate``, taking it from the queue if it already arrived
        (``wait_for_event(events.OriginateResponse, lambda e: e.action_id == sent)``); raise
        ``sdk.TimeoutError`` after ``timeout`` seconds. A reconnect does not end the wait;
        the session's end does (``sdk.ConnectionError``)."""
        return self._hub.wait_for(pattern, predicate, self.timeout if timeout is None else timeout)

    @property
    def dropped_events(self) -> int:
        """Events the full queue dropped (the oldest first) since the session began."""
        return self._hub.dropped

    # --- reading (on the I/O thread) -------------------------------------------------------

    def _reader(self, parser: Parser) -> Callable[[bytes], None]:
        """What the I/O thread does with each read: parse it, route every message."""
        feed, route, keepalive = parser.feed, self._router.route_all, self._keepalive
        if keepalive is None:

            def on_data(data: bytes) -> None:
                route(feed(data))

        else:

            def on_data(data: bytes) -> None:
                keepalive.last_rx = time.monotonic()
                route(feed(data))

        return on_data

    def _driven_reader(self, parser: Parser) -> Callable[[bytes], Callable[[], object] | None]:
        """What a waiting caller that reads for the I/O thread (``Transport.drive``) does
        with a read: route the answers; from the first event for the hub on, leave the read
        to the I/O thread, where callbacks run (the function it returns)."""
        feed, route, keepalive = parser.feed, self._router.route_all, self._keepalive

        def on_driven(data: bytes) -> Callable[[], object] | None:
            if keepalive is not None:
                keepalive.last_rx = time.monotonic()
            rest = route(feed(data), events=False)
            return None if not rest else lambda: route(rest)

        return on_driven

    def _logged_off(self) -> None:
        """Asterisk said Goodbye to our own Logoff and closes the connection: an orderly end,
        not a loss. The session closes (no reconnect, no warning); ``close()`` still joins."""
        with self._cond:
            if not self._closing:  # not close()'s own Logoff
                self._close_note = " (Logoff sent; the server said Goodbye)"
            self._closing = True
            transport = self._transport
            self._cond.notify_all()
        self._stop.set()
        log.info("logged off from %s", self._where)
        if transport is not None:
            transport.close("logged off")

    def _tick(self) -> None:
        """Keepalive's turn, on the I/O thread, while logged in (``sdk.client.keepalive``)."""
        with self._lock:
            if self._state != "ready" or self._closing:
                return
            transport = self._transport
        if transport is not None and self._keepalive is not None:
            self._keepalive.tick(transport.close)

    # --- losing the connection, reconnecting -----------------------------------------------

    def _on_lost(
        self, transport: Link, reason: str, error: BaseException | None, unsent: list[Hashable]
    ) -> None:
        """The I/O thread of ``transport`` ended: fail what was in flight, then reconnect or end."""
        where = self._where
        restart = final = False
        with self._cond:
            current = transport is self._transport
            was_ready = current and self._state == "ready"
            if current:
                self._transport = None
                self._router.forget_stale()
                self.server.forget()
            failed = self._router.take(transport)
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
        self._router.fail(failed, f"connection to {where} ended ({reason})", error, unsent)
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
                f"session to {where} closed{self._close_note}"
                if self._closing
                else f"session to {where} ended: {reason}"
            )

    def _reconnect_loop(self) -> None:
        policy = self.reconnect
        assert policy is not None
        if retry(
            policy,
            self._where,
            self._down_reason,
            establish=self._establish,
            stop=self._stop,
            failed=self._attempt_failed,
            end=self._end,
        ):
            self.reconnects += 1

    def _attempt_failed(self, reason: str) -> None:
        with self._lock:
            self._down_reason = reason

    def _end(self, text: str) -> None:
        """The session is over for good: wake every waiter and ``events()`` iterator."""
        with self._cond:
            if self._ended is not None:
                return
            self._state = "closed"
            self._ended = ConnectionError(text)
            self._cond.notify_all()
        self._hub.end(ConnectionError(text))

    def _closed_reason(self) -> str:
        ended = self._ended
        if ended is not None:
            return str(ended)
        return f"session to {self._where} is closed{self._close_note}"

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
        once, and from any thread (also after ``send(Logoff())``, which closes the session
        once the server says Goodbye). From an event callback it cannot wait for the I/O thread
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
            try:
                self.send(actions.Logoff(), timeout=min(self.timeout, 2.0))
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
        self._end(f"session to {self._where} closed{self._close_note}")

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
