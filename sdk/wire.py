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

For speed, a read is cut into messages at blank lines first, and a whole message that needs
nothing special keeps its headers as text (``sdk.message.Headers``); everything else goes
through the line-by-line reader, and both give the same messages.
"""

from __future__ import annotations

from sdk.errors import ProtocolError
from sdk.message import Message, message_from_pairs, message_from_text

__all__ = ["BANNER_PREFIX", "DEFAULT_MAX_LINE", "END_COMMAND", "Parser"]

BANNER_PREFIX = "Asterisk Call Manager"
END_COMMAND = "--END COMMAND--"
DEFAULT_MAX_LINE = 256 * 1024

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
    the first line is the banner, kept in ``.banner``. A line (the banner included) of more
    than ``max_line`` bytes, its line end not counted, raises ``ProtocolError``: as soon as
    that many bytes have come without a line end, so a peer cannot make it buffer without
    bound. The parser is not usable after that error. Nothing else raises.
    """

    __slots__ = ("_buf", "_pairs", "_raw", "_unparsed", "banner", "max_line")

    def __init__(self, *, banner: bool = True, max_line: int = DEFAULT_MAX_LINE) -> None:
        self.banner: str | None = None if banner else ""
        self.max_line = max_line
        self._buf = b""
        self._pairs: list[tuple[str, str]] = []
        self._unparsed: list[str] = []
        self._raw = 0  # 0: headers; 1: raw Follows text; 2: raw text ended, waiting for blank

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet make a complete line."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        buf = self._buf + data if self._buf else bytes(data)
        end = buf.rfind(b"\n")
        limit = self.max_line
        if end < 0:
            self._check_partial(buf)
            self._buf = buf
            return []
        rest = buf[end + 1 :]
        self._check_partial(rest)
        self._buf = rest
        chunk = buf[: end + 1]
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
        self._blocks(text, out)
        return out

    def _check_partial(self, buf: bytes) -> None:
        """Refuse a line that is already too long before its end has come. The limit counts
        bytes without the line end, so a last CR may be the start of one."""
        limit = self.max_line
        if len(buf) > limit and len(buf) - (buf[-1:] == b"\r") > limit:
            raise ProtocolError(f"line longer than {limit} bytes without a line end")

    def _blocks(self, text: str, out: list[Message]) -> None:
        """Read ``text`` (complete lines, each ended by LF) a message at a time.

        Messages are the blocks between blank lines. One read from a state of rest whose
        first line has a colon, and is not ``Response: Follows``, becomes a message at once,
        its headers kept as text; every other line goes through ``_lines``, one at a time:
        a message begun in an earlier read, raw ``Follows`` text (which may hold blank
        lines), the rare message whose first line has no colon, and the unfinished last one.
        """
        blocks = text.split("\n\n")
        tail = blocks.pop()  # the lines after the last blank line: a message not ended yet
        busy = self._raw or self._pairs or self._unparsed  # a message is in progress
        append = out.append
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
                        append(message_from_text(block, first, value))
                        continue
            self._lines([*block.split("\n"), ""], out)
            busy = self._raw or self._pairs or self._unparsed
        if tail:
            self._lines(tail.split("\n")[:-1], out)

    def _raw_line(self, line: str, unparsed: list[str]) -> None:
        """Keep one line of raw CLI text; ``--END COMMAND--`` ends the text (``_raw = 2``:
        the blank line after it ends the message), and is not kept."""
        if line.endswith(END_COMMAND):
            line = line[: -len(END_COMMAND)]
            self._raw = 2
            if not line:
                return
        unparsed.append(line)

    def _lines(self, lines: list[str], out: list[Message]) -> None:
        pairs = self._pairs
        unparsed = self._unparsed
        for line in lines:
            if self._raw == 1:  # raw CLI text, blank lines included, up to --END COMMAND--
                self._raw_line(line, unparsed)
                continue
            if self._raw == 2:
                if line:
                    unparsed.append(line)
                    continue
                self._raw = 0  # the blank line after --END COMMAND-- ends the message
            elif pairs and pairs[0][1] == "Follows" and pairs[0][0].lower() == "response":
                # Any line but the few headers Asterisk writes first (a blank one too: the
                # text of ``core show settings`` begins with one) starts the raw CLI text.
                name, colon, _ = line.partition(":")
                if not colon or name.lower() not in _FOLLOWS_HEADERS:
                    self._raw = 1
                    self._raw_line(line, unparsed)
                    continue
            if not line:
                if pairs or unparsed:
                    out.append(message_from_pairs(pairs, tuple(unparsed)))
                    pairs = self._pairs = []
                    unparsed = self._unparsed = []
                continue
            name, colon, value = line.partition(":")
            if not colon:
                unparsed.append(line)
                continue
            if value[:1] == " ":
                value = value[1:]
            pairs.append((name, value))
