"""The base class of every action: validation on construction, exact bytes on the wire.

A generated action is a frozen, keyword-only attrs class whose fields carry ``FieldInfo``
metadata (``sdk.fields``). Construction checks every field against the wire rules and raises
one ``ValidationError`` listing all problems; a valid action keeps its encoded header lines,
so ``to_bytes`` only adds ``Action`` and ``ActionID``. Plain values (nearly all) are checked
and written at once by the class's ``sdk.fastpath`` functions (its fused ``__init__``, or
the encoder after attrs' own); anything else gets the full check here, the only one that
reports problems. Both read values made plain (``sdk.values``): an Enum member or a ``str``
subclass never reaches them as itself.

``from_message`` builds an action back from a received message without validating it, as
the embedded server must: Asterisk accepts messages the client classes refuse.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

from sdk.errors import FieldProblem, ValidationError
from sdk.fastpath import _ACTION_ID_ROOM, Encoder, encoder, initializer
from sdk.fields import (
    HEADER_NAME,
    MAX_LINE_BYTES,
    MAX_LINES,
    METADATA_KEY,
    SECRET_HEADERS,
    SIP_TOKEN,
    ExtraHeaders,
    FieldInfo,
    Records,
    Variables,
    ami_field,
    check_value,
    escape_variable_value,
    indexed_header,
    split_variables,
)
from sdk.message import Message
from sdk.values import plain

if TYPE_CHECKING:
    from sdk.rules import Rule

__all__ = ["Action", "action_fields", "fast_init", "secret_headers"]

A = TypeVar("A", bound="Action")

# Each action class's fast-path encoder (sdk.fastpath), made on first use; None: none.
_ENCODERS: dict[type, Encoder | None] = {}
# Each action class's first line and the start of the next, b"Action: Name\r\nActionID: ",
# made on first use.
_HEADS: dict[type, bytes] = {}

_ACTION_ID_DOC = "Echoed in the response and its events, so the answer can be matched."


@functools.cache
def action_fields(cls: type[Action]) -> tuple[tuple[str, FieldInfo], ...]:
    """``(attribute, FieldInfo)`` of every header field of ``cls`` in wire order, ActionID excluded."""
    out = []
    for field in attrs.fields(cls):
        info = field.metadata.get(METADATA_KEY)
        if info is not None and field.name != "action_id":
            out.append((field.name, info))
    return tuple(out)


def fast_init(cls: type[A]) -> type[A]:
    """Class decorator of generated actions, outside ``@attrs.frozen``: give the class the
    fused ``__init__`` of ``sdk.fastpath.initializer``, which checks and encodes plain
    arguments in one step and hands anything else to the attrs ``__init__``."""
    init = initializer(cls, action_fields(cls), cls.RULES)
    if init is not None:
        cls.__init__ = init  # type: ignore[misc]
    return cls


def _plain_problem(text: str) -> str | None:
    problem = check_value(text)
    if problem:
        return problem
    if text[:1] in (" ", "\t"):
        return "must not start with a blank: Asterisk strips leading blanks from header values"
    if text and ord(text[0]) < 33:
        return _LEADING_CONTROL.format(ord(text[0]))
    return None


# Asterisk's ast_skip_blanks drops every byte below 33 (not only blanks) before a value.
_LEADING_CONTROL = (
    "must not start with a control character (U+{:04X}): Asterisk strips every byte"
    " below 33 from the start of a header value"
)


def _encode_line(header: str, text: str) -> tuple[bytes | None, str | None]:
    """The line ``header: text`` with its CRLF, or the reason it cannot be sent."""
    try:
        line = f"{header}: {text}\r\n".encode()
    except UnicodeEncodeError as exc:
        return (
            None,
            f"is not valid Unicode text (unpaired surrogate at position {exc.start - len(header) - 2})",
        )
    if len(line) > MAX_LINE_BYTES:
        return None, (
            f"makes a line of {len(line)} bytes with its CRLF"
            f"{' after escaping' if header == 'Variable' else ''}; Asterisk reads at most {MAX_LINE_BYTES}"
        )
    return line, None


def _scalar_text(value: Any, info: FieldInfo) -> tuple[str | None, str | None]:
    """The wire text of a non-list value (made plain first: ``sdk.values``), by the rule of
    its kind, or the reason the value has the wrong type."""
    value = plain(value)
    kind = info.kind
    if kind == "string":
        if type(value) is str:
            return value, None
        return None, f"must be a string, not {type(value).__name__}"
    if kind == "integer":
        if type(value) is int:
            return str(value), None
        return None, f"must be an integer, not {value!r}"
    if kind == "boolean":
        if type(value) is bool:
            return ("true" if value else "false"), None
        return None, f"must be true or false, not {value!r}"
    if kind == "enum":
        if type(value) is str:
            for choice in info.choices:
                if value.lower() == choice.lower():
                    return choice, None
        return None, f"must be one of {', '.join(info.choices)}, not {value!r}"
    return None, f"has an unknown kind {kind!r}"  # pragma: no cover - codegen forbids it


def _encode(action: Action, *, check: bool) -> tuple[bytes, list[FieldProblem]]:
    """Encode the header lines after ActionID; with ``check``, collect every problem."""
    problems: list[FieldProblem] = []
    lines: list[bytes] = []
    if check and action.action_id is not None:
        problems.extend(_action_id_problems(action.action_id))
    for name, info in action_fields(type(action)):
        value = getattr(action, name)
        if info.kind == "variables":
            _encode_variables(name, info, value, lines, problems if check else None)
            continue
        if info.kind == "headers":
            _encode_headers(action, name, info, value, lines, problems if check else None)
            continue
        if info.kind == "indexed":
            _encode_indexed(name, info, value, lines, problems if check else None)
            continue
        if value is None or value == "":
            if check and info.required:
                problems.append(FieldProblem(name, info.header, "is required"))
            continue
        if check:
            text, problem = _scalar_text(value, info)
            if problem is None:
                problem = _plain_problem(text)  # type: ignore[arg-type]
            if problem is None:
                line, problem = _encode_line(info.header, text)  # type: ignore[arg-type]
            if problem is not None:
                problems.append(FieldProblem(name, info.header, problem))
                continue
        else:
            text = _scalar_text(value, info)[0] or str(value)
            line = f"{info.header}: {text}\r\n".encode(errors="surrogateescape")
        lines.append(line)  # type: ignore[arg-type]
    if check:
        for rule in type(action).RULES:
            problems.extend(rule.check(action))
    if check and len(lines) + 2 > MAX_LINES:
        problems.append(
            FieldProblem(
                None,
                None,
                f"makes a message of {len(lines) + 2} lines with Action and ActionID;"
                f" Asterisk reads at most {MAX_LINES}",
            )
        )
    return b"".join(lines), problems


def _encode_variables(
    name: str,
    info: FieldInfo,
    value: Any,
    lines: list[bytes],
    problems: list[FieldProblem] | None,
) -> None:
    if type(value) is not Variables:  # a subclass too: its pairs, made plain
        value = Variables.of(value)
    if problems is None:
        for var, text in value:
            lines.append(
                f"Variable: {var}={escape_variable_value(text)}\r\n".encode(
                    errors="surrogateescape"
                )
            )
        return
    header = info.header
    for index, problem in value.problems:
        problems.append(FieldProblem(name, header, problem, index))
    count = len(value) + len(value.problems)
    if count < info.min_items:
        if info.min_items == 1:
            problems.append(FieldProblem(name, header, f"needs at least one {header} (name=value)"))
        else:
            problems.append(
                FieldProblem(name, header, f"needs at least {info.min_items} items, not {count}")
            )
    sip = info.name_rule == "sip-token"
    for index, (var, text) in enumerate(value):
        problem = None
        if not var:
            problem = "has an empty name"
        elif sip and not SIP_TOKEN.fullmatch(var):
            problem = f"name {var!r} is not a SIP token (letters, digits and -.!%*_+`'~ only)"
        elif not sip and "=" in var:
            problem = f"name {var!r} must not contain '='"
        elif check_value(var):
            problem = f"name {check_value(var)}"
        elif ord(var[0]) < 33:
            problem = f"name {var!r} {_LEADING_CONTROL.format(ord(var[0]))}"
        elif check_value(text):
            problem = f"value of {var!r} {check_value(text)}"
        if problem is None:
            if not sip:
                var = escape_variable_value(var)
            line, problem = _encode_line(header, f"{var}={escape_variable_value(text)}")
            if line is not None:
                lines.append(line)
                continue
        problems.append(FieldProblem(name, header, problem, value.origin(index)))


def _encode_headers(
    action: Action,
    name: str,
    info: FieldInfo,
    value: Any,
    lines: list[bytes],
    problems: list[FieldProblem] | None,
) -> None:
    if type(value) is not ExtraHeaders:  # a subclass too: its pairs, made plain
        value = ExtraHeaders.of(value)
    if problems is None:
        for header, text in value:
            lines.append(f"{header}: {text}\r\n".encode(errors="surrogateescape"))
        return
    for index, problem in value.problems:
        problems.append(FieldProblem(name, info.header, problem, index))
    own = {"action", "actionid"} | {
        i.header.lower() for _, i in action_fields(type(action)) if i.kind != "headers"
    }
    for index, (header, text) in enumerate(value):
        if not HEADER_NAME.fullmatch(header):
            problem = f"header name {header!r} must be printable ASCII without blanks or ':'"
        elif header.lower() in own:
            problem = f"header name {header!r} clashes with a header the action already has"
        else:
            problem = _plain_problem(text)
            if problem is not None:
                problem = f"value of {header!r} {problem}"
        if problem is None:
            line, problem = _encode_line(header, text)
            if line is not None:
                lines.append(line)
                continue
        problems.append(FieldProblem(name, info.header, problem, value.origin(index)))


def _encode_indexed(
    name: str,
    info: FieldInfo,
    value: Any,
    lines: list[bytes],
    problems: list[FieldProblem] | None,
) -> None:
    """Write group ``n`` of a kind ``indexed`` field as its members' numbered headers."""
    if type(value) is not Records:  # a subclass too: its groups, made plain
        value = Records.of(value, info.members)
    if problems is None:
        for number, record in enumerate(value):
            for member, minfo in info.members:
                if record.get(member) is not None:
                    text = _scalar_text(record[member], minfo)[0] or str(record[member])
                    header = indexed_header(info.header, minfo.header, info.start + number)
                    lines.append(f"{header}: {text}\r\n".encode(errors="surrogateescape"))
        return
    first = info.members[0][1].header

    def label(number: int) -> str:  # a group's problems name its first header
        return indexed_header(info.header, first, info.start + number)

    for index, problem in value.problems:
        problems.append(FieldProblem(name, label(index), problem, index))
    count = len(value) + len(value.problems)
    if count < info.min_items:
        problems.append(
            FieldProblem(name, label(0), f"needs at least {info.min_items} groups, not {count}")
        )
    for number, record in enumerate(value):
        origin = value.origin(number)
        if not record:
            problems.append(FieldProblem(name, label(number), "group has no values", origin))
            continue
        for member, minfo in info.members:
            header = indexed_header(info.header, minfo.header, info.start + number)
            item = record.get(member)
            if item is None or item == "":
                if minfo.required:
                    problems.append(
                        FieldProblem(name, header, "is required in every group", origin)
                    )
                continue
            text, problem = _scalar_text(item, minfo)
            if problem is None:
                problem = _plain_problem(text)  # type: ignore[arg-type]
            if problem is None:
                line, problem = _encode_line(header, text)  # type: ignore[arg-type]
                if line is not None:
                    lines.append(line)
                    continue
            problems.append(FieldProblem(name, header, problem, origin))


def _read_indexed(info: FieldInfo, message: Message) -> Records:
    """The groups of a kind ``indexed`` field in a received message, up to the first gap."""
    records = []
    number = info.start
    while True:
        record: dict[str, Any] = {}
        for member, minfo in info.members:
            raw = message.get(indexed_header(info.header, minfo.header, number))
            if raw is not None:
                record[member] = _int_or_text(raw) if minfo.kind == "integer" else raw
        if not record:
            return Records(records)
        records.append(record)
        number += 1


def _int_or_text(raw: str) -> int | str:
    try:
        return int(raw)
    except ValueError:
        return raw


@functools.cache
def secret_headers(cls: type[Action]) -> frozenset[str]:
    """The headers (lower-cased) whose values an action of ``cls`` never shows (``***``):
    its fields marked ``secret`` in the spec, and, when it takes headers by name (``Generic``,
    UserEvent), any of ``SECRET_HEADERS`` that is not a field of its own. One rule for
    ``describe``, the session's log and the embedded server's record of what it read."""
    fields = action_fields(cls)
    own = {info.header.lower() for _, info in fields if info.kind != "headers"}
    secret = {info.header.lower() for _, info in fields if info.secret}
    if any(info.kind == "headers" for _, info in fields):
        secret |= SECRET_HEADERS - own
    return frozenset(secret)


def _action_id_problems(action_id: Any) -> list[FieldProblem]:
    """The problems of ``action_id``, a plain value (``sdk.values.plain``), as an ActionID."""
    if type(action_id) is not str:
        return [
            FieldProblem(
                "action_id", "ActionID", f"must be a string, not {type(action_id).__name__}"
            )
        ]
    if action_id == "":
        return [
            FieldProblem("action_id", "ActionID", "must not be empty: Asterisk would not echo it")
        ]
    problem = _plain_problem(action_id)
    if problem is None:
        problem = _encode_line("ActionID", action_id)[1]
    return [FieldProblem("action_id", "ActionID", problem)] if problem else []


@attrs.frozen(kw_only=True)
class Action:
    """Base of every AMI action. Subclasses are generated from ``specs/``."""

    ACTION: ClassVar[str] = ""
    SUMMARY: ClassVar[str] = ""
    SPEC: ClassVar[str] = ""
    MODULE: ClassVar[str] = ""
    PRIVILEGE: ClassVar[str] = ""
    SINCE: ClassVar[str] = ""
    REMOVED_IN: ClassVar[str] = ""
    REPLACED_BY: ClassVar[str] = ""
    AVAILABLE_IN: ClassVar[tuple[str, ...]] = ()
    SUCCESS_MESSAGE: ClassVar[str | None] = None
    LIST_EVENTS: ClassVar[tuple[str, ...]] = ()
    LIST_COMPLETE: ClassVar[str | None] = None
    RULES: ClassVar[tuple[Rule, ...]] = ()  # rules across fields (sdk.rules), from the spec

    action_id: str | None = ami_field("ActionID", doc=_ACTION_ID_DOC)
    # The encoded header lines, set by __attrs_post_init__ (not by attrs: one step less).
    _wire: bytes | None = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        cls = type(self)
        try:
            encode = _ENCODERS[cls]
        except KeyError:
            encode = _ENCODERS[cls] = encoder(action_fields(cls), cls.RULES)
        wire = None if encode is None else encode(self)  # plain values: checked, written
        if wire is None:  # anything else: check everything, report every problem
            wire, problems = _encode(self, check=True)
            if problems:
                raise ValidationError(self.ACTION, problems)
        object.__setattr__(self, "_wire", wire)

    @classmethod
    def fields(cls) -> tuple[tuple[str, FieldInfo], ...]:
        """``(attribute, FieldInfo)`` of each header field in wire order, ActionID excluded."""
        return action_fields(cls)

    def to_bytes(self, action_id: str | None = None) -> bytes:
        """The exact bytes to write: Action, ActionID, the fields in spec order, a blank line.

        ``action_id`` overrides the action's own for this write; with neither, no ActionID
        line is written.
        """
        wire = self._wire
        if wire is None:  # built by from_message: encode as it is, unchecked
            wire = _encode(self, check=False)[0]
        cls = type(self)
        try:
            head = _HEADS[cls]
        except KeyError:
            head = f"Action: {self.ACTION}\r\nActionID: ".encode()
            if type(cls.ACTION) is str:  # not a property of each instance (sdk.Generic)
                _HEADS[cls] = head
        if action_id is None:
            action_id = self.action_id
            if action_id is None:
                return b"".join((head[: -len(b"ActionID: ")], wire, b"\r\n"))
        elif (
            action_id is not self.action_id
            and not (
                type(action_id) is str  # plain_action_id, inline: this runs for every send
                and action_id.isascii()
                and action_id.isprintable()
                and action_id[:1] > " "
                and len(action_id) <= _ACTION_ID_ROOM
            )
        ):
            action_id = plain(action_id)  # checked and written as its plain text
            problems = _action_id_problems(action_id)
            if problems:
                raise ValidationError(self.ACTION, problems)
        return b"".join((head, action_id.encode(), b"\r\n", wire, b"\r\n"))

    def describe(self, action_id: str | None = None) -> str:
        """The message as it goes on the wire, for people and logs: secrets show as ``***``
        (``secret_headers``)."""
        lines = [f"Action: {self.ACTION}"]
        action_id = self.action_id if action_id is None else plain(action_id)
        if action_id is not None:
            lines.append(f"ActionID: {action_id}")
        wire = self._wire if self._wire is not None else _encode(self, check=False)[0]
        secrets = secret_headers(type(self))
        for line in wire.decode("utf-8", "replace").split("\r\n")[:-1]:
            name, _, _value = line.partition(": ")
            lines.append(f"{name}: ***" if name.lower() in secrets else line)
        return "\n".join(lines)

    @classmethod
    def from_message(cls: type[A], message: Message) -> A:
        """Build the action a received message asks for, without validating it.

        Headers are matched without regard to case, the first one winning; ``Variable``
        values are split the way Asterisk splits them.
        """
        values: dict[str, Any] = {"action_id": message.get("ActionID")}
        for name, info in action_fields(cls):
            if info.kind == "headers":
                own = {"action", "actionid"} | {i.header.lower() for _, i in action_fields(cls)}
                values[name] = ExtraHeaders(
                    [(n, v) for n, v in message.headers if n.lower() not in own]
                )
                continue
            if info.kind == "indexed":
                values[name] = _read_indexed(info, message)
                continue
            if info.kind == "variables":
                pairs: list[tuple[str, str]] = []
                for text in message.getall(info.header):
                    pairs.extend(split_variables(text.lstrip(" \t")))
                values[name] = Variables(pairs)
            else:
                raw = message.get(info.header)
                values[name] = (
                    _int_or_text(raw) if raw is not None and info.kind == "integer" else raw
                )
        obj = object.__new__(cls)
        for name, value in values.items():
            object.__setattr__(obj, name, value)
        object.__setattr__(obj, "_wire", None)
        return obj
