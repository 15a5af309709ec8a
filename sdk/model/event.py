"""Typed events: a received event read through its spec, never validated, nothing lost.

Each generated event class (``sdk/events/*.py``) is a subclass of the wire's ``Event``, so
what an untyped event offers stays (``.headers``, ``.get(name)``, ``.name``), and adds one
read-only attribute per documented header: the header's text read by its kind
(``sdk.model.kinds``: ``event.cause`` is an ``int``, ``event.peer_status`` one of its
documented values), decoded on each access, None when the event lacks the header (or, but
for text, has it empty: Asterisk's way of saying "not set"). Each attribute is a property
that codegen writes with its kind's read fragment inlined (the usual text read at once);
any other text goes to ``_read``, which reads it by the kind's reader. ``FIELDS`` lists the
class's ``HeaderField`` objects (a header's name, ``FieldInfo`` and kind). A value
that does not fit its kind is kept as the text it was, and logged once per event name and
header (``sdk.events`` logger); nothing here raises on the reader thread. Headers no spec
names stay in ``.headers`` (``unknown_headers()`` lists them); ``.raw`` is the event as an
untyped ``Event``.

Many events carry the headers of a channel or a bridge (Asterisk's ``channel_snapshot`` and
``bridge_snapshot``). A block without prefix is part of the event's own attributes
(``hangup.channel``, ``hangup.uniqueid``); a block with a prefix is one attribute, a view
that reads the prefixed headers (``dial_end.dest.channel`` reads ``DestChannel``).

A typed event is frozen: its attributes cannot be set. The parser builds it as a plain event
and gives it its class (``EventRegistry.type_of`` says which), so an event costs the same to
read whether it is typed or not; its attributes cost only when they are read.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, overload

import attrs

from sdk.model.fields import FieldInfo
from sdk.model.kinds import Kind
from sdk.model.registry import Registry, UnknownName
from sdk.wire.message import Event, Headers, json_add, search_key

__all__ = [
    "BASE_HEADERS",
    "Block",
    "BlockRegistry",
    "EventRegistry",
    "HeaderField",
    "Snapshot",
    "SnapshotField",
    "TypedEvent",
    "UnknownEvent",
    "field",
    "snapshot",
]

log = logging.getLogger("sdk.events")

T = TypeVar("T")
S = TypeVar("S", bound="Snapshot")
E = TypeVar("E", bound="TypedEvent")

# Headers of every event, which the base classes read: the name, the read class of an event
# the server broadcast, and the ActionID of an item of a list.
BASE_HEADERS = frozenset({"event", "privilege", "actionid"})

_WARNED: set[tuple[str, str]] = set()
_WARNED_LOCK = threading.Lock()


def _misfit(event: str, header: str, kind: str, raw: str) -> str:
    """``raw``, which does not fit ``kind``: kept as text, and said once per event and
    header (a server that sends it in every event is not logged a million times)."""
    key = (event, header.lower())
    if key not in _WARNED:
        with _WARNED_LOCK:
            first = key not in _WARNED
            _WARNED.add(key)
        if first:
            shown = raw if len(raw) <= 80 else raw[:77] + "..."
            log.warning(
                "%s event: %s %r is no %s; kept as text (said once per event and header)",
                event,
                header,
                shown,
                kind,
            )
    return raw


class HeaderField:
    """One documented header of an event (or snapshot block): its attribute, its
    ``FieldInfo`` (the one model of a field, as actions have; ``available_in``: the Asterisk
    majors that document it, when not all of the event's) and its kind's reader. The
    attribute itself is a property of the generated class, whose code (the kind's read
    fragment) turns the usual text into the value at once and gives any other to ``value``."""

    __slots__ = ("attribute", "convert", "header", "info", "key", "kind", "read", "test")

    def __init__(self, attribute: str, info: FieldInfo, kind: Kind) -> None:
        self.attribute = attribute
        self.info = info
        self.header = info.header
        self.key = search_key(info.header)  # what Headers.value finds it by
        self.kind = kind
        self.read = kind.reader(info)
        quick = kind.quick(info)
        self.test: Callable[[str], bool] | None = None if quick is None else quick[0]
        self.convert: Callable[[str], Any] | None = None if quick is None else quick[1]

    @property
    def available_in(self) -> tuple[str, ...]:
        return self.info.available_in

    def value(self, raw: str | None, event: str, header: str) -> Any:
        """``raw`` as this field's kind reads it: None when absent or empty (Asterisk's way
        of saying "not set"); the text itself when it does not fit, said once per event and
        header (``header``: its name in the event, a prefixed block's with the prefix)."""
        read = self.read
        if read is None or raw is None:
            return raw
        if not raw:
            return None
        test = self.test
        if test is not None and test(raw):  # the usual text: built-ins only
            convert = self.convert
            return raw if convert is None else convert(raw)
        try:
            return read(raw)
        except ValueError:
            return _misfit(event, header, self.kind.name, raw)

    def __repr__(self) -> str:
        return f"HeaderField({self.attribute!r}, {self.header!r}, {self.kind.name})"


def field(attribute: str, header: str, kind: Kind, **facts: Any) -> HeaderField:
    """The field of header ``header`` of kind ``kind``, read by property ``attribute`` (what
    generated classes declare in ``FIELDS``); ``facts`` are those of ``FieldInfo``
    (``available_in``, ``choices``, ``unit``, ``doc``)."""
    return HeaderField(attribute, FieldInfo(header, kind=kind.name, **facts), kind)


class _HeaderText(Protocol):
    """What the generated properties find their header's text in: an event's ``Headers``,
    or a prefixed block's view of them."""

    def value(self, key: str, name: str) -> str | None: ...


class _Reads:
    """What the generated properties read: an event, or a snapshot view (its ``headers``,
    whose ``value(key, name)`` finds a header), and ``_read`` for any text but the usual."""

    __slots__ = ()

    if TYPE_CHECKING:  # an event's Headers, a prefixed block's view: each class its own

        @property
        def headers(self) -> _HeaderText: ...

    def _event_name(self) -> str:
        raise NotImplementedError

    def _header_name(self, header: str) -> str:
        return header

    def _read(self, attribute: str, raw: str | None) -> Any:
        """What the property ``attribute`` is when its header's text is not the usual one
        (the generated code reads that at once): absent or empty, None; else as its kind
        reads it, or the text itself when it does not fit (said once per event and header)."""
        field = _by_attribute(type(self))[attribute]
        return field.value(raw, self._event_name(), self._header_name(field.header))


class Block(_Reads):
    """The fields of one snapshot block (generated: ``ChannelBlock``, ``BridgeBlock``), a
    part of every event that has the block without prefix, and of its prefixed view."""

    __slots__ = ()
    BLOCK: ClassVar[str] = ""


class _Prefixed:
    """The headers of an event as a prefixed block reads them: ``get("Channel")`` is the
    event's ``DestChannel``."""

    __slots__ = ("_headers", "_prefix")

    def __init__(self, headers: Headers, prefix: str) -> None:
        self._headers = headers
        self._prefix = prefix

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._headers.get(self._prefix + name, default)

    def value(self, key: str, name: str, default: str | None = None) -> str | None:
        return self._headers.get(self._prefix + name, default)


class Snapshot(Block):
    """A prefixed snapshot block of an event (``dial_end.dest``): its attributes read the
    event's headers with the prefix. False when the event has none of them."""

    __slots__ = ("event", "headers", "prefix")
    event: TypedEvent
    prefix: str

    def __init__(self, event: TypedEvent, prefix: str) -> None:
        object.__setattr__(self, "event", event)
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "headers", _Prefixed(event.headers, prefix))

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def _event_name(self) -> str:
        return self.event.name

    def _header_name(self, header: str) -> str:
        return self.prefix + header

    @classmethod
    def fields(cls) -> tuple[HeaderField, ...]:
        """The header fields of the block, in the documentation's order."""
        return _fields(cls)

    def __bool__(self) -> bool:
        headers = self.event.headers
        return any(headers.get(self.prefix + f.header) is not None for f in self.fields())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.values() == other.values()

    def __hash__(self) -> int:
        return hash(tuple(self.values().items()))

    def values(self) -> dict[str, Any]:
        """``{attribute: value}`` of the block's headers that the event has."""
        out = {}
        for field in self.fields():
            value = getattr(self, field.attribute)
            if value is not None:
                out[field.attribute] = value
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"{type(self).__name__}({self.prefix!r}: {shown})"


class SnapshotField(Generic[S]):
    """A prefixed snapshot block of an event: an attribute whose value is the block's view
    (``snapshot(ChannelSnapshot, "Dest")`` reads ``DestChannel``, ``DestUniqueid``...)."""

    __slots__ = ("attribute", "available_in", "block", "prefix")

    def __init__(self, block: type[S], prefix: str, available_in: Sequence[str] = ()) -> None:
        self.block = block
        self.prefix = prefix
        self.available_in = tuple(available_in)
        self.attribute = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> SnapshotField[S]: ...
    @overload
    def __get__(self, obj: TypedEvent, owner: type | None = None) -> S: ...
    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return self.block(obj, self.prefix)

    def __set__(self, obj: object, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __repr__(self) -> str:
        return f"SnapshotField({self.block.__name__}, {self.prefix!r})"


def snapshot(block: type[S], prefix: str, *, available_in: Sequence[str] = ()) -> Any:
    """The prefixed block ``block`` of an event (what generated classes declare)."""
    return SnapshotField(block, prefix, available_in)


_FIELDS: dict[type, tuple[HeaderField, ...]] = {}
_BY_ATTRIBUTE: dict[type, dict[str, HeaderField]] = {}


def _fields(cls: type) -> tuple[HeaderField, ...]:
    """The header fields of ``cls`` (the ``FIELDS`` each class of it declares): its blocks'
    first (as Asterisk writes them), then its own (read once a class)."""
    found = _FIELDS.get(cls)
    if found is None:
        blocks: list[HeaderField] = []
        own: list[HeaderField] = []
        for klass in reversed(cls.__mro__):
            declared = vars(klass).get("FIELDS", ())
            (blocks if issubclass(klass, Block) else own).extend(declared)
        found = _FIELDS[cls] = (*blocks, *own)
    return found


def _by_attribute(cls: type) -> dict[str, HeaderField]:
    found = _BY_ATTRIBUTE.get(cls)
    if found is None:
        found = _BY_ATTRIBUTE[cls] = {f.attribute: f for f in _fields(cls)}
    return found


class TypedEvent(Event, _Reads):
    """The base of every generated event class (see the module's docstring).

    Class facts: ``EVENT`` (the name as Asterisk writes it), ``SUMMARY``, ``SPEC`` (the spec
    it was generated from), ``READ_CLASS`` (the class a manager user needs to receive it:
    ``call``, ``system``...; "" for an item of a list, which only the action's caller
    gets), ``AVAILABLE_IN`` (the Asterisk majors that document it) and
    ``DOCUMENTED`` (False for the events Asterisk sends without documenting them, whose
    specs were written from its sources and recordings)."""

    __slots__ = ()

    EVENT: ClassVar[str] = ""
    SUMMARY: ClassVar[str] = ""
    SPEC: ClassVar[str] = ""
    READ_CLASS: ClassVar[str] = ""
    AVAILABLE_IN: ClassVar[tuple[str, ...]] = ()
    DOCUMENTED: ClassVar[bool] = True
    ANY_HEADERS: ClassVar[bool] = False  # it carries headers of any name (UserEvent's)

    def __init__(
        self, headers: Headers | Sequence[tuple[str, str]] = (), unparsed: tuple[str, ...] = ()
    ) -> None:
        """An event of this class from its headers (``[("Event", "PeerStatus"), ...]``);
        received events are built by the parser instead."""
        if not isinstance(headers, Headers):
            headers = Headers(headers)
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "_unparsed", unparsed)
        object.__setattr__(self, "_name", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    @classmethod
    def of(cls: type[E], event: Event) -> E:
        """``event`` read as this class (sharing its headers); itself if it is one already."""
        if isinstance(event, cls):
            return event
        made: E = object.__new__(cls)
        object.__setattr__(made, "headers", event.headers)
        object.__setattr__(made, "_unparsed", event._unparsed)
        object.__setattr__(made, "_name", event._name)
        return made

    # --- what the class documents ---------------------------------------------------------

    @classmethod
    def fields(cls) -> tuple[HeaderField, ...]:
        """The fields of the event's own headers and of its blocks without prefix."""
        return _fields(cls)

    @classmethod
    def snapshots(cls) -> tuple[SnapshotField[Any], ...]:
        """The prefixed snapshot blocks of the event."""
        return _snapshots(cls)

    @classmethod
    def documented(cls) -> dict[str, tuple[HeaderField, str]]:
        """Every header the class documents, lower-cased, with its field and full name
        (a prefixed block's ``DestChannel`` too)."""
        return _documented(cls)

    @classmethod
    def describe(cls) -> list[dict[str, str]]:
        """A row for each documented header: its attribute (``dest.channel`` for a prefixed
        block's), header, kind (with its choices or unit), the Asterisk majors that have it
        when not all of the event's do, and its doc (``ami describe --event``)."""
        rows = [
            _row(field.attribute, field.header, field, field.available_in) for field in cls.fields()
        ]
        for block in cls.snapshots():
            for field in block.block.fields():
                rows.append(
                    _row(
                        f"{block.attribute}.{field.attribute}",
                        block.prefix + field.header,
                        field,
                        block.available_in or field.available_in,
                    )
                )
        return rows

    @classmethod
    def column_dtypes(cls) -> dict[str, str]:
        """The pandas dtype of each documented header whose kind has one (``Int64``...)."""
        return {
            name: field.kind.dtype
            for field, name in cls.documented().values()
            if field.kind.dtype is not None
        }

    # --- what this event says -------------------------------------------------------------

    def _event_name(self) -> str:
        return self.name

    @property
    def raw(self) -> Event:
        """This event as an untyped ``Event`` (the same headers)."""
        event = Event(self.headers, self._unparsed)
        event._name = self._name
        return event

    @property
    def privilege(self) -> str | None:
        """The read class and ``all`` the server gave a broadcast event (``system,all``)."""
        return self.headers.get("Privilege")

    def unknown_headers(self) -> list[tuple[str, str]]:
        """The headers no spec of this class documents, as received (``Event``,
        ``Privilege`` and ``ActionID`` are every event's)."""
        if self.ANY_HEADERS:
            return []
        documented = self.documented()
        return [
            (name, value)
            for name, value in self.headers
            if name.lower() not in documented and name.lower() not in BASE_HEADERS
        ]

    def decoded(self, name: str, raw: str) -> Any:
        """``raw``, the text of header ``name``, as its field reads it (text when undocumented
        or when it does not fit its kind)."""
        found = self.documented().get(name.lower())
        if found is None:
            return raw
        return found[0].value(raw, self.name, found[1])

    def record(self) -> dict[str, Any]:
        """The first value of each header, documented ones read by their kinds: a row of
        ``to_dataframe()``."""
        documented = self.documented()
        out: dict[str, Any] = {}
        for name, raw in self.headers:
            if name not in out:
                found = documented.get(name.lower())
                out[name] = raw if found is None else found[0].value(raw, self.name, found[1])
        return out

    def to_json(self) -> dict[str, Any]:
        """The headers as JSON can hold them: documented ones by their kinds (numbers,
        booleans, ISO 8601 times, durations in seconds), a repeated name as a list."""
        documented = self.documented()
        out: dict[str, Any] = {}
        for name, raw in self.headers:
            found = documented.get(name.lower())
            value: Any = raw
            if found is not None:
                field = found[0]
                value = field.kind.json_value(field.value(raw, self.name, found[1]))
            json_add(out, name, value)
        return out

    def values(self) -> dict[str, Any]:
        """``{attribute: value}`` of every documented header the event has, prefixed blocks
        as their views."""
        out: dict[str, Any] = {}
        for field in self.fields():
            value = getattr(self, field.attribute)
            if value is not None:
                out[field.attribute] = value
        for block in self.snapshots():
            view = block.__get__(self)
            if view:
                out[block.attribute] = view
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        unknown = self.unknown_headers()
        if unknown:
            shown += f"{', ' if shown else ''}unknown_headers={unknown!r}"
        return f"{type(self).__name__}({shown})"

    def _repr_html_(self) -> str:
        """A table: each header as received, its attribute, its value as its kind reads it
        and the kind (``not in the spec`` for the undocumented)."""
        documented = self.documented()
        head = f"<b>{html.escape(self.name)}</b>"
        if self.SUMMARY:
            head += f" <i>{html.escape(self.SUMMARY)}</i>"
        rows = [
            "<tr><th style='text-align:left'>header</th><th style='text-align:left'>attribute"
            "</th><th style='text-align:left'>value</th><th style='text-align:left'>kind</th></tr>"
        ]
        for name, raw in self.headers:
            found = documented.get(name.lower())
            if found is None:
                attribute, value, kind = (
                    "",
                    raw,
                    ("" if name.lower() in BASE_HEADERS else "not in the spec"),
                )
            else:
                field, full = found
                prefix = full[: len(full) - len(field.header)]
                block = next((b.attribute for b in self.snapshots() if b.prefix == prefix), "")
                attribute = f"{block}.{field.attribute}" if prefix and block else field.attribute
                value = repr(field.value(raw, self.name, full))
                kind = field.kind.name
            cells = (name, attribute, value, kind)
            rows.append(
                "<tr>"
                + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in cells)
                + "</tr>"
            )
        return f"<div>{head}<table>{''.join(rows)}</table></div>"


_SNAPSHOTS: dict[type, tuple[SnapshotField[Any], ...]] = {}


def _snapshots(cls: type) -> tuple[SnapshotField[Any], ...]:
    found = _SNAPSHOTS.get(cls)
    if found is None:
        seen: dict[str, SnapshotField[Any]] = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, SnapshotField):
                    seen[value.attribute] = value
        found = _SNAPSHOTS[cls] = tuple(seen.values())
    return found


_DOCUMENTED: dict[type, dict[str, tuple[HeaderField, str]]] = {}


def _documented(cls: type[TypedEvent]) -> dict[str, tuple[HeaderField, str]]:
    found = _DOCUMENTED.get(cls)
    if found is None:
        found = {}
        for field in cls.fields():
            found.setdefault(field.header.lower(), (field, field.header))
        for block in cls.snapshots():
            for field in block.block.fields():
                name = block.prefix + field.header
                found.setdefault(name.lower(), (field, name))
        _DOCUMENTED[cls] = found
    return found


def _row(attribute: str, name: str, field: HeaderField, majors: Sequence[str]) -> dict[str, str]:
    info = field.info
    kind = field.kind.name
    if info.choices:
        kind += f" ({'|'.join(info.choices)})"
    elif info.unit:
        kind += f" ({info.unit})"
    return {
        "attribute": attribute,
        "header": name,
        "kind": kind,
        "asterisk": ",".join(majors),
        "doc": info.doc,
    }


class BlockRegistry(Registry[type[Block]]):
    """``{class name: class}`` of the snapshot blocks of the generated ``sdk.events``
    (``ChannelBlock``, ``ChannelSnapshot``...), each module imported on first use."""


class UnknownEvent(UnknownName):
    """No event spec of that name."""

    noun = "event"


class EventRegistry(Registry[type[TypedEvent]]):
    """``{event name: class}`` of the generated ``sdk.events``; each class is imported on
    first use. ``type_of(name)`` is what the session's parser asks for each event it reads:
    the class of a name, or the untyped ``Event`` for an event without spec."""

    unknown = UnknownEvent
    _TYPES_MAX = 4096  # names a server sent, kept; past this, each unknown one is looked up

    def __init__(
        self, package: str, modules: Mapping[str, str], classes: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(package, modules, classes)
        self._types: dict[str, type[Event]] = {}

    def type_of(self, name: str) -> type[Event]:
        """The class of a received event called ``name`` (any case): its generated class, or
        ``Event`` when no spec has it."""
        found = self._types.get(name)
        if found is None:
            canonical = self._folded.get(name.lower())
            found = Event if canonical is None else self[canonical]
            if len(self._types) < self._TYPES_MAX:
                self._types[name] = found
        return found

    def typed(self, event: Event) -> Event:
        """``event`` as its class: a typed event of its spec, or itself when none has it."""
        cls = self.type_of(event.name)
        if cls is Event or isinstance(event, cls):
            return event
        assert issubclass(cls, TypedEvent)
        return cls.of(event)

    def classes(self) -> Iterator[type[TypedEvent]]:
        """Every event class, each module imported (``ami describe``, the tests)."""
        return (self[name] for name in self)
