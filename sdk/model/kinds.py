"""The table of kinds of field: each kind is one object, and everything reads it.

A field's kind (``FieldInfo.kind``: string, integer, boolean, enum, variables, headers,
indexed) decides, here and nowhere else:

- ``annotation`` and ``accepts``: the attribute's type and what the generated ``__init__``
  takes for it (``variables={"Event": "check-sync"}`` type-checks);
- ``convert``: the attrs converter, which makes the value plain (``sdk.model.values.plain``, the
  one boundary every value crosses) and puts list-like values in ``Pairs`` or ``Records``;
- ``check``: its problems, as ``FieldProblem`` (the full path, ``Action.validate``);
- ``encode``: the header lines of a valid value; ``decode``: the value a received message
  gives it (``sdk.model.received``);
- ``editor``: the name of the form editor it gets (``sdk.widgets.editors`` maps names to
  widgets; None: a text box); ``option``: the command-line option it gets, as a
  ``CliOption`` (``sdk.cli`` builds the argparse option from it);
- ``facts``: the ``FieldInfo`` facts it takes besides the common ones (codegen's spec
  loader refuses the others), and ``needs``, those it cannot do without;
- ``fast``: its fragment of the fast path that codegen writes into each action module
  (Jinja source, rendered by ``codegen.render``), or None when its fields always take the
  full path.

Adding a kind is adding one object to ``KINDS`` (and its tests). A name that is not in the
table (a field written by hand with a kind of its own) gets ``UNKNOWN``: a text box, an
option taking text, and the problem "has an unknown kind".
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec

import attrs

from sdk.errors import FieldProblem
from sdk.model.checks import (
    HEADER_NAME,
    HEADER_VALUE,
    PAIR_NAMES,
    action_id_problems,
    check_value,
    encode_line,
    escape_variable_value,
    message_problem,
)
from sdk.model.fields import (
    FALSE_WORDS,
    METADATA_KEY,
    SECRET_HEADERS,
    TRUE_WORDS,
    ExtraHeaders,
    FieldInfo,
    Pairs,
    Records,
    Variables,
    indexed_header,
    split_variables,
)
from sdk.model.values import plain

if TYPE_CHECKING:
    from sdk.model.action import Action
    from sdk.wire.message import Message

__all__ = [
    "COMMON_FACTS",
    "KINDS",
    "RELEASE_FACTS",
    "UNKNOWN",
    "BooleanInput",
    "ChoiceInput",
    "CliOption",
    "Found",
    "IntegerInput",
    "Kind",
    "PairsInput",
    "RecordsInput",
    "TextInput",
    "ami_field",
    "fast_choices",
    "fields_of",
    "kind_of",
    "new_pairs",
    "slot_setters",
]

# What the generated ``__init__`` of an action takes for a field of each kind: what its
# converter reads (an Enum member by its value, a str subclass by its characters...).
TextInput = str | enum.Enum | None
IntegerInput = int | str | enum.Enum | None
BooleanInput = bool | str | enum.Enum | None
ChoiceInput = str | enum.Enum | None
PairsInput = Mapping[str, object] | Iterable[tuple[str, object] | str] | str | None
RecordsInput = Mapping[str, object] | Iterable[Mapping[str, object]] | None

# The facts of every field; each kind takes these and its own ``facts``.
COMMON_FACTS = (
    "header",
    "kind",
    "available_in",
    "required",
    "required_in",
    "secret",
    "default",
    "doc",
)
# The facts that say how a header differs between Asterisk releases (``sdk.model.releases``):
# a field takes them (``choices_in`` only of kind enum), a member of an indexed group does not.
RELEASE_FACTS = ("available_in", "required_in", "choices_in")


@attrs.frozen
class CliOption:
    """The command-line option of a field, without argparse: ``action`` is ``store`` (one
    value), ``append`` (repeatable) or ``flag`` (``--x``/``--no-x``); ``type`` converts the
    text; ``help`` is added to the field's doc."""

    action: str = "store"
    type: Callable[[str], object] | None = None
    metavar: str | None = "VALUE"
    help: str = ""


_FIELDS: dict[type, tuple[tuple[str, FieldInfo], ...]] = {}


def fields_of(cls: type) -> tuple[tuple[str, FieldInfo], ...]:
    """``(attribute, FieldInfo)`` of every header field of the attrs class ``cls``, in wire
    order, ActionID excluded (read once a class)."""
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(
            (field.name, field.metadata[METADATA_KEY])
            for field in attrs.fields(cls)
            if METADATA_KEY in field.metadata and field.name != "action_id"
        )
    return found


class Found:
    """What validation finds: the problems, and the lines the valid values make."""

    __slots__ = ("cls", "lines", "problems")

    def __init__(self, cls: type, action_id: object) -> None:
        self.cls = cls
        self.problems: list[FieldProblem] = []
        self.lines = 2  # Action and ActionID
        if action_id is not None:
            self.problems.extend(action_id_problems(action_id))

    def add(self, field: str, header: str, message: str, index: int | None = None) -> None:
        self.problems.append(FieldProblem(field, header, message, index))

    def finish(self, action: Action) -> list[FieldProblem]:
        """Add what the rules across fields and the message's length say; every problem."""
        for rule in action.RULES:
            self.problems.extend(rule.check(action))
        too_many = message_problem(self.lines)
        if too_many is not None:
            self.problems.append(too_many)
        return self.problems


def _given(value: object) -> bool:
    return not (value is None or value == "")


def _mask(value: object) -> str:
    return "None" if value is None else "'***'"


class Kind:
    """One kind of field; the base is what every kind shares (see the module's docstring)."""

    name: ClassVar[str]
    annotation: ClassVar[str]
    accepts: ClassVar[str]
    # what a generated module imports for a field of this kind: (module, name)
    imports: ClassVar[tuple[tuple[str, str], ...]] = ()
    facts: ClassVar[tuple[str, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ()
    scalar: ClassVar[bool] = False  # one header, one line: a member of an indexed group may be
    pairs: ClassVar[bool] = False  # its value is Pairs (rules across fields name their names)
    any_header: ClassVar[bool] = False  # its pairs are headers named by the user
    pattern: ClassVar[bool] = False  # its header is a pattern of numbered headers
    editor: ClassVar[str | None] = None
    fast: ClassVar[str | None] = None
    fast_imports: ClassVar[tuple[tuple[str, str], ...]] = ()  # what its fast path calls

    def convert(self, value: object) -> object:
        return plain(value)

    def attrs_field(self, info: FieldInfo) -> Any:
        """The attrs field of ``info``'s attribute: default, converter, metadata, repr."""
        return attrs.field(
            default=None,
            converter=self.convert,
            metadata={METADATA_KEY: info},
            repr=_mask if info.secret else True,
        )

    def check(self, found: Found, name: str, info: FieldInfo, value: object) -> None:
        raise NotImplementedError

    def encode(self, info: FieldInfo, value: object) -> str:
        """The header lines of a valid value, each with its CRLF ("" when it has none)."""
        raise NotImplementedError

    def decode(self, info: FieldInfo, message: Message, taken: frozenset[str]) -> object:
        """The value ``message`` gives this field (first header of its name wins; ``taken``:
        the headers of the action's other fields, lower-cased)."""
        raw = message.get(info.header)
        return raw if raw is None else self.decode_text(raw)

    def decode_text(self, raw: str) -> object:
        """A received header's text as this kind's value: the text, unchecked."""
        return raw

    def option(self, info: FieldInfo) -> CliOption:
        return CliOption()

    def documented(self, info: FieldInfo) -> list[tuple[str, bool]]:
        """The documentation's ``(parameter, required)`` this field stands for."""
        return [(info.header, info.required or info.min_items > 0)]

    def header_problem(self, header: str) -> str | None:
        """Why ``header`` cannot be the header of a field of this kind, or None."""
        if HEADER_NAME.fullmatch(header):
            return None
        return f"header {header!r} is no AMI header name (printable ASCII without blanks or ':')"


# --- the scalar kinds: one header, one line ------------------------------------------------

# The fast path of a scalar field (``f``: the field, ``kind``: its kind, ``i``: the indent
# of the block, ``bail``: the statement that leaves a value to the full path; ``refuse``,
# ``fline`` and ``pystr`` come from codegen). Absent (None or the empty str): no line; given:
# plain, or left to the full path.
SCALAR_FAST = """\
{% set p = " " * i %}
{{ p }}_v = {{ f.name }}
{% if f.info.required %}
{% set q = p %}
{% else %}
{% set q = p ~ "    " %}
{{ p }}if _v is not None and (type(_v) is not str or _v):
{% endif %}
{{ refuse(kind.refusals("_v", f.name), q | length, bail) }}
{% if kind.fast_wire %}
{{ q }}_t = {{ code(kind.fast_text("_v")) }}
{% endif %}
{{ q }}_wire += {{ fline(f.info.header, "_t" if kind.fast_wire else "_v") }}
"""


class Scalar(Kind):
    """A kind whose value is one header's text."""

    scalar = True
    fast: ClassVar[str | None] = SCALAR_FAST
    # the fast path's conditions that leave a given value to the full path ({v}: the value)
    fast_refuse: ClassVar[tuple[str, ...]] = ()
    fast_wire: ClassVar[str | None] = None  # the value's text, when it is not the value

    def text(self, value: object, info: FieldInfo) -> tuple[str | None, str | None]:
        """The wire text of a given value (plain), or the reason its type is wrong."""
        raise NotImplementedError

    def refusals(self, v: str, name: str) -> list[str]:
        return [c.replace("{v}", v).replace("{name}", name) for c in self.fast_refuse]

    def fast_text(self, v: str) -> str | None:
        return None if self.fast_wire is None else self.fast_wire.replace("{v}", v)

    def check(self, found: Found, name: str, info: FieldInfo, value: object) -> None:
        problem = self.problem(info, info.header, value)
        if problem is None:
            found.lines += _given(value)
        elif problem:
            found.add(name, info.header, problem)

    def problem(
        self, info: FieldInfo, header: str, value: object, required: str = ""
    ) -> str | None:
        """The problem of ``value`` in the line of ``header``; None: fine; "": not given."""
        if not _given(value):
            return (required or "is required") if info.required else None
        text, problem = self.text(plain(value), info)
        if text is None:
            return problem
        return HEADER_VALUE.problem(text) or encode_line(header, text)[1]

    def line(self, header: str, value: object, info: FieldInfo) -> str:
        if not _given(value):
            return ""
        text = self.text(plain(value), info)[0]
        if text is None:  # a received value of another type: as it is
            text = str(value)
        return f"{header}: {text}\r\n"

    def encode(self, info: FieldInfo, value: object) -> str:
        return self.line(info.header, value, info)


class String(Scalar):
    name = "string"
    annotation = "str | None"
    accepts = "TextInput"
    imports = (("sdk.model.kinds", "TextInput"),)
    editor = "text"
    fast_refuse = ("type({v}) is not str", *HEADER_VALUE.refuse)

    def text(self, value: object, info: FieldInfo) -> tuple[str | None, str | None]:
        if type(value) is str:
            return value, None
        return None, f"must be a string, not {type(value).__name__}"


_INTEGER = re.compile(r"[+-]?\d+")


class Integer(Scalar):
    name = "integer"
    annotation = "int | None"
    accepts = "IntegerInput"
    imports = (("sdk.model.kinds", "IntegerInput"),)
    editor = "integer"
    fast_refuse = ("type({v}) is not int",)

    def convert(self, value: object) -> object:
        value = plain(value)
        if type(value) is str and _INTEGER.fullmatch(value.strip()):
            return int(value)
        return value

    def text(self, value: object, info: FieldInfo) -> tuple[str | None, str | None]:
        if type(value) is int:
            return str(value), None
        return None, f"must be an integer, not {value!r}"

    def decode_text(self, raw: str) -> object:
        return _int_or_text(raw)

    def option(self, info: FieldInfo) -> CliOption:
        return CliOption(type=int, metavar=None)


def _int_or_text(raw: str) -> int | str:
    try:
        return int(raw)
    except ValueError:
        return raw


class Boolean(Scalar):
    name = "boolean"
    annotation = "bool | None"
    accepts = "BooleanInput"
    imports = (("sdk.model.kinds", "BooleanInput"),)
    editor = "boolean"
    fast_refuse = ("{v} is not True and {v} is not False",)
    fast_wire = '"true" if {v} else "false"'

    def convert(self, value: object) -> object:
        value = plain(value)
        if type(value) is str:
            low = value.strip().lower()
            if low in TRUE_WORDS:
                return True
            if low in FALSE_WORDS:
                return False
        return value

    def text(self, value: object, info: FieldInfo) -> tuple[str | None, str | None]:
        if type(value) is bool:
            return ("true" if value else "false"), None
        return None, f"must be true or false, not {value!r}"

    def option(self, info: FieldInfo) -> CliOption:
        return CliOption(action="flag", metavar=None)


class Choice(Scalar):
    name = "enum"
    annotation = "str | None"
    accepts = "ChoiceInput"
    imports = (("sdk.model.kinds", "ChoiceInput"),)
    facts = ("choices", "choices_in")
    needs = ("choices",)
    editor = "choice"
    fast_refuse = ("type({v}) is not str", '{v} not in _CHOICES["{name}"]')
    fast_imports = (("sdk.model.kinds", "fast_choices"),)

    def text(self, value: object, info: FieldInfo) -> tuple[str | None, str | None]:
        if type(value) is str:
            for choice in info.choices:
                if value.lower() == choice.lower():
                    return choice, None
        return None, f"must be one of {', '.join(info.choices)}, not {value!r}"

    def option(self, info: FieldInfo) -> CliOption:
        return CliOption(metavar="|".join(info.choices))

    def fast_set(self, info: FieldInfo) -> frozenset[str]:
        """The choices the fast path takes as they are: the first of those that differ only
        in case (the full path writes that one for any of them), when it is plain text."""
        first: dict[str, str] = {}
        for choice in info.choices:
            first.setdefault(choice.lower(), choice)
        return frozenset(
            choice
            for choice in first.values()
            if choice.isascii() and choice.isprintable() and choice[:1] > " "
        )


# --- pairs: repeated lines -------------------------------------------------------------------

# The fast path of a variables field: a dict of text, one escaped line a pair (``room``: the
# lines left for them when the action has no other field of pairs).
PAIRS_FAST = """\
{% set p = " " * i %}
{{ p }}_v = {{ f.name }}
{{ refuse(["type(_v) is not dict"], i, bail) }}
{{ p }}_p{{ n }} = tuple(_v.items())
{% if room %}
{{ refuse(["not " ~ f.info.min_items ~ " <= len(_p" ~ n ~ ") <= " ~ room], i, bail) }}
{% elif f.info.min_items %}
{{ refuse(["len(_p" ~ n ~ ") < " ~ f.info.min_items], i, bail) }}
{% endif %}
{{ p }}_w{{ n }} = ""
{{ p }}_taken{{ n }} = True
{{ p }}for _name, _text in _p{{ n }}:  # a pair it does not take ends the pairs, then the block
{{ refuse(["type(_name) is not str", "type(_text) is not str"]
          + rules.PAIR_VALUE.refusals("_text"), i + 4, "_taken" ~ n ~ " = False\nbreak") }}
{{ refuse(rules.PAIR_NAMES[f.info.name_rule].refusals("_name"), i + 4,
          "_taken" ~ n ~ " = False\nbreak") }}
{{ p }}    _w{{ n }} += {{ fpair(f.info.header, "_name", "_text") }}
{{ refuse(["not _taken" ~ n], i, bail) }}
{% for char in rules.ESCAPED %}
{{ p }}if {{ char | pystr }} in _w{{ n }}:
{{ p }}    _w{{ n }} = _w{{ n }}.replace({{ char | pystr }}, {{ ("\\\\" ~ char) | pystr }})
{% endfor %}
{{ p }}_wire += _w{{ n }}
{{ p }}_q{{ n }} = new_pairs(Variables)
{{ p }}_q{{ n }}._pairs = _p{{ n }}
{{ p }}_q{{ n }}.problems = ()
{{ p }}_q{{ n }}.origins = None
"""


class PairsKind(Kind):
    """A kind whose value is ordered (name, value) pairs."""

    annotation = "Pairs"
    accepts = "PairsInput"
    facts: ClassVar[tuple[str, ...]] = ("min_items",)
    pairs = True
    editor = "pairs"
    pairs_class: ClassVar[type[Pairs]] = Pairs

    def convert(self, value: object) -> object:
        return self.pairs_class.of(value)

    def attrs_field(self, info: FieldInfo) -> Any:
        return attrs.field(
            factory=self.pairs_class,
            converter=self.convert,
            metadata={METADATA_KEY: info},
            repr=_mask if info.secret else True,
        )

    def given(self, value: object) -> Pairs:
        """``value`` as this kind's Pairs (a subclass's too: its pairs, made plain)."""
        if type(value) is not self.pairs_class:
            value = self.pairs_class.of(value)
        return value

    def option(self, info: FieldInfo) -> CliOption:
        return CliOption(action="append", metavar="NAME=VALUE", help=" Repeat for each pair.")

    def check_count(self, found: Found, name: str, info: FieldInfo, value: Pairs) -> None:
        header = info.header
        for index, problem in value.problems:
            found.add(name, header, problem, index)
        count = len(value) + len(value.problems)
        if count < info.min_items:
            if info.min_items == 1:
                found.add(name, header, f"needs at least one {header} (name=value)")
            else:
                found.add(name, header, f"needs at least {info.min_items} items, not {count}")


class VariablesKind(PairsKind):
    """``Variable: name=value`` lines, escaped (``sdk.model.checks``)."""

    name = "variables"
    annotation = "Variables"
    imports = (("sdk.model.fields", "Variables"), ("sdk.model.kinds", "PairsInput"))
    fast_imports = (("sdk.model.kinds", "new_pairs"),)
    facts = ("min_items", "name_rule")
    pairs_class = Variables
    fast = PAIRS_FAST

    def check(self, found: Found, name: str, info: FieldInfo, value: object) -> None:
        value = self.given(value)
        self.check_count(found, name, info, value)
        names = PAIR_NAMES[info.name_rule]
        escape_names = info.name_rule == "variable"
        for index, (var, text) in enumerate(value):
            problem = names.problem(var)
            if problem is None:
                problem = check_value(text)
                if problem is not None:
                    problem = f"value of {var!r} {problem}"
            if problem is None:
                if escape_names:
                    var = escape_variable_value(var)
                line = f"{var}={escape_variable_value(text)}"
                problem = encode_line(info.header, line)[1]
            if problem is None:
                found.lines += 1
            else:
                found.add(name, info.header, problem, value.origin(index))

    def encode(self, info: FieldInfo, value: object) -> str:
        escape_names = info.name_rule == "variable"  # a SIP token has nothing to escape
        lines = []
        for var, text in self.given(value):
            name = escape_variable_value(var) if escape_names else var
            lines.append(f"{info.header}: {name}={escape_variable_value(text)}\r\n")
        return "".join(lines)

    def decode(self, info: FieldInfo, message: Message, taken: frozenset[str]) -> object:
        pairs: list[tuple[str, str]] = []
        for text in message.getall(info.header):
            pairs.extend(split_variables(text.lstrip(" \t")))
        return Variables(pairs)


class HeadersKind(PairsKind):
    """Headers named by the user, ``Name: value`` (UserEvent's, ``Generic``'s)."""

    name = "headers"
    annotation = "ExtraHeaders"
    imports = (("sdk.model.fields", "ExtraHeaders"), ("sdk.model.kinds", "PairsInput"))
    any_header = True
    pairs_class = ExtraHeaders

    def check(self, found: Found, name: str, info: FieldInfo, value: object) -> None:
        value = self.given(value)
        self.check_count(found, name, info, value)
        own = _own_headers(found.cls)
        for index, (header, text) in enumerate(value):
            problem: str | None
            if not HEADER_NAME.fullmatch(header):
                problem = f"header name {header!r} must be printable ASCII without blanks or ':'"
            elif header.lower() in own:
                problem = f"header name {header!r} clashes with a header the action already has"
            else:
                problem = HEADER_VALUE.problem(text)
                if problem is not None:
                    problem = f"value of {header!r} {problem}"
                else:
                    problem = encode_line(header, text)[1]
            if problem is None:
                found.lines += 1
            else:
                found.add(name, info.header, problem, value.origin(index))

    def encode(self, info: FieldInfo, value: object) -> str:
        return "".join(f"{header}: {text}\r\n" for header, text in self.given(value))

    def decode(self, info: FieldInfo, message: Message, taken: frozenset[str]) -> object:
        return ExtraHeaders([(n, v) for n, v in message.headers if n.lower() not in taken])

    def documented(self, info: FieldInfo) -> list[tuple[str, bool]]:
        needed = info.required or info.min_items > 0
        return [(f"{info.header}1", needed), (f"{info.header}N", needed)]


def _own_headers(cls: type) -> frozenset[str]:
    """The headers (lower-cased) an action of ``cls`` writes itself: no header given by name
    may take one of them."""
    fields = fields_of(cls)
    return frozenset(
        {"action", "actionid"}
        | {info.header.lower() for _, info in fields if not kind_of(info.kind).any_header}
    )


# --- indexed: numbered groups of headers -------------------------------------------------------


class Indexed(Kind):
    """Numbered groups of headers (``Records``): group ``n`` goes out with ``start + n``."""

    name = "indexed"
    annotation = "Records"
    accepts = "RecordsInput"
    imports = (
        ("sdk.model.fields", "FieldInfo"),
        ("sdk.model.fields", "Records"),
        ("sdk.model.kinds", "RecordsInput"),
    )
    facts = ("min_items", "start", "members")
    needs = ("members",)
    pattern = True
    editor = None  # entered as text: the class reads and checks it

    def attrs_field(self, info: FieldInfo) -> Any:
        def to_records(value: object) -> Records:
            return Records.of(value, info.members, _convert_member)

        return attrs.field(
            factory=Records,
            converter=to_records,
            metadata={METADATA_KEY: info},
            repr=_mask if info.secret else True,
        )

    def given(self, info: FieldInfo, value: object) -> Records:
        if type(value) is not Records:  # a subclass too: its groups, made plain
            value = Records.of(value, info.members, _convert_member)
        return value

    def check(self, found: Found, name: str, info: FieldInfo, value: object) -> None:
        value = self.given(info, value)
        first = info.members[0][1].header

        def label(number: int) -> str:  # a group's problems name its first header
            return indexed_header(info.header, first, info.start + number)

        for index, reason in value.problems:
            found.add(name, label(index), reason, index)
        count = len(value) + len(value.problems)
        if count < info.min_items:
            found.add(name, label(0), f"needs at least {info.min_items} groups, not {count}")
        for number, record in enumerate(value):
            origin = value.origin(number)
            if not record:
                found.add(name, label(number), "group has no values", origin)
                continue
            for member, minfo in info.members:
                header = indexed_header(info.header, minfo.header, info.start + number)
                kind = _scalar_kind(minfo)
                problem = kind.problem(
                    minfo, header, record.get(member), "is required in every group"
                )
                if problem is None:
                    found.lines += _given(record.get(member))
                elif problem:
                    found.add(name, header, problem, origin)

    def encode(self, info: FieldInfo, value: object) -> str:
        lines = []
        for number, record in enumerate(self.given(info, value)):
            for member, minfo in info.members:
                header = indexed_header(info.header, minfo.header, info.start + number)
                lines.append(_scalar_kind(minfo).line(header, record.get(member), minfo))
        return "".join(lines)

    def decode(self, info: FieldInfo, message: Message, taken: frozenset[str]) -> object:
        """The groups of ``message``, up to the first gap (Asterisk stops reading there)."""
        records: list[dict[str, object]] = []
        number = info.start
        while True:
            record: dict[str, object] = {}
            for member, minfo in info.members:
                raw = message.get(indexed_header(info.header, minfo.header, number))
                if raw is not None:
                    record[member] = kind_of(minfo.kind).decode_text(raw)
            if not record:
                return Records(records)
            records.append(record)
            number += 1

    def documented(self, info: FieldInfo) -> list[tuple[str, bool]]:
        needed = info.required or info.min_items > 0
        return [
            (indexed_header(info.header, minfo.header, info.start), needed and minfo.required)
            for _, minfo in info.members
        ]

    def header_problem(self, header: str) -> str | None:
        if "{member}" not in header or "{index" not in header:
            return (
                "the header of kind indexed is a pattern with {member} and {index}"
                " (such as {member}-{index:06d})"
            )
        try:
            samples = [indexed_header(header, "Name", n) for n in (0, 99999)]
        except (KeyError, IndexError, ValueError) as exc:
            return f"bad header pattern: {exc}"
        if not all(HEADER_NAME.fullmatch(sample) for sample in samples):
            return (
                f"the pattern makes {samples[0]!r}, which is no header name"
                " (printable ASCII without blanks or ':')"
            )
        return None


def _scalar_kind(info: FieldInfo) -> Scalar:
    kind = kind_of(info.kind)
    return kind if isinstance(kind, Scalar) else UNKNOWN


def _convert_member(info: FieldInfo, raw: object) -> object:
    return kind_of(info.kind).convert(raw)


class Unknown(Scalar):
    """A kind that is not in the table (a field written by hand): its value is refused."""

    name = "unknown"
    annotation = "object"
    accepts = "object"
    scalar = False
    fast = None

    def text(self, value: object, info: FieldInfo) -> tuple[str | None, str | None]:
        return None, f"has an unknown kind {info.kind!r}"


STRING = String()
INTEGER = Integer()
BOOLEAN = Boolean()
ENUM = Choice()
VARIABLES = VariablesKind()
HEADERS = HeadersKind()
INDEXED = Indexed()
UNKNOWN = Unknown()

KINDS: Mapping[str, Kind] = {
    kind.name: kind for kind in (STRING, INTEGER, BOOLEAN, ENUM, VARIABLES, HEADERS, INDEXED)
}


def kind_of(name: str) -> Kind:
    """The kind called ``name``; ``UNKNOWN`` for a name the table does not have."""
    return KINDS.get(name, UNKNOWN)


_Facts = ParamSpec("_Facts")


def _takes_facts_of(
    make_info: Callable[_Facts, FieldInfo],
) -> Callable[[Callable[[FieldInfo], Any]], Callable[_Facts, Any]]:
    """Give a function of one ``FieldInfo`` the signature of ``make_info`` (the header and
    the facts), so that a type checker checks each call, the generated ones too, against
    the one model of a field."""

    def takes_facts(field_of: Callable[[FieldInfo], Any]) -> Callable[_Facts, Any]:
        def field(*args: _Facts.args, **facts: _Facts.kwargs) -> Any:
            return field_of(make_info(*args, **facts))

        field.__name__ = field.__qualname__ = field_of.__name__
        field.__doc__ = field_of.__doc__
        return field

    return takes_facts


@_takes_facts_of(FieldInfo)
def ami_field(info: FieldInfo) -> Any:
    """``ami_field(header, **facts)``: the attrs field of one header, its ``FieldInfo``
    (``header`` and ``facts``) as metadata, and its kind's default, converter and repr.
    Every field has a default, so that a missing required field is reported by validation
    (with the others), not by attrs' ``TypeError``. (Any, as ``attrs.field``: the value
    stands for whatever the attribute's annotation says.)"""
    kind = KINDS.get(info.kind)
    if kind is None:
        raise ValueError(f"unknown field kind {info.kind!r}; known: {', '.join(KINDS)}")
    if bool(info.members) != ("members" in kind.facts):
        raise ValueError("kind 'indexed' needs members, and only it takes them")
    for name, member in info.members:
        if not kind_of(member.kind).scalar:
            raise ValueError(f"member {name!r}: kind {member.kind!r} cannot be in a group")
    return kind.attrs_field(info)


# --- what the generated fast path reads -----------------------------------------------------


# Pairs made without their __init__: the fast path fills the slots of a Variables itself
# (an alias, a little faster than looking object.__new__ up each time).
new_pairs = object.__new__


def slot_setters(cls: type, names: Sequence[str]) -> tuple[Callable[[object, object], None], ...]:
    """The setters of the slots ``names`` of the attrs class ``cls``: a generated ``__init__``
    writes its own slots past the frozen ``__setattr__`` with them, as attrs' own does."""
    return tuple(getattr(cls, name).__set__ for name in names)


def fast_choices(cls: type) -> dict[str, frozenset[str]]:
    """For each enum field of ``cls``: the choices its fast path takes as they are."""
    return {
        name: ENUM.fast_set(info) for name, info in fields_of(cls) if kind_of(info.kind) is ENUM
    }


def secret_headers_of(cls: type) -> frozenset[str]:
    """The headers (lower-cased) an action of ``cls`` never shows: its secret fields, and,
    when it takes headers by name, any of ``SECRET_HEADERS`` it does not have itself."""
    fields = fields_of(cls)
    secret = {info.header.lower() for _, info in fields if info.secret}
    if any(kind_of(info.kind).any_header for _, info in fields):
        secret |= SECRET_HEADERS - _own_headers(cls)
    return frozenset(secret)


def taken_headers(cls: type) -> frozenset[str]:
    """Action, ActionID and every field's header (lower-cased): what a received message's
    headers named by the user (kind ``headers``) are not."""
    return frozenset({"action", "actionid"} | {info.header.lower() for _, info in fields_of(cls)})
