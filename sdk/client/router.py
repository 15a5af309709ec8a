"""Answers to their callers: each response, with the items of its event list, goes to the
action waiting on its ActionID; every other event goes on to the event hub.

An action is filed under its ActionID when it is written (``add``) and leaves when its answer
is complete, its wait times out (``wait``) or its connection ends (``take``, then ``fail``),
or its list passes ``max_list_items`` items: its caller gets ``sdk.ProtocolError``, and the
rest of that list is dropped as it comes, up to its closing event.
An answer that comes after its wait timed out is owed to nobody: the router remembers such
ActionIDs (``stale``), and their late answers go to ``unmatched``, like answers without an
ActionID of ours, even when the same ActionID has been used again since.

The router shares its lock with the session (``lock``): the connection's state and the
filed actions change together, so an action is filed and written while its connection
cannot be swapped for another.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Protocol

from sdk.errors import (
    AMIError,
    ConnectionError,
    FieldProblem,
    OutcomeUnknown,
    ProtocolError,
    TimeoutError,
    ValidationError,
)
from sdk.model.action import Action
from sdk.wire.message import Event, Message, Response

__all__ = ["DEFAULT_MAX_LIST_ITEMS", "PendingResponse", "Router"]

log = logging.getLogger("sdk.client.session")

STALE_LIMIT = 10_000  # timed-out ActionIDs remembered until their late answer comes
UNMATCHED = 100  # answers owed to nobody, kept for a look (``Session.unmatched``)
# The items one event list may hold: five times the largest lists of a big PBX (100,000
# peers or channels), and some hundreds of MB at the most, where a server that never ends a
# list would otherwise fill the memory until the caller's timeout.
DEFAULT_MAX_LIST_ITEMS = 500_000


class Writer(Protocol):
    """What an action is written to: a connection (``sdk.client.connection.Link``)."""

    def write(self, data: bytes, tag: Hashable | None = None) -> bool: ...


class PendingResponse:
    """The answer to an action that was written and not yet answered (a small future)."""

    __slots__ = ("_done", "_gate", "_link", "action", "action_id", "error", "response")

    def __init__(self, action: Action, action_id: str) -> None:
        self.action = action
        self.action_id = action_id
        self.response: Response | None = None
        self.error: AMIError | None = None
        self._done = False
        # Held until the answer comes: a lock costs a fraction of a threading.Event, and
        # one is made per action.
        self._gate = threading.Lock()
        self._gate.acquire()
        self._link: object = None  # the connection it was written to

    @property
    def events(self) -> list[Event]:
        """The list items that came so far: the response's own ``events`` (none before it)."""
        return self.response.events if self.response is not None else []

    def done(self) -> bool:
        return self._done

    def awaited_on(self, link: object) -> bool:
        """Not answered yet, and written to ``link`` (its answer comes on that connection)."""
        return not self._done and self._link is link

    def _finish(self, error: AMIError | None = None) -> None:
        self.error = error
        if not self._done:
            self._done = True
            try:
                self._gate.release()
            except RuntimeError:  # finished twice at once: released once is enough
                pass

    def _wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the answer; True once it came."""
        if self._done:
            return True
        if self._gate.acquire(timeout=max(0.0, timeout)):
            self._gate.release()  # open for any other waiter
            return True
        return self._done


class Router:
    """The actions in flight, by ActionID, and where each message read goes (``route``).

    ``deliver(event)`` takes the events that belong to no list; ``on_goodbye()`` runs when
    the server says Goodbye to our own Logoff, before its caller wakes.
    """

    def __init__(
        self,
        lock: threading.Lock,
        *,
        deliver: Callable[[Event], None],
        on_goodbye: Callable[[], None],
        max_list_items: int = DEFAULT_MAX_LIST_ITEMS,
    ) -> None:
        self._lock = lock
        self.max_list_items = max_list_items
        # ActionIDs of lists cut at max_list_items: the closing event's name (or None), and
        # how many of their items were dropped since
        self._dropping: dict[str, tuple[str | None, int]] = {}
        self._deliver = deliver
        self._on_goodbye = on_goodbye
        self._pending: dict[str, PendingResponse] = {}
        self._stale: dict[str, int] = {}
        self.unmatched: collections.deque[Message] = collections.deque(maxlen=UNMATCHED)

    # --- sending (the caller holds the lock, but for add) ---------------------------------

    def add(self, pending: PendingResponse, link: Writer, data: bytes) -> bool:
        """File ``pending`` and write ``data`` to ``link``; False (nothing filed) when the
        link is closing. An ActionID already in flight is refused, before anything is sent."""
        self.file(pending, link)
        if link.write(data, pending.action_id):
            return True
        self.unfile(pending)
        return False

    def file(self, pending: PendingResponse, link: object) -> None:
        """File ``pending`` as written to ``link``, before it is written (so that its answer
        finds it). An ActionID already in flight is refused (``sdk.ValidationError``)."""
        action_id = pending.action_id
        if action_id in self._pending:
            problem = FieldProblem(
                "action_id", "ActionID", f"{action_id!r} is already used by an action in flight"
            )
            raise ValidationError(pending.action.ACTION, [problem])
        pending._link = link
        self._pending[action_id] = pending

    def unfile(self, pending: PendingResponse) -> None:
        """``pending`` was not written after all (its link was closing)."""
        if self._pending.get(pending.action_id) is pending:
            del self._pending[pending.action_id]

    def wait(self, pending: PendingResponse, timeout: float, asked: float) -> Response:
        """The answer of ``pending`` within ``timeout`` s; else ``sdk.TimeoutError`` (with the
        list items so far), and its ActionID is stale from then on. ``asked``: the timeout
        the caller gave, for the message. Raises the error it failed with, if it did."""
        if not pending._wait(timeout):
            with self._lock:
                if not pending.done():
                    self._expire(pending)
                    got = (
                        f", {len(pending.events)} list items so far"
                        if pending.response is not None
                        else ""
                    )
                    raise TimeoutError(
                        f"{pending.action.ACTION} {pending.action_id}: no complete answer"
                        f" within {asked} s{got}",
                        pending.events,
                        response=pending.response,
                    )
        if pending.error is not None:
            raise pending.error
        response = pending.response
        assert response is not None
        return response

    def _expire(self, pending: PendingResponse) -> None:
        action_id = pending.action_id
        if self._pending.get(action_id) is not pending:
            return
        del self._pending[action_id]
        if pending.response is None:  # its answer may still come: owed to nobody
            self._stale[action_id] = self._stale.get(action_id, 0) + 1
            if len(self._stale) > STALE_LIMIT:
                del self._stale[next(iter(self._stale))]

    # --- reading (on the I/O thread) ------------------------------------------------------

    def route(self, message: Message) -> None:
        """Give ``message`` to its caller, to its list, or on to the event hub."""
        self.route_all((message,))

    def route_all(self, messages: Sequence[Message], *, events: bool = True) -> Sequence[Message]:
        """``route`` each of ``messages`` (one read's), then wake the callers they answered:
        once the read is filed, so that a caller woken does not wait for this thread to let
        go of the interpreter in the middle of it. With ``events=False`` (a caller reads for
        the I/O thread, and events go on from that thread only) it stops at the first
        message for the event hub and returns it and those after it, not routed; else ()."""
        answered: list[PendingResponse] = []
        rest: Sequence[Message] = ()
        for index, message in enumerate(messages):
            if isinstance(message, Response):
                self._on_response(message, answered)
            elif isinstance(message, Event) and self._on_list_item(message, answered):
                pass
            elif not events:
                rest = messages[index:]
                break
            elif isinstance(message, Event):
                self._deliver(message)
            else:
                log.warning("message that is neither response nor event: %r", message)
                self.unmatched.append(message)
        for pending in answered:
            pending._finish()
        return rest

    def _on_response(self, response: Response, answered: list[PendingResponse]) -> None:
        action_id = response.action_id
        late = False
        with self._lock:
            pending = self._pending.get(action_id) if action_id is not None else None
            if action_id is not None and action_id in self._stale:
                late = True  # answers come in order: this one is owed to a timed-out wait
                count = self._stale.pop(action_id)
                if count > 1:
                    self._stale[action_id] = count - 1
                pending = None
            elif pending is None or action_id is None or pending.response is not None:
                pending = None
            else:
                pending.response = response
                # the list header first: it is rare, and then the status is not looked up
                if (pending.action.LIST_COMPLETE or response.is_list) and response.ok:
                    return  # the items follow
                del self._pending[action_id]
        if pending is None:
            if late:
                log.info("late answer to timed-out action %s: %s", action_id, response.message)
            else:
                log.warning(
                    "response that no caller waits for (ActionID %r): %s",
                    action_id,
                    response.message,
                )
            self.unmatched.append(response)
            return
        if response.status.lower() == "goodbye" and pending.action.ACTION.lower() == "logoff":
            self._on_goodbye()  # before the caller wakes: it finds the session closed
        answered.append(pending)

    def _on_list_item(self, event: Event, answered: list[PendingResponse]) -> bool:
        """File ``event`` under the list it belongs to; False if it belongs to none."""
        action_id = event.action_id
        if action_id is None:
            return False
        with self._lock:
            pending = self._pending.get(action_id)
            if pending is None or pending.response is None:
                return bool(self._dropping) and self._drop(event, action_id)
            complete_name = pending.action.LIST_COMPLETE
            if not _ends(event, complete_name):
                items = pending.response.events
                if len(items) < self.max_list_items:
                    items.append(event)
                    return True
                self._cut(pending, complete_name)
                return True
            pending.response.complete = event
            del self._pending[action_id]
        answered.append(pending)
        return True

    def _cut(self, pending: PendingResponse, complete_name: str | None) -> None:
        """``pending``'s list passed ``max_list_items``: its caller gets ``ProtocolError``, its
        items are let go, and the rest of the list is dropped as it comes (the lock is held)."""
        action_id = pending.action_id
        del self._pending[action_id]
        assert pending.response is not None
        pending.response.events.clear()
        self._dropping[action_id] = (complete_name, 1)
        if len(self._dropping) > STALE_LIMIT:
            del self._dropping[next(iter(self._dropping))]
        log.warning(
            "%s %s: more than %d list items; the rest of the list is dropped",
            pending.action.ACTION,
            action_id,
            self.max_list_items,
        )
        pending._finish(
            ProtocolError(
                f"{pending.action.ACTION} {action_id}: the list passed {self.max_list_items}"
                " items before its end (max_list_items); the rest of it is dropped"
            )
        )

    def _drop(self, event: Event, action_id: str) -> bool:
        """Drop an item of a list cut at ``max_list_items``; False when ``event`` is of no
        such list (the lock is held)."""
        cut = self._dropping.get(action_id)
        if cut is None:
            return False
        complete_name, dropped = cut
        if _ends(event, complete_name):
            del self._dropping[action_id]
            log.info("%s: the cut list ended; %d items of it were dropped", action_id, dropped)
        else:
            self._dropping[action_id] = (complete_name, dropped + 1)
        return True

    # --- losing a connection --------------------------------------------------------------

    def take(self, link: object) -> list[PendingResponse]:
        """Unfile and return the actions written to ``link`` (the caller holds the lock)."""
        taken = [p for p in self._pending.values() if p._link is link]
        for pending in taken:
            del self._pending[pending.action_id]
        return taken

    def forget_stale(self) -> None:
        """A new connection owes nothing of the old one's (the caller holds the lock)."""
        self._stale.clear()
        self._dropping.clear()

    @staticmethod
    def fail(
        taken: Iterable[PendingResponse],
        text: str,
        error: BaseException | None,
        unsent: Iterable[Hashable],
    ) -> None:
        """Wake the callers of ``taken`` (from ``take``): their connection ended (``text``,
        caused by ``error``). Those in ``unsent`` never left: ``sdk.ConnectionError``, and
        ``send()`` may send them again; the others ``sdk.OutcomeUnknown``."""
        not_sent = set(unsent)
        for pending in taken:
            action = pending.action.ACTION
            failure: AMIError
            if pending.action_id in not_sent:
                failure = ConnectionError(f"{action} {pending.action_id} was not sent: {text}")
            else:
                failure = OutcomeUnknown(
                    f"{action} {pending.action_id}: {text} before its answer;"
                    " it may or may not have run",
                    pending.action_id,
                )
            failure.__cause__ = error
            pending._finish(failure)


def _ends(event: Event, complete_name: str | None) -> bool:
    """Whether ``event`` closes its list: ``EventList: Complete``, or the closing event the
    action's spec names (a list whose end says no EventList)."""
    return (event.get("EventList") or "").lower() == "complete" or (
        complete_name is not None and event.name.lower() == complete_name.lower()
    )
