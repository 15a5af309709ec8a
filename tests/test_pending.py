"""A submitted action's answer, waited for by more than one thread, or not long enough."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import memory_session, run_threads

from sdk import TimeoutError
from sdk.actions import Ping
from sdk.client.memory import MemoryTransport


def test_every_thread_waiting_on_one_answer_gets_it(memory: MemoryTransport) -> None:
    release = threading.Event()

    def slow_ping(conn, request) -> None:  # type: ignore[no-untyped-def]
        release.wait(10)
        conn.respond(request, "Success", headers=[("Ping", "Pong")])

    memory.handle("Ping", slow_ping)
    with memory_session(memory) as ami:
        pending = ami.submit(Ping(action_id="shared"))
        assert not pending.done()
        answers: list[str | None] = []

        def waiter(_: int) -> None:
            answers.append(ami.wait(pending, timeout=10).action_id)

        threading.Timer(0.2, release.set).start()
        started = time.monotonic()
        run_threads(waiter, 4, timeout=20)
        assert answers == ["shared"] * 4
        assert time.monotonic() - started < 10
        assert pending.done()
        assert ami.wait(pending, timeout=0).get("Ping") == "Pong"  # done: no waiting

        release.clear()
        late = ami.submit(Ping(action_id="late"))
        with pytest.raises(TimeoutError):
            ami.wait(late, timeout=0)  # not there yet: a zero timeout gives up at once
        release.set()
