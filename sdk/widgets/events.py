"""``EventLog``: the events a session receives, live, newest first, filterable by name.

It registers one ``Session.on("*", ...)`` callback, which runs on the session's reader thread;
so the log keeps filling while a form waits for its answer. It keeps the last ``maxlen``
events and shows the last ``show`` that match the filter. A burst of events redraws the table
at most every ``refresh`` seconds (a short timer draws the last of them), so a busy server
does not flood the browser with redraws.

When the events shown are all of one class of ``sdk.events`` (a filter such as
``PeerStatus``), the table has a column for each header its spec documents (those the
events have), each value as its kind reads it, and one for the headers it does not; a mix of
events shows each event's headers in one column.
"""

from __future__ import annotations

import collections
import enum
import html
import logging
import threading
import time
from collections.abc import Callable, Container
from datetime import datetime
from typing import Any

import ipywidgets as W

from sdk.client.hub import any_matcher
from sdk.client.session import Session
from sdk.display import html_table
from sdk.model.event import BASE_HEADERS, TypedEvent
from sdk.widgets.base import HINT_COLOR, Component, Panel
from sdk.wire.message import Event, EventList

__all__ = ["EventLog", "name_filter"]

log = logging.getLogger("sdk.widgets")

_SKIP = frozenset({"event", "privilege"})


def name_filter(text: str) -> Callable[[str], bool]:
    """Match event names against ``text``: names or globs separated by commas or blanks, any
    case; a plain word matches names that contain it (``peer`` matches PeerStatus). The
    session's own rule (``sdk.client.hub``), as a filter box reads it."""
    return any_matcher(text, contains=True)


class EventLog(Component):
    """Live events of ``connection`` (a ``Session`` or a ``ConnectionPanel``, whose session it
    follows across reconnects). ``events`` holds ``(time, Event)`` pairs, oldest first."""

    def __init__(
        self,
        connection: Session | Panel | None = None,
        *,
        maxlen: int = 1000,
        show: int = 100,
        pattern: str = "",
        refresh: float = 0.1,
    ) -> None:
        self.events: collections.deque[tuple[datetime, Event]] = collections.deque(maxlen=maxlen)
        self.received = 0
        self.show = show
        self.refresh = refresh
        self._lock = threading.Lock()
        self._drawn_at = 0.0
        self._closed = False
        self._timer: threading.Timer | None = None
        self._session: Session | None = None
        self._remove: Callable[[], None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._match = name_filter(pattern)

        self.filter = W.Text(
            value=pattern,
            description="filter",
            placeholder="event names or globs: UserEvent, Peer*",
            layout=W.Layout(width="28em"),
        )
        self.filter.add_class("ami-event-filter")
        self.filter.observe(self._filter_changed, names="value")
        self.clear_button = W.Button(description="Clear", icon="eraser")
        self.clear_button.on_click(lambda _b: self.clear())
        self.summary = W.HTML()
        self.table = W.HTML()
        self.table.add_class("ami-event-log")
        controls = W.HBox([self.filter, self.clear_button, self.summary])
        self.widget = W.VBox([W.HTML("<b>Events</b>"), controls, self.table])
        self.widget.add_class("ami-events")
        self._widgets = [self.filter, self.clear_button, self.summary, self.table, controls]
        self._widgets.extend([self.widget.children[0], self.widget])

        self.connection = connection
        if isinstance(connection, Session):
            self.attach(connection)
        elif connection is not None:
            self._unsubscribe = connection.on_change(self._follow)
            self._follow()
        self._render()

    # --- the session ---

    def _follow(self) -> None:
        session = getattr(self.connection, "session", None)
        if session is not self._session:
            self.attach(session)

    def attach(self, session: Session | None) -> None:
        """Take events from ``session`` from now on (None: from no session)."""
        self.detach()
        if session is not None:
            self._session = session
            self._remove = session.on("*", self._on_event)
        self._render()

    def detach(self) -> None:
        remove, self._remove, self._session = self._remove, None, None
        if remove is not None:
            remove()

    def _on_event(self, event: Event) -> None:
        """Runs on the session's reader thread."""
        with self._lock:
            if self._closed:
                return
            self.events.append((datetime.now(), event))
            self.received += 1
            wait = self._drawn_at + self.refresh - time.monotonic()
            if wait <= 0:
                self._render_locked()
            elif self._timer is None:
                self._timer = threading.Timer(wait, self._draw_late)
                self._timer.name = "ami-event-log-redraw"
                self._timer.daemon = True
                self._timer.start()

    def _draw_late(self) -> None:
        with self._lock:
            self._timer = None
            self._render_locked()

    # --- showing ---

    def _filter_changed(self, change: dict[str, Any]) -> None:
        self._match = name_filter(change["new"])
        self._render()

    def clear(self) -> None:
        with self._lock:
            self.events.clear()
            self.received = 0
            self._render_locked()

    def matching(self) -> EventList:
        """The kept events that match the filter, oldest first."""
        with self._lock:
            return EventList(e for _, e in self.events if self._match(e.name))

    def _render(self) -> None:
        with self._lock:
            self._render_locked()

    def _render_locked(self) -> None:
        self._drawn_at = time.monotonic()
        match = self._match
        shown = [(at, e) for at, e in reversed(self.events) if match(e.name)][: self.show]
        if shown:
            columns, rows = _table(shown)
            self.table.value = html_table(columns, rows)
        else:
            waiting = "waiting for events" if self._session is not None else "not connected"
            self.table.value = f"<div style='color:{HINT_COLOR}'>{waiting}</div>"
        dropped = self.received - len(self.events)
        parts = [f"{self.received} received", f"{len(shown)} shown"]
        if dropped:
            parts.append(f"{dropped} oldest dropped")
        self.summary.value = (
            f"<span style='color:{HINT_COLOR}'>{html.escape(', '.join(parts))}</span>"
        )

    # --- display and cleanup ---

    def close(self) -> None:
        self.detach()
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            timer.join()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for widget in self._widgets:
            widget.close()

    def __repr__(self) -> str:
        return f"<EventLog {self.received} events received>"


def _table(shown: list[tuple[datetime, Event]]) -> tuple[list[str], list[list[str]]]:
    """The columns and rows of the events ``shown``: a column for each documented header
    when they are all of one typed class, else their headers in one."""
    kinds = {type(event) for _, event in shown}
    cls = kinds.pop() if len(kinds) == 1 else None
    if cls is None or not issubclass(cls, TypedEvent):
        return ["time", "event", "headers"], [
            [_time(at), event.name, _headers_text(event, _SKIP)] for at, event in shown
        ]
    documented = cls.documented()
    present = {name.lower() for _, event in shown for name, _ in event.headers}
    headers = [name for key, (_field, name) in documented.items() if key in present]
    skip = documented.keys() | BASE_HEADERS  # shown in columns of their own, or not at all
    other = [_headers_text(event, skip) for _, event in shown]
    extra = any(other)  # a column for the headers the class does not document
    rows = []
    for (at, event), rest in zip(shown, other, strict=True):
        assert isinstance(event, TypedEvent)
        rows.append(
            [_time(at), *(_shown(event, name) for name in headers), *([rest] if extra else [])]
        )
    return ["time", *headers, *(["other headers"] if extra else [])], rows


def _headers_text(event: Event, skip: Container[str]) -> str:
    """The event's headers, but those named in ``skip`` (lower case), in one cell."""
    return "  ".join(f"{n}: {v}" for n, v in event.headers if n.lower() not in skip)


def _time(at: datetime) -> str:
    return at.strftime("%H:%M:%S.%f")[:-3]


def _shown(event: TypedEvent, header: str) -> str:
    """A header's value as its kind reads it, written for a table cell."""
    raw = event.get(header)
    if raw is None:
        return ""
    value = event.decoded(header, raw)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return "" if value is None else str(value)
