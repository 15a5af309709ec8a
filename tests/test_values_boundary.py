"""Values are the text that was checked: each is made plain once, at the boundary
(``sdk.model.values.plain``), and that plain text is what is checked and what is written.

A ``str`` subclass may override whatever reads it (``__format__``, ``__str__``, ``encode``,
``replace``, ``isprintable``...) and an ``Enum`` member formats as its name. Given to any
kind of field of real actions, to ``Generic``, as an ActionID, as the session's username or
events, such a value must write exactly the bytes its own characters (an Enum: its value)
write, or be refused as they are, naming the field; never a second action on the wire.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import pytest
from conftest import admin_session
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk import AMIError, ValidationError
from sdk.actions import (
    Generic,
    Login,
    Originate,
    PJSIPNotify,
    SIPnotify,
    UpdateConfig,
    UserEvent,
)
from sdk.bulk import Target, read_targets
from sdk.model.fields import ExtraHeaders, Records, Variables
from sdk.notify import build_notify
from sdk.testing import AMIServer

# What a hostile value would rather write: the end of its line, then a second action.
INJECTION = "x\r\n\r\nAction: Originate\r\nChannel: Local/100@default\r\nApplication: Wait\r\n\r\n"


def _returns(result: Any) -> Callable[..., Any]:
    return lambda self, *args, **kwargs: result


# Each method a check or a write might call on a str, overridden to lie.
OVERRIDES: dict[str, Callable[..., Any]] = {
    "__str__": _returns(INJECTION),
    "__repr__": _returns(INJECTION),
    "__format__": _returns(INJECTION),
    "encode": _returns(INJECTION.encode()),
    "__add__": _returns(INJECTION),
    "__radd__": _returns(INJECTION),
    "__mod__": _returns(INJECTION),
    "replace": _returns(INJECTION),
    "__getitem__": _returns(INJECTION),
    "__iter__": lambda self: iter(INJECTION),
    "__len__": _returns(0),
    "__eq__": _returns(True),
    "__ne__": _returns(False),
    "__contains__": _returns(False),
    "isprintable": _returns(True),
    "isascii": _returns(True),
    "lower": _returns("md5"),
    "upper": _returns("MD5"),
    "strip": _returns("yes"),
    "lstrip": _returns(INJECTION),
    "find": _returns(-1),
    "partition": _returns(("Event", "=", INJECTION)),
    "split": _returns([INJECTION]),
    "splitlines": _returns([INJECTION]),
    "startswith": _returns(False),
    "endswith": _returns(False),
    "join": _returns(INJECTION),
}
HOSTILE: list[type[str]] = [
    type(f"Lies_{name.strip('_')}", (str,), {name: method, "__hash__": str.__hash__})
    for name, method in OVERRIDES.items()
] + [type("LiesInEverything", (str,), {**OVERRIDES, "__hash__": str.__hash__})]
# Reads as its characters, writes otherwise: the liar that got an Originate through.
WRITES_OTHERWISE = type(
    "WritesOtherwise",
    (str,),
    {name: OVERRIDES[name] for name in ("__str__", "__format__", "encode", "replace", "__radd__")},
)


class Peer(str, enum.Enum):  # noqa: UP042 - the usual way, which formats as Peer.PHONE1
    PHONE1 = "phone1"


class EventClass(str, enum.Enum):  # noqa: UP042 - as Peer
    SYSTEM = "system"


class Ev(enum.Enum):  # an Enum that is not a str at all
    CHECK_SYNC = "check-sync"


class Auth(enum.StrEnum):
    MD5 = "md5"


class Millis(enum.IntEnum):
    THIRTY = 30


class Loud(int):
    def __str__(self) -> str:
        return INJECTION

    __repr__ = __format__ = __str__  # type: ignore[assignment]


def outcome(make: Callable[[], Any]) -> tuple[str, Any]:
    """The bytes an action writes (ActionID 1), or the problems that refuse it."""
    try:
        return ("ok", make())
    except ValidationError as exc:
        return ("invalid", [(e.field, e.header, e.message, e.index) for e in exc.errors])


def notify(**kw: Any) -> SIPnotify:
    return SIPnotify(**{"channel": "phone1", "variables": {"Event": "check-sync"}, **kw})


def wire(build: Callable[[Any], Any]) -> Callable[[Any], bytes]:
    return lambda value: build(value).to_bytes(action_id="1")


# (name, the text of a valid value, what writes an action given that value)
WRITERS: list[tuple[str, str, Callable[[Any], bytes]]] = [
    ("SIPnotify channel", "phone1", wire(lambda v: notify(channel=v))),
    ("SIPnotify call_id", "abc@host", wire(lambda v: notify(call_id=v))),
    ("SIPnotify variable value", "check-sync", wire(lambda v: notify(variables={"Event": v}))),
    ("SIPnotify variable name", "Event", wire(lambda v: notify(variables={v: "check-sync"}))),
    ("SIPnotify pair", "check-sync", wire(lambda v: notify(variables=[("Event", v)]))),
    ("SIPnotify name=value", "Event=check-sync", wire(lambda v: notify(variables=[v]))),
    ("SIPnotify one string", "Event=check-sync", wire(lambda v: notify(variables=v))),
    ("Variables built directly", "check-sync", wire(lambda v: notify(variables=Variables([("E", v)])))),
    ("PJSIPNotify endpoint", "phone1", wire(lambda v: PJSIPNotify(endpoint=v, variables={"Event": "x"}))),
    ("PJSIPNotify variable", "check-sync", wire(lambda v: PJSIPNotify(endpoint="p", variables={"Event": v}))),
    ("Originate channel", "Local/1@x", wire(lambda v: Originate(channel=v, application="Wait"))),
    ("Originate timeout (integer)", "30", wire(lambda v: Originate(channel="L/1", application="W", timeout=v))),
    ("Originate async (boolean)", "yes", wire(lambda v: Originate(channel="L/1", application="W", async_=v))),
    ("Originate variable", "1", wire(lambda v: Originate(channel="L/1", application="W", variables={"A": v}))),
    ("Login auth_type (enum)", "md5", wire(lambda v: Login(username="u", auth_type=v, key="k"))),
    ("Login username", "admin", wire(lambda v: Login(username=v, secret="s"))),
    ("UserEvent name", "Ping", wire(lambda v: UserEvent(user_event=v))),
    ("UserEvent header value", "b", wire(lambda v: UserEvent(user_event="e", headers={"A": v}))),
    ("UserEvent header name", "A", wire(lambda v: UserEvent(user_event="e", headers={v: "b"}))),
    ("UserEvent Name: value", "A: b", wire(lambda v: UserEvent(user_event="e", headers=[v]))),
    ("ExtraHeaders built directly", "b", wire(lambda v: UserEvent(user_event="e", headers=ExtraHeaders([("A", v)])))),
    ("UpdateConfig member (string)", "office", wire(lambda v: UpdateConfig(src_filename="a", dst_filename="b", changes=[{"action": "NewCat", "cat": v}]))),
    ("UpdateConfig member (enum)", "newcat", wire(lambda v: UpdateConfig(src_filename="a", dst_filename="b", changes=[{"action": v, "cat": "c"}]))),
    ("UpdateConfig member key", "cat", wire(lambda v: UpdateConfig(src_filename="a", dst_filename="b", changes=[{"action": "NewCat", v: "c"}]))),
    ("Records built directly", "office", wire(lambda v: UpdateConfig(src_filename="a", dst_filename="b", changes=Records([{"action": "NewCat", "cat": v}])))),
    ("Generic name", "Ping", wire(lambda v: Generic(v))),
    ("Generic header value", "b", wire(lambda v: Generic("Ping", headers={"A": v}))),
    ("Generic header name", "A", wire(lambda v: Generic("Ping", headers=[(v, "b")]))),
    ("Generic variable", "b", wire(lambda v: Generic("Ping", variables={"A": v}))),
    ("Generic action_id", "id-1", lambda v: Generic("Ping", action_id=v).to_bytes()),
    ("ActionID attribute", "id-1", lambda v: notify(action_id=v).to_bytes()),
    ("ActionID of to_bytes", "id-1", lambda v: notify().to_bytes(action_id=v)),
]  # fmt: skip

# Texts to wrap: the valid one, and ones that must be refused, as they are in plain str.
BAD_TEXTS = ["", " lead", "a\r\nAction: Originate", "\x00", INJECTION]


@pytest.mark.parametrize(("name", "valid", "write"), WRITERS, ids=[w[0] for w in WRITERS])
def test_a_hostile_str_writes_what_its_characters_write(
    name: str, valid: str, write: Callable[[Any], bytes]
) -> None:
    for text in [valid, *BAD_TEXTS]:
        expected = outcome(lambda t=text: write(t))
        for hostile in HOSTILE:
            got = outcome(lambda t=text, h=hostile: write(h(t)))
            assert got == expected, f"{name}: {hostile.__name__}({text!r})"
    ok = outcome(lambda: write(valid))
    assert ok[0] == "ok" and ok[1].count(b"Action:") == 1, ok  # the valid text is valid
    refused = outcome(lambda: write(HOSTILE[-1]("a\r\nAction: Originate")))
    assert refused[0] == "invalid", f"{name}: CR LF got through: {refused}"


@settings(max_examples=300)
@given(
    writer=st.sampled_from(WRITERS),
    hostile=st.sampled_from(HOSTILE),
    text=st.one_of(st.text(max_size=40), st.sampled_from(BAD_TEXTS)),
)
def test_any_text_in_a_hostile_str_is_read_as_its_characters(
    writer: tuple[str, str, Callable[[Any], bytes]], hostile: type[str], text: str
) -> None:
    name, _, write = writer
    assert outcome(lambda: write(hostile(text))) == outcome(lambda: write(text)), name


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (Peer.PHONE1, "phone1"),
        (Ev.CHECK_SYNC, "check-sync"),
        (Auth.MD5, "md5"),
        (Millis.THIRTY, "30"),
    ],
)
def test_an_enum_member_is_sent_as_its_value(value: enum.Enum, plain: str) -> None:
    for name, _, write in WRITERS:
        expected = outcome(lambda w=write: w(plain))
        if isinstance(value, int):  # an int: its kind decides, as for a plain int
            expected = outcome(lambda w=write: w(int(plain)))
        assert outcome(lambda w=write: w(value)) == expected, name
    assert b"Channel: phone1\r\n" in notify(channel=Peer.PHONE1).to_bytes()
    assert b"Peer.PHONE1" not in notify(channel=Peer.PHONE1).to_bytes()


def test_numbers_and_booleans_are_written_by_the_rule_of_their_kind() -> None:
    def originate(**kw: Any) -> bytes:
        return Originate(channel="L/1", application="W", **kw).to_bytes()

    assert b"\r\nTimeout: 30\r\n" in originate(timeout=Loud(30))
    assert b"\r\nTimeout: 30\r\n" in originate(timeout=Millis.THIRTY)
    assert b"\r\nTimeout: 30\r\n" in originate(timeout=HOSTILE[-1]("30"))
    assert b"\r\nAsync: true\r\n" in originate(async_=enum.Enum("Y", {"ON": True}).ON)
    assert b"\r\nVariable: A=30\r\n" in originate(variables={"A": Loud(30)})
    assert b"\r\nVariable: A=30\r\n" in originate(variables=[("A", Millis.THIRTY)])
    with pytest.raises(ValidationError, match="timeout .*must be an integer"):
        originate(timeout=enum.Enum("N", {"X": "thirty"}).X)
    assert originate(timeout=Loud(30)).count(b"Action:") == 1


# --- through a session, against the embedded server ---------------------------------------


def test_no_hostile_value_puts_a_second_action_on_the_wire() -> None:
    """End to end: each entry point of an action, each value a liar; the embedded server
    must receive the actions as their characters say, and no Originate."""
    liar = WRITES_OTHERWISE
    actions = [
        notify(channel=liar("phone1"), variables={liar("Event"): liar("check-sync")}),
        notify(action_id=liar("n-2")),
        Generic(liar("Ping"), headers={liar("X-A"): liar("b")}),
        UserEvent(user_event=liar("Tick"), headers=[liar("A: b")]),
        Generic("Ping", action_id=liar("g-1")),
    ]
    answers = []
    with AMIServer.as_recorded("20") as pbx:
        with admin_session(pbx, timeout=5) as ami:
            for action in actions:
                try:
                    answers.append(ami.send(action).message)
                except AMIError as exc:
                    answers.append(type(exc).__name__)
    received = [m.action for m in pbx.received]
    assert "Originate" not in received, received
    assert answers == ["Notify Sent", "Notify Sent", None, "Event Sent", None]
    sent = [m for m in pbx.received if m.action == "SIPnotify"]
    assert [(m.get("Channel"), m.get("Variable")) for m in sent] == [
        ("phone1", "Event=check-sync")
    ] * 2
    assert sent[1].get("ActionID") == "n-2"
    assert [n.peer for n in pbx.notifies] == ["phone1", "phone1"]
    pings = [m for m in pbx.received if m.action == "Ping"]
    assert [(m.get("X-A"), m.get("ActionID")) for m in pings][1] == (None, "g-1")
    assert pings[0].get("X-A") == "b"
    with pytest.raises(ValidationError, match="channel"):
        notify(channel=liar("phone1\r\n\r\nAction: Originate"))


def test_the_login_sends_the_plain_username_secret_and_events() -> None:
    liar = WRITES_OTHERWISE
    with AMIServer.as_recorded("20") as pbx:
        for auth in ("md5", "plain"):
            kw = {"username": liar("admin"), "secret": liar("s3cret"), "auth": liar(auth)}
            with admin_session(pbx, timeout=5, **kw) as ami:
                assert ami.username == "admin" and type(ami.username) is str
        for events in (liar("off"), [EventClass.SYSTEM, liar("call")]):
            with admin_session(pbx, events=events, timeout=5):
                pass
    logins = [m for m in pbx.received if m.action == "Login"]
    assert [m.get("Username") for m in logins] == ["admin"] * 4
    assert [m.get("Events") for m in logins] == ["off", "off", "off", "system,call"]
    assert logins[1].get("Secret") == "s3cret"
    assert "Originate" not in [m.action for m in pbx.received]


# --- the other ways in: bulk rows, NOTIFY helpers, forms ----------------------------------


def test_bulk_rows_and_notify_targets_are_read_as_plain_text() -> None:
    class Site(str, enum.Enum):  # noqa: UP042 - as Peer
        LAB = "lab"

    rows = [(Site.LAB, Peer.PHONE1), {"pbx": Site.LAB, "target": HOSTILE[-1]("phone2")}]
    assert [(t.pbx, t.target) for t in read_targets(rows)] == [("lab", "phone1"), ("lab", "phone2")]
    assert all(type(t.target) is str for t in read_targets(rows))
    says_uri = type("SaysUri", (str,), {"__getitem__": _returns("sip:")})
    for method in ("PJSIPNotify", "SIPnotify"):
        for target in [Peer.PHONE1, says_uri("phone1"), *(h("phone1") for h in HOSTILE)]:
            built = build_notify(method, target, event="check-sync").to_bytes()
            assert built == build_notify(method, "phone1", event="check-sync").to_bytes()
    assert isinstance(read_targets([Target("lab", "p")])[0], Target)


def test_a_form_filled_with_an_enum_shows_and_sends_its_value() -> None:
    from sdk.widgets import ActionForm

    form = ActionForm(SIPnotify).fill(channel=Peer.PHONE1, variables={"Event": Ev.CHECK_SYNC})
    try:
        assert form.editors["channel"].text.value == "phone1"
        assert form.action is not None
        assert form.action.to_bytes() == notify().to_bytes()
    finally:
        form.close()
