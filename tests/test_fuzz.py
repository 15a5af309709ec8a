"""Property tests (hypothesis): the parser cannot be fooled by how bytes are split, and no
value an action accepts is changed or smuggles anything on its way to the server.

Runs are derandomized (the profile in conftest.py), so CI sees the same examples each time;
``HYPOTHESIS_PROFILE=explore`` draws new ones. Example counts keep the file to seconds.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from sdk import Action, Session, ValidationError
from sdk.actions import ACTIONS, UserEvent
from sdk.errors import ProtocolError
from sdk.model.fields import FieldInfo
from sdk.model.received import Received
from sdk.testing import AMIServer
from sdk.wire.message import Message

# --- the parser -------------------------------------------------------------------------------

FRAGMENTS = [
    b"Asterisk Call Manager/9.0.0",
    b"Response: Success",
    b"Response: Follows",
    b"Response: Error",
    b"Event: PeerEntry",
    b"ActionID: a1",
    b"EventList: start",
    b"Privilege: Command",
    b"--END COMMAND--",
    b"Output:   indented",
    b"no colon here",
    b": empty name",
    b"Name:",
    b"CallerIDName: J\xfcrgen",  # latin-1, not UTF-8
    "CallerIDName: Jürgen ☎".encode(),
    b"\xff\xfe\x00",
    b"\x0b",
    b"\xc2\x85",  # U+0085 NEXT LINE, UTF-8
    "\u2028\u2029".encode(),
    b"\r",
    b"\n",
    b"\r\n",
    b"\r\n\r\n",
    b" ",
    b":",
]

streams = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=12)), max_size=40).map(
    b"".join
)


def parse(
    chunks: list[bytes], *, banner: bool, max_line: int, **limits: int
) -> tuple[list[Message], Any]:
    """Messages parsed and, as the last item, the ProtocolError or the parser's end state."""
    from sdk.wire.parser import Parser

    parser = Parser(banner=banner, max_line=max_line, **limits)
    out: list[Message] = []
    try:
        for chunk in chunks:
            out.extend(parser.feed(chunk))
    except ProtocolError as exc:  # the only exception allowed
        return out, exc
    return out, (parser.banner, parser.buffered)


def near(values: set[int]) -> st.SearchStrategy[int]:
    """One of ``values``, give or take one (the limits worth trying are at a size)."""
    return st.sampled_from(sorted({n + d for n in values for d in (-1, 0, 1) if n + d > 0}))


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:], strict=False)]


@settings(max_examples=1000)
@given(
    data=streams,
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=12),
    banner=st.booleans(),
    draw=st.data(),
)
def test_any_split_parses_as_one_piece(
    data: bytes, cuts: list[int], banner: bool, draw: st.DataObject
) -> None:
    # The interesting limits are those at a line's length, give or take a byte.
    lengths = {len(line) for line in data.split(b"\n")}
    max_line = draw.draw(near(lengths | {256 * 1024}), label="max_line")
    # A message's bounds, near the sizes of the messages (in characters and lines) or far.
    message = {
        "max_message": draw.draw(st.sampled_from([2, 5, 9, 17, 33, 64, 100, 10**9])),
        "max_message_lines": draw.draw(st.sampled_from([1, 2, 3, 4, 6, 9, 10**9])),
    }
    whole, whole_end = parse([data], banner=banner, max_line=max_line, **message)
    # Random cuts, and a byte at a time: every line through the line reader.
    for chunks in (split(data, cuts), split(data, list(range(len(data))))):
        pieces, pieces_end = parse(chunks, banner=banner, max_line=max_line, **message)
        if isinstance(whole_end, ProtocolError):
            # Both see the over-long line or message; the split run may have read the
            # messages before it.
            assert isinstance(pieces_end, ProtocolError)
            unbounded, _ = parse([data], banner=banner, max_line=10**9)
            assert pieces == unbounded[: len(pieces)]
        else:
            assert pieces == whole
            assert pieces_end == whole_end


# Streams of whole lines (the fragments above as lines, blank lines between), so that messages
# of several lines, Follows answers and their raw text are common.
LINES = st.one_of(st.sampled_from([f for f in FRAGMENTS if b"\n" not in f]), st.just(b""))
line_streams = st.lists(
    st.tuples(LINES, st.sampled_from([b"\r\n", b"\n"])).map(b"".join), max_size=40
).map(b"".join)


@settings(max_examples=1000)
@given(
    data=line_streams,
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=12),
    draw=st.data(),
)
def test_a_message_past_its_bounds_is_refused_however_it_is_split(
    data: bytes, cuts: list[int], draw: st.DataObject
) -> None:
    """The block splitter and the line reader count a message alike (characters, a line end
    as one; lines), so that where it is cut never decides whether it passes."""
    # The interesting bounds are those at a message's size, give or take one: roughly the
    # blocks between blank lines (characters, a line end counted as one; lines).
    blocks = data.replace(b"\r\n", b"\n").decode("latin-1").split("\n\n")
    sizes = {len(b.strip("\n")) + 1 for b in blocks} | {1, 10**9}
    counts = {b.strip("\n").count("\n") + 1 for b in blocks} | {1, 10**9}
    limits = {
        "max_message": draw.draw(near(sizes), label="max_message"),
        "max_message_lines": draw.draw(near(counts), label="max_message_lines"),
    }
    whole, whole_end = parse([data], banner=False, max_line=1024, **limits)
    unbounded, _ = parse([data], banner=False, max_line=1024)
    if not isinstance(whole_end, ProtocolError):
        assert whole == unbounded
    for chunks in (split(data, cuts), split(data, list(range(len(data))))):
        pieces, pieces_end = parse(chunks, banner=False, max_line=1024, **limits)
        assert isinstance(pieces_end, ProtocolError) == isinstance(whole_end, ProtocolError)
        if isinstance(whole_end, ProtocolError):
            assert pieces == unbounded[: len(pieces)]
        else:
            assert (pieces, pieces_end) == (whole, whole_end)


@settings(max_examples=200)
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=8))
def test_raw_bytes_raise_nothing_but_protocol_error(data: bytes, cuts: list[int]) -> None:
    for max_line in (16, 1024):
        whole, whole_end = parse([data], banner=True, max_line=max_line)
        pieces, pieces_end = parse(split(data, cuts), banner=True, max_line=max_line)
        assert isinstance(whole_end, ProtocolError) == isinstance(pieces_end, ProtocolError)
        if not isinstance(whole_end, ProtocolError):
            assert (pieces, pieces_end) == (whole, whole_end)


# Lines of CLI text as a ``Response: Follows`` answer carries it: blank ones, ones that look
# like headers (even those Asterisk writes before the text), stray CRs, any other text.
CLI_LINES = ["", "Name: value", "ActionID: other", "Privilege: x", "Response: Success", ":"]
CLI_LINES += ["  indented:  ", "--END", "COMMAND--", "cr\r", "\r", "J\xfcrgen \u260e"]
CLI_TEXT = (
    st.lists(st.one_of(st.sampled_from(CLI_LINES), st.text(max_size=6)), max_size=12)
    .map("\n".join)
    .flatmap(lambda text: st.sampled_from([text, text + "\n"]))
    .filter(lambda text: "--END COMMAND--" not in text)
    .filter(  # a first line that is one of the headers before the text would be taken as one
        lambda text: (
            text.split("\n")[0].partition(":")[0].lower() not in FOLLOWS_HEADERS
            or ":" not in text.split("\n")[0]
        )
    )
)
FOLLOWS_HEADERS = {"response", "privilege", "actionid", "message"}


@settings(max_examples=500)
@given(
    text=CLI_TEXT,
    action_id=st.sampled_from(["", "c-1"]),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=10),
)
def test_old_style_command_text_is_the_output_however_it_is_split(
    text: str, action_id: str, cuts: list[int]
) -> None:
    """Everything between the headers of a ``Response: Follows`` answer and ``--END
    COMMAND--`` is its output, blank lines included (as Asterisk 11's action_command wrote
    it), whether the block splitter reads it or the line reader."""
    head = "Response: Follows\r\nPrivilege: Command\r\n"
    head += f"ActionID: {action_id}\r\n" if action_id else ""
    data = (head + text + "--END COMMAND--\r\n\r\nEvent: After\r\n\r\n").encode()
    whole, whole_end = parse([data], banner=False, max_line=1024)
    assert [type(m).__name__ for m in whole] == ["Response", "Event"]
    assert whole[0].output == text.replace("\r\n", "\n").removesuffix("\n")
    assert whole[0].action_id == (action_id or None)
    assert parse(split(data, cuts), banner=False, max_line=1024) == (whole, whole_end)
    assert parse(split(data, list(range(len(data)))), banner=False, max_line=1024)[0] == whole


def test_line_limit_counts_bytes_without_the_line_end() -> None:
    """Found by the split test: the limit counted characters in one piece, bytes in parts."""
    from sdk.wire.parser import Parser

    line = "Event: " + "é" * 10  # 7 + 20 bytes, 17 characters
    data = (line + "\r\n\r\n").encode()
    for max_line in (27, 26):
        results = []
        for chunks in ([data], [data[:20], data[20:]], [data[:28], data[28:]]):
            parser = Parser(banner=False, max_line=max_line)
            try:
                results.append([m.get("Event") for c in chunks for m in parser.feed(c)])
            except ProtocolError:
                results.append("error")
        assert results == ([["é" * 10]] * 3 if max_line == 27 else ["error"] * 3)


# --- actions ---------------------------------------------------------------------------------

SPECIAL = ["\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1c", "\t", " ", ",", '"', "\\"]
SPECIAL += ["(", ")", "[", "]", "=", ":", ";", "ü", "☎", "\U0001f4de", "\x7f"]
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00")
TEXT = st.lists(st.one_of(CHARS, st.sampled_from(SPECIAL)), max_size=24).map("".join)
SIP_TOKEN_CHARS = string.ascii_letters + string.digits + "-.!%*_+`'~"
HEADER_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != ":")


def value_strategy(info: FieldInfo, own_headers: frozenset[str]) -> st.SearchStrategy[Any]:
    kind = info.kind
    if kind == "integer":
        return st.integers(min_value=-(2**40), max_value=2**40)
    if kind == "boolean":
        return st.booleans()
    if kind == "enum":
        return st.sampled_from(info.choices).flatmap(
            lambda c: st.sampled_from([c, c.lower(), c.upper()])
        )
    if kind == "variables":
        if info.name_rule == "sip-token":
            names = st.text(SIP_TOKEN_CHARS, min_size=1, max_size=12)
        else:
            names = st.text(CHARS.filter(lambda c: c != "="), min_size=1, max_size=12)
        return st.lists(st.tuples(names, TEXT), min_size=info.min_items, max_size=5)
    if kind == "headers":
        names = st.text(HEADER_CHARS, min_size=1, max_size=12).filter(
            lambda n: n.lower() not in own_headers
        )
        return st.lists(st.tuples(names, TEXT), max_size=5)
    if kind == "indexed":
        members = {m: value_strategy(minfo, own_headers) for m, minfo in info.members}
        required = {m for m, minfo in info.members if minfo.required}
        group = st.fixed_dictionaries(
            {m: s for m, s in members.items() if m in required},
            optional={m: s for m, s in members.items() if m not in required},
        )
        return st.lists(group, min_size=info.min_items, max_size=3)
    return TEXT


@st.composite
def action_kwargs(draw: st.DrawFn, cls: type[Action]) -> dict[str, Any]:
    own = frozenset(
        {"action", "actionid"} | {i.header.lower() for _, i in cls.fields() if i.kind != "headers"}
    )
    kwargs: dict[str, Any] = {}
    for name, info in cls.fields():
        strategy = value_strategy(info, own)
        if info.required or info.min_items:
            kwargs[name] = draw(strategy)
        else:
            value = draw(st.none() | strategy)
            if value is not None:
                kwargs[name] = value
    action_id = draw(st.none() | TEXT.filter(bool))
    if action_id is not None:
        kwargs["action_id"] = action_id
    return kwargs


def scalar(info: FieldInfo, value: Any) -> Any:
    """What a scalar means on the wire (``True`` and ``"true"``, ``"on"`` and ``"ON"``...)."""
    if value is None or value == "":
        return None
    if info.kind == "boolean":
        return value if isinstance(value, bool) else value.lower() in ("true", "yes")
    if info.kind == "enum":
        return value.lower()
    return value


def wire_values(action: Action) -> dict[str, Any]:
    """What each field means on the wire, so a sent and a received action compare."""
    out: dict[str, Any] = {}
    for name, info in action.fields():
        value = getattr(action, name)
        if info.kind in ("variables", "headers"):
            out[name] = [tuple(pair) for pair in value]
        elif info.kind == "indexed":
            out[name] = [
                {m: scalar(minfo, group.get(m)) for m, minfo in info.members} for group in value
            ]
        else:
            out[name] = scalar(info, value)
    return out


class AckEverything:
    """Handlers that only say Success (with an empty list for a list action): the test
    looks at what the server read, nothing else."""

    def process(self, conn: Any, request: Any) -> None:
        cls = ACTIONS.get(request.action or "")
        complete = cls.LIST_COMPLETE if cls is not None else None
        if complete is None:
            conn.ack(request)
            return
        conn.respond(request, "Success", list_start=True)
        action_id = request.get("ActionID")
        conn.event(
            complete,
            [*([("ActionID", action_id)] if action_id else []), ("EventList", "Complete")],
        )


@pytest.fixture(scope="module")
def recording() -> Iterator[tuple[AMIServer, Session]]:
    with AMIServer.as_recorded() as pbx:
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret", timeout=10) as ami:
            real = pbx.handlers
            pbx.handlers = AckEverything()  # type: ignore[assignment]
            try:
                yield pbx, ami
            finally:
                pbx.handlers = real


# Every action gets a few examples; those whose fields are the hardest to carry intact (pairs,
# escaped variables, numbered groups) get more.
EXAMPLES = {"SIPnotify": 150, "PJSIPNotify": 100, "UserEvent": 100, "Originate": 60}
EXAMPLES |= {"UpdateConfig": 60, "AOCMessage": 60, "Setvar": 40, "Login": 40}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_any_accepted_action_reaches_the_server_with_equal_values(
    name: str, recording: tuple[AMIServer, Session]
) -> None:
    pbx, ami = recording
    cls = ACTIONS[name]

    @settings(
        max_examples=EXAMPLES.get(name, 12), suppress_health_check=[HealthCheck.filter_too_much]
    )
    @given(kwargs=action_kwargs(cls))
    def check(kwargs: dict[str, Any]) -> None:
        try:
            action = cls(**kwargs)
        except ValidationError:
            reject()
        response = ami.send(action)
        action_id = response.action_id
        assert action_id == (action.action_id or action_id) and action_id
        received = pbx.received[-1]  # one action at a time, nothing else is sent
        assert received.get("ActionID") == action_id
        back = Received(cls, received)
        assert back.action_id == action_id
        assert wire_values(back) == wire_values(action)
        assert received.action == cls.ACTION

    check()


def poison(cls: type[Action], kwargs: dict[str, Any], field: str, bad: str, where: int) -> bool:
    """Put ``bad`` into the text of ``field`` (into a pair's name or value, or a group's text
    member); False when the field holds no text."""
    info = dict(cls.fields()).get(field)
    kind = info.kind if info is not None else "string"

    def spoil(text: str | None) -> str:
        text = text or "x"
        return text[:where] + bad + text[where:]

    if kind in ("variables", "headers"):
        pairs = list(kwargs.get(field) or [("Name", "value")])
        pair_name, pair_value = pairs[0]
        pairs[0] = (spoil(pair_name), pair_value) if where % 2 else (pair_name, spoil(pair_value))
        kwargs[field] = pairs
    elif kind == "indexed":
        texts = [m for m, minfo in info.members if minfo.kind == "string"]  # type: ignore[union-attr]
        if not texts:
            return False
        groups = [dict(g) for g in kwargs.get(field) or [{}]]
        groups[0][texts[0]] = spoil(groups[0].get(texts[0]))
        kwargs[field] = groups
    elif kind == "string":
        kwargs[field] = spoil(kwargs.get(field))
    else:
        return False
    return True


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_cr_lf_or_nul_in_any_text_is_refused(name: str) -> None:
    cls = ACTIONS[name]
    fields = ["action_id", *(n for n, i in cls.fields() if i.kind not in SCALARS)]

    @settings(max_examples=10, suppress_health_check=[HealthCheck.filter_too_much])
    @given(
        kwargs=action_kwargs(cls),
        field=st.sampled_from(fields),
        bad=st.sampled_from(["\r", "\n", "\x00", "\r\n"]),
        where=st.integers(min_value=0, max_value=30),
    )
    def check(kwargs: dict[str, Any], field: str, bad: str, where: int) -> None:
        try:
            cls(**kwargs)
        except ValidationError:
            reject()
        if not poison(cls, kwargs, field, bad, where):
            reject()
        with pytest.raises(ValidationError) as excinfo:
            cls(**kwargs)
        assert any(p.field == field for p in excinfo.value.errors), excinfo.value
        if field == "action_id":
            kwargs.pop("action_id")
            with pytest.raises(ValidationError, match="CR, LF or NUL"):
                cls(**kwargs).to_bytes(action_id=f"id{bad}Action: Originate")

    check()


SCALARS = ("integer", "boolean", "enum")


SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("sep", SEPARATORS)
def test_other_line_separators_pass_through_unchanged(
    sep: str, recording: tuple[AMIServer, Session]
) -> None:
    """Only LF (and CR, NUL) may not be sent; these are text, there and back."""
    pbx, ami = recording
    values = [f"a{sep}b", f"tail{sep}", f"{sep}{sep}mid{sep}x"[2:]]
    action = UserEvent(
        user_event=f"Sep{sep}x", headers=[(f"H{i}", v) for i, v in enumerate(values)]
    )
    ami.send(action)
    received = pbx.received[-1]
    assert received.get("UserEvent") == f"Sep{sep}x"
    assert [received.get(f"H{i}") for i in range(len(values))] == values
    # The client's parser reads them back unchanged from the server's bytes, too.
    raw = "".join(f"H{i}: {v}\r\n" for i, v in enumerate(values)).encode()
    from sdk.wire.parser import Parser

    (event,) = Parser(banner=False).feed(b"Event: UserEvent\r\n" + raw + b"\r\n")
    assert [event.get(f"H{i}") for i in range(len(values))] == values


@pytest.mark.parametrize("sep", SEPARATORS)
def test_a_value_may_not_start_with_what_asterisk_strips(sep: str) -> None:
    """Asterisk skips every byte below 33 at the start of a value (``ast_skip_blanks``):
    such a first character would be lost, so it is refused, not sent."""
    if ord(sep) < 33:
        with pytest.raises(ValidationError, match="must not start with"):
            UserEvent(user_event=f"{sep}name")
    else:  # U+0085 and U+2028 are several bytes, all above 127: nothing is stripped
        assert UserEvent(user_event=f"{sep}name").user_event == f"{sep}name"
