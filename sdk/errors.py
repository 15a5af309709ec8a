"""The SDK's exceptions: one tree, so callers can catch as broadly or narrowly as they need.

::

    AMIError
    ├── ValidationError        bad input, found before anything is sent (.errors)
    │   └── ActionUnavailable  the connected server does not have the action (.replacement)
    ├── AuthenticationError    login refused
    ├── ActionError            the server answered Error (.response)
    ├── ProtocolError          the server broke the protocol (bad banner, over-long line or message)
    ├── ConnectionError        also a builtins.ConnectionError: could not connect, or lost
    │   └── OutcomeUnknown     lost while an action was in flight: it may or may not have run
    └── TimeoutError           also a builtins.TimeoutError; carries what arrived (.events)

``ValidationError`` is also a ``ValueError``. No exception ever carries a secret.

What to do about an error sometimes depends on how one connects: a script passes
``tls=True``, the command line and PBX config files write ``amis://``. Such an error carries
its ``Advice``; ``str()`` gives the Python words, ``worded("url")`` those for a URL.

What a session raises when the connection or the server misbehaves (each within the
session's ``timeout``):

- could not connect, TLS certificate refused, closed before the banner: ``ConnectionError``
  (from ``Session()``; while reconnecting, the session logs it and tries again);
- no banner, or no answer, in time: ``TimeoutError`` (an answer that comes later is kept in
  ``Session.unmatched``, never given to another caller);
- login refused (Asterisk answers after about a second and closes): ``AuthenticationError``;
- the connection drops while an action is in flight: ``OutcomeUnknown`` for that action
  (never sent again); ``ConnectionError`` for one whose bytes had not left yet;
- garbage lines, non-UTF-8 bytes, stray blank lines, answers without an ActionID: no error;
  the session goes on (what matches no caller is logged and kept in ``Session.unmatched``);
- a line over ``max_line`` bytes, a message that passes ``max_message`` characters or
  ``max_message_lines`` lines before its end (one that never ends), or a banner that is not
  AMI's: ``ProtocolError`` (below); an event list past ``max_list_items`` items:
  ``ProtocolError`` for that action only.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Self

import attrs

if TYPE_CHECKING:
    from sdk.wire.message import Event, Response

__all__ = [
    "AMIError",
    "Advice",
    "Advised",
    "url_words",
    "ActionError",
    "ActionUnavailable",
    "AuthenticationError",
    "ConnectionError",
    "FieldProblem",
    "OutcomeUnknown",
    "ProtocolError",
    "TimeoutError",
    "ValidationError",
]


@attrs.frozen
class Advice:
    """What to do about an error, worded for each way of connecting: ``python`` names
    ``Session`` arguments and methods; ``url`` what an AMI URL says (``amis://``,
    ``?tls_cafile=``), for the ``ami`` command line and PBX config files ("": nothing to add)."""

    python: str
    url: str = ""


class Advised:
    """What an error may carry besides its message: ``Advice`` worded for each front end.
    ``AMIError`` has it, and so do the bulk runner's config errors."""

    advice: Advice | None = None

    def advise(self, python: str, url: str = "") -> Self:
        """Attach what to do (``Advice``); returns the error, to raise it in one line."""
        self.advice = Advice(python, url)
        return self

    def worded(self, front: str = "python") -> str:
        """The message, with the advice for ``front`` (``"python"`` or ``"url"``) after it."""
        text = super().__str__()
        hint = getattr(self.advice, front, "") if self.advice is not None else ""
        return f"{text}; {hint}" if hint else text

    def __str__(self) -> str:
        return self.worded("python")


class AMIError(Advised, Exception):
    """Base of every error the SDK raises on purpose."""


def url_words(exc: BaseException) -> str:
    """``str(exc)``, with an ``AMIError``'s advice worded for those who connect by URL: the
    ``ami`` command line, the demo, PBX config files."""
    return exc.worded("url") if isinstance(exc, Advised) else str(exc)


@attrs.frozen
class FieldProblem:
    """One problem with one field of an action, as a form would show it next to the field.

    ``field`` is the Python attribute (``call_id``), ``header`` the wire name (``Call-ID``);
    both are ``None`` for a problem of the action as a whole. ``index`` is the position of the
    offending item in a list-like field (a variable), when there is one.
    """

    field: str | None
    header: str | None
    message: str
    index: int | None = None

    def __str__(self) -> str:
        if self.field is None:
            where = "action"
        else:
            where = f"{self.field} ({self.header})"
        if self.index is not None:
            where += f" item {self.index}"
        return f"{where}: {self.message}"


class ValidationError(AMIError, ValueError):
    """Bad input, found before anything was sent. ``.errors`` lists every problem found."""

    def __init__(self, action: str, errors: list[FieldProblem]) -> None:
        self.action = action
        self.errors = list(errors)
        lines = "\n".join(f"  - {problem}" for problem in self.errors)
        count = len(self.errors)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{action}: {count} {noun}\n{lines}")


class ActionUnavailable(ValidationError):
    """The connected server does not have this action, found before sending it.

    Known from the server's own list (``Session.server_actions()``), or from the documentation
    of its release (``sdk.model.releases``: PJSIPSetMaintenance on 21, SIPnotify from 21 on).
    ``.replacement`` names the action to use instead, when there is one (PJSIPNotify for
    SIPnotify).
    """

    def __init__(self, action: str, message: str, replacement: str | None = None) -> None:
        super().__init__(action, [FieldProblem(None, None, message)])
        self.replacement = replacement


class AuthenticationError(AMIError):
    """The server refused the login (wrong user, secret or key)."""


class ActionError(AMIError):
    """The server answered ``Response: Error``; ``.response`` holds the whole answer."""

    def __init__(self, response: Response, action: str | None = None) -> None:
        self.response = response
        self.action = action
        what = f"{action}: " if action else ""
        super().__init__(f"{what}{response.message or 'Error'}")


class ProtocolError(AMIError):
    """The server broke the AMI protocol. Exactly these raise it:

    - ``sdk.wire.parser.Parser.feed``: a line (the banner included) of more than ``max_line`` bytes,
      its line end not counted; a message of more than ``max_message`` characters or
      ``max_message_lines`` lines: header lines that never reach a blank line, or the raw
      text of a ``Response: Follows`` that never reaches ``--END COMMAND--``. Each is raised
      as soon as the bound is passed, before the line or the message has ended.
    - an action whose event list passes ``max_list_items`` items (default 500,000) before
      its closing event: the caller's ``send()``; the rest of that list is dropped as it
      comes, and the connection goes on.
    - ``Session()`` (and ``sdk.connect``): the first line is not an AMI banner
      (``Asterisk Call Manager/...``), or a line or message past those bounds (default
      256 KiB, 16 MiB, 200,000 lines) arrives before the login is answered.

    Once a session is logged in, such a line or message ends that connection instead: the
    actions in flight fail with ``OutcomeUnknown`` whose ``__cause__`` is the
    ``ProtocolError`` (without a traceback: it would keep the read buffers alive), and the
    session reconnects (or, with ``reconnect=False``, ends; later sends raise
    ``ConnectionError`` naming the bound). Nothing else raises it: text that is not UTF-8 is
    read as latin-1, and lines without a colon are kept in ``Message.unparsed``.
    """


class ConnectionError(AMIError, builtins.ConnectionError):  # noqa: A001 - the tree's name
    """Could not connect, or the connection was lost. Raised for an action means it was not
    sent (its message says so); ``OutcomeUnknown`` means it may have been."""

    def __init__(self, message: str) -> None:  # not OSError's (errno, strerror) signature
        super().__init__(message)


class OutcomeUnknown(ConnectionError):
    """The connection was lost while an action was in flight: it may or may not have run.

    The SDK never sends such an action again by itself.
    """

    def __init__(self, message: str, action_id: str | None = None) -> None:
        super().__init__(message)
        self.action_id = action_id


class TimeoutError(AMIError, builtins.TimeoutError):  # noqa: A001 - the tree's name
    """A wait ran out. ``.events`` holds the list items that had arrived, if any."""

    def __init__(self, message: str, events: list[Event] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.events = list(events or [])
        self.response = extra.get("response")
