"""Events under load: 8 threads, 10,000 actions, 100,000 events woven between the answers.

Asserts correctness only (every answer to its own caller, every event once and in order,
the queue's overflow policy); how fast it goes belongs to the benchmarks.
"""

from __future__ import annotations

import logging
import re

import pytest
from conftest import admin_session, run_threads

from sdk import Event
from sdk.actions import Ping, SIPnotify
from sdk.testing import AMIServer

THREADS = 8
ACTIONS = 10_000
EVENTS = 100_000
BATCH = 100  # events per write: a server writes whole messages, answers fall between them
QUEUE = 1_000


def storm_batch(start: int, ids: list[str]) -> bytes:
    # Decoys: events carrying the ActionIDs of actions in flight must not be taken for answers.
    return b"".join(
        b"Event: Storm\r\nPrivilege: user,all\r\nSeq: %d\r\nActionID: %s\r\n\r\n"
        % (n, ids[n % len(ids)].encode())
        for n in range(start, start + BATCH)
    )


def test_no_answer_reaches_the_wrong_caller_under_an_event_storm(
    server: AMIServer, caplog: pytest.LogCaptureFixture
) -> None:
    per_thread = ACTIONS // THREADS
    ids = [f"w{t}-{j}" for t in range(THREADS) for j in range(per_thread)]
    with admin_session(
        server,
        events="user",
        event_queue_size=QUEUE,
        timeout=60,
    ) as ami:
        seqs: list[int] = []
        results: dict[str, tuple[str | None, str | None]] = {}
        answered_when_seen: list[int] = []

        def on_storm(event: Event) -> None:
            seqs.append(int(event["Seq"]))
            if len(seqs) % 1000 == 0:
                answered_when_seen.append(len(results))

        def broken(event: Event) -> None:
            raise RuntimeError("a callback bug must not stop the reader")

        ami.on("Storm", on_storm)
        ami.on(re.compile("^St"), broken)

        def worker(t: int) -> None:
            if t == THREADS:  # one more thread writes the events meanwhile
                for start in range(0, EVENTS, BATCH):
                    server.inject(storm_batch(start, ids))
                return
            for j in range(per_thread):
                given = f"w{t}-{j}"
                peer = "phone1" if j % 2 else "nosuch"
                action_id = given if j % 4 < 2 else None  # half the caller's IDs, half ours
                action = SIPnotify(channel=peer, variables={"Event": given}, action_id=action_id)
                response = ami.send(action)
                if action_id is not None:
                    assert response.action_id == action_id
                results[given] = (response.message, response.action_id)

        run_threads(worker, THREADS + 1, timeout=240)
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
        # The events really came between answers, not all before or after them.
        assert any(0 < n < ACTIONS for n in answered_when_seen)
    # The broken callback was logged, once with its traceback, then counted.
    failures = [r for r in caplog.records if "broken" in r.getMessage()]
    assert failures[0].exc_info is not None and "failed on Storm" in failures[0].getMessage()
    assert len(failures) == 1 + EVENTS // 1000
    assert failures[-1].levelno == logging.ERROR
    assert f"has failed {EVENTS} times" in failures[-1].getMessage()
