"""Faults the embedded server makes on request, so that tests can see what a client does.

``AMIServer.fault(kind, action=..., times=...)`` arms a fault; the next ``times`` requests
whose Action matches ``action`` (any case; ``None``: any request) get it instead of the
usual answer. ``close-before-banner`` applies to the next connections instead. The kinds:

=====================  ===================================================================
``cut``                half of the answer, then the connection is closed
``close``              the connection is closed at once, without an answer
``slow``               the answer comes ``delay`` seconds late, and nothing else meanwhile
``lag``                the answer comes ``delay`` seconds late, while later requests are
                       read and answered in their turn (latency under load, not a stall)
``no-action-id``       the answer without its ActionID line
``garbage``            lines that are not AMI (binary bytes, no colon) before the answer
``blank-lines``        stray blank lines before the answer
``latin1``             an event whose CallerIDName is latin-1, not UTF-8, before the answer
``long-line``          ``size`` bytes (1 MiB by default) with no line end, and no answer
``close-before-banner``  the next connection is closed before the banner (authlimit)
=====================  ===================================================================

A failed login (1 s, then the connection closed) needs no fault: a wrong secret does it,
as Asterisk does; ``AMIServer.restart()`` drops every connection and listens again.
"""

from __future__ import annotations

import threading

import attrs

__all__ = ["FAULT_KINDS", "GARBAGE", "LATIN1_EVENT", "Fault", "blank_lines", "long_line"]

FAULT_KINDS = (
    "cut",
    "close",
    "slow",
    "lag",
    "no-action-id",
    "garbage",
    "blank-lines",
    "latin1",
    "long-line",
    "close-before-banner",
)

# Lines no AMI server writes: control and invalid UTF-8 bytes, a line without a colon.
GARBAGE = b"\x00\x01\x02 \xff\xfe binary noise\r\nthis line has no colon\r\n\x1b[31m\r\n\r\n"

# An event as a server built for latin-1 writes it: "Jürgen Müller" is not valid UTF-8.
LATIN1_EVENT = (
    b"Event: Newchannel\r\nPrivilege: call,all\r\nChannel: SIP/phone1-00000001\r\n"
    b"CallerIDNum: 1001\r\nCallerIDName: J\xfcrgen M\xfcller\r\n\r\n"
)

MIB = 1024 * 1024


def blank_lines(count: int = 3) -> bytes:
    return b"\r\n" * count


def long_line(size: int = MIB) -> bytes:
    return b"Event: " + b"x" * (size - 7)


@attrs.define
class Fault:
    """One armed fault; ``hits`` counts the requests (or connections) it was applied to."""

    kind: str
    action: str | None = None
    times: int = 1
    delay: float = 0.0
    size: int = MIB
    hits: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; known: {', '.join(FAULT_KINDS)}")
        if self.times < 1:
            raise ValueError("a fault applies at least once (times >= 1)")

    @property
    def spent(self) -> bool:
        return self.hits >= self.times

    def take(self, action: str | None, *, connection: bool = False) -> bool:
        """Apply to a request for ``action`` (or, with ``connection``, to a new connection)
        if armed and matching; count the hit."""
        if (self.kind == "close-before-banner") != connection:
            return False
        if (
            not connection
            and self.action is not None
            and (action or "").lower() != self.action.lower()
        ):
            return False
        with self._lock:
            if self.hits >= self.times:
                return False
            self.hits += 1
            return True
