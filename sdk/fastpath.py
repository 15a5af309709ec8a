"""The fast path of building an action: plain values, checked and written at once.

Nearly every action a user builds holds plain values: printable ASCII text, short lines,
NOTIFY header names that are SIP tokens, pairs given as a dict. Two generated functions per
action class (written as attrs writes ``__init__``) check such values with a few string
methods and write the header lines; for anything else they give way to the full check
(``sdk.action._encode``), which finds and reports every problem:

- ``initializer`` writes the class's ``__init__`` (installed by ``sdk.action.fast_init``,
  which every generated class wears): it checks the arguments as given and stores them with
  the encoded lines in one step, and hands anything else to the attrs ``__init__``;
- ``encoder`` writes the check that ``__attrs_post_init__`` runs after attrs' ``__init__``
  (pairs given as a list, a ``Variables``, a subclass of the action...).

Both accept only what the full check accepts and write the same bytes for it, and the fused
``__init__`` stores what attrs' stores (``tests/test_fastpath.py`` holds them to that, on
random values for every action). Fields of kind ``headers`` and ``indexed`` always take the
full path.

Why the shortcuts hold:

- a printable string holds no CR, LF, NUL or other control character; a message that is
  all ASCII encodes to as many bytes as it has characters, and holds no surrogate; so a
  value is plain when it is printable, does not start with a blank, and the message it ends
  up in is ASCII with lines of at most 1024 bytes (all of them together, or each counted);
- exact ``str``, ``int`` and ``bool`` only: a subclass or an Enum may format itself
  otherwise, so it goes to the attrs ``__init__``, whose converters make it plain
  (``sdk.values.plain``, the one boundary every value crosses), and then comes back here;
- no character that gets a backslash (``\\ " , ( ) [ ]``) can be in ``Variable: ``, ``=``,
  CRLF or a SIP token, so escaping all of a field's ``Variable`` lines at once escapes each
  value (and each name, under the ``variable`` rule) as the full path does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from sdk.fields import (
    _ESCAPES,
    MAX_LINE_BYTES,
    MAX_LINES,
    SIP_TOKEN,
    FieldInfo,
    Variables,
)

__all__ = ["Encoder", "encoder", "initializer", "plain_action_id"]

Encoder = Callable[[Any], "bytes | None"]

_ACTION_ID_ROOM = MAX_LINE_BYTES - len("ActionID: \r\n")
_LINE_ROOM = MAX_LINE_BYTES - 2  # a line without its CRLF
_ESCAPED = '\\",()[]'
# Names already found to be SIP tokens (NOTIFY header names are few: Event, Content...).
_TOKENS: set[str] = set()
_TOKENS_MAX = 4096


def plain_action_id(action_id: object) -> bool:
    """True when ``action_id`` is plainly a valid ActionID (False: check it in full)."""
    return (
        type(action_id) is str
        and action_id.isascii()
        and action_id.isprintable()
        and action_id[:1] > " "
        and len(action_id) <= _ACTION_ID_ROOM
    )


def _token(name: str) -> bool:
    """Whether ``name`` is a SIP token, remembered when it is."""
    if SIP_TOKEN.fullmatch(name) is None:
        return False
    if len(_TOKENS) < _TOKENS_MAX:
        _TOKENS.add(name)
    return True


def _too_long(wire: str) -> bool:
    return max(map(len, wire.split("\r\n"))) > _LINE_ROOM


def _namespace(rules: Sequence[Any], **more: Any) -> dict[str, Any]:
    """The globals of a generated function: what both kinds read, and ``more``."""
    return {
        **more,
        "Variables": Variables,
        "plain_action_id": plain_action_id,
        "tokens": _TOKENS,
        "token": _token,
        "too_long": _too_long,
        "rules": tuple(rules),
    }


def _braced(header: str) -> str:
    """The start of ``header``'s line as a piece of an f-string: its braces doubled."""
    return f"{header}: ".replace("{", "{{").replace("}", "}}")


def _tail(wire: list[str], rules: Sequence[Any], bail: str, sets: Sequence[str] = ()) -> list[str]:
    """Source lines that join the ``wire`` pieces (of an f-string) in ``wire``, ``bail`` when
    it is not ASCII or has a line too long, run ``sets``, then ``bail`` at a broken rule
    (the rules read the attributes: ``sets`` store them first)."""
    lines = [
        f"wire = f{''.join(wire)!r}",
        f"if not wire.isascii() or (len(wire) > {MAX_LINE_BYTES} and too_long(wire)):",
        f"    {bail}",
        *sets,
    ]
    if rules:
        lines += ["for rule in rules:", "    if rule.check(self):", f"        {bail}"]
    return lines


def encoder(fields: Sequence[tuple[str, FieldInfo]], rules: Sequence[Any] = ()) -> Encoder | None:
    """The fast-path encoder of an action class with ``fields`` (wire order, ActionID
    excluded) and cross-field ``rules``, or None when a field is of a kind left to the full
    check. It returns the header lines after ActionID, or None: check in full."""
    body = [
        "action_id = self.action_id",
        "if action_id is not None and not plain_action_id(action_id):",
        "    return None",
    ]
    namespace = _namespace(rules)
    wire: list[str] = []  # the pieces of the f-string that joins the lines
    pair_counts: list[str] = []
    scalars = 0
    for n, (name, info) in enumerate(fields):
        braced = _braced(info.header)
        v, s = f"v{n}", f"s{n}"
        body.append(f"{v} = self.{name}")
        if info.kind == "variables":
            body += _variables(v, s, n, braced, info)
            pair_counts.append(f"len(p{n})")
            wire.append(f"{{{s}}}")
            continue
        scalars += 1
        scalar = _plain_scalar(info, v, n, namespace)
        if scalar is None:
            return None  # headers, indexed: the full check
        check, text = f"not ({scalar[0]})", scalar[1]
        if info.required:
            body += [f'if {v} is None or {v} == "" or {check}:', "    return None"]
            if text != v:
                body.append(f"{v} = {text}")
            wire.append(f"{braced}{{{v}}}\r\n")
            continue
        body += _optional(v, s, braced, scalar, "return None")
        wire.append(f"{{{s}}}")
    if pair_counts:
        room = MAX_LINES - 2 - scalars
        body += [f"if {' + '.join(pair_counts)} > {room}:", "    return None"]
    body += _tail(wire, rules, "return None")
    body.append("return wire.encode()")
    source = "def plain_wire(self):\n" + "".join(f"    {line}\n" for line in body)
    exec(compile(source, "<sdk.fastpath>", "exec"), namespace)
    encode: Encoder = namespace["plain_wire"]
    encode.source = source  # type: ignore[attr-defined]  # for tests and curious readers
    return encode


def _plain_choice(choice: str) -> bool:
    return choice.isascii() and choice.isprintable() and choice[:1] != " "


def _variables(v: str, s: str, n: int, braced: str, info: FieldInfo) -> list[str]:
    """Source lines for a ``variables`` field: ``s{n}`` gets its lines, escaped."""
    return [
        f"if type({v}) is not Variables or {v}.problems:",
        "    return None",
        f"p{n} = {v}._pairs",
        f"if len(p{n}) < {info.min_items}:",
        "    return None",
        *_pair_lines(f"p{n}", s, braced, info, "return None"),
    ]


def _plain_scalar(
    info: FieldInfo, v: str, n: int, namespace: dict[str, Any]
) -> tuple[str, str] | None:
    """For a scalar field whose value is ``v``: the test that it is plain (``v`` neither None
    nor empty), and the expression of its text on the wire; None for other kinds."""
    if info.kind == "string":
        return f"type({v}) is str and {v}.isprintable() and {v}[0] != ' '", v
    if info.kind == "integer":
        return f"type({v}) is int", v
    if info.kind == "boolean":
        return f"{v} is True or {v} is False", f"'true' if {v} else 'false'"
    if info.kind == "enum":
        choices = {c.lower(): c for c in reversed(info.choices) if _plain_choice(c)}
        namespace[f"choices{n}"] = choices  # the first choice wins when two differ in case
        return f"type({v}) is str and {v}.lower() in choices{n}", f"choices{n}[{v}.lower()]"
    return None


def _optional(v: str, s: str, braced: str, scalar: tuple[str, str], bail: str) -> list[str]:
    """Source lines for an optional scalar ``v``: ``s`` gets its line, or "" when it is None
    or the empty str; ``bail`` runs when it is not plain (``scalar``: ``_plain_scalar``'s),
    an empty ``str`` subclass included (attrs' converter stores it plain)."""
    plain, text = scalar
    return [
        f"if {v} is None or (type({v}) is str and not {v}):",
        f'    {s} = ""',
        f"elif not ({plain}):",
        f"    {bail}",
        "else:",
        f"    {s} = f{braced + '{' + text + '}'!r} '\\r\\n'",
    ]


def _pair_lines(items: str, s: str, braced: str, info: FieldInfo, bail: str) -> list[str]:
    """Source lines that check each ``(name, value)`` of ``items`` and put its line, escaped,
    in ``s``; ``bail`` runs at the first pair that is not plain."""
    if info.name_rule == "sip-token":
        name_check = "var not in tokens and not token(var)"
    else:  # empty, a leading blank or an "=": the full check says which
        name_check = "var[:1] <= ' ' or '=' in var or not var.isprintable()"
    lines = [
        f"{s} = ''",
        f"for var, text in {items}:",
        "    if (",
        "        type(var) is not str",
        "        or type(text) is not str",
        "        or not text.isprintable()",
        f"        or {name_check}",
        "    ):",
        f"        {bail}",
        f"    {s} += f{braced + '{var}={text}'!r} '\\r\\n'",
    ]
    for char, escaped in _ESCAPES:  # escape_variable_value, unrolled: one line at a time
        lines += [f"if {char!r} in {s}:", f"    {s} = {s}.replace({char!r}, {escaped!r})"]
    return lines


# --- construction ------------------------------------------------------------------------

_FUSED_KINDS = frozenset({"string", "integer", "boolean", "enum", "variables"})


def initializer(
    cls: type, fields: Sequence[tuple[str, FieldInfo]], rules: Sequence[Any] = ()
) -> Callable[..., None] | None:
    """A faster ``__init__`` for the attrs class ``cls``, or None when it has a field of a
    kind left to the full check.

    It checks the arguments themselves, as ``encoder`` checks the attributes, and when they
    are plain (text, exact ints and bools, a dict of text for a ``variables`` field) sets
    the attributes and the encoded lines at once: no converter, no ``__attrs_post_init__``,
    no second reading of what was just stored. Anything else, and any instance of a
    subclass, goes to the attrs ``__init__`` it replaces, which converts, checks in full and
    reports every problem. So the fused path stores what attrs would store (exact ints and
    bools and text pass attrs' converters unchanged; a dict becomes ``Variables`` of its
    items) and writes what the encoder writes (``tests/test_fastpath.py`` holds it to both).
    """
    if any(info.kind not in _FUSED_KINDS for _, info in fields):
        return None
    by_name = {f.name: f for f in attrs.fields(cls)}
    order = ["action_id", *(name for name, _ in fields)]
    if set(order) | {"_wire"} != set(by_name):
        return None  # fields outside the spec's (a hand-written subclass): attrs only
    attrs_init = cls.__init__
    alias = {name: by_name[name].alias or name for name in order}
    namespace = _namespace(
        rules,
        cls=cls,
        attrs_init=attrs_init,
        NOTHING=attrs.NOTHING,
        new_variables=Variables.__new__,
    )
    params = []
    for name in order:
        default = by_name[name].default
        if default is None:
            params.append(f"{alias[name]}=None")
        elif isinstance(default, attrs.Factory) and default.factory is Variables:  # type: ignore[arg-type]
            params.append(f"{alias[name]}=NOTHING")
        else:
            return None
        namespace[f"set_{name}"] = getattr(cls, name).__set__  # the slot, past frozen
    namespace["set__wire"] = cls._wire.__set__  # type: ignore[attr-defined]
    fallback = "return attrs_init(self, " + ", ".join(f"{a}={a}" for a in alias.values()) + ")"
    body = [
        "if type(self) is not cls or (action_id is not None and not plain_action_id(action_id)):",
        f"    {fallback}",
    ]
    stored: list[tuple[str, str]] = [("action_id", "action_id")]
    wire: list[str] = []
    pair_counts: list[str] = []
    sets = sum(info.kind == "variables" for _, info in fields)
    room = MAX_LINES - 2 - (len(fields) - sets)  # lines left for pairs: Action, ActionID
    for n, (name, info) in enumerate(fields):
        v, s = alias[name], f"s{n}"
        braced = _braced(info.header)
        if info.kind == "variables":
            body += _fused_variables(v, s, n, braced, info, fallback, room if sets == 1 else None)
            stored.append((name, f"pairs{n}"))
            pair_counts.append(f"len(items{n})")
            wire.append(f"{{{s}}}")
            continue
        stored.append((name, v))
        plain, text = _plain_scalar(info, v, n, namespace)  # type: ignore[misc]
        if info.required and info.kind == "string":  # "" fails the last test
            body += [
                f"if type({v}) is not str or not {v}.isprintable() or {v}[:1] <= ' ':",
                f"    {fallback}",
            ]
            wire.append(f"{braced}{{{v}}}\r\n")
            continue
        if info.required:
            body += [f'if {v} is None or {v} == "" or not ({plain}):', f"    {fallback}"]
            if text == v:
                wire.append(f"{braced}{{{v}}}\r\n")
            else:
                body.append(f"{s} = {text}")
                wire.append(f"{braced}{{{s}}}\r\n")
            continue
        body += _optional(v, s, braced, (plain, text), fallback)
        wire.append(f"{{{s}}}")
    if len(pair_counts) > 1:  # one alone was checked against its room with its minimum
        body += [f"if {' + '.join(pair_counts)} > {room}:", f"    {fallback}"]
    body += _tail(wire, rules, fallback, [f"set_{name}(self, {value})" for name, value in stored])
    body.append("set__wire(self, wire.encode())")
    source = f"def __init__(self, *, {', '.join(params)}):\n" + "".join(
        f"    {line}\n" for line in body
    )
    exec(compile(source, f"<sdk.fastpath {cls.__name__}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = attrs_init.__doc__
    init.source = source  # for tests and curious readers
    return init  # type: ignore[no-any-return]


def _fused_variables(
    v: str, s: str, n: int, braced: str, info: FieldInfo, fallback: str, room: int | None
) -> list[str]:
    """Source lines for a ``variables`` argument: a dict of text, its lines escaped in ``s{n}``."""
    lines = [
        f"if {v} is NOTHING:",
        f"    {v} = {{}}",
        f"elif type({v}) is not dict:",
        f"    {fallback}",
        f"items{n} = tuple({v}.items())",
    ]
    if room is not None:  # the only pairs of the action: both limits at once
        lines += [f"if not {info.min_items} <= len(items{n}) <= {room}:", f"    {fallback}"]
    elif info.min_items:
        lines += [f"if len(items{n}) < {info.min_items}:", f"    {fallback}"]
    lines += _pair_lines(f"items{n}", s, braced, info, fallback)
    lines += [
        f"pairs{n} = new_variables(Variables)",
        f"pairs{n}._pairs = items{n}",
        f"pairs{n}.problems = ()",
        f"pairs{n}.origins = None",
    ]
    return lines
