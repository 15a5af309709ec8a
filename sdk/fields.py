"""Field metadata, value kinds, and the rules that keep every value intact on the wire.

Each attribute of a generated action carries a ``FieldInfo`` under ``METADATA_KEY`` in its
attrs metadata: the wire header, the kind of value, whether it is required, its doc. Forms,
the CLI and the validator read only this metadata, never an action by name.

The wire rules (``shared/ami/PROTOCOL.md``, checked against Asterisk 20 and 22), applied to
each value made plain first (``sdk.values.plain``, in the converters below), so that what is
checked is what is written:

- a line is ``Name: value`` + CRLF, at most 1024 bytes; a message at most 128 lines;
- CR, LF or NUL inside a value would end the line early, so they are refused;
- Asterisk strips leading blanks from a plain header's value, so those are refused too;
- ``Variable`` values are split by Asterisk on ``,`` (outside ``()``, ``[]``, ``"..."``),
  with ``"`` removed and ``\\`` escaping the next character; so one pair is written a line,
  and ``\\ " , ( ) [ ]`` in a value get a backslash. ``split_variables`` is the reverse.

Some actions take numbered groups of headers (UpdateConfig's ``Action-000000``,
``Cat-000000``...; AOCMessage's ``UnitAmount(0)``, ``UnitType(0)``...): kind ``indexed``, whose
value is ``Records`` and whose header is a pattern such as ``{member}-{index:06d}``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, overload

import attrs

from sdk.values import plain, plain_text

__all__ = [
    "FALSE_WORDS",
    "KINDS",
    "MAX_LINE_BYTES",
    "MAX_LINES",
    "METADATA_KEY",
    "SECRET_HEADERS",
    "TRUE_WORDS",
    "ExtraHeaders",
    "FieldInfo",
    "Pairs",
    "Records",
    "Variables",
    "ami_field",
    "check_value",
    "escape_variable_value",
    "indexed_header",
    "split_variables",
]

METADATA_KEY = "ami"
MAX_LINE_BYTES = 1024  # one line with its CRLF, as Asterisk's manager.c reads it
MAX_LINES = 128  # lines of one message, Action and ActionID included

KINDS = ("string", "integer", "boolean", "enum", "variables", "headers", "indexed")
SCALAR_KINDS = ("string", "integer", "boolean", "enum")  # what a member of an indexed group may be

# A SIP token (RFC 3261): what a SIP header name may be.
SIP_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
# What an AMI header name of a "headers" field may be: visible ASCII but the colon.
HEADER_NAME = re.compile(r"[!-9;-~]+")
_FORBIDDEN = re.compile(r"[\r\n\x00]")
# The same, one character at a time: the backslash first, so no added one is escaped again.
_ESCAPES = tuple((char, "\\" + char) for char in '\\",()[]')
# The words a boolean header reads as true or false (lower-cased), as Asterisk's ast_true/ast_false.
TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "f", "0", "off"})
# Header names (lower-cased) whose values are secrets wherever a header is given by name
# (``Generic``, UserEvent's headers): Login's Secret and Key, the only AMI headers that carry
# one. Spec fields say it with ``secret: true``; each of those is in this set (a test checks).
SECRET_HEADERS = frozenset({"secret", "key"})


@attrs.frozen
class FieldInfo:
    """What the SDK knows of one header of an action (metadata of an attrs field)."""

    header: str
    kind: str = "string"
    required: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()
    min_items: int = 0
    secret: bool = False
    default: str | None = None  # the server's default when the header is left out (doc only)
    name_rule: str = "variable"  # for kind "variables": "sip-token" or "variable"
    # kind "indexed": the headers of one group as (attribute, FieldInfo), and the first index
    members: tuple[tuple[str, FieldInfo], ...] = ()
    start: int = 0

    @property
    def needs_value(self) -> bool:
        """Whether the action cannot be built without this field: it is required, or it
        needs at least one item (``min_items``). What help texts and forms mark required."""
        return self.required or self.min_items > 0


def check_value(text: str) -> str | None:
    """The problem with ``text`` as a header value on the wire, or None."""
    if type(text) is str and "\r" not in text and "\n" not in text and "\x00" not in text:
        return None  # the usual case, at once
    match = _FORBIDDEN.search(text)
    if match:
        char = {"\r": "CR", "\n": "LF", "\x00": "NUL"}[match.group()]
        return f"must not contain CR, LF or NUL (found {char} at position {match.start()})"
    return None


def escape_variable_value(value: str) -> str:
    """Put a backslash before each of ``\\ " , ( ) [ ]`` so Asterisk reads ``value`` as given."""
    if type(value) is not str:
        value = plain(value)  # its characters, not what its own replace() says
    for char, escaped in _ESCAPES:  # several times faster than the regular expression
        if char in value:
            value = value.replace(char, escaped)
    return value


# What makes Asterisk read a comma as text, or drop a character.
_GROUPING = re.compile(r'[()\[\]"\\]')
_cut = operator.methodcaller("partition", "=")


def split_variables(text: str, max_items: int = 64) -> list[tuple[str, str]]:
    """Read one ``Variable:`` value the way Asterisk does (``astman_get_variables``).

    Split on ``,`` outside ``()``, ``[]`` and ``"..."``; remove ``"``; a backslash makes the
    next character literal; at most ``max_items`` items (the last takes the rest). Each item
    is cut at its first ``=``; items with no ``=`` or an empty name are dropped.
    """
    if max_items > 0 and not _GROUPING.search(text):  # nothing but commas to split on
        items = text.split(",", max_items - 1) if text else []
        return [(name, value) for name, eq, value in map(_cut, items) if eq and name]
    return _split_grouped(text, max_items)


def _split_grouped(text: str, max_items: int) -> list[tuple[str, str]]:
    """``split_variables`` a character at a time, for text with quotes, brackets,
    parentheses or backslashes."""
    items: list[str] = []
    current: list[str] = []
    paren = bracket = 0
    quote = False
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if len(items) >= max_items - 1:
            current.append(char)  # the last item keeps the rest, unsplit
            i += 1
            continue
        if char == "(":
            paren += 1
        elif char == ")":
            paren = max(0, paren - 1)
        elif char == "[":
            bracket += 1
        elif char == "]":
            bracket = max(0, bracket - 1)
        elif char == '"':
            quote = not quote
            i += 1
            continue
        elif char == "\\":
            if i + 1 < n:
                current.append(text[i + 1])
            i += 2
            continue
        elif char == "," and not paren and not quote and not bracket:
            items.append("".join(current))
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
    if current or text.endswith(","):
        items.append("".join(current))
    pairs = []
    for item in items:
        name, eq, value = item.partition("=")
        if eq and name:
            pairs.append((name, value))
    return pairs


class Pairs(Sequence[tuple[str, str]]):
    """Ordered ``(name, value)`` pairs for a repeated header; a name may repeat.

    Built from a dict, a list of ``(name, value)`` pairs, ``"name=value"`` strings, or one
    such string. Each name and value is made plain as it comes in (``sdk.values.plain``: an
    Enum member by its value, a ``str`` subclass by its characters; a number value by its
    digits), so a ``Pairs`` holds exact strings only. Conversion never raises: items it
    cannot read are kept in ``problems`` and reported by the action's validation together
    with every other problem.
    """

    __slots__ = ("_pairs", "origins", "problems")
    _SEPARATORS = "="

    def __init__(self, pairs: Iterable[Any] = ()) -> None:
        """``pairs``: ``(name, value)`` pairs or ``"name=value"`` strings, in order."""
        kept: list[tuple[str, str]] = []
        origins: list[int] = []
        problems: list[tuple[int, str]] = []
        for index, item in enumerate(pairs):
            pair = self._pair(item)
            if type(pair) is str:
                problems.append((index, pair))
            else:
                kept.append(pair)  # type: ignore[arg-type]
                origins.append(index)
        self._pairs: tuple[tuple[str, str], ...] = tuple(kept)
        self.problems: tuple[tuple[int, str], ...] = tuple(problems)
        # input position of each pair, if any was dropped
        self.origins: tuple[int, ...] | None = tuple(origins) if problems else None

    def origin(self, position: int) -> int:
        """Where the pair at ``position`` stood in what the user passed."""
        return position if self.origins is None else self.origins[position]

    @classmethod
    def _split(cls, item: str) -> tuple[str, str] | None:
        cut = min((i for i in (item.find(sep) for sep in cls._SEPARATORS) if i >= 0), default=-1)
        if cut < 0:
            return None
        value = item[cut + 1 :]
        if item[cut] == ":" and value[:1] == " ":
            value = value[1:]
        return item[:cut], value

    @classmethod
    def _shown(cls, item: Any) -> str:
        """How a problem names an item that cannot be read as a pair."""
        return repr(item)

    @classmethod
    def _pair(cls, item: Any) -> tuple[str, str] | str:
        """``item`` as a pair of exact strings, or the reason it is not one."""
        if type(item) is not tuple:
            item = plain(item)
            if type(item) is str:
                pair = cls._split(item)
                if pair is None:
                    return f"{cls._shown(item)} is not of the form name=value"
                return pair
            if not isinstance(item, (tuple, list)):
                return (
                    f"must be a (name, value) pair or a name=value string, not {cls._shown(item)}"
                )
        if len(item) != 2:
            return f"must be a (name, value) pair or a name=value string, not {cls._shown(item)}"
        name, value = item
        if type(name) is str and type(value) is str:  # the usual case, at once
            return item if type(item) is tuple else (name, value)
        name, value = plain(name), plain(value)
        if type(name) is not str:
            return f"name must be a string, not {type(name).__name__}"
        if type(value) not in (str, int, float):  # bool is not: true, yes or 1?
            return f"value of {name!r} must be a string, not {type(value).__name__}"
        return name, plain_text(value)

    @classmethod
    def of(cls, value: Any) -> Any:
        """Convert what a user passes (attrs converter; never raises)."""
        if type(value) is dict:  # the usual case, all text: kept as given, in one step
            items = tuple(value.items())
            for name, text in items:
                if type(name) is not str or type(text) is not str:
                    break
            else:
                fast = cls.__new__(cls)
                fast._pairs = items
                fast.problems = ()
                fast.origins = None
                return fast
        if type(value) is cls:  # made by this class, so plain already (not a subclass)
            return value
        if type(value) is list or type(value) is tuple:
            return cls(value)
        value = plain(value)
        if value is None:
            return cls()
        if isinstance(value, Mapping):
            return cls(value.items())
        if type(value) is str:
            return cls([value])
        if isinstance(value, Iterable) and not isinstance(value, (bytes, str)):
            return cls(value)
        out = cls()
        kind = type(value).__name__
        out.problems = ((0, f"must be a dict, a list of pairs or name=value strings, not {kind}"),)
        return out

    @overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, key: slice) -> Sequence[tuple[str, str]]: ...
    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        return self._pairs[key]

    def __len__(self) -> int:
        return len(self._pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Pairs):
            return self._pairs == other._pairs and self.problems == other.problems
        if isinstance(other, (list, tuple)):
            return list(self._pairs) == [tuple(p) for p in other]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._pairs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._pairs)!r})"

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first pair called ``name`` (exact case), else ``default``."""
        for n, value in self._pairs:
            if n == name:
                return value
        return default

    def to_dict(self) -> dict[str, str]:
        """First value of each name."""
        out: dict[str, str] = {}
        for name, value in self._pairs:
            out.setdefault(name, value)
        return out


class Variables(Pairs):
    """Pairs written as one ``Variable: name=value`` line each (kind ``variables``)."""

    __slots__ = ()


class ExtraHeaders(Pairs):
    """Pairs written as headers of their own, ``Name: value`` (kind ``headers``: UserEvent's).

    A string item may be ``"Name: value"`` or ``"Name=value"``. A header named in
    ``SECRET_HEADERS`` (Secret, Key) shows as ``***`` in the repr, and an item that cannot be
    read is not repeated in its problem: either may be a secret.
    """

    __slots__ = ()
    _SEPARATORS = ":="

    @classmethod
    def _shown(cls, item: Any) -> str:
        return f"a {type(item).__name__}"

    def __repr__(self) -> str:
        shown = [(n, "***" if n.lower() in SECRET_HEADERS else v) for n, v in self._pairs]
        return f"{type(self).__name__}({shown!r})"


def indexed_header(pattern: str, member: str, index: int) -> str:
    """The wire name of ``member`` in group ``index``: ``{member}-{index:06d}`` → ``Cat-000002``."""
    return pattern.format(member=member, index=index)


class Records(Sequence[Mapping[str, Any]]):
    """Numbered groups of headers (kind ``indexed``), one read-only mapping per group.

    Each group maps a member's attribute name (or its header, in any case) to its value:
    ``[{"action": "NewCat", "cat": "office"}, {"action": "Append", "cat": "office", ...}]``.
    Group ``n`` goes on the wire with index ``start + n``, so the numbers are always
    consecutive, as Asterisk needs (it stops reading at the first missing group). Like
    ``Pairs``, each key and value is made plain as it comes in, and conversion never raises:
    what it cannot read is kept in ``problems``.
    """

    __slots__ = ("_records", "origins", "problems")

    def __init__(self, records: Iterable[Mapping[str, Any]] = ()) -> None:
        self._records: tuple[MappingProxyType[str, Any], ...] = tuple(
            MappingProxyType({plain(k): plain(v) for k, v in dict(record).items()})
            for record in records
        )
        self.problems: tuple[tuple[int, str], ...] = ()
        self.origins: tuple[int, ...] | None = (
            None  # input position of each group, if any was dropped
        )

    def origin(self, position: int) -> int:
        """Where the group at ``position`` stood in what the user passed."""
        return position if self.origins is None else self.origins[position]

    @classmethod
    def of(cls, value: Any, members: Sequence[tuple[str, FieldInfo]] = ()) -> Records:
        """Convert what a user passes: a mapping (one group) or a list of mappings."""
        if type(value) is cls:  # made by this class, so plain already (not a subclass)
            return value
        out = cls()
        value = plain(value)
        if value is None:
            return out
        if isinstance(value, Mapping):
            value = [value]
        elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            out.problems = ((0, f"must be a list of mappings, not {type(value).__name__}"),)
            return out
        by_name = {name: (name, info) for name, info in members}
        by_header = {info.header.lower(): (name, info) for name, info in members}
        known = ", ".join(name for name, _ in members)
        records: list[dict[str, Any]] = []
        origins: list[int] = []
        problems: list[tuple[int, str]] = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                problems.append((index, f"must be a mapping of member to value, not {item!r}"))
                continue
            record: dict[str, Any] = {}
            unknown = False
            for key, raw in item.items():
                key = plain(key)
                found = by_name.get(key) or (
                    by_header.get(key.lower()) if type(key) is str else None
                )
                if found is None:
                    problems.append((index, f"has no member {key!r} (members: {known})"))
                    unknown = True
                    continue
                name, info = found
                raw = _CONVERTERS[info.kind](raw)
                if raw is not None:
                    record[name] = raw
            if unknown and not record:
                continue  # already reported; "group has no values" would say it twice
            records.append(record)
            origins.append(index)
        out._records = tuple(MappingProxyType(r) for r in records)
        if problems:
            out.problems = tuple(problems)
            out.origins = tuple(origins)
        return out

    @overload
    def __getitem__(self, key: int) -> Mapping[str, Any]: ...
    @overload
    def __getitem__(self, key: slice) -> Sequence[Mapping[str, Any]]: ...
    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        return self._records[key]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return iter(self._records)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Records):
            return list(map(dict, self)) == list(map(dict, other)) and (
                self.problems == other.problems
            )
        if isinstance(other, (list, tuple)):
            return list(map(dict, self)) == [dict(r) for r in other]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(tuple(sorted(r.items())) for r in self._records))

    def __repr__(self) -> str:
        return f"Records({[dict(r) for r in self._records]!r})"


def _convert_integer(value: Any) -> Any:
    value = plain(value)
    if type(value) is str and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value)
    return value


def _convert_boolean(value: Any) -> Any:
    value = plain(value)
    if type(value) is str:
        low = value.strip().lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
    return value


def _mask(value: Any) -> str:
    return "None" if value is None else "'***'"


# The converters of the scalar kinds (the other kinds' are set in ami_field): each makes the
# value plain first, so every check and every write reads an exact str, int or bool.
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": plain,
    "enum": plain,
    "integer": _convert_integer,
    "boolean": _convert_boolean,
}


def ami_field(
    header: str,
    *,
    kind: str = "string",
    required: bool = False,
    doc: str = "",
    choices: Sequence[str] = (),
    min_items: int = 0,
    secret: bool = False,
    default: str | None = None,
    name_rule: str = "variable",
    members: Mapping[str, FieldInfo] | None = None,
    start: int = 0,
) -> Any:
    """An attrs field for one header. Every field has a default, so that a missing required
    field is reported by validation (with the others), not by attrs' ``TypeError``.

    Kind ``indexed`` takes ``header`` as a pattern (``{member}-{index:06d}``), ``members``
    (attribute → ``FieldInfo`` of one group's headers) and ``start`` (the first index)."""
    if kind not in KINDS:
        raise ValueError(f"unknown field kind {kind!r}; known: {', '.join(KINDS)}")
    if (kind == "indexed") != bool(members):
        raise ValueError("kind 'indexed' needs members, and only it takes them")
    member_pairs = tuple((members or {}).items())
    for name, member in member_pairs:
        if member.kind not in SCALAR_KINDS:
            raise ValueError(f"member {name!r}: kind {member.kind!r} cannot be in a group")
    info = FieldInfo(
        header=header,
        kind=kind,
        required=required,
        doc=doc,
        choices=tuple(choices),
        min_items=min_items,
        secret=secret,
        default=default,
        name_rule=name_rule,
        members=member_pairs,
        start=start,
    )
    metadata = {METADATA_KEY: info}
    repr_: Any = _mask if secret else True
    if kind == "variables":
        return attrs.field(factory=Variables, converter=Variables.of, metadata=metadata, repr=repr_)
    if kind == "headers":
        return attrs.field(
            factory=ExtraHeaders, converter=ExtraHeaders.of, metadata=metadata, repr=repr_
        )
    if kind == "indexed":

        def to_records(value: Any) -> Records:
            return Records.of(value, member_pairs)

        return attrs.field(factory=Records, converter=to_records, metadata=metadata, repr=repr_)
    return attrs.field(default=None, converter=_CONVERTERS[kind], metadata=metadata, repr=repr_)
