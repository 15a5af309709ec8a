"""Events to those who asked for them: callbacks by name, waiters, and a bounded queue.

Each event that is no list item comes here, on the I/O thread (``deliver``): every callback
whose pattern matches its name runs first; then the first waiter that wants it takes it;
else it joins the queue, which keeps the newest ``size`` events, dropping (and counting) the
oldest. ``events()`` reads the queue, ``wait_for()`` waits for one event, ``on()`` adds a
callback; all of them outlive reconnects, and ``end()`` wakes them when the session is over.

``matcher`` is the one rule for matching event names (a name, a glob, a regex, or an event
class of ``sdk.events``: its name), used by the session, the CLI's ``ami events --filter``
and the notebook's event log alike. A callback or waiter asked for by class gets events of
that class (the parser makes them so; an event class of one's own is given the event read
as that class).
"""

from __future__ import annotations

import collections
import fnmatch
import logging
import re
import threading
from collections.abc import Callable, Iterator

from sdk.errors import ConnectionError, TimeoutError
from sdk.events import EVENTS
from sdk.model.event import TypedEvent
from sdk.wire.message import Event

__all__ = ["EventHub", "any_matcher", "as_class", "matcher"]

log = logging.getLogger("sdk.client.session")

Pattern = str | re.Pattern[str] | type[Event]
Callback = Callable[[Event], object]  # what it returns is not read
_GLOB = frozenset("*?[")


def matcher(pattern: Pattern) -> Callable[[str], bool]:
    """Event names match a name (any case), a glob (``Peer*``, any case), a compiled regex
    (searched), or an event class: its ``EVENT`` name (``Event`` itself: every name)."""
    if isinstance(pattern, type):
        if not issubclass(pattern, TypedEvent):
            return lambda name: True
        pattern = pattern.EVENT
    if isinstance(pattern, re.Pattern):
        return lambda name: pattern.search(name) is not None
    if not _GLOB.isdisjoint(pattern):
        regex = re.compile(fnmatch.translate(pattern), re.IGNORECASE)
        return lambda name: regex.match(name) is not None
    exact, folded = pattern, pattern.lower()
    return lambda name: name == exact or name.lower() == folded  # as spelt, at once


def any_matcher(text: str, *, contains: bool = False) -> Callable[[str], bool]:
    """Names that match any of the names or globs in ``text``, separated by commas or blanks
    (``"UserEvent, Peer*"``); all names when there are none. With ``contains`` a plain word
    matches the names that contain it (``peer`` matches PeerStatus), as a filter box does."""
    words = [word for word in re.split(r"[\s,]+", text.strip()) if word]
    if contains:
        words = [word if not _GLOB.isdisjoint(word) else f"*{word}*" for word in words]
    tests = [matcher(word) for word in words]
    if not tests:
        return lambda name: True
    if len(tests) == 1:
        return tests[0]
    return lambda name: any(test(name) for test in tests)


def as_class(pattern: Pattern) -> type[TypedEvent] | None:
    """The event class an event asked for by ``pattern`` must be made of, when the parser
    does not make it so (a class of one's own, not ``sdk.events``'): None for a name, glob
    or regex, and for the SDK's own classes."""
    if isinstance(pattern, type) and issubclass(pattern, TypedEvent):
        if EVENTS.type_of(pattern.EVENT) is not pattern:
            return pattern
    return None


class _Waiter:
    __slots__ = ("done", "error", "event", "match", "predicate")

    def __init__(
        self, match: Callable[[str], bool], predicate: Callable[[Event], bool] | None
    ) -> None:
        self.match = match
        self.predicate = predicate
        self.event: Event | None = None
        self.error: ConnectionError | None = None
        self.done = threading.Event()

    def wants(self, event: Event) -> bool:
        return self.match(event.name) and (self.predicate is None or bool(self.predicate(event)))


class EventHub:
    """Callbacks, waiters and the queue of at most ``size`` events (see the module doc)."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.dropped = 0  # events the full queue dropped, oldest first
        self._queue: collections.deque[Event] = collections.deque()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._readers = 0  # events() iterators waiting on _cond
        self._waiters: list[_Waiter] = []
        # Copied on change, never changed in place: deliver() reads it without the lock.
        self._callbacks: list[tuple[Callable[[str], bool], Callback]] = []
        self._callback_failures: dict[int, int] = {}
        self._ended: ConnectionError | None = None

    @property
    def readers(self) -> int:
        """How many ``events()`` iterators wait for an event now."""
        return self._readers

    # --- any thread -----------------------------------------------------------------------

    def on(self, pattern: Pattern, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event)`` for each event whose name matches ``pattern``; returns a
        function that removes it. A callback that raises is logged, and the others go on."""
        cls = as_class(pattern)
        if cls is not None:  # events read as a class of one's own
            given = callback

            def callback(event: Event) -> object:
                return given(cls.of(event))

        entry = (matcher(pattern), callback)
        with self._lock:
            self._callbacks = [*self._callbacks, entry]

        def remove() -> None:
            with self._lock:
                self._callbacks = [e for e in self._callbacks if e is not entry]

        return remove

    def events(self, timeout: float | None = None) -> Iterator[Event]:
        """Yield queued events as they come; stop after ``timeout`` seconds without one, or
        at ``end()``."""
        while True:
            with self._cond:
                if not self._queue:
                    self._readers += 1
                    try:
                        self._cond.wait_for(lambda: self._queue or self._ended is not None, timeout)
                    finally:
                        self._readers -= 1
                if not self._queue:
                    return
                event = self._queue.popleft()
            yield event

    def wait_for(
        self, pattern: Pattern, predicate: Callable[[Event], bool] | None, timeout: float
    ) -> Event:
        """The first event matching ``pattern`` (and ``predicate``), taken from the queue if
        it already came; ``sdk.TimeoutError`` after ``timeout`` s; the end's
        ``sdk.ConnectionError`` if the hub ends first."""
        cls = as_class(pattern)
        if cls is None:
            return self._wait_for(pattern, predicate, timeout)
        if predicate is not None:  # events read as a class of one's own
            given = predicate

            def predicate(event: Event) -> bool:
                return given(cls.of(event))

        return cls.of(self._wait_for(pattern, predicate, timeout))

    def _wait_for(
        self, pattern: Pattern, predicate: Callable[[Event], bool] | None, timeout: float
    ) -> Event:
        waiter = _Waiter(matcher(pattern), predicate)
        with self._cond:
            for event in self._queue:
                if waiter.wants(event):
                    self._queue.remove(event)
                    return event
            if self._ended is not None:
                raise self._ended
            self._waiters.append(waiter)
        if not waiter.done.wait(timeout):
            with self._cond:
                if not waiter.done.is_set():
                    self._waiters.remove(waiter)
                    shown = pattern.__name__ if isinstance(pattern, type) else pattern
                    raise TimeoutError(f"no {shown} event within {timeout} s")
        if waiter.error is not None:
            raise waiter.error
        assert waiter.event is not None
        return waiter.event

    def end(self, error: ConnectionError) -> None:
        """No more events will come: waiters raise ``error``, iterators stop when drained."""
        with self._cond:
            self._ended = error
            for waiter in self._waiters:
                waiter.error = error
                waiter.done.set()
            self._waiters.clear()
            self._cond.notify_all()

    # --- the I/O thread -------------------------------------------------------------------

    def deliver(self, event: Event) -> None:
        """Hand ``event`` to the callbacks, then to a waiter or the queue."""
        name = event.name
        for entry in self._callbacks:
            match, callback = entry
            if match(name):
                try:
                    callback(event)
                except Exception:
                    self._callback_failed(entry, name)
        with self._lock:  # _cond's lock
            for waiter in self._waiters:
                if waiter.wants(event):
                    self._waiters.remove(waiter)
                    waiter.event = event
                    waiter.done.set()
                    return
            queue = self._queue
            if len(queue) >= self.size:
                queue.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.warning(
                        "event queue full (%d): dropped the oldest event (%d dropped so far)",
                        self.size,
                        self.dropped,
                    )
            queue.append(event)
            if self._readers:
                self._cond.notify_all()

    def _callback_failed(self, entry: tuple[Callable[[str], bool], Callback], name: str) -> None:
        count = self._callback_failures.get(id(entry), 0) + 1
        self._callback_failures[id(entry)] = count
        callback = entry[1]
        if count == 1:
            log.exception("event callback %r failed on %s", callback, name)
        elif count % 1000 == 0:
            log.error("event callback %r has failed %d times", callback, count)
