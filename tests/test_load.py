"""Events under load: 8 threads, 10,000 actions, 100,000 events woven between the answers.

Asserts correctness only (every answer to its own caller, every event once and in order,
the queue's overflow policy); how fast it goes belongs to the benchmarks.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import pytest
from conftest import admin_session, run_threads, wait_until

from sdk import Event
from sdk.actions import Ping, SIPnotify, UserEvent
from sdk.testing import AMIServer

THREADS = 8
ACTIONS = 10_000
EVENTS = 100_000
PER_ANSWER = EVENTS // ACTIONS
QUEUE = 1_000


class Weave:
    """The server's handlers, writing the next ``PER_ANSWER`` events before each SIPnotify
    answer: events and answers are woven by construction, whatever the threads' timing.
    The events carry ActionIDs of actions in flight, as decoys: they are no answers."""

    def __init__(self, real: Any, ids: list[str]) -> None:
        self.real = real
        self.ids = ids
        self.next = 0  # the server runs one connection's requests one after another

    def process(self, conn: Any, request: Any) -> None:
        if request.action == "SIPnotify" and self.next < EVENTS:
            conn.write(
                b"".join(
                    b"Event: Storm\r\nPrivilege: user,all\r\nSeq: %d\r\nActionID: %s\r\n\r\n"
                    % (n, self.ids[n % len(self.ids)].encode())
                    for n in range(self.next, self.next + PER_ANSWER)
                )
            )
            self.next += PER_ANSWER
        self.real.process(conn, request)


def test_no_answer_reaches_the_wrong_caller_under_an_event_storm(
    server: AMIServer, caplog: pytest.LogCaptureFixture
) -> None:
    per_thread = ACTIONS // THREADS
    ids = [f"w{t}-{j}" for t in range(THREADS) for j in range(per_thread)]
    with admin_session(server, events="user", event_queue_size=QUEUE, timeout=60) as ami:
        server.handlers = Weave(server.handlers, ids)  # type: ignore[assignment]
        seqs: list[int] = []
        results: dict[str, tuple[str | None, str | None]] = {}

        def on_storm(event: Event) -> None:
            seqs.append(int(event["Seq"]))

        def broken(event: Event) -> None:
            raise RuntimeError("a callback bug must not stop the reader")

        ami.on("Storm", on_storm)
        ami.on(re.compile("^St"), broken)

        def worker(t: int) -> None:
            for j in range(per_thread):
                given = f"w{t}-{j}"
                peer = "phone1" if j % 2 else "nosuch"
                action_id = given if j % 4 < 2 else None  # half the caller's IDs, half ours
                action = SIPnotify(channel=peer, variables={"Event": given}, action_id=action_id)
                response = ami.send(action)
                if action_id is not None:
                    assert response.action_id == action_id
                results[given] = (response.message, response.action_id)

        run_threads(worker, THREADS, timeout=240)
        ami.send(Ping())  # every event written before it has been read

        # Every caller got the answer to its own action.
        assert len(results) == ACTIONS
        for given, (message, _) in results.items():
            odd = int(given.rsplit("-", 1)[1]) % 2
            assert message == ("Notify Sent" if odd else "Could not create address"), given
        assert len({aid for _, aid in results.values()}) == ACTIONS
        notified = sorted(n.header("Event") or "" for n in server.notifies)
        assert notified == sorted(g for g in ids if int(g.rsplit("-", 1)[1]) % 2)
        assert not [m for m in ami.unmatched if m.action_id in results]

        # Every event once, in order, to the callbacks; the queue kept the newest.
        assert seqs == list(range(EVENTS))
        queued = [int(e["Seq"]) for e in ami.events(timeout=0)]
        assert queued == list(range(EVENTS - QUEUE, EVENTS))
        assert ami.dropped_events == EVENTS - QUEUE
    # The broken callback was logged, once with its traceback, then counted.
    failures = [r for r in caplog.records if "broken" in r.getMessage()]
    assert failures[0].exc_info is not None and "failed on Storm" in failures[0].getMessage()
    assert len(failures) == 1 + EVENTS // 1000
    assert failures[-1].levelno == logging.ERROR
    assert f"has failed {EVENTS} times" in failures[-1].getMessage()


def test_a_callback_may_submit_but_not_wait(server: AMIServer) -> None:
    with admin_session(server, events="user") as ami:
        outcomes: list[object] = []

        def callback(event: Event) -> None:
            outcomes.append(ami.submit(Ping(action_id=f"from-{event['UserEvent']}")))
            try:
                ami.send(Ping())
            except RuntimeError as exc:  # it would wait for the thread that runs it
                outcomes.append(exc)

        ami.on("UserEvent", callback)
        ami.send(UserEvent(user_event="one"))
        assert wait_until(lambda: len(outcomes) == 2, 5)
        pending, error = outcomes
        assert "cannot run in an event callback" in str(error)
        assert ami.wait(pending).action_id == "from-one"  # type: ignore[arg-type]


def test_close_from_a_callback_ends_the_session(server: AMIServer) -> None:
    ami = admin_session(server, events="user")
    ami.on("UserEvent", lambda event: ami.close())
    ami.send(UserEvent(user_event="bye"))
    assert wait_until(lambda: ami.closed, 5)
    ami.close()  # from here it joins the I/O thread
    assert not [t for t in threading.enumerate() if t.name.startswith("ami-io-")]
