"""The event hub alone: callbacks, waiters, the bounded queue, the end; the name matcher."""

from __future__ import annotations

import logging
import re
import threading

import pytest
from conftest import wait_until

from sdk import ConnectionError, Event, TimeoutError
from sdk.client.hub import EventHub, any_matcher, matcher
from sdk.wire.message import Headers


def event(name: str, **headers: str) -> Event:
    return Event(Headers([("Event", name), *headers.items()]))


def test_a_name_any_case_a_glob_or_a_regex() -> None:
    assert matcher("PeerStatus")("peerstatus") and not matcher("Peer")("PeerStatus")
    assert matcher("peer*")("PeerStatus") and not matcher("Peer*")("RTCPSent")
    assert matcher(re.compile("Stat"))("PeerStatus") and not matcher(re.compile("^stat"))("Status")
    words = any_matcher("UserEvent, Peer*  Hangup")
    assert [words(n) for n in ("userevent", "PeerEntry", "Hangup", "Newchannel")] == [
        True,
        True,
        True,
        False,
    ]
    box = any_matcher("peer, hang*", contains=True)  # a filter box: words are parts of names
    assert [box(n) for n in ("PeerStatus", "SIPpeerEntry", "Hangup", "HangupRequest", "Dial")] == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert any_matcher("  ")("Anything") and not any_matcher("peer")("PeerStatus")


def test_callbacks_first_then_a_waiter_then_the_queue() -> None:
    hub = EventHub(10)
    seen: list[str] = []
    remove = hub.on("User*", lambda e: seen.append(e["UserEvent"]))
    hub.deliver(event("UserEvent", UserEvent="early"))
    got: list[Event] = []
    waiter = threading.Thread(
        target=lambda: got.append(hub.wait_for("UserEvent", lambda e: e["UserEvent"] == "b", 10))
    )
    waiter.start()
    assert wait_until(lambda: hub._waiters, 10)
    for name in ("a", "b", "c"):
        hub.deliver(event("UserEvent", UserEvent=name))
    waiter.join(10)
    assert [e["UserEvent"] for e in got] == ["b"]  # taken by the waiter, not queued
    remove()
    hub.deliver(event("UserEvent", UserEvent="d"))
    assert seen == ["early", "a", "b", "c"]
    assert [e["UserEvent"] for e in hub.events(timeout=0)] == ["early", "a", "c", "d"]


def test_wait_for_takes_what_already_came_or_times_out() -> None:
    hub = EventHub(10)
    hub.deliver(event("Hangup", Channel="one"))
    hub.deliver(event("Hangup", Channel="two"))
    assert hub.wait_for("hangup", lambda e: e["Channel"] == "two", 0)["Channel"] == "two"
    with pytest.raises(TimeoutError, match="no Newchannel event within 0.05 s"):
        hub.wait_for("Newchannel", None, 0.05)
    assert [e["Channel"] for e in hub.events(timeout=0)] == ["one"]


def test_the_full_queue_drops_the_oldest_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    hub = EventHub(3)
    for n in range(2003):
        hub.deliver(event("Storm", Seq=str(n)))
    assert hub.dropped == 2000
    assert [e["Seq"] for e in hub.events(timeout=0)] == ["2000", "2001", "2002"]
    said = [r.getMessage() for r in caplog.records if "event queue full" in r.getMessage()]
    assert len(said) == 3 and said[-1].endswith("(2000 dropped so far)")  # 1st, 1000th, 2000th


def test_a_failing_callback_is_logged_then_counted(caplog: pytest.LogCaptureFixture) -> None:
    hub = EventHub(1)
    calls: list[int] = []

    def broken(e: Event) -> None:
        raise RuntimeError("a bug")

    hub.on("*", broken)
    hub.on("*", lambda e: calls.append(1))
    for _ in range(1000):
        hub.deliver(event("Any"))
    assert len(calls) == 1000  # the others go on
    records = [r for r in caplog.records if "broken" in r.getMessage()]
    assert len(records) == 2 and records[0].exc_info is not None
    assert (
        records[1].levelno == logging.ERROR and "has failed 1000 times" in records[1].getMessage()
    )


def test_a_waiting_reader_is_woken_and_the_end_stops_everyone() -> None:
    hub = EventHub(10)
    got: list[str] = []
    failed: list[BaseException] = []

    def read() -> None:
        got.extend(e["Seq"] for e in hub.events(timeout=30))  # unwoken, it would wait 30 s

    def wait() -> None:
        try:
            hub.wait_for("Never", None, 30)
        except ConnectionError as exc:
            failed.append(exc)

    threads = [threading.Thread(target=read), threading.Thread(target=wait)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: hub.readers == 1 and hub._waiters, 10)
    hub.deliver(event("Tick", Seq="1"))
    assert wait_until(lambda: got == ["1"], 10)  # woken at once
    hub.end(ConnectionError("session to pbx closed"))
    for thread in threads:
        thread.join(10)
    assert not any(t.is_alive() for t in threads) and hub.readers == 0
    assert [str(e) for e in failed] == ["session to pbx closed"]
    with pytest.raises(ConnectionError, match="closed"):
        hub.wait_for("Never", None, 30)  # at once: it has ended
