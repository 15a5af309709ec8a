"""The fast path of encoding an action: plain values, written at once.

Nearly every action a user builds holds plain values: printable ASCII text, short lines,
NOTIFY header names that are SIP tokens. For each action class, ``encoder(fields)`` writes
(on first use, as attrs writes ``__init__``) one Python function that checks such values
with a few string methods and writes the header lines; for anything else it returns None,
and ``sdk.action`` runs the full check (``_encode``), which finds and reports every problem.
The fast path accepts only what the full check accepts and writes the same bytes for it
(``tests/test_fastpath.py`` holds the two to that, on random values for every action). Fields
of kind ``headers`` and ``indexed`` always take the full path.

Why the shortcuts hold:

- a printable string holds no CR, LF, NUL or other control character; a message that is
  all ASCII encodes to as many bytes as it has characters, and holds no surrogate; so a
  value is plain when it is printable, does not start with a blank, and the message it ends
  up in is ASCII with lines of at most 1024 bytes (all of them together, or each counted);
- exact ``str``, ``int`` and ``bool`` only: a subclass may format itself otherwise;
- no character that gets a backslash (``\\ " , ( ) [ ]``) can be in ``Variable: ``, ``=``,
  CRLF or a SIP token, so escaping all of a field's ``Variable`` lines at once escapes each
  value (and each name, under the ``variable`` rule) as the full path does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sdk.fields import (
    MAX_LINE_BYTES,
    MAX_LINES,
    SIP_TOKEN,
    FieldInfo,
    Variables,
    escape_variable_value,
)

__all__ = ["Encoder", "encoder", "plain_action_id"]

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


def encoder(fields: Sequence[tuple[str, FieldInfo]], rules: Sequence[Any] = ()) -> Encoder | None:
    """The fast-path encoder of an action class with ``fields`` (wire order, ActionID
    excluded) and cross-field ``rules``, or None when a field is of a kind left to the full
    check. It returns the header lines after ActionID, or None: check in full."""
    body = [
        "    action_id = self.action_id",
        "    if action_id is not None and not plain_action_id(action_id):",
        "        return None",
    ]
    namespace: dict[str, Any] = {
        "Variables": Variables,
        "plain_action_id": plain_action_id,
        "tokens": _TOKENS,
        "token": _token,
        "too_long": _too_long,
        "escape": escape_variable_value,
        "rules": tuple(rules),
    }
    wire: list[str] = []  # the pieces of the f-string that joins the lines
    pair_counts: list[str] = []
    scalars = 0
    for n, (name, info) in enumerate(fields):
        prefix = f"{info.header}: "
        braced = prefix.replace("{", "{{").replace("}", "}}")
        v, s = f"v{n}", f"s{n}"
        body.append(f"    {v} = self.{name}")
        if info.kind == "variables":
            body += _variables(v, s, n, braced, info)
            pair_counts.append(f"len(p{n})")
            wire.append(f"{{{s}}}")
            continue
        scalars += 1
        if info.kind == "string":
            check, text = f"type({v}) is not str or not {v}.isprintable() or {v}[0] == ' '", v
        elif info.kind == "integer":
            check, text = f"type({v}) is not int", v
        elif info.kind == "boolean":
            check, text = f"{v} is not True and {v} is not False", f"'true' if {v} else 'false'"
        elif info.kind == "enum":
            choices = {c.lower(): c for c in reversed(info.choices) if _plain_choice(c)}
            namespace[f"choices{n}"] = choices  # the first choice wins when two differ in case
            check = f"type({v}) is not str or {v}.lower() not in choices{n}"
            text = f"choices{n}[{v}.lower()]"
        else:
            return None  # headers, indexed: the full check
        if info.required:
            body += [
                f'    if {v} is None or {v} == "" or {check}:',
                "        return None",
            ]
            if text != v:
                body.append(f"    {v} = {text}")
            wire.append(f"{braced}{{{v}}}\r\n")
            continue
        body += [
            f'    if {v} is None or {v} == "":',
            f'        {s} = ""',
            f"    elif {check}:",
            "        return None",
            "    else:",
            f"        {s} = f{braced + '{' + text + '}'!r} '\\r\\n'",
        ]
        wire.append(f"{{{s}}}")
    if pair_counts:
        room = MAX_LINES - 2 - scalars
        body += [f"    if {' + '.join(pair_counts)} > {room}:", "        return None"]
    body += [
        f"    wire = f{''.join(wire)!r}",
        f"    if not wire.isascii() or (len(wire) > {MAX_LINE_BYTES} and too_long(wire)):",
        "        return None",
    ]
    if rules:
        body += [
            "    for rule in rules:",
            "        if rule.check(self):",
            "            return None",
        ]
    body.append("    return wire.encode()")
    source = "def plain_wire(self):\n" + "\n".join(body) + "\n"
    exec(compile(source, "<sdk.fastpath>", "exec"), namespace)
    encode: Encoder = namespace["plain_wire"]
    encode.source = source  # type: ignore[attr-defined]  # for tests and curious readers
    return encode


def _plain_choice(choice: str) -> bool:
    return choice.isascii() and choice.isprintable() and choice[:1] != " "


def _variables(v: str, s: str, n: int, braced: str, info: FieldInfo) -> list[str]:
    """Source lines for a ``variables`` field: ``s{n}`` gets its lines, escaped."""
    if info.name_rule == "sip-token":
        name_check = "var not in tokens and not token(var)"
    else:  # empty, a leading blank or an "=": the full check says which
        name_check = "var[:1] <= ' ' or '=' in var or not var.isprintable()"
    return [
        f"    if type({v}) is not Variables or {v}.problems:",
        "        return None",
        f"    p{n} = {v}._pairs",
        f"    if len(p{n}) < {info.min_items}:",
        "        return None",
        f"    lines{n} = []",
        f"    for var, text in p{n}:",
        "        if (",
        "            type(var) is not str",
        "            or type(text) is not str",
        "            or not text.isprintable()",
        f"            or {name_check}",
        "        ):",
        "            return None",
        f"        lines{n}.append(f{braced + '{var}={text}'!r} '\\r\\n')",
        f"    {s} = escape(''.join(lines{n}))",
    ]
