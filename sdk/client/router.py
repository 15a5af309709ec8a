"""Answers to their callers: each response, with the items of its event list, goes to the
action waiting on its ActionID; every other event goes on to the event hub.

An action is filed under its ActionID when it is written (``add``) and leaves when its answer
is complete, its wait times out (``wait``) or its connection ends (``take``, then ``fail``).
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
    TimeoutError,
    ValidationError,
)
from sdk.model.action import Action
from sdk.wire.message import Event, Message, Response

__all__ = ["PendingResponse", "Router"]

log = logging.getLogger("sdk.client.session")

STALE_LIMIT = 10_000  # timed-out ActionIDs remembered until their late answer comes
UNMATCHED = 100  # answers owed to nobody, kept for a look (``Session.unmatched``)


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
    ) -> None:
        self._lock = lock
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
                return False
            complete_name = pending.action.LIST_COMPLETE
            ends = (event.get("EventList") or "").lower() == "complete" or (
                complete_name is not None and event.name.lower() == complete_name.lower()
            )
            if not ends:
                pending.response.events.append(event)
                return True
            pending.response.complete = event
            del self._pending[action_id]
        answered.append(pending)
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
