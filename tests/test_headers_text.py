"""Headers read by the parser stay text until walked: every lookup on that text answers as
the pairs do (the same streams read a line at a time, which keeps pairs from the start)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz import FRAGMENTS

from sdk import Event, Response
from sdk.wire.message import Headers, Message
from sdk.wire.parser import Parser

HEADERISH = [
    b"ActionID: a1",
    b"actionid: second",
    b"ACTIONID:no-space",
    b"ActionID:  two spaces",
    b"Event: PeerEntry",
    b"event:lower",
    b"Event:",
    b"ObjectName: phone1",
    b"X-ActionID: not it",
    b"Action ID: a blank in the name",
    b"a:b: c",
    b"Response: Success",
    b"Response: Follows",
    b"Message: x: y",
    b"\xe2\x84\xaa: kelvin sign",  # U+212A lowercases to ASCII "k"
    b"k: ascii k",
    b"Name\r: cr in the name",
]
LINE = st.one_of(st.sampled_from(HEADERISH), st.sampled_from(FRAGMENTS), st.binary(max_size=8))
STREAMS = st.lists(
    st.one_of(LINE.map(lambda line: line + b"\r\n"), st.just(b"\r\n"), st.just(b"\n")),
    max_size=40,
).map(b"".join)
ASKED = ["ActionID", "actionid", "ACTIONID", "Event", "EVENT", "ObjectName", "Message", "a"]
ASKED += ["a:b", "", ":", "Event\nx", "Event:", "X-ActionID", "Action ID", "k", "K", "\u212a"]
ASKED += ["Name\r", "Response", "missing", " Event", "Output"]


def read(stream: bytes, *, line_by_line: bool) -> list[Message]:
    parser = Parser(banner=False)
    if not line_by_line:
        return parser.feed(stream)
    out: list[Message] = []
    for i in range(len(stream)):  # a byte at a time: every line goes through the pairs
        out.extend(parser.feed(stream[i : i + 1]))
    return out


def lookups(message: Message, asked: list[str]) -> list[object]:
    out: list[object] = []
    for name in asked:
        out += [message.get(name), message.get(name, "-"), name in message, name in message.headers]
    out.append(message.action_id)
    if isinstance(message, Event):
        out.append(message.name)
    if isinstance(message, Response):
        out += [message.status, message.ok, message.message, message.is_list]
    return out


@settings(max_examples=1000)
@given(stream=STREAMS, extra=st.lists(st.text(max_size=6), max_size=3))
def test_lookups_on_the_text_answer_as_the_pairs(stream: bytes, extra: list[str]) -> None:
    asked = ASKED + extra
    texts = read(stream, line_by_line=False)
    pairs = read(stream, line_by_line=True)
    assert [type(m) for m in texts] == [type(m) for m in pairs]
    for fast, slow in zip(texts, pairs, strict=True):
        assert lookups(fast, asked) == lookups(slow, asked)  # before the text is split
        assert fast == slow
        assert fast.unparsed == slow.unparsed
        assert lookups(fast, asked) == lookups(slow, asked)  # and after


def test_a_message_read_whole_is_split_only_when_walked() -> None:
    stream = b"Event: PeerEntry\r\nObjectName: phone1\r\nnot a header\r\nStatus:  OK\r\n\r\n"
    (event,) = Parser(banner=False).feed(stream)
    assert isinstance(event, Event)
    headers = event.headers
    assert headers._pairs is None  # kept as text
    assert event.name == "PeerEntry"
    assert event.get("objectname") == "phone1"
    assert event.get("STATUS") == " OK"
    assert "status" in event and "not a header" not in event
    assert headers._pairs is None  # looked up, not split
    assert event.unparsed == ("not a header",)
    assert list(headers) == [("Event", "PeerEntry"), ("ObjectName", "phone1"), ("Status", " OK")]
    assert headers._pairs is not None  # split once, and kept


def test_non_ascii_text_is_split_before_it_is_looked_up() -> None:
    """Lowercase may move non-ASCII characters; those headers are looked up in pairs."""
    stream = "Event: X\r\nİ: dotted\r\nCallerIDName: Jürgen\r\n\r\n".encode()
    (event,) = Parser(banner=False).feed(stream)
    assert event.get("callerIDname") == "Jürgen"
    assert event.headers._pairs is not None
    assert event.get("i̇") == "dotted"  # İ lowercased: i and a combining dot
    assert Headers([("İ", "dotted")]).get("i̇") == "dotted"


def test_one_message_looked_up_and_walked_by_several_threads_at_once() -> None:
    """A callback may look headers up while another thread walks the same event."""
    stream = b"".join(
        b"Event: PeerEntry\r\nObjectName: phone%d\r\nStatus: OK\r\nx-y: %d\r\n\r\n" % (n, n)
        for n in range(10_000)
    )
    events = Parser(banner=False).feed(stream)
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def lookups() -> None:
        for n, event in enumerate(events):
            if event.get("objectname") != f"phone{n}" or "X-Y" not in event.headers:
                raise AssertionError(f"lookup {n}")

    def walks() -> None:
        for n, event in enumerate(events):
            if list(event.headers)[1] != ("ObjectName", f"phone{n}") or event.unparsed:
                raise AssertionError(f"walk {n}")

    def run(work: Callable[[], None]) -> None:
        start.wait()
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            failures.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [
            threading.Thread(target=run, args=(f,)) for f in (lookups, lookups, walks, walks)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures[:3]


SECOND_LINES = [b"ActionID: a1", b"ActionID:  two spaces ", b"ActionID: ", b"actionid: lower"]
SECOND_LINES += [b"ActionID:no-space", b"ActionIDs: other", b"Message: m", b"ActionID: a\rb"]


def test_a_response_reads_its_action_id_from_its_second_line_as_a_lookup_would() -> None:
    """The parser reads the ActionID that Asterisk writes second without a lookup: it must
    give what the header lookup gives, whatever that second line is."""
    for second in SECOND_LINES:
        for third in (b"", b"ActionID: later\r\n"):
            stream = b"Response: Success\r\n" + second + b"\r\n" + third + b"\r\n"
            (fast,) = read(stream, line_by_line=False)
            (slow,) = read(stream, line_by_line=True)
            assert isinstance(fast, Response)
            assert fast.action_id == slow.action_id == fast.headers.get("ActionID"), stream
