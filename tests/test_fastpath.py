"""The fast path of encoding (sdk.fastpath) never accepts what the full check refuses, and
writes the same bytes as the full path for what it accepts; the shortcuts it relies on
(escaping, Variables from a dict, ActionIDs) agree with the code they stand in for."""

from __future__ import annotations

import inspect
import re
import string
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz import TEXT, action_kwargs

from sdk import Action, ValidationError
from sdk.action import _ENCODERS, _action_id_problems, _encode, action_fields, fast_init
from sdk.actions import ACTIONS, Originate, PJSIPNotify, SIPnotify
from sdk.fastpath import encoder, plain_action_id
from sdk.fields import (
    ExtraHeaders,
    Variables,
    _split_grouped,
    ami_field,
    escape_variable_value,
    split_variables,
)
from sdk.rules import ForbiddenNames

PRINTABLE = string.printable[:95]  # printable ASCII, the blank included
PLAIN = st.text(PRINTABLE, max_size=30)
EDGES = ["", " ", " x", "x ", "(", "\\", "é", "\t", "\x7f", "=", "a=b", ":", "Variable:  x"]
EDGES += ["\r", "\n", "\x00", "a\r\nAction: Originate", "\x85", "\u2028", "\udc80"]


class Text(str):
    """A str subclass: the fast path leaves it to the full path."""

    def __str__(self) -> str:
        return "other"


TOKEN = st.text(string.ascii_letters + string.digits + "-.!%*_+`'~", min_size=1, max_size=12)
# text with a CR, LF or NUL somewhere in it
FORBIDDEN = st.tuples(PLAIN, st.sampled_from(["\r", "\n", "\x00", "\r\n"]), PLAIN).map("".join)
ODD = st.one_of(
    st.sampled_from(EDGES),
    FORBIDDEN,
    FORBIDDEN,
    TEXT,
    st.integers(1000, 1030).map("x".__mul__),
    PLAIN.map(Text),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
)


def raw_action(cls: type[Action], values: dict[str, Any]) -> Action:
    """An action holding ``values`` as they are, unchecked (as ``from_message`` builds one)."""
    obj = object.__new__(cls)
    object.__setattr__(obj, "action_id", values.pop("action_id", None))
    for name, _ in action_fields(cls):
        object.__setattr__(obj, name, values.get(name))
    object.__setattr__(obj, "_wire", None)
    return obj


@st.composite
def variables(draw: st.DrawFn, sip: bool, odd: bool) -> Variables:
    count = draw(st.sampled_from([1, 2, 3, 5, 120, 124] + ([0, 125, 126] if odd else [])))
    if count > 5:
        return Variables([("Event", "x")] * count)
    name = TOKEN if sip else PLAIN.filter(lambda n: n[:1] > " " and "=" not in n)
    value = PLAIN
    if odd:
        name, value = st.one_of(name, name, ODD), st.one_of(value, value, ODD)
    pairs = draw(st.lists(st.tuples(name, value), min_size=count, max_size=count))
    how = draw(st.sampled_from(["dict", "list", "raw"]))
    if how == "dict":
        return Variables.of(dict(pairs))
    return Variables.of(pairs) if how == "list" else Variables(pairs)


@st.composite
def raw_values(draw: st.DrawFn, cls: type[Action]) -> dict[str, Any]:
    """Plain values for every field, but for up to two (or none) that get odd ones."""
    names = ["action_id", *(name for name, _ in action_fields(cls))]
    odd = draw(st.sets(st.sampled_from(names), max_size=2)) if draw(st.booleans()) else set()
    text = PLAIN.filter(lambda t: t[:1] > " ")
    values: dict[str, Any] = {"action_id": draw(ODD if "action_id" in odd else st.none() | text)}
    for name, info in action_fields(cls):
        if info.kind == "variables":
            values[name] = draw(variables(info.name_rule == "sip-token", name in odd))
            continue
        if name in odd:
            values[name] = draw(ODD)
            continue
        if info.kind == "integer":
            plain: st.SearchStrategy[Any] = st.integers(-(10**6), 10**6)
        elif info.kind == "boolean":
            plain = st.booleans()
        elif info.kind == "enum":
            plain = st.sampled_from(info.choices).flatmap(
                lambda c: st.sampled_from([c, c.lower(), c.upper()])
            )
        else:
            plain = text
        values[name] = draw(plain if info.required else st.none() | plain)
    return values


FAST = sorted(
    name
    for name in ACTIONS
    if all(info.kind not in ("headers", "indexed") for _, info in action_fields(ACTIONS[name]))
)


def test_every_action_without_headers_or_groups_has_a_fast_path() -> None:
    assert len(FAST) >= len(ACTIONS) - 3  # UserEvent, UpdateConfig, AOCMessage
    for name in FAST:
        cls = ACTIONS[name]
        assert encoder(action_fields(cls), cls.RULES) is not None, name
    assert encoder(action_fields(ACTIONS["UserEvent"])) is None


def test_the_fast_path_is_taken_for_plain_values() -> None:
    action = SIPnotify(channel="phone1", variables=[("Event", "check-sync"), ("C", "a (b)")])
    assert _ENCODERS[SIPnotify](action) == _encode(action, check=True)[0]  # a list: attrs, encoder
    assert action.to_bytes() == (
        b"Action: SIPnotify\r\nChannel: phone1\r\nVariable: Event=check-sync\r\n"
        b"Variable: C=a \\(b\\)\r\n\r\n"
    )
    assert "def plain_wire(self):" in _ENCODERS[SIPnotify].source  # type: ignore[union-attr]


@pytest.mark.parametrize("name", FAST)
def test_the_fast_path_accepts_only_what_the_full_check_accepts(name: str) -> None:
    cls = ACTIONS[name]
    fast = encoder(action_fields(cls), cls.RULES)
    assert fast is not None
    examples = 300 if name in ("SIPnotify", "PJSIPNotify", "Originate", "Setvar") else 25

    @settings(max_examples=examples)
    @given(values=raw_values(cls))
    def check(values: dict[str, Any]) -> None:
        action = raw_action(cls, values)
        wire = fast(action)
        try:
            full, problems = _encode(action, check=True)
        except (TypeError, AttributeError):  # pairs that are no text, put in Variables by hand
            assert wire is None
            return
        if wire is not None:
            assert not problems, problems
            assert wire == full

    check()


@pytest.mark.parametrize("cls", [SIPnotify, PJSIPNotify, Originate])
def test_built_actions_are_the_same_either_way(cls: type[Action]) -> None:
    """Through the constructor (converters included): what it accepts, the full check
    accepts too, with the same bytes."""

    @settings(max_examples=150)
    @given(kwargs=action_kwargs(cls))
    def check(kwargs: dict[str, Any]) -> None:
        try:
            action = cls(**kwargs)
        except ValidationError:
            return  # the full check's own finding: the fast path returns no errors
        full, problems = _encode(action, check=True)
        assert not problems
        assert action._wire == full

    check()


@settings(max_examples=500)
@given(text=st.one_of(TEXT, PLAIN, st.text()))
def test_escaping_agrees_with_the_regular_expression(text: str) -> None:
    assert escape_variable_value(text) == re.sub(r'([\\",()\[\]])', r"\\\1", text)


def test_escaping_a_str_subclass_is_what_it_was() -> None:
    assert escape_variable_value(Text("a,b")) == "a\\,b"
    assert type(escape_variable_value(Text("a,b"))) is str


@settings(max_examples=500)
@given(
    pairs=st.lists(
        st.tuples(
            st.one_of(PLAIN, PLAIN.map(Text), st.integers()),
            st.one_of(PLAIN, PLAIN.map(Text), st.integers(), st.floats(), st.booleans(), st.none()),
        ),
        max_size=6,
    ),
    cls=st.sampled_from([Variables, ExtraHeaders]),
)
def test_pairs_from_a_dict_are_what_they_were(pairs: list[tuple[Any, Any]], cls: type) -> None:
    """The dict shortcut of ``Pairs.of`` gives what the general way gives the same items."""
    value = dict(pairs)
    fast, general = cls.of(value), cls.of(list(value.items()))
    assert type(fast) is cls
    assert list(fast) == list(general)
    assert [type(n) for n, _ in fast] == [type(n) for n, _ in general]
    assert [type(v) for _, v in fast] == [type(v) for _, v in general]
    assert fast.problems == general.problems
    assert fast.origins == general.origins


@settings(max_examples=500)
@given(
    action_id=st.one_of(
        TEXT, PLAIN, st.sampled_from(EDGES), st.integers(1000, 1030).map("i".__mul__)
    )
)
def test_a_plain_action_id_is_a_valid_one(action_id: str) -> None:
    if plain_action_id(action_id):
        assert _action_id_problems(action_id) == []
    action = SIPnotify(channel="phone1", variables={"Event": "x"})
    try:
        data = action.to_bytes(action_id=action_id)
    except ValidationError:
        assert _action_id_problems(action_id)
    else:
        assert not _action_id_problems(action_id)
        assert b"\r\nActionID: " + action_id.encode() + b"\r\n" in data


@attrs.frozen(kw_only=True)
class Kinds(Action):
    """Every kind the fast path writes, one field each (no spec has two enum choices that
    differ only in case, or a required integer)."""

    ACTION: ClassVar[str] = "Kinds"
    name: str | None = ami_field("Name", required=True)
    mode: str | None = ami_field("Mode", kind="enum", choices=("On", "ON", "off"))
    count: int | None = ami_field("Count", kind="integer", required=True)
    flag: bool | None = ami_field("Flag", kind="boolean")
    variables: Variables = ami_field("Variable", kind="variables", name_rule="variable")
    sip: Variables = ami_field("Variable", kind="variables", name_rule="sip-token")


PLAIN_KINDS = {
    "action_id": "a-1",
    "name": "phone1",
    "mode": "on",
    "count": 7,
    "flag": True,
    "variables": Variables([("CALLERID(name)", "Ops, (day)"), ("B", "")]),
    "sip": Variables([("Event", "check-sync"), ("Content", 'say "hi" [now]\\')]),
}
LONG = "x" * 1020
BAD_TEXT = ["", " a", "a\r", "a\nb", "a\x00", "\ta", "\x01a", "é", "\udc80", LONG, Text("a")]
ODD_PAIRS = [
    [("", "v")],
    [(" a", "v")],
    [("a=b", "v")],
    [("a\x01", "v")],
    [("é", "v")],
    [("a", "v\r")],
    [("a", "v\n")],
    [("a", "v\x00")],
    [("a", "\tv")],
    [("a", "é")],
    [("a", "v" * 1008)],
    [("a", "(" * 507)],
    [(Text("a"), "v")],
    [("a", Text("v"))],
    [("E v", "v")],
    [("a\r", "v")],
    [("a\nb", "v")],
    [("a\x00", "v")],
    [("a", "é" * 509)],
    *([("a", "v")] * n for n in (120, 121, 122, 123, 124, 125)),
]
LONG_UTF8 = "é" * 509  # 1018 bytes
CASES = (
    [("action_id", v) for v in [*BAD_TEXT, "x" * 1012, "x" * 1013]]
    + [("name", v) for v in [*BAD_TEXT, None, "x" * 1018, "x" * 1019, LONG_UTF8, "é" * 510]]
    + [("mode", v) for v in ["ON", "On", "OFF", "o n", "", None, 1, Text("on")]]
    + [("count", v) for v in [0, -1, None, "", "7", True, 10**1017, 10**1018, 7.0]]
    + [("flag", v) for v in [False, None, "", 1, "true"]]
    + [(field, Variables(p)) for field in ("variables", "sip") for p in ODD_PAIRS]
    + [("sip", Variables([("a", "v"), ("b",)])), ("sip", Variables.of([("a", "v"), 5]))]
)


@pytest.mark.parametrize(("field", "value"), CASES, ids=lambda x: repr(x)[:40])
def test_each_shortcut_against_the_full_check(field: str, value: Any) -> None:
    fast = encoder(action_fields(Kinds), Kinds.RULES)
    assert fast is not None
    base = raw_action(Kinds, dict(PLAIN_KINDS))
    assert fast(base) == _encode(base, check=True)[0]  # the plain one takes the fast path
    action = raw_action(Kinds, {**PLAIN_KINDS, field: value})
    try:
        full, problems = _encode(action, check=True)
    except Exception as exc:  # a pair that is no pair, put in Variables by hand
        with pytest.raises(type(exc)):
            assert fast(action) is None  # returning None is fine too: the full path raises
            raise exc
        return
    wire = fast(action)
    if wire is not None:
        assert not problems
        assert wire == full


@settings(max_examples=1000)
@given(
    text=st.one_of(TEXT, st.text(",=ab ", max_size=20), st.text(',=ab()[]"\\', max_size=20)),
    max_items=st.sampled_from([0, 1, 2, 3, 64]),
)
def test_splitting_variables_without_grouping_agrees_with_the_full_reading(
    text: str, max_items: int
) -> None:
    assert split_variables(text, max_items) == _split_grouped(text, max_items)


# --- the fused constructor (sdk.fastpath.initializer, installed by sdk.action.fast_init) ---


def _outcome(cls: type[Action], init: Any, kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """What ``init`` makes of ``kwargs``: the values, the encoded lines and the Variables'
    bookkeeping, or the exception it raises (its errors, for a ValidationError)."""
    obj = object.__new__(cls)
    try:
        init(obj, **kwargs)
    except ValidationError as exc:
        return ("invalid", exc.errors)
    except Exception as exc:  # noqa: BLE001 - whatever it is, both must raise it
        return ("raised", type(exc))
    pairs = [
        (type(v), list(v), v.problems, v.origins)
        for v in (getattr(obj, name) for name, _ in action_fields(cls))
        if isinstance(v, Variables)
    ]
    values = [getattr(obj, name) for name in ("action_id", *dict(action_fields(cls)))]
    return ("ok", [(type(v), v) for v in values], pairs, obj._wire)


def _attrs_init(cls: type[Action]) -> Any:
    return cls.__init__.__globals__["attrs_init"]


@st.composite
def init_kwargs(draw: st.DrawFn, cls: type[Action]) -> dict[str, Any]:
    """Arguments for the constructor: ``raw_values``, with the pairs passed as a dict
    mostly (the fused path's case), else as they come."""
    values = draw(raw_values(cls))
    for name, info in action_fields(cls):
        if info.kind == "variables" and draw(st.integers(0, 3)):
            values[name] = dict(values[name])
        if values[name] is None and draw(st.booleans()):
            del values[name]  # the default
    return values


def test_generated_actions_get_the_fused_constructor() -> None:
    for name in FAST:
        init = ACTIONS[name].__init__
        assert "def __init__(self, *," in init.source, name  # type: ignore[attr-defined]
    assert not hasattr(ACTIONS["UserEvent"].__init__, "source")  # headers: attrs' own
    params = inspect.signature(SIPnotify).parameters
    assert list(params) == ["action_id", "channel", "variables", "call_id"]
    assert all(p.kind is p.KEYWORD_ONLY for p in params.values())


def test_plain_arguments_take_the_fused_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    attrs_init = _attrs_init(SIPnotify)

    def spy(self: Any, **kwargs: Any) -> None:
        calls.append(kwargs)
        attrs_init(self, **kwargs)

    monkeypatch.setitem(SIPnotify.__init__.__globals__, "attrs_init", spy)
    plain = SIPnotify(channel="phone1", variables={"Event": "check-sync", "C": "a (b)"})
    assert calls == []
    assert type(plain.variables) is Variables and plain.variables.problems == ()
    assert plain.to_bytes(action_id="1") == (
        b"Action: SIPnotify\r\nActionID: 1\r\nChannel: phone1\r\n"
        b"Variable: Event=check-sync\r\nVariable: C=a \\(b\\)\r\n\r\n"
    )
    SIPnotify(channel="phone1", variables=["Event=check-sync"])  # a list: attrs' path
    assert len(calls) == 1
    with pytest.raises(ValidationError) as caught:
        SIPnotify(channel="phone1", variables={"Event": "a\r\nAction: Originate"})
    assert len(calls) == 2
    assert [(e.field, e.index) for e in caught.value.errors] == [("variables", 0)]


@pytest.mark.parametrize("name", FAST)
def test_the_fused_constructor_makes_what_attrs_makes(name: str) -> None:
    cls = ACTIONS[name]
    fused, attrs_init = cls.__init__, _attrs_init(cls)
    examples = 300 if name in ("SIPnotify", "PJSIPNotify", "Originate", "Setvar") else 25

    @settings(max_examples=examples)
    @given(kwargs=init_kwargs(cls))
    def check(kwargs: dict[str, Any]) -> None:
        assert _outcome(cls, fused, kwargs) == _outcome(cls, attrs_init, kwargs)

    check()


KindsFused = fast_init(
    attrs.frozen(kw_only=True)(type("KindsFused", (Kinds,), {"__module__": __name__}))
)


def _as_given(value: Any) -> Any:
    """A ``Variables`` case as a user passes it: a dict, when its pairs make one."""
    if isinstance(value, Variables) and not value.problems:
        try:
            pairs = dict(value)
        except (TypeError, ValueError):
            return value
        if len(pairs) == len(value):
            return pairs
    return value


@pytest.mark.parametrize(("field", "value"), CASES, ids=lambda x: repr(x)[:40])
def test_each_shortcut_of_the_fused_constructor(field: str, value: Any) -> None:
    """Two fields of pairs and every scalar kind: the fused path against attrs' own."""
    fused, attrs_init = KindsFused.__init__, _attrs_init(KindsFused)
    assert "source" in vars(fused)
    plain = {k: _as_given(v) for k, v in PLAIN_KINDS.items()}
    assert _outcome(KindsFused, fused, plain)[0] == "ok"
    kwargs = {**plain, field: _as_given(value)}
    assert _outcome(KindsFused, fused, kwargs) == _outcome(KindsFused, attrs_init, kwargs)


def test_a_subclass_takes_attrs_path_and_keeps_its_own_rules() -> None:
    class Strict(SIPnotify):  # a plain subclass inherits the fused __init__
        RULES = (*SIPnotify.RULES, ForbiddenNames("variables", ("Event",), "not here"))

    with pytest.raises(ValidationError, match="Event"):
        Strict(channel="phone1", variables={"Event": "check-sync"})
    assert type(Strict(channel="phone1", variables={"X": "y"})) is Strict
