"""The parser reads every recorded stream into the right messages, however it is split."""

from __future__ import annotations

import random

import pytest
from conftest import all_fixtures, load_fixture

from sdk import Event, Response
from sdk.errors import ProtocolError
from sdk.wire.message import Message
from sdk.wire.parser import Parser


def recorded_stream(name: str, version: str) -> bytes:
    data = load_fixture(name, version)
    return "".join(e["recv"] for e in data["exchanges"] if "recv" in e).encode("utf-8")


def reference_messages(stream: bytes) -> tuple[str, list[list[tuple[str, str]]]]:
    """An independent, non-incremental reading of a whole stream: split into lines at LF,
    a blank line ends a message, empty messages vanish, one space after the colon removed."""
    lines = stream.decode("utf-8").split("\n")
    assert lines[-1] == ""
    lines = [line.removesuffix("\r") for line in lines[:-1]]
    banner, rest = lines[0], lines[1:]
    messages: list[list[tuple[str, str]]] = [[]]
    for line in rest:
        if line == "":
            messages.append([])
        else:
            name, _, value = line.partition(":")
            messages[-1].append((name, value[1:] if value.startswith(" ") else value))
    return banner, [m for m in messages if m]


def parse(stream: bytes, sizes: list[int] | None = None) -> tuple[Parser, list[Message]]:
    parser = Parser()
    out: list[Message] = []
    if sizes is None:
        out.extend(parser.feed(stream))
        return parser, out
    pos = 0
    for size in sizes:
        out.extend(parser.feed(stream[pos : pos + size]))
        pos += size
    out.extend(parser.feed(stream[pos:]))
    return parser, out


@pytest.mark.parametrize(("version", "name"), all_fixtures())
def test_every_recorded_stream_parses_like_the_reference(version: str, name: str) -> None:
    stream = recorded_stream(name, version)
    banner, expected = reference_messages(stream)
    parser, messages = parse(stream)
    assert parser.banner == banner
    assert banner.startswith("Asterisk Call Manager/")
    assert [list(m.headers) for m in messages] == expected
    assert parser.buffered == 0
    for message in messages:
        first = message.headers[0][0]
        assert isinstance(message, Response if first == "Response" else Event)


@pytest.mark.parametrize(("version", "name"), all_fixtures())
def test_any_split_gives_the_same_messages(version: str, name: str) -> None:
    stream = recorded_stream(name, version)
    _, whole = parse(stream)
    _, byte_by_byte = parse(stream, [1] * len(stream))
    assert byte_by_byte == whole
    rng = random.Random(f"{version}/{name}")
    for _ in range(20):
        sizes = [rng.randint(1, 40) for _ in range(len(stream) // 10 + 1)]
        assert parse(stream, sizes)[1] == whole
    for cut in range(0, len(stream), max(1, len(stream) // 97)):
        assert parse(stream, [cut])[1] == whole


def test_stray_lf_inside_a_message_text_ends_it_and_the_blank_that_follows_is_dropped() -> None:
    stream = recorded_stream("pjsipnotify-unknown-option", "22.10.1")
    _, messages = parse(stream)
    last = messages[-1]
    assert isinstance(last, Response)
    assert last.message == "Unable to find notify type 'no-such-option'"
    assert last.action_id == "pj-4"
    assert len(messages) == 2  # the login answer and this one: the stray blank line is no message


def test_extra_blank_line_after_a_message_is_no_message() -> None:
    _, messages = parse(recorded_stream("sipshowpeer-unknown", "20.20.1"))
    assert [m.message for m in messages] == ["Authentication accepted", "Peer nosuch not found."]


def test_command_output_keeps_its_indentation_and_repeats() -> None:
    _, messages = parse(recorded_stream("command-output", "20.20.1"))
    output = messages[-1].getall("Output")
    assert len(output) == 4
    assert output[1].startswith("phone1                    127.0.0.1")
    assert output[1].endswith("  ")  # trailing blanks kept


def test_bare_lf_line_ends_and_crlf_mix() -> None:
    parser = Parser()
    msgs = parser.feed(
        b"Asterisk Call Manager/9.0.0\nResponse: Success\nActionID: 1\n\r\nEvent: X\r\nA: 1\n\n"
    )
    assert parser.banner == "Asterisk Call Manager/9.0.0"
    assert [list(m.headers) for m in msgs] == [
        [("Response", "Success"), ("ActionID", "1")],
        [("Event", "X"), ("A", "1")],
    ]


def test_only_cr_lf_end_lines_other_separators_are_text() -> None:
    parser = Parser(banner=False)
    text = "Event: X\r\nA: one\x0btwo\x85three\u2028four\rfive\x0cend\r\n\r\n"
    (msg,) = parser.feed(text.encode())
    assert msg.get("A") == "one\x0btwo\x85three\u2028four\rfive\x0cend"


def test_non_utf8_line_is_read_as_latin1_and_only_that_line() -> None:
    parser = Parser(banner=False)
    data = "Event: Newchannel\r\nCallerIDName: Jürgen\r\n".encode() + b"Other: caf\xe9\r\n\r\n"
    (msg,) = parser.feed(data)
    assert msg.get("CallerIDName") == "Jürgen"
    assert msg.get("Other") == "café"


def test_line_without_colon_is_kept_and_repeated_keys_keep_order() -> None:
    parser = Parser(banner=False)
    (msg,) = parser.feed(b"Response: Success\r\nno colon here\r\nV: 1\r\nv: 2\r\nV: 3\r\n\r\n")
    assert msg.unparsed == ("no colon here",)
    assert msg.getall("V") == ["1", "2", "3"]
    assert msg.get("v") == "1"
    assert msg.headers.as_dict() == {"Response": "Success", "V": "1", "v": "2"}


def test_value_loses_exactly_one_space() -> None:
    parser = Parser(banner=False)
    (msg,) = parser.feed(b"Event: X\r\nA:   three\r\nB:none\r\nC: \r\nD:\r\n\r\n")
    assert list(msg.headers)[1:] == [("A", "  three"), ("B", "none"), ("C", ""), ("D", "")]


def test_old_style_command_output_is_read_raw() -> None:
    parser = Parser(banner=False)
    data = (
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n"
        b"Name: not a header\nsecond line\n\nafter a blank\n--END COMMAND--\r\n\r\n"
        b"Response: Success\r\nActionID: p\r\n\r\n"
    )
    for size in (1, 7, len(data)):
        messages = parse_chunks(parser := Parser(banner=False), data, size)
        follows, ping = messages
        assert follows.get("ActionID") == "c1"
        assert follows.unparsed == ("Name: not a header", "second line", "", "after a blank")
        assert "Name" not in follows
        assert ping.action_id == "p"
        assert parser.buffered == 0


def parse_chunks(parser: Parser, data: bytes, size: int) -> list[Message]:
    out: list[Message] = []
    for pos in range(0, len(data), size):
        out.extend(parser.feed(data[pos : pos + size]))
    return out


def test_over_long_line_is_a_protocol_error() -> None:
    parser = Parser(banner=False, max_line=1000)
    with pytest.raises(ProtocolError, match="longer than 1000"):
        for _ in range(20):
            parser.feed(b"x" * 100)
    with pytest.raises(ProtocolError):
        Parser(banner=False, max_line=1000).feed(b"Event: " + b"y" * 2000 + b"\r\n\r\n")


def action_command_answer(action_id: str, text: str) -> bytes:
    """A Command answer as Asterisk 11's (to 13's) ``action_command`` wrote it: Response:
    Follows, Privilege: Command, the ActionID when one was given, the CLI text as the command
    wrote it (LF line ends), then ``--END COMMAND--`` and the blank line."""
    head = "Response: Follows\r\nPrivilege: Command\r\n"
    if action_id:
        head += f"ActionID: {action_id}\r\n"
    return (head + text + "--END COMMAND--\r\n\r\n").encode()


# CLI texts of Asterisk 13 that begin with blank lines (``core show settings``: one,
# ``sip show peer``: two), and one with a colon in its first line after them.
CORE_SHOW_SETTINGS = (
    "\nPBX Core settings\n-----------------\n  Version:                     13.38.3\n"
    "  Maximum calls:               Not set\n\n* Subsystems\n  -------------\n"
    "  Manager (AMI):               Enabled\n"
)
SIP_SHOW_PEER = (
    "\n\n  * Name       : phone1\n  Secret       : <Set>\n  Context      : default\n"
    "  Addr->IP     : 127.0.0.1:5070\n\n"
)


@pytest.mark.parametrize("text", [CORE_SHOW_SETTINGS, SIP_SHOW_PEER, "\n", "\n\nlast line"])
@pytest.mark.parametrize("action_id", ["c1", ""])
def test_old_style_command_text_that_begins_with_a_blank_line_is_its_output(
    text: str, action_id: str
) -> None:
    data = action_command_answer(action_id, text) + b"Response: Success\r\nActionID: p\r\n\r\n"
    expected = text.removesuffix("\n")  # the LF before --END COMMAND-- ends the last line
    _, whole = parse(b"Asterisk Call Manager/1.3\r\n" + data)
    assert len(whole) == 2, whole
    follows, ping = whole
    assert isinstance(follows, Response) and follows.status == "Follows"
    assert follows.action_id == (action_id or None)
    assert follows.get("Privilege") == "Command"
    assert follows.output == expected
    assert ping.action_id == "p"
    for size in (1, 2, 5, 13, len(data)):  # the line reader and the block splitter agree
        assert parse_chunks(Parser(banner=False), data, size) == whole


# Messages that may not end: a head, a line repeated, and what ends the message (before its
# blank line): header lines, lines without a colon, and raw CLI text (blank lines in it).
UNENDING = {
    "header lines": (b"Event: Flood\r\n", b"Filler: 0123456789\r\n", b""),
    "no blank line": (b"Response: Success\r\nActionID: p\r\n", b"text, no colon\r\n", b""),
    "no --END COMMAND--": (
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: c\r\n",
        b"cli: text\n\n",
        b"--END COMMAND--\r\n",
    ),
}


def measure(body: bytes) -> dict[str, int]:
    """The bounds ``body`` (a message's lines, without the blank line that ends it) just
    fits: its characters (a line end counts one) and its lines."""
    return {
        "max_message": len(body.replace(b"\r\n", b"\n")),
        "max_message_lines": body.count(b"\n"),
    }


@pytest.mark.parametrize("size", [1, 7, 64 * 1024])
@pytest.mark.parametrize("shape", UNENDING)
def test_a_message_at_its_bounds_passes_and_a_longer_one_is_refused_before_it_ends(
    shape: str, size: int
) -> None:
    head, line, end = UNENDING[shape]
    body = head + line * 20 + end
    fits = measure(body)
    longer = head + line * 25  # and never its end
    first = head.split(b"\r\n")[0].decode()
    for name, limit in fits.items():
        (message,) = parse_chunks(Parser(banner=False, **{name: limit}), body + b"\r\n", size)
        assert f"{message.headers[0][0]}: {message.headers[0][1]}" == first
        kept = len(message.headers) + len(message.unparsed)
        assert kept == fits["max_message_lines"] - (1 if end else 0)  # not --END COMMAND--
        with pytest.raises(ProtocolError, match="message of more than") as excinfo:
            parse_chunks(Parser(banner=False, **{name: limit}), longer, size)
        assert f"(first header {first!r})" in str(excinfo.value)
        assert ("--END COMMAND--" in str(excinfo.value)) == bool(end)
        with pytest.raises(ProtocolError, match="message of more than"):  # ended, too long
            parse_chunks(Parser(banner=False, **{name: limit}), longer + end + b"\r\n", size)


def test_the_message_bounds_count_each_message_afresh() -> None:
    head, line, end = UNENDING["header lines"]
    body = head + line * 20 + end
    parser = Parser(banner=False, **measure(body))
    assert len(parse_chunks(parser, (body + b"\r\n\r\n") * 50, 1000)) == 50
    assert parser.feed(body[:-1]) == [] and parser.feed(b"\n\r\n") != []
