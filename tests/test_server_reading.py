"""The embedded server splits requests as manager.c does, however the bytes arrive, and
as it did when it sliced its buffer a line at a time (kept here as the reference)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sdk.model.checks import MAX_LINE_BYTES as MAX_LINE
from sdk.model.checks import MAX_LINES as MAX_HEADERS
from sdk.testing.request import ReceivedMessage
from sdk.testing.server import Connection


class Reader(Connection):
    """A connection without a socket: what it reads is kept, nothing is answered."""

    def __init__(self) -> None:  # no server, no transport
        self.closed = False
        self.peer = ("127.0.0.1", 1)
        self._buf = b""
        self._lines: list[str] = []
        self._too_long = False
        self._lost_lines = False
        self.read: list[tuple[str, Any]] = []
        self.server = self  # type: ignore[assignment]

    def _record(self, request: Any) -> None:
        self.read.append(("request", list(request.headers) + list(request.unparsed)))

    def error(self, request: Any, message: str) -> None:
        self.read.append(("error", message))

    def _process(self, request: Any) -> None:
        self.read.append(("process", request.action))


def reference(stream: bytes) -> list[tuple[str, Any]]:
    """What the server read before it kept an offset, written plainly: the whole stream (a
    buffer's content does not depend on how it came), cut a line at a time."""
    out: list[tuple[str, Any]] = []
    lines: list[str] = []
    too_long = lost = False
    rest = stream
    while (cut := rest.find(b"\n", 0, MAX_LINE)) >= 0 or len(rest) >= MAX_LINE:
        if cut < 0:  # no line end in MAX_LINE bytes: drop all but the last of them
            rest, too_long = rest[MAX_LINE - 1 :], True
            continue
        line, rest = (
            rest[:cut].removesuffix(b"\r").decode("utf-8", "surrogateescape"),
            rest[cut + 1 :],
        )
        if not line:
            request = ReceivedMessage(lines, ("127.0.0.1", 1))
            out.append(("request", list(request.headers) + list(request.unparsed)))
            if lost or too_long:
                why = "Too many lines in message or allocation failure" if lost else ""
                out.append(("error", why or "Failed to parse message: line too long"))
            else:
                out.append(("process", request.action))
            lines, too_long, lost = [], False, False
        elif len(lines) < MAX_HEADERS:
            lines.append(line)
        else:
            lost = True
    return out


LINES = st.sampled_from(
    [
        b"Action: Ping",
        b"ActionID: a1",
        b"Action: SIPnotify",
        b"Variable: Event=check-sync",
        b"",
        b"\r",
        b"no colon",
        b"x" * (MAX_LINE - 2),
        b"y" * (MAX_LINE - 1),
        b"z" * MAX_LINE,
        b"w" * (2 * MAX_LINE + 5),
    ]
)
STREAMS = st.lists(
    st.tuples(LINES, st.sampled_from([b"\r\n", b"\n"])).map(b"".join), max_size=30
).map(b"".join)


@settings(max_examples=300)
@given(
    stream=st.one_of(STREAMS, STREAMS.map(lambda s: s * 50)),  # long reads, many lines
    cuts=st.lists(st.integers(0, 4000), max_size=6),
)
def test_requests_are_read_as_before_however_the_bytes_come(stream: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(stream)) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    reader = Reader()
    for chunk in chunks:
        reader._on_data(chunk)
    assert reader.read == reference(stream)
    whole = Reader()
    whole._on_data(stream)
    assert whole.read == reader.read
    assert whole._buf == reader._buf


def test_many_requests_in_one_read() -> None:
    reader = Reader()
    reader._on_data(b"Action: Ping\r\nActionID: p\r\n\r\n" * 20_000)
    assert [kind for kind, _ in reader.read].count("process") == 20_000
    assert reader._buf == b""
