"""Reading AMI from bytes: an incremental parser that any split of the stream cannot fool.

The server sends one banner line (``Asterisk Call Manager/9.0.0``), then messages: lines
``Name: value`` ended by an empty line. Lines end in CRLF or a bare LF, nothing else (a
vertical tab or U+2028 inside a value is text). A header's name is what stands before the
first colon; its value is what follows, with one space removed so that Command output keeps
its indentation. A line that is not UTF-8 is read as latin-1, so no byte is lost. A line with
no colon stays in the message (``Message.unparsed``). Empty messages (the stray blank lines
Asterisk sometimes writes) are dropped.

Asterisk 13 and older answered Command with ``Response: Follows``, its Privilege and ActionID,
then the raw CLI text and ``--END COMMAND--``; everything between the first line that is not
one of those headers and ``--END COMMAND--`` is that text, colons and blank lines included
(the text of ``core show settings`` starts with a blank line), so the parser reads it raw.

What a peer can make the parser hold is bounded: a line of ``max_line`` bytes, a message of
``max_message`` characters and ``max_message_lines`` lines; past them ``ProtocolError``.

For speed, a read is cut into messages at blank lines first, and a whole message that needs
nothing special keeps its headers as text (``sdk.wire.message.Headers``); everything else goes
through the line-by-line reader, and both give the same messages.
"""

from __future__ import annotations

from collections.abc import Callable

from sdk.errors import ProtocolError
from sdk.wire.message import Event, Message, message_from_pairs, message_from_text

__all__ = [
    "BANNER_PREFIX",
    "DEFAULT_MAX_LINE",
    "DEFAULT_MAX_MESSAGE",
    "DEFAULT_MAX_MESSAGE_LINES",
    "END_COMMAND",
    "Parser",
]

BANNER_PREFIX = "Asterisk Call Manager"
END_COMMAND = "--END COMMAND--"
DEFAULT_MAX_LINE = 256 * 1024
# One message, as the parser holds it until its end: the largest real ones are Command
# answers (Asterisk 14 and later send all the CLI text as Output lines of one message), and
# the largest CLI texts ops engineers ask for (``dialplan show``, ``database show`` on a big
# PBX) run to some 100,000 lines of ~80 characters, 8 MiB. Twice that passes; past it the
# message is refused, so that a server that never ends one costs at most ~60 MB (16 MiB of
# text and 200,000 lines of ~200 bytes of Python objects each).
DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024
DEFAULT_MAX_MESSAGE_LINES = 200_000

# The longest unfinished message read again with the next data rather than line by line:
# more would make a long message sent a line at a time cost its length squared.
_HOLD = 8192

# Headers that may precede the raw text of a ``Response: Follows`` answer.
_FOLLOWS_HEADERS = frozenset({"response", "privilege", "actionid", "message"})


def _decode_lines(chunk: bytes) -> list[str]:
    """Split ``chunk`` (complete lines, the last LF included, not all of them UTF-8) into
    lines without line ends, each decoded as UTF-8, or as latin-1 when it is not UTF-8."""
    lines = []
    for raw in chunk[:-1].split(b"\n"):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("latin-1"))
    return lines


class Parser:
    """Turns server bytes into messages, however the bytes are split into reads.

    ``feed(data)`` returns the messages completed by ``data``. With ``banner=True`` (a client)
    the first line is the banner, kept in ``.banner``. Two bounds keep what a peer can make
    it hold finite, and raise ``ProtocolError`` as soon as they are passed, before the line or
    the message has ended:

    - a line (the banner included) of more than ``max_line`` bytes, its line end not counted;
    - a message of more than ``max_message`` characters (bytes, for ASCII text; each line
      counts its line end as one) or more than ``max_message_lines`` lines: one whose blank
      line never comes, or a ``Response: Follows`` whose ``--END COMMAND--`` never comes.

    The parser is not usable after that error. Nothing else raises.

    ``event_type`` says what class an event of a name is made of (the session gives
    ``sdk.events.EVENTS.type_of``: the typed event classes); without it, every event is an
    ``Event``. Its answers are kept, by name.
    """

    __slots__ = (
        "_buf",
        "_count",
        "_event_type",
        "_held",
        "_pairs",
        "_raw",
        "_size",
        "_types",
        "_unparsed",
        "banner",
        "max_line",
        "max_message",
        "max_message_lines",
    )

    def __init__(
        self,
        *,
        banner: bool = True,
        max_line: int = DEFAULT_MAX_LINE,
        max_message: int = DEFAULT_MAX_MESSAGE,
        max_message_lines: int = DEFAULT_MAX_MESSAGE_LINES,
        event_type: Callable[[str], type[Event]] | None = None,
    ) -> None:
        for name, limit in (
            ("max_line", max_line),
            ("max_message", max_message),
            ("max_message_lines", max_message_lines),
        ):
            if type(limit) is not int or limit < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, not {limit!r}")
        self.banner: str | None = None if banner else ""
        self.max_line = max_line
        self.max_message = max_message
        self.max_message_lines = max_message_lines
        self._buf = b""
        self._held = 0  # bytes at the start of _buf: lines of a message not ended (_blocks)
        self._pairs: list[tuple[str, str]] = []
        self._unparsed: list[str] = []
        self._raw = 0  # 0: headers; 1: raw Follows text; 2: raw text ended, waiting for blank
        self._size = 0  # characters of the message in progress, a line end counted as one
        self._count = 0  # and its lines
        self._event_type = event_type
        # the class of each event name seen (None: no typing, every event is an Event)
        self._types: dict[str, type[Event]] | None = None if event_type is None else {}

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet make a complete line."""
        return len(self._buf) - self._held

    def feed(self, data: bytes) -> list[Message]:
        buf = self._buf + data if self._buf else bytes(data)
        self._held = 0
        end = buf.rfind(b"\n")
        limit = self.max_line
        if end < 0:
            self._check_partial(buf)
            self._buf = buf
            return []
        if end == len(buf) - 1:  # the usual read: whole lines
            rest, chunk = b"", buf
        else:
            rest, chunk = buf[end + 1 :], buf[: end + 1]
            self._check_partial(rest)
        self._buf = rest
        if end > limit:  # a complete line in it may be too long: count its bytes
            for raw in chunk[:-1].split(b"\n"):
                if len(raw) - (raw[-1:] == b"\r") > limit:
                    raise ProtocolError(f"line longer than {limit} bytes")
        out: list[Message] = []
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:  # some line is not UTF-8: line by line
            lines = _decode_lines(chunk)
            if self.banner is None:
                self.banner = lines.pop(0)
            self._lines(lines, out)
            return out
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if self.banner is None:
            self.banner, _, text = text.partition("\n")
        held = self._blocks(text, out).encode()
        if held:  # read again with what follows: it is UTF-8, and LF ends a line as CRLF does
            self._buf = held + rest
        self._held = len(held)
        return out

    def _check_partial(self, buf: bytes) -> None:
        """Refuse a line that is already too long before its end has come. The limit counts
        bytes without the line end, so a last CR may be the start of one."""
        limit = self.max_line
        if len(buf) > limit and len(buf) - (buf[-1:] == b"\r") > limit:
            raise ProtocolError(f"line longer than {limit} bytes without a line end")

    def _blocks(self, text: str, out: list[Message]) -> str:
        """Read ``text`` (complete lines, each ended by LF) a message at a time; return the
        lines of an unfinished last message to read again with the next data ("": none).

        Messages are the blocks between blank lines. One read from a state of rest whose
        first line has a colon, and is not ``Response: Follows``, becomes a message at once,
        its headers kept as text; every other line goes through ``_lines``, one at a time:
        a message begun in an earlier read, raw ``Follows`` text (which may hold blank
        lines), the rare message whose first line has no colon. The unfinished last message
        is handed back when it is short and within the bounds (Asterisk writes an answer in
        a few writes, and a message read whole is read faster), else it goes to ``_lines``.
        """
        blocks = text.split("\n\n")
        tail = blocks.pop()  # the lines after the last blank line: a message not ended yet
        busy = self._raw or self._pairs or self._unparsed  # a message is in progress
        append = out.append
        types = self._types
        # A block has no blank line, so k lines take 2k - 1 characters: a shorter block is
        # within both bounds, and only a longer one is measured.
        big = min(self.max_message, 2 * self.max_message_lines + 1)
        for block in blocks:
            if not busy:
                if not block or block[0] == "\n":  # blank lines between messages: nothing
                    block = block.lstrip("\n")
                    if not block:
                        continue
                colon = block.find(":")
                end = block.find("\n")
                if colon >= 0 and (end < 0 or colon < end):  # a colon in the first line
                    first = block[:colon].lower()
                    start = colon + 2 if block.startswith(" ", colon + 1) else colon + 1
                    value = block[start:end] if end >= 0 else block[start:]
                    # old Command output (Response: Follows) is read raw, line by line
                    if first != "response" or value != "Follows":
                        if len(block) >= big:
                            self._measure(block)
                        if types is not None and first == "event":
                            cls = types.get(value) or self._type_of(value)
                            append(message_from_text(block, first, value, cls))
                        else:
                            append(message_from_text(block, first, value))
                        continue
            self._lines([*block.split("\n"), ""], out)
            busy = self._raw or self._pairs or self._unparsed
        if not busy:
            tail = tail.lstrip("\n")  # blank lines between messages: nothing
        if not tail:
            return ""
        if (
            not busy
            and len(tail) <= _HOLD
            and len(tail) <= self.max_message
            and tail.count("\n") <= self.max_message_lines
            and "\r" not in tail  # a CR that is text would end a line when read again
        ):
            return tail  # within the bounds, as _lines would find: nothing is let through
        self._lines(tail.split("\n")[:-1], out)
        return ""

    def _type_of(self, name: str) -> type[Event]:
        """The class of an event called ``name``, asked once a name (up to a bound: a server
        that makes up names does not fill the memory)."""
        assert self._event_type is not None and self._types is not None
        cls = self._event_type(name)
        if len(self._types) < 1024:
            self._types[name] = cls
        return cls

    def _message(self, pairs: list[tuple[str, str]], unparsed: tuple[str, ...]) -> Message:
        """The message of a block read line by line."""
        types = self._types
        if types is not None and pairs and pairs[0][0].lower() == "event":
            name = pairs[0][1]
            cls = types.get(name) or self._type_of(name)
            return message_from_pairs(pairs, unparsed, cls)
        return message_from_pairs(pairs, unparsed)

    def _raw_line(self, line: str, unparsed: list[str]) -> None:
        """Keep one line of raw CLI text; ``--END COMMAND--`` ends the text (``_raw = 2``:
        the blank line after it ends the message), and is not kept."""
        if line.endswith(END_COMMAND):
            line = line[: -len(END_COMMAND)]
            self._raw = 2
            if not line:
                return
        unparsed.append(line)

    def _measure(self, block: str) -> None:
        """Refuse a whole message (``block``: its lines joined by LF) past the bounds."""
        size = len(block) + 1
        count = block.count("\n") + 1
        if size > self.max_message or count > self.max_message_lines:
            header = block.partition("\n")[0]  # the fast path's blocks begin with one
            raise self._too_big(count, f"first header {header[:60]!r}")

    def _too_big(self, count: int, first: str) -> ProtocolError:
        """The error for a message past the bounds (``first`` says how it began); what the
        parser held of it is let go (the lists are emptied, not only dropped: a traceback may
        keep them referenced)."""
        self._pairs.clear()
        self._unparsed.clear()
        if count > self.max_message_lines:
            what = f"more than {self.max_message_lines} lines"
        else:
            what = f"more than {self.max_message} characters"
        end = "--END COMMAND--" if self._raw == 1 else "its blank line"
        return ProtocolError(f"message of {what} before {end} ({first})")

    def _lines(self, lines: list[str], out: list[Message]) -> None:
        pairs = self._pairs
        unparsed = self._unparsed
        size = self._size
        count = self._count
        for line in lines:
            raw = self._raw
            if not raw and pairs and pairs[0][1] == "Follows" and pairs[0][0].lower() == "response":
                # Any line but the few headers Asterisk writes first (a blank one too: the
                # text of ``core show settings`` begins with one) starts the raw CLI text.
                name, colon, _ = line.partition(":")
                if not colon or name.lower() not in _FOLLOWS_HEADERS:
                    self._raw = raw = 1
            if not line and raw != 1:  # a blank line ends the message (if one is under way)
                self._raw = 0
                size = count = 0
                if pairs or unparsed:
                    out.append(self._message(pairs, tuple(unparsed)))
                    pairs = self._pairs = []
                    unparsed = self._unparsed = []
                continue
            size += len(line) + 1
            count += 1
            if size > self.max_message or count > self.max_message_lines:
                if pairs:
                    first = f"first header {f'{pairs[0][0]}: {pairs[0][1]}'[:60]!r}"
                else:
                    first = f"first line {(unparsed or [line])[0][:60]!r}"
                raise self._too_big(count, first)
            if raw == 1:  # raw CLI text, blank lines included, up to --END COMMAND--
                self._raw_line(line, unparsed)
                continue
            if raw == 2:  # after --END COMMAND--, up to the blank line
                unparsed.append(line)
                continue
            name, colon, value = line.partition(":")
            if not colon:
                unparsed.append(line)
                continue
            if value[:1] == " ":
                value = value[1:]
            pairs.append((name, value))
        self._size = size
        self._count = count
