"""The event queue wakes the readers that wait on it, and only they are woken."""

from __future__ import annotations

import threading

from conftest import memory_session, wait_until

from sdk.actions import UserEvent
from sdk.client.memory import MemoryTransport


def test_a_waiting_events_iterator_is_woken_by_each_event(memory: MemoryTransport) -> None:
    with memory_session(memory, events="user") as ami:
        got: list[str | None] = []

        def reader() -> None:
            for event in ami.events(timeout=30):  # unwoken, it would wait 30 s
                got.append(event.get("UserEvent"))
                if len(got) == 3:
                    return

        thread = threading.Thread(target=reader)
        thread.start()
        for count, name in enumerate(("one", "two", "three"), 1):
            assert wait_until(lambda: ami._hub.readers == 1, 10)  # waiting, queue empty
            ami.send(UserEvent(user_event=name))
            assert wait_until(lambda count=count: len(got) == count, 10), got  # woken at once
        thread.join(10)
        assert not thread.is_alive()
        assert got == ["one", "two", "three"]
        assert ami._hub.readers == 0  # counted out again
