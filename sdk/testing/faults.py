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
``endless-headers``    the answer's first lines, then header lines that never end in a
                       blank line
``no-blank-line``      the answer without its blank line, then lines without a colon that
                       never end in one
``no-end-command``     ``Response: Follows`` and CLI text (blank lines in it) that never
                       reaches ``--END COMMAND--``
``close-before-banner``  the next connection is closed before the banner (authlimit)
=====================  ===================================================================

The three endless kinds write until the client closes the connection (or, with ``size``,
that many bytes), a block at a time as the client reads them, so the server's own memory
stays small; a client that bounds its messages (``sdk.wire.parser.Parser``) ends the connection.

A failed login (1 s, then the connection closed) needs no fault: a wrong secret does it,
as Asterisk does; ``AMIServer.restart()`` drops every connection and listens again.
"""

from __future__ import annotations

import threading

import attrs

__all__ = [
    "ENDLESS",
    "FAULT_KINDS",
    "GARBAGE",
    "LATIN1_EVENT",
    "Fault",
    "blank_lines",
    "endless",
    "long_line",
]

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
    "endless-headers",
    "no-blank-line",
    "no-end-command",
    "close-before-banner",
)
ENDLESS = ("endless-headers", "no-blank-line", "no-end-command")

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


def endless(kind: str, answer: bytes, width: int = 64) -> tuple[bytes, bytes]:
    """An endless fault's start, from ``answer`` (the usual answer, CRLF line ends), and the
    block of lines of ``width`` bytes (line ends included) it repeats, some 64 KiB."""
    lines = answer.partition(b"\r\n\r\n")[0].split(b"\r\n")
    ids = [line for line in lines if line.lower().startswith(b"actionid:")]
    if kind == "endless-headers":
        head, line = [lines[0], *ids], b"Filler: ".ljust(width - 2, b"h") + b"\r\n"
    elif kind == "no-blank-line":
        head, line = lines, b"no blank line ".ljust(width - 2, b".") + b"\r\n"
    else:  # no-end-command: as Asterisk 11's action_command starts one; a blank line, a text
        head = [b"Response: Follows", b"Privilege: Command", *ids]
        line = b"\nphone1   127.0.0.1   D  Yes  5060  OK (1 ms) ".ljust(width - 1, b" ") + b"\n"
    return b"".join(h + b"\r\n" for h in head), line * max(1, 64 * 1024 // len(line))


@attrs.define
class Fault:
    """One armed fault; ``hits`` counts the requests (or connections) it was applied to."""

    kind: str
    action: str | None = None
    times: int = 1
    delay: float = 0.0
    size: int | None = None  # long-line: its length (1 MiB); endless kinds: a cap, if any
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
