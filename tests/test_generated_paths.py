"""The two paths codegen writes into each action module agree: the fast path (the block at
the start of the generated ``__init__``: plain values checked and written in one pass) never
accepts what the full path (``_build``: attrs' converters, ``validate``, ``_encode``)
refuses, and stores and writes what the full path would for what it accepts. On random values for every action, and on a table of edge cases
for each shortcut, through an action generated here with every kind the fast path writes."""

from __future__ import annotations

import ast
import importlib
import string
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz import TEXT

from codegen.render import render_all
from codegen.spec import load_specs
from sdk import Action, ValidationError
from sdk.actions import ACTIONS, SIPnotify
from sdk.model.fields import Pairs, Variables
from sdk.model.kinds import kind_of

PRINTABLE = string.printable[:95]  # printable ASCII, the blank included
PLAIN = st.text(PRINTABLE, max_size=30)
EDGES = ["", " ", " x", "x ", "(", "\\", "é", "\t", "\x7f", "=", "a=b", ":", "Variable:  x"]
EDGES += ["\r", "\n", "\x00", "a\r\nAction: Originate", "\x85", "\u2028", "\udc80"]


class Text(str):
    """A str subclass: the fast path leaves it to the full path."""

    def __str__(self) -> str:
        return "other"


TOKEN = st.text(string.ascii_letters + string.digits + "-.!%*_+`'~", min_size=1, max_size=12)
FORBIDDEN = st.tuples(PLAIN, st.sampled_from(["\r", "\n", "\x00", "\r\n"]), PLAIN).map("".join)
ODD = st.one_of(
    st.sampled_from(EDGES),
    FORBIDDEN,
    TEXT,
    st.integers(1000, 1030).map("x".__mul__),
    PLAIN.map(Text),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
)


def has_fast_path(cls: type[Action]) -> bool:
    return hasattr(sys.modules[cls.__module__], "_SLOTS")


class NotPlain(Exception):
    """The fast path left the values to the full path."""


def not_plain(self: Action, **values: Any) -> None:
    raise NotPlain


def outcome(cls: type[Action], kwargs: dict[str, Any], *, fast: bool) -> tuple[Any, ...]:
    """What one path makes of ``kwargs``: the values (with their types), the Variables'
    bookkeeping and the encoded lines; or its problems; or "not plain" (fast path only:
    the full path, ``_build``, is replaced by one that says so)."""
    obj = object.__new__(cls)
    values = {name: kwargs.get(name) for name in ("action_id", *dict(cls.fields()))}
    build = Action._build
    try:
        if fast:
            Action._build = not_plain  # type: ignore[method-assign]
            cls.__init__(obj, **values)
        else:
            obj._build(**values)
    except NotPlain:
        return ("not plain",)
    except ValidationError as exc:
        return ("invalid", exc.errors)
    finally:
        Action._build = build  # type: ignore[method-assign]
    values = [getattr(obj, name) for name in ("action_id", *dict(cls.fields()))]
    pairs = [(type(v), list(v), v.problems, v.origins) for v in values if isinstance(v, Pairs)]
    return ("ok", [(type(v), v) for v in values], pairs, obj._wire)


def agree(cls: type[Action], kwargs: dict[str, Any]) -> None:
    fast = outcome(cls, kwargs, fast=True)
    if fast[0] == "not plain":
        return
    assert fast == outcome(cls, kwargs, fast=False), kwargs


@st.composite
def pairs(draw: st.DrawFn, sip: bool, odd: bool) -> Any:
    count = draw(st.sampled_from([1, 2, 3, 5, 120, 124] + ([0, 125, 126] if odd else [])))
    if count > 5:
        return {f"E{i}": "x" for i in range(count)}
    name = TOKEN if sip else PLAIN.filter(lambda n: n[:1] > " " and "=" not in n)
    value = PLAIN
    if odd:
        name, value = st.one_of(name, name, ODD), st.one_of(value, value, ODD)
    items = draw(st.lists(st.tuples(name, value), min_size=count, max_size=count))
    how = draw(st.sampled_from(["dict", "dict", "dict", "list"]))
    try:
        return dict(items) if how == "dict" else items
    except TypeError:  # a name that cannot be a key
        return items


@st.composite
def arguments(draw: st.DrawFn, cls: type[Action]) -> dict[str, Any]:
    """Plain values for every field, but for up to two (or none) that get odd ones."""
    names = ["action_id", *(name for name, _ in cls.fields())]
    odd = draw(st.sets(st.sampled_from(names), max_size=2)) if draw(st.booleans()) else set()
    text = PLAIN.filter(lambda t: t[:1] > " ")
    values: dict[str, Any] = {"action_id": draw(ODD if "action_id" in odd else st.none() | text)}
    for name, info in cls.fields():
        kind = kind_of(info.kind)
        if kind.pairs:
            values[name] = draw(pairs(info.name_rule == "sip-token", name in odd))
            continue
        if name in odd:
            values[name] = draw(ODD)
            continue
        if kind.name == "integer":
            plain: st.SearchStrategy[Any] = st.integers(-(10**6), 10**6)
        elif kind.name == "boolean":
            plain = st.booleans()
        elif kind.name == "enum":
            plain = st.sampled_from(info.choices).flatmap(
                lambda c: st.sampled_from([c, c.lower(), c.upper()])
            )
        else:
            plain = text
        values[name] = draw(plain if info.required else st.none() | plain)
    return values


FAST = sorted(name for name in ACTIONS if has_fast_path(ACTIONS[name]))


def test_every_action_without_headers_or_groups_has_a_fast_path() -> None:
    assert len(FAST) == len(ACTIONS) - 3  # UserEvent, UpdateConfig, AOCMessage
    for name in sorted(set(ACTIONS) - set(FAST)):
        kinds = {kind_of(info.kind).name for _, info in ACTIONS[name].fields()}
        assert kinds & {"headers", "indexed"}, name


def test_plain_values_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    build = Action._build

    def spy(self: Action, **values: Any) -> None:
        calls.append(values)
        build(self, **values)

    monkeypatch.setattr(Action, "_build", spy)
    plain = SIPnotify(channel="phone1", variables={"Event": "check-sync", "C": "a (b)"})
    assert calls == []
    assert type(plain.variables) is Variables and plain.variables.problems == ()
    assert plain.to_bytes(action_id="1") == (
        b"Action: SIPnotify\r\nActionID: 1\r\nChannel: phone1\r\n"
        b"Variable: Event=check-sync\r\nVariable: C=a \\(b\\)\r\n\r\n"
    )
    SIPnotify(channel="phone1", variables=["Event=check-sync"])  # a list: the full path
    assert len(calls) == 1
    with pytest.raises(ValidationError) as caught:
        SIPnotify(channel="phone1", variables={"Event": "a\r\nAction: Originate"})
    assert len(calls) == 2
    assert [(e.field, e.index) for e in caught.value.errors] == [("variables", 0)]


@pytest.mark.parametrize("name", FAST)
def test_the_fast_path_makes_what_the_full_path_makes(name: str) -> None:
    cls = ACTIONS[name]
    examples = 300 if name in ("SIPnotify", "PJSIPNotify", "Originate", "Setvar") else 25

    @settings(max_examples=examples)
    @given(kwargs=arguments(cls))
    def check(kwargs: dict[str, Any]) -> None:
        agree(cls, kwargs)

    check()


# --- every shortcut, through an action generated here ----------------------------------------

KINDS_SPEC = """\
action: Kinds
summary: Every kind the fast path writes, one field each, and two fields of pairs.
fields:
  - header: Name
    required: true
  - header: Mode
    kind: enum
    choices: ["On", "ON", "off"]
  - header: Count
    kind: integer
    required: true
  - header: Flag
    kind: boolean
  - header: Variable
    name: variables
    kind: variables
  - header: SIPHeader
    name: sip
    kind: variables
    name_rule: sip-token
"""


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> type[Action]:
    """The Kinds action, generated by codegen into a package of its own and imported."""
    root = tmp_path_factory.mktemp("generated")
    (root / "specs").mkdir()
    (root / "specs" / "Kinds.yaml").write_text(KINDS_SPEC)
    package = root / "kinds_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for file, source in render_all(load_specs(root / "specs"), package="kinds_pkg").items():
        (package / file).write_text(source)
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("kinds_pkg.kinds")
    finally:
        sys.path.remove(str(root))
    assert has_fast_path(module.Kinds)
    return module.Kinds  # type: ignore[no-any-return]


PLAIN_KINDS: dict[str, Any] = {
    "action_id": "a-1",
    "name": "phone1",
    "mode": "On",
    "count": 7,
    "flag": True,
    "variables": {"CALLERID(name)": "Ops, (day)", "B": ""},
    "sip": {"Event": "check-sync", "Content": 'say "hi" [now]\\'},
}
LONG = "x" * 1020
BAD_TEXT = ["", " a", "a\r", "a\nb", "a\x00", "\ta", "\x01a", "é", "\udc80", LONG, Text("a")]
ODD_PAIRS: list[Any] = [
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
    [("a", 5)],
    *([(f"a{i}", "v") for i in range(n)] for n in (120, 121, 122, 123, 124, 125)),
]
CASES = (
    [("action_id", v) for v in [*BAD_TEXT, "x" * 253, "x" * 254, "x" * 1012, "x" * 1013]]
    + [("name", v) for v in [*BAD_TEXT, None, "x" * 1018, "x" * 1019, "é" * 509, "é" * 510]]
    + [("mode", v) for v in ["ON", "On", "on", "OFF", "off", "o n", "", None, 1, Text("On")]]
    + [("count", v) for v in [0, -1, None, "", "7", True, 10**1017, 10**1018, 7.0]]
    + [("flag", v) for v in [False, None, "", 1, "true"]]
    + [(field, dict(p)) for field in ("variables", "sip") for p in ODD_PAIRS]
    + [(field, p) for field in ("variables", "sip") for p in ODD_PAIRS]
)


@pytest.mark.parametrize(("field", "value"), CASES, ids=lambda x: repr(x)[:40])
def test_each_shortcut_against_the_full_path(kinds: type[Action], field: str, value: Any) -> None:
    assert outcome(kinds, PLAIN_KINDS, fast=True)[0] == "ok"  # the plain one is fast
    assert outcome(kinds, PLAIN_KINDS, fast=True) == outcome(kinds, PLAIN_KINDS, fast=False)
    agree(kinds, {**PLAIN_KINDS, field: value})


def test_a_subclass_takes_the_full_path_and_keeps_its_own_rules() -> None:
    from sdk.model.rules import ForbiddenNames

    class Strict(SIPnotify):  # a plain subclass inherits the generated __init__
        RULES = (*SIPnotify.RULES, ForbiddenNames("variables", ("Event",), "not here"))

    with pytest.raises(ValidationError, match="Event"):
        Strict(channel="phone1", variables={"Event": "check-sync"})
    assert type(Strict(channel="phone1", variables={"X": "y"})) is Strict


def test_no_module_builds_code_from_text() -> None:
    """Nothing in sdk/ or codegen/ calls the builtins that run text as code, or makes a
    function out of a code object."""
    root = Path(__file__).resolve().parent.parent
    found = []
    for folder in ("sdk", "codegen"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = getattr(node, "id", None) or getattr(node, "attr", None)
                if name in ("exec", "eval", "compile", "FunctionType", "CodeType"):
                    if not isinstance(node, ast.Attribute) or name not in ("compile",):
                        found.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    assert found == []
