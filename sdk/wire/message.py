"""What the server sends, once parsed: responses, events and their headers.

AMI headers are ordered, may repeat (``Output``, ``Variable``), and their names are matched
without regard to case. ``Headers`` keeps every pair as it arrived and answers lookups the
way Asterisk does: the first match wins. Headers the parser reads stay text until something
walks them (lookups search the text), so an event flood costs little for the events a
program only glances at.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload

from sdk.display import events_html, events_text, response_html
from sdk.errors import ActionError
from sdk.extras import require

if TYPE_CHECKING:
    import pandas

__all__ = [
    "Event",
    "EventList",
    "Headers",
    "Message",
    "Response",
    "events_frame",
    "json_add",
    "message_from_pairs",
    "message_from_text",
    "search_key",
]


# What Headers.get looks for in a lowered text, by the name asked: LF, name, colon; "" for a
# name no header can have. The names asked are few (ActionID, Event...): kept, up to a bound.
_KEYS: dict[str, str] = {}
_KEYS_MAX = 1024


def search_key(name: str) -> str:
    """What ``Headers`` looks for in its lowered text to find header ``name``: LF, the name
    in lower case, a colon ("" for a name no header can have). Kept for the names asked."""
    lowered = name.lower()
    key = "" if ":" in name or "\n" in name else f"\n{lowered}:"
    if type(name) is str and len(_KEYS) < _KEYS_MAX:
        _KEYS[name] = key
    return key


class Headers(Sequence[tuple[str, str]]):
    """Ordered ``(name, value)`` pairs; repeated names are kept; lookups ignore case.

    Headers the parser reads are kept as their text (lines joined by LF) until something
    needs the pairs: ``get`` and ``in`` find a header in the text itself, so a message whose
    headers are looked up, not walked, is never split into lines. Either way a header's name
    is what stands before the first colon of its line, its value what follows, one space
    removed; a line without a colon is no header (the message keeps it in ``unparsed``).
    """

    __slots__ = ("_index", "_low", "_pairs", "_text", "_unparsed")

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        self._pairs: tuple[tuple[str, str], ...] | None = tuple(pairs)
        self._index: dict[str, str] | None = None
        self._text = ""  # the text the pairs come from (message_from_text); "": none
        self._low: str | None = None

    def _parse(self) -> tuple[tuple[str, str], ...]:
        """The pairs of the text (and its lines without a colon, in ``_unparsed``)."""
        pairs: list[tuple[str, str]] = []
        unparsed = []
        append = pairs.append
        for line in self._text.split("\n"):
            name, blank, value = line.partition(": ")
            if blank and ":" not in name:  # the usual line: its first colon, then a blank
                append((name, value))
                continue
            name, colon, value = line.partition(":")
            if not colon:
                unparsed.append(line)
            else:
                append((name, value[1:] if value[:1] == " " else value))
        self._unparsed = tuple(unparsed)
        self._pairs = result = tuple(pairs)  # last: who sees the pairs sees the rest
        return result  # the text stays: another thread may be looking a header up in it

    def _lookup(self) -> dict[str, str]:
        index = self._index
        if index is None:  # built backwards, so that the first of a name wins
            index = self._index = {name.lower(): value for name, value in reversed(self._all())}
        return index

    def _all(self) -> tuple[tuple[str, str], ...]:
        pairs = self._pairs
        return pairs if pairs is not None else self._parse()

    def _lowered(self) -> str | None:
        """LF and the text in lowercase, to find headers in; None (and the text split into
        pairs) when the text is not ASCII, whose lowercase may move characters."""
        text = self._text
        if text.isascii():
            low = self._low = "\n" + text.lower()
            return low
        self._parse()
        return None

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first header called ``name`` (any case), else ``default``."""
        try:
            key = _KEYS[name]
        except (KeyError, TypeError):
            key = search_key(name)
        return self.value(key, name, default)

    def value(self, key: str, name: str, default: str | None = None) -> str | None:
        """``get(name)``, for a caller that keeps the name's ``search_key`` (a typed event's
        field reads its header so, a little faster)."""
        low = self._low
        if low is not None or (self._pairs is None and (low := self._lowered()) is not None):
            if key:
                start = low.find(key)  # the line that starts with "name:"
                if start >= 0:
                    text = self._text
                    start += len(key) - 1  # in the text, which has no LF in front
                    if text[start : start + 1] == " ":  # one space after the colon: not its
                        start += 1
                    end = text.find("\n", start)
                    return text[start:end] if end >= 0 else text[start:]
            return default
        return self._lookup().get(name.lower(), default)

    def getall(self, name: str) -> list[str]:
        """Every value of the headers called ``name`` (any case), in order."""
        key = name.lower()
        return [value for n, value in self._all() if n.lower() == key]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if self._pairs is None:
            low = self._low or self._lowered()
            if low is not None:
                key = search_key(name)
                return bool(key) and key in low
        return name.lower() in self._lookup()

    @overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, key: slice) -> Sequence[tuple[str, str]]: ...
    def __getitem__(self, key: int | slice) -> tuple[str, str] | Sequence[tuple[str, str]]:
        return self._all()[key]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._all() == other._all()
        if isinstance(other, (list, tuple)):
            return list(self._all()) == [tuple(p) for p in other]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"Headers({list(self._all())!r})"

    def as_dict(self) -> dict[str, str]:
        """First value of each name, names as first spelled; for tables and JSON."""
        out: dict[str, str] = {}
        for name, value in self._all():
            out.setdefault(name, value)
        return out


class PrettyPrinter(Protocol):
    """What ``_repr_pretty_`` uses of IPython's printer (IPython is no dependency)."""

    def text(self, obj: str) -> None: ...


class Message:
    """One message from the server: its headers, and any lines that had no colon."""

    __slots__ = ("_unparsed", "headers")

    def __init__(self, headers: Headers, unparsed: tuple[str, ...] | None = ()) -> None:
        self.headers = headers
        self._unparsed = unparsed  # None: the headers' text holds them, found when asked

    @property
    def unparsed(self) -> tuple[str, ...]:
        """The lines of the message that had no colon, in order."""
        unparsed = self._unparsed
        if unparsed is None:
            self.headers._all()
            unparsed = self._unparsed = self.headers._unparsed
        return unparsed

    @unparsed.setter
    def unparsed(self, lines: tuple[str, ...]) -> None:
        self._unparsed = lines

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def getall(self, name: str) -> list[str]:
        return self.headers.getall(name)

    def __getitem__(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return name in self.headers

    @property
    def action_id(self) -> str | None:
        return self.headers.get("ActionID")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.headers == other.headers and self.unparsed == other.unparsed

    def __hash__(self) -> int:
        return hash((type(self), self.headers, self.unparsed))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.headers)!r})"

    def __str__(self) -> str:
        lines = [f"{name}: {value}" for name, value in self.headers]
        lines.extend(self.unparsed)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
            f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
            for name, value in self.headers
        )
        rows += "".join(
            f"<tr><td colspan='2' style='text-align:left'>{html.escape(line)}</td></tr>"
            for line in self.unparsed
        )
        return f"<table>{rows}</table>"

    def _repr_pretty_(self, printer: PrettyPrinter, cycle: bool) -> None:
        """IPython's plain text: the headers as they arrived, one a line."""
        printer.text(str(self))


class Event(Message):
    """An ``Event:`` message: broadcast by the server, or an item of an action's list.

    The session makes each event of its class in ``sdk.events`` (a subclass of this one,
    with typed attributes); an event that no spec has is an ``Event``, its headers text."""

    __slots__ = ("_name",)

    def __init__(self, headers: Headers, unparsed: tuple[str, ...] | None = ()) -> None:
        self.headers = headers
        self._unparsed = unparsed
        self._name: str | None = None  # the parser's reading of the first line, if it read it

    @property
    def name(self) -> str:
        name = self._name
        return name if name is not None else (self.headers.get("Event") or "")

    def record(self) -> dict[str, Any]:
        """The first value of each header, names as first spelled: a row of
        ``to_dataframe()`` (a typed event gives its documented headers their values)."""
        return self.headers.as_dict()

    @classmethod
    def column_dtypes(cls) -> dict[str, str]:
        """The pandas dtype of each header column whose kind has one (none here: text)."""
        return {}

    def to_json(self) -> dict[str, Any]:
        """The headers as JSON: text, a repeated name as a list of its values (a typed
        event gives its documented headers their values)."""
        out: dict[str, Any] = {}
        for name, value in self.headers:
            json_add(out, name, value)
        return out


def json_add(out: dict[str, Any], name: str, value: Any) -> None:
    """Add ``name: value`` to a JSON object; a second value of a name makes a list."""
    if name in out:
        previous = out[name]
        out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
    else:
        out[name] = value


def events_frame(events: Sequence[Event], what: str) -> pandas.DataFrame:
    """``events`` as a pandas DataFrame, one row an event, a column a header: the columns
    their kinds document get their dtypes (``Int64``, ``boolean``, datetimes, timedeltas);
    a column holding a value that does not fit stays as it is (objects)."""
    module = require("pandas", what)
    frame: pandas.DataFrame = module.DataFrame([event.record() for event in events])
    dtypes: dict[str, Any] = {}  # pandas dtype names, as astype takes them
    for cls in dict.fromkeys(type(event) for event in events):
        for column, dtype in cls.column_dtypes().items():
            dtypes.setdefault(column, dtype)
    for column, dtype in dtypes.items():
        if column not in frame.columns:
            continue
        try:
            if dtype == "datetime":
                frame[column] = module.to_datetime(frame[column])
            else:
                frame[column] = frame[column].astype(dtype)
        except (TypeError, ValueError, OverflowError):
            pass  # some value is text that did not fit its kind: the column keeps it
    return frame


class EventList(list[Event]):
    """A list of events that shows as one table: HTML in a notebook, aligned text elsewhere."""

    def to_dataframe(self) -> pandas.DataFrame:
        """The events as a pandas DataFrame (``events_frame``; the pandas extra)."""
        return events_frame(self, "EventList.to_dataframe")

    def __str__(self) -> str:
        return events_text(self)

    def _repr_html_(self) -> str:
        return events_html(self)

    def _repr_pretty_(self, printer: PrettyPrinter, cycle: bool) -> None:
        printer.text(str(self))


class Response(Message):
    """The answer to one action. ``events`` holds the items of its event list, if it has one."""

    __slots__ = ("_action_id", "_status", "complete", "events")

    def __init__(self, headers: Headers, unparsed: tuple[str, ...] | None = ()) -> None:
        super().__init__(headers, unparsed)
        self.events: EventList = EventList()
        self.complete: Event | None = None
        # the parser's reading of the first line, and of an ActionID on the second, if it did
        self._status: str | None = None
        self._action_id: str | None = None

    @property
    def action_id(self) -> str | None:
        action_id = self._action_id
        return action_id if action_id is not None else self.headers.get("ActionID")

    @property
    def status(self) -> str:
        """``Success``, ``Error``, ``Goodbye`` or ``Follows``, as the server spelled it."""
        status = self._status
        return status if status is not None else (self.headers.get("Response") or "")

    @property
    def ok(self) -> bool:
        """True unless the server answered Error."""
        return self.status.lower() != "error"

    @property
    def message(self) -> str | None:
        return self.headers.get("Message")

    @property
    def is_list(self) -> bool:
        """True when the server announced an event list (``EventList: start``)."""
        return (self.headers.get("EventList") or "").lower() == "start"

    @property
    def output(self) -> str | None:
        """The CLI text of a Command answer, lines joined with LF, indentation kept; None for
        other answers. Asterisk 14 and later send one ``Output:`` header a line (also when the
        command failed); older ones ``Response: Follows`` and raw text, which the parser
        keeps in ``unparsed``."""
        lines = self.headers.getall("Output")
        if lines:
            return "\n".join(lines)
        if self.status.lower() == "follows":
            return "\n".join(self.unparsed)
        if self.message == "Command output follows":
            return ""
        return None

    def raise_for_error(self) -> Response:
        """Raise ``sdk.ActionError`` when the server answered Error; else return self."""
        if not self.ok:
            raise ActionError(self)
        return self

    def to_dataframe(self) -> pandas.DataFrame:
        """The list items as a pandas DataFrame, one row an event, the columns their kinds
        document with their dtypes (``events_frame``; the pandas extra)."""
        return events_frame(self.events, "Response.to_dataframe")

    def __str__(self) -> str:
        text = super().__str__()
        for event in self.events:
            text += "\n\n" + str(event)
        return text

    def _repr_html_(self) -> str:
        return response_html(self)


_new = object.__new__


def message_from_text(
    text: str, first: str, value: str, event_class: type[Event] = Event
) -> Message:
    """The message of ``text`` (its lines joined by LF), whose first line is the header
    ``first`` (lowercase name) with ``value``: Response, Event (of ``event_class``: a typed
    event's class, ``sdk.model.event``), or neither. Its headers are split into pairs only
    when something walks them."""
    headers = _new(Headers)  # kept as text, split on demand; built inline: one per message
    headers._pairs = None
    headers._index = None
    headers._text = text
    headers._low = None
    if first == "event":
        event = _new(Event)
        event.headers = headers
        event._unparsed = None
        event._name = value  # the first header is the first Event header
        if event_class is not Event:  # a typed event is frozen: its slots are set first
            event.__class__ = event_class
        return event
    if first == "response":
        response = _new(Response)  # built inline too: one per answer
        response.headers = headers
        response._unparsed = None
        response.events = EventList()
        response.complete = None
        response._status = value  # the first header is the first Response header
        # Asterisk writes ActionID second: then it is the first ActionID header, read here
        # (routing needs it for every answer) without searching the text
        start = text.find("\n") + 1
        if start and text.startswith("ActionID: ", start):
            end = text.find("\n", start)
            response._action_id = text[start + 10 : end] if end >= 0 else text[start + 10 :]
        else:
            response._action_id = None
        return response
    return Message(headers, None)


def message_from_pairs(
    pairs: Sequence[tuple[str, str]],
    unparsed: tuple[str, ...] = (),
    event_class: type[Event] = Event,
) -> Message:
    """Build the right kind of message from its first header (Response, Event of
    ``event_class``, or neither)."""
    headers = Headers(pairs)
    first = pairs[0][0].lower() if pairs else ""
    if first == "response":
        return Response(headers, unparsed)
    if first == "event":
        event = Event(headers, unparsed)
        if event_class is not Event:
            event.__class__ = event_class
        return event
    return Message(headers, unparsed)
