"""Reading AMI from bytes: an incremental parser that any split of the stream cannot fool.

The server sends one banner line (``Asterisk Call Manager/9.0.0``), then messages: lines
``Name: value`` ended by an empty line. Lines end in CRLF or a bare LF, nothing else (a
vertical tab or U+2028 inside a value is text). A header's name is what stands before the
first colon; its value is what follows, with one space removed so that Command output keeps
its indentation. A line that is not UTF-8 is read as latin-1, so no byte is lost. A line with
no colon stays in the message (``Message.unparsed``). Empty messages (the stray blank lines
Asterisk sometimes writes) are dropped.

Asterisk 13 and older answered Command with ``Response: Follows``, then raw CLI text ended by
``--END COMMAND--``; that text may hold colons and blank lines, so the parser reads it raw.
"""

from __future__ import annotations

from sdk.errors import ProtocolError
from sdk.message import Message, message_from_pairs

__all__ = ["BANNER_PREFIX", "DEFAULT_MAX_LINE", "END_COMMAND", "Parser"]

BANNER_PREFIX = "Asterisk Call Manager"
END_COMMAND = "--END COMMAND--"
DEFAULT_MAX_LINE = 256 * 1024

# Headers that may precede the raw text of a ``Response: Follows`` answer.
_FOLLOWS_HEADERS = frozenset({"response", "privilege", "actionid", "message"})


def _decode(chunk: bytes) -> list[str]:
    """Split ``chunk`` (complete lines, the last LF included) into lines without line ends.

    Each line is decoded as UTF-8, or as latin-1 when it is not valid UTF-8.
    """
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        lines = []
        for raw in chunk[:-1].split(b"\n"):
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(raw.decode("latin-1"))
        return lines
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text[:-1].split("\n")


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
        lines = _decode(chunk)
        if self.banner is None:
            self.banner = lines.pop(0)
        return self._lines(lines)

    def _check_partial(self, buf: bytes) -> None:
        """Refuse a line that is already too long before its end has come. The limit counts
        bytes without the line end, so a last CR may be the start of one."""
        limit = self.max_line
        if len(buf) > limit and len(buf) - (buf[-1:] == b"\r") > limit:
            raise ProtocolError(f"line longer than {limit} bytes without a line end")

    def _lines(self, lines: list[str]) -> list[Message]:
        out: list[Message] = []
        pairs = self._pairs
        unparsed = self._unparsed
        for line in lines:
            if self._raw == 1:  # raw CLI text, blank lines included, up to --END COMMAND--
                if line.endswith(END_COMMAND):
                    line = line[: -len(END_COMMAND)]
                    self._raw = 2
                    if not line:
                        continue
                unparsed.append(line)
                continue
            if self._raw == 2:
                if line:
                    unparsed.append(line)
                    continue
                self._raw = 0  # the blank line after --END COMMAND-- ends the message
            if not line:
                if pairs or unparsed:
                    out.append(message_from_pairs(pairs, tuple(unparsed)))
                    pairs = self._pairs = []
                    unparsed = self._unparsed = []
                continue
            name, colon, value = line.partition(":")
            if pairs and pairs[0][1] == "Follows" and pairs[0][0].lower() == "response":
                if not colon or name.lower() not in _FOLLOWS_HEADERS:
                    self._raw = 1  # the raw CLI text of an old-style Command answer
                    if line.endswith(END_COMMAND):
                        line = line[: -len(END_COMMAND)]
                        self._raw = 2
                    if line:
                        unparsed.append(line)
                    continue
            if not colon:
                unparsed.append(line)
                continue
            if value[:1] == " ":
                value = value[1:]
            pairs.append((name, value))
        return out
