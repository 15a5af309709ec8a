"""The generated SIPnotify class: construction, validation, exact bytes, and the way back."""

from __future__ import annotations

import attrs
import pytest

from sdk import Action, FieldProblem, ValidationError, Variables
from sdk.actions import ACTIONS, Login, Ping, SIPnotify, UserEvent
from sdk.model.fields import METADATA_KEY, escape_variable_value, split_variables
from sdk.model.received import Received
from sdk.wire.message import Headers, Message


def problems(excinfo: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str | None, str]]:
    return [(p.field, p.message) for p in excinfo.value.errors]


def test_shape_of_the_generated_class() -> None:
    fields = {f.name: f for f in attrs.fields(SIPnotify)}
    assert list(n for n in fields if not n.startswith("_")) == [
        "action_id",
        "channel",
        "variables",
        "call_id",
    ]
    assert fields["channel"].metadata[METADATA_KEY].required
    assert fields["channel"].metadata[METADATA_KEY].header == "Channel"
    assert fields["call_id"].metadata[METADATA_KEY].header == "Call-ID"
    assert fields["variables"].metadata[METADATA_KEY].kind == "variables"
    assert SIPnotify.ACTION == "SIPnotify"
    assert SIPnotify.SUCCESS_MESSAGE == "Notify Sent"
    action = SIPnotify(channel="phone1", variables={"Event": "check-sync"})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        action.channel = "phone2"  # type: ignore[misc]
    with pytest.raises(TypeError):
        SIPnotify("phone1")  # type: ignore[misc]  # keyword-only
    assert ACTIONS["sipnotify"] is SIPnotify


def test_exact_wire_bytes() -> None:
    action = SIPnotify(
        channel="phone1",
        variables=[
            ("Event", "check-sync"),
            ("Content-Type", "text/plain"),
            ("Content", "hello"),
            ("Content", "world"),
        ],
    )
    assert action.to_bytes(action_id="n-1") == (
        b"Action: SIPnotify\r\nActionID: n-1\r\nChannel: phone1\r\n"
        b"Variable: Event=check-sync\r\nVariable: Content-Type=text/plain\r\n"
        b"Variable: Content=hello\r\nVariable: Content=world\r\n\r\n"
    )
    with_call = SIPnotify(
        channel="SIP/phone1", variables="Event=talk", call_id="abc@host", action_id="mine"
    )
    assert with_call.to_bytes() == (
        b"Action: SIPnotify\r\nActionID: mine\r\nChannel: SIP/phone1\r\nVariable: Event=talk\r\nCall-ID: abc@host\r\n\r\n"
    )
    assert with_call.to_bytes(action_id="other").startswith(
        b"Action: SIPnotify\r\nActionID: other\r\n"
    )
    assert Ping().to_bytes() == b"Action: Ping\r\n\r\n"


@pytest.mark.parametrize(
    "variables",
    [
        {"Event": "check-sync", "Content-Type": "text/plain"},
        [("Event", "check-sync"), ("Content-Type", "text/plain")],
        ["Event=check-sync", "Content-Type=text/plain"],
        [["Event", "check-sync"], "Content-Type=text/plain"],
        Variables([("Event", "check-sync"), ("Content-Type", "text/plain")]),
    ],
)
def test_variables_accept_dicts_pairs_and_strings_in_order(variables: object) -> None:
    action = SIPnotify(channel="p", variables=variables)
    assert list(action.variables) == [("Event", "check-sync"), ("Content-Type", "text/plain")]


def test_a_name_may_repeat_and_order_is_kept() -> None:
    action = SIPnotify(channel="p", variables=["Content=b", "Event=x", "Content=a"])
    assert list(action.variables) == [("Content", "b"), ("Event", "x"), ("Content", "a")]
    assert action.variables.get("Content") == "b"


def test_everything_wrong_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as excinfo:
        SIPnotify(variables=[], call_id=" leading")
    assert problems(excinfo) == [
        ("channel", "is required"),
        ("variables", "needs at least one Variable (name=value)"),
        (
            "call_id",
            "must not start with a blank: Asterisk strips leading blanks from header values",
        ),
    ]
    error = excinfo.value
    assert isinstance(error, ValueError)
    assert error.action == "SIPnotify"
    assert error.errors[0] == FieldProblem("channel", "Channel", "is required")
    assert "channel (Channel): is required" in str(error)


@pytest.mark.parametrize(
    "bad", ["a\rb", "a\nb", "a\x00b", "phone1\r\n\r\nAction: Originate", "\r\n"]
)
def test_cr_lf_nul_refused_in_every_place(bad: str) -> None:
    for kwargs, field in [
        ({"channel": bad, "variables": {"Event": "x"}}, "channel"),
        ({"channel": "p", "variables": {"Event": bad}}, "variables"),
        ({"channel": "p", "variables": {"Event": "x"}, "call_id": bad}, "call_id"),
        ({"channel": "p", "variables": {"Event": "x"}, "action_id": bad}, "action_id"),
    ]:
        with pytest.raises(ValidationError) as excinfo:
            SIPnotify(**kwargs)
        assert [p.field for p in excinfo.value.errors] == [field]
        assert "CR, LF or NUL" in excinfo.value.errors[0].message
    with pytest.raises(ValidationError):
        SIPnotify(channel="p", variables={"Event": "x"}).to_bytes(action_id=bad)


@pytest.mark.parametrize("name", ["Bad Name", "X:Y", "Ünï", "a,b", "", "a=b\n"])
def test_variable_name_must_be_a_sip_token(name: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        SIPnotify(channel="p", variables=[(name, "v")])
    (problem,) = excinfo.value.errors
    assert problem.field == "variables" and problem.index == 0


def test_sip_token_characters_are_all_accepted() -> None:
    name = "Az09-.!%*_+`'~"
    action = SIPnotify(channel="p", variables=[(name, "v")])
    assert f"Variable: {name}=v\r\n".encode() in action.to_bytes()


def test_line_limit_counts_bytes_after_escaping_with_crlf() -> None:
    prefix = len("Variable: X=")
    fits = "é" * ((1024 - 2 - prefix) // 2)  # two bytes each in UTF-8
    SIPnotify(channel="p", variables={"X": fits})
    with pytest.raises(ValidationError, match="1025 bytes"):
        SIPnotify(channel="p", variables={"X": fits + "a"})
    commas = "," * ((1024 - 2 - prefix) // 2)  # each becomes "\,"
    SIPnotify(channel="p", variables={"X": commas})
    with pytest.raises(ValidationError, match="after escaping"):
        SIPnotify(channel="p", variables={"X": commas + ","})
    plain = "c" * (1024 - 2 - len("Channel: "))
    SIPnotify(channel=plain, variables={"X": "1"})
    with pytest.raises(ValidationError) as excinfo:
        SIPnotify(channel=plain + "c", variables={"X": "1"})
    assert excinfo.value.errors[0].field == "channel"
    with pytest.raises(ValidationError):
        SIPnotify(channel="p", variables={"X": "v" * 1100})


def test_message_may_have_at_most_128_lines() -> None:
    # Action + ActionID + Channel + 125 variables = 128 lines
    SIPnotify(channel="p", variables=[("V", str(i)) for i in range(125)])
    with pytest.raises(ValidationError) as excinfo:
        SIPnotify(channel="p", variables=[("V", str(i)) for i in range(126)])
    (problem,) = excinfo.value.errors
    assert problem.field is None and "129 lines" in problem.message
    with pytest.raises(ValidationError):
        SIPnotify(channel="p", variables=[("V", str(i)) for i in range(200)])


def test_bad_variable_items_are_reported_with_their_position() -> None:
    with pytest.raises(ValidationError) as excinfo:
        SIPnotify(channel="p", variables=["Event=x", "no-equals", ("A", 3.5), ("B", None), 7])
    assert [(p.index, p.message) for p in excinfo.value.errors] == [
        (1, "'no-equals' is not of the form name=value"),
        (3, "value of 'B' must be a string, not NoneType"),
        (4, "must be a (name, value) pair or a name=value string, not 7"),
    ]
    with pytest.raises(ValidationError, match="must be a dict"):
        SIPnotify(channel="p", variables=42)


def test_wrong_types_are_reported_not_crashed() -> None:
    with pytest.raises(ValidationError) as excinfo:
        SIPnotify(channel=5, variables={"E": "x"}, action_id="")  # type: ignore[arg-type]
    assert [(p.field, p.message) for p in excinfo.value.errors] == [
        ("action_id", "must not be empty: Asterisk would not echo it"),
        ("channel", "must be a string, not int"),
    ]


def test_unpaired_surrogate_is_refused() -> None:
    with pytest.raises(ValidationError, match="not valid Unicode"):
        SIPnotify(channel="p", variables={"E": "a\udcffb"})


@pytest.mark.parametrize(
    "value",
    [
        "a,b",
        'say "hi"',
        "back\\slash",
        "(paren)",
        "[bracket]",
        "k=v=w",
        " lead and trail ",
        "ünïcödé ☎",
        "",
        "\\,\\",
    ],
)
def test_escaping_round_trips_through_asterisks_splitting(value: str) -> None:
    escaped = escape_variable_value(value)
    assert split_variables(f"Name={escaped}") == [("Name", value)]


def test_asterisk_splitting_rules() -> None:
    assert split_variables("a=1,b=2") == [("a", "1"), ("b", "2")]
    assert split_variables('a="x,y",b=(1,2)') == [("a", "x,y"), ("b", "(1,2)")]
    assert split_variables("noequals,=empty,c=3") == [("c", "3")]
    assert split_variables("a=[1,2],b=\\,") == [("a", "[1,2]"), ("b", ",")]
    many = ",".join(f"v{i}=1" for i in range(70))
    pairs = split_variables(many)
    assert len(pairs) == 64 and pairs[-1][1].startswith("1,v64=1")


def test_a_received_message_is_read_without_validating() -> None:
    message = Message(
        Headers(
            [
                ("Action", "SIPnotify"),
                ("ActionID", "n-7"),
                ("channel", "phone1"),
                ("Variable", "A=1,B=x\\,y"),
            ]
        )
    )
    action = Received(SIPnotify, message)
    assert action.channel == "phone1"
    assert list(action.variables) == [("A", "1"), ("B", "x,y")]
    assert action.action_id == "n-7"
    empty = Received(SIPnotify, Message(Headers([("Action", "SIPnotify")])))
    assert (
        empty.channel is None and list(empty.variables) == []
    )  # invalid for the client, still read
    assert not isinstance(empty, Action) and not hasattr(empty, "to_bytes")  # a view, not sent
    with pytest.raises(ValidationError):
        SIPnotify(channel=empty.channel, variables=empty.variables)


def test_secrets_are_masked_in_repr_and_describe() -> None:
    login = Login(username="admin", secret="s3cret-value", action_id="l1")
    assert "s3cret-value" not in repr(login)
    assert "s3cret-value" not in login.describe()
    assert "Secret: ***" in login.describe()
    assert b"Secret: s3cret-value\r\n" in login.to_bytes()


def test_enum_values_are_checked_and_canonical() -> None:
    assert b"AuthType: MD5\r\n" in Login(username="a", auth_type="md5", key="k").to_bytes()
    with pytest.raises(ValidationError, match="must be one of plain, MD5"):
        Login(username="a", auth_type="sha1")


def test_user_event_headers() -> None:
    event = UserEvent(user_event="Probe", headers={"Header1": "one", "X": "a,b"})
    assert (
        event.to_bytes("u")
        == b"Action: UserEvent\r\nActionID: u\r\nUserEvent: Probe\r\nHeader1: one\r\nX: a,b\r\n\r\n"
    )
    with pytest.raises(ValidationError) as excinfo:
        UserEvent(
            user_event="P",
            headers=[("Bad Name", "x"), ("ActionID", "y"), ("Ok", " lead"), ("Z", "a\nb")],
        )
    assert [p.index for p in excinfo.value.errors] == [0, 1, 2, 3]
