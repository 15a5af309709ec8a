"""The wire rules, each written once: what may stand in one line and one message of AMI.

From ``shared/ami/PROTOCOL.md``, checked against Asterisk 20 and 22:

- a line is ``Name: value`` + CRLF, at most 1024 bytes; a message at most 128 lines;
- CR, LF or NUL inside a value would end the line early, so they are refused;
- Asterisk drops every byte below 33 (blanks and control characters) before a header's
  value, so a value may not start with one;
- ``Variable`` values are split by Asterisk on ``,`` (outside ``()``, ``[]``, ``"..."``),
  with ``"`` removed and ``\\`` escaping the next character; so one pair is written a line,
  and ``\\ " , ( ) [ ]`` in a value get a backslash (``escape_variable_value``);
- a NOTIFY header name (``name_rule: sip-token``) is a SIP token (RFC 3261); a header given
  by name (kind ``headers``) is printable ASCII without blanks or ``:``.

Each ``WireRule`` holds two forms of one rule side by side: ``problem``, the full check that
says what is wrong (the full path, ``validate``), and ``refuse``, the conditions under which
the fast path that codegen writes into each action module leaves a value to the full check.
A refusal may refuse more than the rule forbids (a tab, a non-ASCII letter), never less;
``tests/test_generated_paths.py`` holds the two forms to that on every action.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

from sdk.errors import FieldProblem
from sdk.model.values import plain

__all__ = [
    "ACTION_ID",
    "ACTION_ID_ROOM",
    "ESCAPED",
    "HEADER_NAME",
    "HEADER_VALUE",
    "LINE",
    "MAX_LINES",
    "MAX_LINE_BYTES",
    "PAIR_NAMES",
    "PAIR_VALUE",
    "SIP_TOKEN",
    "SIP_TOKENS",
    "action_id_problems",
    "check_value",
    "encode_line",
    "escape_variable_value",
    "is_sip_token",
    "message_problem",
    "too_long",
]

MAX_LINE_BYTES = 1024  # one line with its CRLF, as Asterisk's manager.c reads it
MAX_LINES = 128  # lines of one message, Action and ActionID included
LINE_ROOM = MAX_LINE_BYTES - 2  # one line without its CRLF
ACTION_ID_ROOM = MAX_LINE_BYTES - len("ActionID: \r\n")

# A SIP token (RFC 3261): what a SIP header name may be.
SIP_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
# What an AMI header name of a "headers" field may be: visible ASCII but the colon.
HEADER_NAME = re.compile(r"[!-9;-~]+")
_FORBIDDEN = re.compile(r"[\r\n\x00]")
# What gets a backslash in a Variable line, the backslash first (so no added one is escaped
# again). None of these can stand in "Variable: ", "=", CRLF or a SIP token, so escaping a
# field's lines at once escapes each name and value as escaping them one by one does.
ESCAPED = '\\",()[]'
_ESCAPES = tuple((char, "\\" + char) for char in ESCAPED)
# Names already found to be SIP tokens (NOTIFY header names are few: Event, Content...).
SIP_TOKENS: set[str] = set()
_SIP_TOKENS_MAX = 4096

_LEADING_CONTROL = (
    "must not start with a control character (U+{:04X}): Asterisk strips every byte"
    " below 33 from the start of a header value"
)


@attrs.frozen
class WireRule:
    """One wire rule: ``problem(text)`` is what is wrong with an exact ``str`` (None: it
    keeps the rule); ``refuse`` holds conditions over ``{v}``, written by codegen into the
    fast path, any of which sends the value to the full check."""

    name: str
    problem: Callable[..., str | None]
    refuse: tuple[str, ...]
    uses: tuple[str, ...] = ()  # the names of this module the refusals call

    def refusals(self, v: str) -> list[str]:
        """The conditions of ``refuse`` for the variable called ``v``."""
        return [condition.replace("{v}", v) for condition in self.refuse]


def check_value(text: str) -> str | None:
    """The problem with ``text`` as a value on the wire (CR, LF, NUL), or None."""
    if type(text) is str and "\r" not in text and "\n" not in text and "\x00" not in text:
        return None  # the usual case, at once
    match = _FORBIDDEN.search(text)
    if match:
        char = {"\r": "CR", "\n": "LF", "\x00": "NUL"}[match.group()]
        return f"must not contain CR, LF or NUL (found {char} at position {match.start()})"
    return None


def _header_value_problem(text: str) -> str | None:
    problem = check_value(text)
    if problem:
        return problem
    if text[:1] in (" ", "\t"):
        return "must not start with a blank: Asterisk strips leading blanks from header values"
    if text and ord(text[0]) < 33:
        return _LEADING_CONTROL.format(ord(text[0]))
    return None


def _variable_name_problem(name: str) -> str | None:
    if not name:
        return "has an empty name"
    if "=" in name:
        return f"name {name!r} must not contain '='"
    problem = check_value(name)
    if problem:
        return f"name {problem}"
    if ord(name[0]) < 33:
        return f"name {name!r} {_LEADING_CONTROL.format(ord(name[0]))}"
    return None


def _sip_token_problem(name: str) -> str | None:
    if not name:
        return "has an empty name"
    if not SIP_TOKEN.fullmatch(name):
        return f"name {name!r} is not a SIP token (letters, digits and -.!%*_+`'~ only)"
    return None


def is_sip_token(name: str) -> bool:
    """Whether ``name`` is a SIP token, remembered (in ``SIP_TOKENS``) when it is."""
    if SIP_TOKEN.fullmatch(name) is None:
        return False
    if len(SIP_TOKENS) < _SIP_TOKENS_MAX:
        SIP_TOKENS.add(name)
    return True


def too_long(wire: str) -> bool:
    """Whether a line of ``wire`` (ASCII lines ending in CRLF) is over 1024 bytes."""
    return max(map(len, wire.split("\r\n"))) > LINE_ROOM


def encode_line(header: str, text: str) -> tuple[bytes | None, str | None]:
    """The line ``header: text`` with its CRLF, or the reason it cannot be sent."""
    try:
        line = f"{header}: {text}\r\n".encode()
    except UnicodeEncodeError as exc:
        where = exc.start - len(header) - 2
        return None, f"is not valid Unicode text (unpaired surrogate at position {where})"
    if len(line) > MAX_LINE_BYTES:
        escaped = " after escaping" if header == "Variable" else ""
        return None, (
            f"makes a line of {len(line)} bytes with its CRLF{escaped};"
            f" Asterisk reads at most {MAX_LINE_BYTES}"
        )
    return line, None


def escape_variable_value(value: str) -> str:
    """Put a backslash before each of ``\\ " , ( ) [ ]`` so Asterisk reads ``value`` as given."""
    if type(value) is not str:
        value = plain(value)  # its characters, not what its own replace() says
    for char, escaped in _ESCAPES:  # several times faster than the regular expression
        if char in value:
            value = value.replace(char, escaped)
    return value


def message_problem(lines: int) -> FieldProblem | None:
    """The problem of a message of ``lines`` lines (Action and ActionID included), or None."""
    if lines <= MAX_LINES:
        return None
    return FieldProblem(
        None,
        None,
        f"makes a message of {lines} lines with Action and ActionID;"
        f" Asterisk reads at most {MAX_LINES}",
    )


def action_id_problems(action_id: object) -> list[FieldProblem]:
    """The problems of ``action_id``, a plain value (``sdk.model.values.plain``), as an ActionID."""

    def problem(message: str) -> list[FieldProblem]:
        return [FieldProblem("action_id", "ActionID", message)]

    if type(action_id) is not str:
        return problem(f"must be a string, not {type(action_id).__name__}")
    if action_id == "":
        return problem("must not be empty: Asterisk would not echo it")
    message = _header_value_problem(action_id) or encode_line("ActionID", action_id)[1]
    return problem(message) if message else []


# A plain header's value: no CR, LF or NUL, no leading blank or control character.
HEADER_VALUE = WireRule(
    "header value", _header_value_problem, ("not {v}.isprintable()", '{v}[:1] <= " "')
)
# A Variable pair's value (after "name="): no CR, LF or NUL; a leading blank is kept.
PAIR_VALUE = WireRule("pair value", check_value, ("not {v}.isprintable()",))
# The name of a Variable pair, by the field's name_rule.
PAIR_NAMES = {
    "variable": WireRule(
        "variable name",
        _variable_name_problem,
        ('{v}[:1] <= " "', '"=" in {v}', "not {v}.isprintable()"),
    ),
    "sip-token": WireRule(
        "SIP token",
        _sip_token_problem,
        ("{v} not in SIP_TOKENS and not is_sip_token({v})",),
        ("SIP_TOKENS", "is_sip_token"),
    ),
}
# An ActionID: a header value that fits its line (a quarter of its room in characters
# cannot make more bytes than the room; a longer one is measured by the full check).
ACTION_ID = WireRule(
    "ActionID",
    lambda text: next((p.message for p in action_id_problems(text)), None),
    ("not {v}.isprintable()", '{v}[:1] <= " "', f"len({{v}}) > {ACTION_ID_ROOM // 4}"),
)
# The lines of a message, joined (each with its CRLF): none over 1024 bytes, valid text.
# ASCII text has as many bytes as characters and no unpaired surrogate.
LINE = WireRule(
    "line length",
    lambda header, text: encode_line(header, text)[1],
    ("not {v}.isascii()", f"(len({{v}}) > {MAX_LINE_BYTES} and too_long({{v}}))"),
    ("too_long",),
)
