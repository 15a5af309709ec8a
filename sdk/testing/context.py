"""What a handler may do: the one object it is given besides the request.

A handler (``sdk.testing.handlers``, or one of yours given to ``AMIServer.handle``) is
``func(context, request)``. Its ``Context`` answers on the connection the request came on
and holds that connection's manager session; it sends events to every connection, runs
something later, tells what the server plays (its release and known actions) and holds
the PBX (``sdk.testing.pbx``), where a NOTIFY the server would send is recorded. Sockets,
threads, faults, the other connections and the server's own configuration stay out of
reach: the server (``sdk.testing.server``) gives each connection a context and keeps the
rest, and nothing a handler imports leads back to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from sdk.testing.known import KnownActions
from sdk.testing.pbx import PBXState
from sdk.testing.request import ReceivedMessage
from sdk.testing.sessions import ManagerSession, User
from sdk.testing.sip import Notify
from sdk.wire.message import Message

__all__ = ["Context", "Handler"]


class Context(Protocol):
    """What a handler may do while it answers a request."""

    # --- this connection: its answers and its manager session ---

    @property
    def session(self) -> ManagerSession:
        """Who logged in on this connection, the events it reads, its filters."""
        ...

    def write(self, data: bytes | str) -> None:
        """Bytes to the client as they are (a str as UTF-8): an answer no handler writes."""
        ...

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
        """An answer to ``request``, its ActionID echoed (``sdk.wire.answers.response``);
        ``trailer`` is written right after it (a stray blank line some modules write)."""
        ...

    def ack(self, request: Message, message: str | None = None) -> None:
        """``Response: Success`` with ``message``."""
        ...

    def error(self, request: Message, message: str) -> None:
        """``Response: Error`` with ``message``."""
        ...

    def event(
        self, name: str, headers: Iterable[tuple[str, str]], *, privilege: str | None = None
    ) -> None:
        """An event to this connection only (an item of a list answer)."""
        ...

    def close(self) -> None:
        """Close the connection once what was written has gone out (after Goodbye)."""
        ...

    def security_event(
        self,
        name: str,
        severity: str,
        fields: Iterable[tuple[str, str]],
        *,
        account_optional: bool = False,
    ) -> None:
        """A security event about this connection (``SuccessfulAuth``, ``RequestNotAllowed``),
        to the sessions that read the security class."""
        ...

    # --- the server: events, time, what it plays ---

    def broadcast(self, name: str, category: str, headers: Iterable[tuple[str, str]] | str) -> None:
        """An event to every logged-in connection that reads ``category`` and asked for it
        (``headers`` as pairs, or lines already written)."""
        ...

    def schedule(self, delay: float, func: Callable[[], None]) -> None:
        """Run ``func`` after ``delay`` seconds, unless the server stops first."""
        ...

    @property
    def version(self) -> str:
        """The release the server plays: "20", "22"."""
        ...

    @property
    def asterisk_version(self) -> str:
        """Its full version: "20.20.1"."""
        ...

    @property
    def banner(self) -> str:
        """Its banner: "Asterisk Call Manager/9.0.0"."""
        ...

    @property
    def build(self) -> str:
        """What ``core show version`` says after the version."""
        ...

    @property
    def uptime(self) -> int:
        """Seconds since the server started."""
        ...

    @property
    def known_actions(self) -> KnownActions:
        """The actions the release lists in ListCommands."""
        ...

    # --- logging in ---

    def find_user(self, name: str) -> User | None:
        """The manager user ``name`` (without regard to case, as manager.c finds it)."""
        ...

    @property
    def fixed_challenge(self) -> str | None:
        """The MD5 challenge every Challenge gets, if the server was given one."""
        ...

    @property
    def auth_fail_delay(self) -> float:
        """How long a refused login waits before its answer (Asterisk: a second)."""
        ...

    # --- the PBX ---

    @property
    def pbx(self) -> PBXState:
        """Its SIP configuration, channels, dialplan, globals and AstDB."""
        ...

    def record_notify(self, notify: Notify) -> None:
        """A SIP NOTIFY the server sends (kept in ``AMIServer.notifies``, and sent over UDP
        when the server was told to)."""
        ...


Handler = Callable[[Context, ReceivedMessage], None]
