"""A request as the embedded server read it: headers read the way manager.c reads them.

``manager.c`` matches header names without regard to case (the first one wins) and skips
the blanks and control characters before a value; the raw lines are kept as they came.
Secret headers (Login's Secret and Key, and those the specs mark secret) never show in a
repr or str.
"""

from __future__ import annotations

import time

from sdk.actions import ACTIONS
from sdk.model.action import secret_headers
from sdk.model.generic import Generic
from sdk.wire.message import Headers, Message

__all__ = ["BLANKS", "ReceivedMessage"]

BLANKS = "".join(map(chr, range(33)))  # what manager.c skips before a value: controls, space


class _ReceivedHeaders(Headers):
    """Headers as received; their repr hides the values of secret headers (Secret, Key)."""

    __slots__ = ("_secret",)

    def __init__(self, pairs: list[tuple[str, str]], secret: frozenset[str]) -> None:
        super().__init__(pairs)
        self._secret = secret

    def masked(self) -> list[tuple[str, str]]:
        return [(n, "***" if n.lower() in self._secret else v) for n, v in self]

    def __repr__(self) -> str:
        return f"Headers({self.masked()!r})"


_SECRET = frozenset({"secret"})


def _secret_headers(action: str | None) -> frozenset[str]:
    """Lower-case names of the headers that carry a secret in ``action``: what the SDK masks
    for it (``sdk.model.action.secret_headers``; an action without a spec as ``Generic``), and
    Secret in any request."""
    canonical = ACTIONS.canonical(action) if action else None
    return _SECRET | secret_headers(Generic if canonical is None else ACTIONS[canonical])


class ReceivedMessage(Message):
    """A message the server read, with its raw lines, headers read the way Asterisk reads them.

    Its repr and str show secret headers (Login's Secret and Key) as ``***``; ``get()``
    still returns them, as the server needs them.
    """

    __slots__ = ("lines", "peer", "received_at")
    headers: _ReceivedHeaders  # which knows its secret headers

    def __init__(self, lines: list[str], peer: tuple[str, int] | None = None) -> None:
        self.received_at = time.monotonic()  # when its blank line was read: for rate checks
        pairs = []
        unparsed = []
        for line in lines:
            name, colon, value = line.partition(":")
            if colon:
                pairs.append((name, value.lstrip(BLANKS)))
            else:
                unparsed.append(line)
        action = next((v for n, v in pairs if n.lower() == "action"), None)
        super().__init__(_ReceivedHeaders(pairs, _secret_headers(action)), tuple(unparsed))
        self.lines = tuple(lines)
        self.peer = peer

    @property
    def action(self) -> str | None:
        return self.get("Action")

    def _masked_lines(self) -> list[str]:
        secret = self.headers._secret
        out = []
        for line in self.lines:
            name, colon, _ = line.partition(":")
            out.append(f"{name}: ***" if colon and name.lower() in secret else line)
        return out

    def __repr__(self) -> str:
        return f"ReceivedMessage({self._masked_lines()!r})"

    def __str__(self) -> str:
        return "\n".join(self._masked_lines())
