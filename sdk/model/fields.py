"""Field metadata and the values of list-like fields.

Each attribute of a generated action carries a ``FieldInfo`` under ``METADATA_KEY`` in its
attrs metadata: the wire header, the kind of value, whether it is required, its doc. It is
the one model of a field: codegen's spec loader builds these same objects from the YAML, the
generated modules write them, forms, the CLI and the validator read them, never an action by
name. What each kind of field does with its value is in ``sdk.model.kinds``; the rules of
the wire in ``sdk.model.checks``.

``Pairs`` (``Variables``, ``ExtraHeaders``) and ``Records`` hold the values of the list-like
kinds, each name and value made plain as it comes in (``sdk.model.values.plain``), so that what is
checked is what is written. ``split_variables`` reads a ``Variable:`` value back as Asterisk
does.

Some actions take numbered groups of headers (UpdateConfig's ``Action-000000``,
``Cat-000000``...; AOCMessage's ``UnitAmount(0)``, ``UnitType(0)``...): kind ``indexed``, whose
value is ``Records`` and whose header is a pattern such as ``{member}-{index:06d}``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Self, overload

import attrs

from sdk.model.checks import (
    HEADER_NAME,
    MAX_LINE_BYTES,
    MAX_LINES,
    SIP_TOKEN,
    check_value,
    escape_variable_value,
)
from sdk.model.values import plain, plain_text

__all__ = [
    "FALSE_WORDS",
    "HEADER_NAME",
    "MAX_LINES",
    "MAX_LINE_BYTES",
    "METADATA_KEY",
    "SECRET_HEADERS",
    "SIP_TOKEN",
    "TRUE_WORDS",
    "ExtraHeaders",
    "FieldInfo",
    "Pairs",
    "Records",
    "Variables",
    "check_value",
    "escape_variable_value",
    "indexed_header",
    "split_variables",
]

METADATA_KEY = "ami"
# The words a boolean header reads as true or false (lower-cased), as Asterisk's ast_true/ast_false.
TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "f", "0", "off"})
# Header names (lower-cased) whose values are secrets wherever a header is given by name
# (``Generic``, UserEvent's headers): Login's Secret and Key, the only AMI headers that carry
# one. Spec fields say it with ``secret: true``; each of those is in this set (a test checks).
SECRET_HEADERS = frozenset({"secret", "key"})


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _members(
    value: Mapping[str, FieldInfo] | Iterable[tuple[str, FieldInfo]],
) -> tuple[tuple[str, FieldInfo], ...]:
    """Members as given (a mapping, or pairs), as ``(attribute, FieldInfo)`` pairs."""
    return tuple(dict(value).items())


def _by_release(
    value: Mapping[str, Iterable[str]] | Iterable[tuple[str, Iterable[str]]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Values by release as given (a mapping of major to values, or pairs), as pairs."""
    return tuple((str(major), tuple(values)) for major, values in dict(value).items())


@attrs.frozen
class FieldInfo:
    """What the SDK knows of one header of an action (metadata of an attrs field).

    The facts are the keys of a spec's field (``specs/README.md``), in the order the specs
    write them; ``sdk.model.kinds`` says which facts each kind takes. ``available_in``,
    ``required_in`` and ``choices_in`` say how the header differs between Asterisk releases
    (``sdk.model.releases`` reads them); construction checks ``required`` and ``choices``."""

    header: str
    kind: str = attrs.field(default="string", kw_only=True)
    # the Asterisk majors that have this header, when not all of its action's majors
    available_in: tuple[str, ...] = attrs.field(default=(), kw_only=True, converter=_texts)
    required: bool = attrs.field(default=False, kw_only=True)
    # the majors that require it, when releases differ (``required``: construction's rule)
    required_in: tuple[str, ...] = attrs.field(default=(), kw_only=True, converter=_texts)
    choices: tuple[str, ...] = attrs.field(default=(), kw_only=True, converter=_texts)
    # kind enum: the values of each major whose values are not all of ``choices``
    choices_in: tuple[tuple[str, tuple[str, ...]], ...] = attrs.field(
        default=(), kw_only=True, converter=_by_release
    )
    min_items: int = attrs.field(default=0, kw_only=True)
    name_rule: str = attrs.field(default="variable", kw_only=True)  # "sip-token" or "variable"
    secret: bool = attrs.field(default=False, kw_only=True)
    # the server's default when the header is left out (doc only)
    default: str | None = attrs.field(default=None, kw_only=True)
    start: int = attrs.field(default=0, kw_only=True)  # kind indexed: the first group's number
    # kind indexed: the headers of one group as (attribute, FieldInfo)
    members: tuple[tuple[str, FieldInfo], ...] = attrs.field(
        default=(), kw_only=True, converter=_members
    )
    doc: str = attrs.field(default="", kw_only=True)

    @property
    def needs_value(self) -> bool:
        """Whether the action cannot be built without this field: it is required, or it
        needs at least one item (``min_items``). What help texts and forms mark required."""
        return self.required or self.min_items > 0

    def majors(self, action_majors: tuple[str, ...]) -> tuple[str, ...]:
        """The Asterisk majors that have this header, of those that have its action."""
        return self.available_in or action_majors

    def required_by(self, major: str) -> bool:
        """Whether Asterisk ``major`` needs this header given (a value, or an item)."""
        return major in self.required_in if self.required_in else self.needs_value

    def choices_of(self, major: str) -> tuple[str, ...]:
        """Kind enum: the values Asterisk ``major`` takes."""
        for release, values in self.choices_in:
            if release == major:
                return values
        return self.choices


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
    such string. Each name and value is made plain as it comes in (``sdk.model.values.plain``: an
    Enum member by its value, a ``str`` subclass by its characters; a number value by its
    digits), so a ``Pairs`` holds exact strings only. Conversion never raises: items it
    cannot read are kept in ``problems`` and reported by the action's validation together
    with every other problem.
    """

    __slots__ = ("_pairs", "origins", "problems")
    _SEPARATORS = "="

    def __init__(self, pairs: Iterable[object] = ()) -> None:
        """``pairs``: ``(name, value)`` pairs or ``"name=value"`` strings, in order."""
        kept: list[tuple[str, str]] = []
        origins: list[int] = []
        problems: list[tuple[int, str]] = []
        for index, item in enumerate(pairs):
            pair = self._pair(item)
            if isinstance(pair, str):
                problems.append((index, pair))
            else:
                kept.append(pair)
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
    def _shown(cls, item: object) -> str:
        """How a problem names an item that cannot be read as a pair."""
        return repr(item)

    @classmethod
    def _pair(cls, item: object) -> tuple[str, str] | str:
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
    def of(cls, value: object) -> Self:
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
    def __getitem__(self, key: int | slice) -> tuple[str, str] | Sequence[tuple[str, str]]:
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
    def _shown(cls, item: object) -> str:
        return f"a {type(item).__name__}"

    def __repr__(self) -> str:
        shown = [(n, "***" if n.lower() in SECRET_HEADERS else v) for n, v in self._pairs]
        return f"{type(self).__name__}({shown!r})"


def indexed_header(pattern: str, member: str, index: int) -> str:
    """The wire name of ``member`` in group ``index``: ``{member}-{index:06d}`` → ``Cat-000002``."""
    return pattern.format(member=member, index=index)


class Records(Sequence[Mapping[str, object]]):
    """Numbered groups of headers (kind ``indexed``), one read-only mapping per group.

    Each group maps a member's attribute name (or its header, in any case) to its value:
    ``[{"action": "NewCat", "cat": "office"}, {"action": "Append", "cat": "office", ...}]``.
    Group ``n`` goes on the wire with index ``start + n``, so the numbers are always
    consecutive, as Asterisk needs (it stops reading at the first missing group). Like
    ``Pairs``, each key and value is made plain as it comes in, and conversion never raises:
    what it cannot read is kept in ``problems``.
    """

    __slots__ = ("_records", "origins", "problems")

    def __init__(self, records: Iterable[Mapping[str, object]] = ()) -> None:
        self._records: tuple[MappingProxyType[str, object], ...] = tuple(
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
    def of(
        cls,
        value: object,
        members: Sequence[tuple[str, FieldInfo]] = (),
        convert: Callable[[FieldInfo, object], object] = lambda _info, raw: plain(raw),
    ) -> Records:
        """Convert what a user passes: a mapping (one group) or a list of mappings; each
        member's value by ``convert`` (its kind's converter: ``sdk.model.kinds``)."""
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
        records: list[dict[str, object]] = []
        origins: list[int] = []
        problems: list[tuple[int, str]] = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                problems.append((index, f"must be a mapping of member to value, not {item!r}"))
                continue
            record: dict[str, object] = {}
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
                raw = convert(info, raw)
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
    def __getitem__(self, key: int) -> Mapping[str, object]: ...
    @overload
    def __getitem__(self, key: slice) -> Sequence[Mapping[str, object]]: ...
    def __getitem__(
        self, key: int | slice
    ) -> Mapping[str, object] | Sequence[Mapping[str, object]]:
        return self._records[key]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Mapping[str, object]]:
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
