"""How a session gets a connection: a connector opens it, the session reads its banner on
it, then the connection's own I/O thread runs.

A connector is any callable ``connector(target, stop) -> Opening`` (``Session(...,
transport=connector)``): it connects to ``target`` (giving up when ``stop`` is set) or
raises ``sdk.ConnectionError`` / ``sdk.TimeoutError`` saying why. The ``Opening`` lets the
session read the banner before any thread runs (``read``), then becomes a ``Link``: one
connection driven by one I/O thread, which calls ``on_data`` with what arrives and
``on_closed`` once at the end. ``connect_socket``, the default, is TCP or TLS through
``sdk.wire.transport``; ``sdk.client.memory`` is one without sockets, for tests.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Hashable
from typing import NamedTuple, Protocol

from sdk.client.options import DEFAULT_PORT
from sdk.errors import ConnectionError, ProtocolError, TimeoutError
from sdk.wire.message import Message
from sdk.wire.parser import BANNER_PREFIX, Parser
from sdk.wire.transport import ConnectFailed, Transport, open_socket, recv_some

__all__ = [
    "Callbacks",
    "Connector",
    "Link",
    "Opening",
    "Destination",
    "connect_socket",
    "read_banner",
]

log = logging.getLogger("sdk.client.session")


class Destination(NamedTuple):
    """Where a connector connects, and how: within ``timeout`` s, over TLS when ``tls``.
    (Named tuples here: a tenth of an attrs class's cost at ``import sdk``.)"""

    host: str
    port: int
    timeout: float
    tls: ssl.SSLContext | None = None
    server_name: str | None = None  # the name the certificate must carry (default: host)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class Link(Protocol):
    """One connection and its I/O thread (``sdk.wire.transport.Transport`` is one).

    ``write`` queues bytes from any thread (False once closing: nothing queued); ``tag``
    names them in ``on_closed``'s list of writes that never left. ``close`` returns at once.
    ``drive(until, deadline)``: a waiting caller may do the I/O thread's work meanwhile
    (``Transport.drive``); a link that cannot returns at once. ``exchange``: ``write``,
    then ``drive``, the work taken over before the write (``Transport.exchange``).
    """

    thread: threading.Thread

    def start(self) -> None: ...

    def write(self, data: bytes, tag: Hashable | None = None) -> bool: ...

    def close(self, reason: str = "closed") -> None: ...

    def drive(self, until: Callable[[], bool], deadline: float) -> None: ...

    def exchange(
        self, data: bytes, tag: Hashable | None, until: Callable[[], bool], deadline: float
    ) -> bool: ...

    def join(self, timeout: float | None = None) -> None: ...


OnData = Callable[[bytes], None]
# a read, taken by a caller that drives the link: None, or work it leaves to the I/O thread
OnDriven = Callable[[bytes], Callable[[], object] | None]
# (link, reason, error or None, tags of the writes that never left), once, on its I/O thread
OnClosed = Callable[[Link, str, BaseException | None, list[Hashable]], None]


class Callbacks(NamedTuple):
    """What a link's I/O thread calls: ``on_data`` with each read (an exception from it ends
    the connection), ``tick`` every ``tick_interval`` s, ``on_closed`` once at the end; and
    what a caller that drives the link calls with a read instead of ``on_data``
    (``on_driven``: none, no driving)."""

    on_data: OnData
    on_closed: OnClosed
    tick: Callable[[], None] | None = None
    tick_interval: float | None = None
    on_driven: OnDriven | None = None


class Opening(Protocol):
    """A connection just made: no thread reads it yet."""

    def read(self, deadline: float) -> bytes:
        """What arrived, waiting for it until ``deadline`` (``time.monotonic()``); b"" when
        the peer closed. ``sdk.wire.transport.ConnectFailed`` when time ran out or it was
        stopped, ``OSError`` when the connection broke."""
        ...

    def link(self, name: str, calls: Callbacks) -> Link:
        """The link over this connection, not started; its thread, named ``name``, makes
        ``calls``."""
        ...

    def abandon(self) -> None:
        """Close it without starting a link (the banner was wrong, or never came)."""
        ...


class Connector(Protocol):
    def __call__(self, target: Destination, stop: threading.Event) -> Opening: ...


class _SocketOpening:
    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self._sock = sock
        self._stop = stop

    def read(self, deadline: float) -> bytes:
        return recv_some(self._sock, deadline, self._stop)

    def link(self, name: str, calls: Callbacks) -> Link:
        return Transport(
            self._sock,
            name=name,
            on_data=calls.on_data,
            on_closed=calls.on_closed,
            tick=calls.tick,
            tick_interval=calls.tick_interval,
            on_driven=calls.on_driven,
        )

    def abandon(self) -> None:
        self._sock.close()


def connect_socket(target: Destination, stop: threading.Event) -> Opening:
    """The default connector: TCP to ``target``, then the TLS handshake when asked; each
    failure said in words an operator can act on."""
    where = target.where
    try:
        sock = open_socket(
            target.host,
            target.port,
            timeout=target.timeout,
            tls=target.tls,
            server_hostname=target.server_name,
            stop=stop,
        )
    except ConnectFailed as exc:
        if exc.timeout:
            raise TimeoutError(f"connecting to {where} took over {target.timeout} s") from None
        raise ConnectionError(f"could not connect to {where}: {exc}") from None
    except ssl.SSLCertVerificationError as exc:
        error = ConnectionError(
            f"TLS: the certificate of {where} was refused: {exc.verify_message or exc}"
        )
        if exc.verify_code in (18, 19, 20):  # self-signed, or an issuer not trusted here
            error.advise(
                "trust its CA with tls_cafile= (or pass an ssl.SSLContext as tls=)",
                "trust its CA with ?tls_cafile=/path/to/ca.pem after the URL",
            )
        raise error from None
    except ssl.SSLError as exc:
        raise ConnectionError(
            f"TLS handshake with {where} failed ({exc.reason or exc});"
            f" is it a plain AMI port? (Asterisk's plain port is {DEFAULT_PORT})"
        ) from None
    return _SocketOpening(sock, stop)


def read_banner(opening: Opening, parser: Parser, target: Destination) -> tuple[str, list[Message]]:
    """Read until ``parser`` has the banner, within the target's timeout, and check that it is
    an AMI server's; return it, and the messages that came with it."""
    where = target.where
    deadline = time.monotonic() + target.timeout
    early: list[Message] = []
    try:
        while parser.banner is None:
            data = opening.read(deadline)
            if not data:
                raise ConnectionError(
                    f"{where} closed the connection before its banner"
                    " (Asterisk does so past its authlimit of unauthenticated connections)"
                )
            early = parser.feed(data)
    except ConnectFailed as exc:
        if not exc.timeout:
            raise ConnectionError(f"connecting to {where}: {exc}") from None
        error = TimeoutError(f"no banner from {where} within {target.timeout} s")
        if target.tls is None:
            tls_port = "if it is a TLS port (Asterisk's is 5039)"
            error.advise(f"{tls_port}, pass tls=True or use amis://", f"{tls_port}, use amis://")
        raise error from None
    except OSError as exc:
        raise ConnectionError(f"connection to {where} failed: {exc}") from None
    banner = parser.banner
    if not banner.startswith(BANNER_PREFIX):
        raise ProtocolError(f"{where} is not an AMI server: banner {banner[:80]!r}")
    log.debug("connected to %s%s, %s", where, " over TLS" if target.tls else "", banner)
    return banner, early
