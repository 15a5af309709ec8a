"""Typed events against the real servers: every event of a Local-channel Originate, a
UserEvent, a SIPnotify (20) or PJSIPNotify (22), SIPpeers or PJSIPShowEndpoints, and a
module reload is of its class in ``sdk.events``, with no header its spec lacks (but those
``ALLOWED`` names) and no value that does not fit its kind (nothing logged by
``sdk.events``)."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import TYPE_CHECKING

import pytest

from sdk import Event, Session
from sdk import events as ev
from sdk.actions import (
    Generic,
    Hangup,
    Originate,
    PJSIPNotify,
    PJSIPShowEndpoints,
    SIPnotify,
    SIPpeers,
    UserEvent,
)
from sdk.model.event import TypedEvent

if TYPE_CHECKING:
    from harness import Real

pytestmark = pytest.mark.asterisk
pytest_plugins = ["harness"]

# (event, header) a real server sends that the event's spec does not name.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


class Seen:
    """Every event a session receives (its ``on("*")`` callback, on the I/O thread)."""

    def __init__(self, ami: Session) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()
        ami.on("*", self._add)

    def _add(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def names(self) -> set[str]:
        with self._lock:
            return {e.name for e in self.events}


def assert_all_typed(events: list[Event], caplog: pytest.LogCaptureFixture) -> set[str]:
    """Each event of its class, nothing unknown, nothing misfit; the names seen."""
    unknown = set()
    for event in events:
        assert isinstance(event, TypedEvent), f"{event.name} has no spec: {event!r}"
        event.values()  # every typed attribute read
        event.to_json()
        unknown |= {(event.name, header) for header, _ in event.unknown_headers()}
    assert unknown <= ALLOWED, sorted(unknown - ALLOWED)
    misfits = [r.getMessage() for r in caplog.records if r.name == "sdk.events"]
    assert not misfits, misfits
    return {event.name for event in events}


@pytest.fixture
def typed_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="sdk.events")
    return caplog


def test_the_events_of_a_local_call_are_typed(
    real: Real, typed_log: pytest.LogCaptureFixture
) -> None:
    with real.session(events="on") as ami:
        seen = Seen(ami)
        action_id = f"call-{uuid.uuid4().hex[:8]}"
        ami.send(
            Originate(
                channel="Local/100@default",
                application="Wait",
                data="10",
                async_=True,
                action_id=action_id,
            ),
            check=True,
        )
        done = ami.wait_for_event(
            ev.OriginateResponse, lambda e: e.action_id == action_id, timeout=20
        )
        assert type(done) is ev.OriginateResponse and done.response == "Success"
        channel = done.channel or ""
        ami.send(Hangup(channel=channel), check=True)
        gone = ami.wait_for_event(ev.Hangup, lambda e: e.channel == channel, timeout=20)
        assert isinstance(gone.cause, int) and gone.channel_state is not None
        names = assert_all_typed(list(seen.events), typed_log)
    assert {"Newchannel", "OriginateResponse", "Hangup"} <= names


def test_a_user_event_is_typed(real: Real, typed_log: pytest.LogCaptureFixture) -> None:
    marker = uuid.uuid4().hex
    with real.session(events="user") as ami:
        ami.send(UserEvent(user_event="SdkTyped", headers={"Marker": marker}), check=True)
        event = ami.wait_for_event(ev.UserEvent, lambda e: e.get("Marker") == marker, timeout=15)
    assert event.user_event == "SdkTyped" and event.ANY_HEADERS
    assert_all_typed([event], typed_log)


def test_the_events_around_a_notify_are_typed(
    real: Real, typed_log: pytest.LogCaptureFixture
) -> None:
    with real.session(events="on") as ami:
        seen = Seen(ami)
        variables = {"Event": "check-sync"}
        if real.version == "20":
            ami.send(SIPnotify(channel="phone1", variables=variables), check=True)
        else:
            ami.send(PJSIPNotify(endpoint="phone1", variables=variables), check=True)
        real.phone.wait(1)
        ami.send(UserEvent(user_event="SdkFence"), check=True)  # every event before it came
        ami.wait_for_event(ev.UserEvent, lambda e: e.user_event == "SdkFence", timeout=15)
        assert_all_typed(list(seen.events), typed_log)


def test_peer_and_endpoint_lists_are_typed(real: Real, typed_log: pytest.LogCaptureFixture) -> None:
    with real.session() as ami:
        if real.version == "20":
            peers = ami.send(SIPpeers())
            assert [type(e) for e in peers.events] == [ev.PeerEntry, ev.PeerEntry]
            ports = {e.object_name: e.ip_port for e in peers.events if isinstance(e, ev.PeerEntry)}
            assert ports == {"phone1": real.config.phone_port, "phone2": 0}
            assert type(peers.complete) is ev.PeerlistComplete
            items = [*peers.events, peers.complete]
        else:
            endpoints = ami.send(PJSIPShowEndpoints())
            assert all(type(e) is ev.EndpointList for e in endpoints.events)
            assert type(endpoints.complete) is ev.EndpointListComplete
            assert endpoints.complete.list_items == 2
            items = [*endpoints.events, endpoints.complete]
    assert_all_typed(items, typed_log)


def test_the_events_of_a_module_reload_are_typed(
    real: Real, typed_log: pytest.LogCaptureFixture
) -> None:
    module = "chan_sip.so" if real.version == "20" else "res_pjsip.so"
    with real.session(events="on") as ami:
        seen = Seen(ami)
        ami.send(Generic("Reload", headers={"Module": module}), check=True)
        reload = ami.wait_for_event(ev.Reload, timeout=30)
        assert reload.module is not None
        ami.send(UserEvent(user_event="SdkFence"), check=True)
        ami.wait_for_event(ev.UserEvent, lambda e: e.user_event == "SdkFence", timeout=15)
        assert_all_typed(list(seen.events), typed_log)
