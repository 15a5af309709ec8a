"""Typed events: what the kinds read, what a typed event offers, and the session speaking them.

The classes are generated from ``specs/events`` (``sdk/events``); an event is built by the
parser as its class, never validated and never losing a header.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from conftest import admin_session, wait_until

import sdk.model.event
from sdk import Event, Headers
from sdk import events as ev
from sdk.actions import Originate, PJSIPNotify, PJSIPShowEndpoints, SIPnotify, SIPpeers, UserEvent
from sdk.events import EVENTS, ChannelState, typed
from sdk.model.event import TypedEvent
from sdk.model.fields import FieldInfo
from sdk.model.kinds import (
    BOOLEAN,
    CHANNEL_STATE,
    DURATION,
    ENUM,
    INTEGER,
    KINDS,
    STRING,
    TIMESTAMP,
    kind_of,
)
from sdk.testing import AMIServer
from sdk.wire.message import EventList
from sdk.wire.parser import Parser


def read(kind: Any, raw: str, **facts: Any) -> Any:
    reader = kind.reader(FieldInfo("H", kind=kind.name, **facts))
    return raw if reader is None else reader(raw)


def event_of(cls: type[TypedEvent], **headers: str) -> Any:
    return cls([("Event", cls.EVENT), *headers.items()])


# --- the kinds read what Asterisk writes ---------------------------------------------------


def test_the_scalar_kinds_read_received_text() -> None:
    assert read(STRING, " as it is ") == " as it is "
    assert read(INTEGER, "-42") == -42 and read(INTEGER, "+7") == 7
    assert read(BOOLEAN, "Yes") is True and read(BOOLEAN, "off") is False
    assert read(ENUM, "reachable", choices=("Reachable", "Lagged")) == "Reachable"
    assert read(CHANNEL_STATE, "6") is ChannelState.UP
    for kind, raw, facts in [
        (INTEGER, "1_000", {}),  # int() would take it
        (INTEGER, " 5", {}),
        (INTEGER, "٣", {}),  # a digit of another script
        (BOOLEAN, "maybe", {}),
        (ENUM, "Gone", {"choices": ("Reachable",)}),
        (CHANNEL_STATE, "11", {}),
        (TIMESTAMP, "yesterday", {}),
        (TIMESTAMP, "2024-13-01 00:00:00", {}),
        (DURATION, "1e3", {"unit": "s"}),
        (DURATION, "1:2:3", {"unit": "hms"}),
        (DURATION, "9" * 400, {"unit": "ms"}),
    ]:
        with pytest.raises(ValueError):
            read(kind, raw, **facts)


def test_timestamps_come_in_three_forms() -> None:
    epoch = read(TIMESTAMP, "1733064000.25")
    assert epoch == datetime(2024, 12, 1, 14, 40, 0, 250000, tzinfo=UTC)
    assert read(TIMESTAMP, "1733064000") == datetime(2024, 12, 1, 14, 40, tzinfo=UTC)
    iso = read(TIMESTAMP, "2026-11-26T06:20:01.451+0000")  # security events' EventTV
    assert iso == datetime(2026, 11, 26, 6, 20, 1, 451000, tzinfo=UTC)
    local = read(TIMESTAMP, "2026-11-26 06:20:01")  # CDRs: the PBX's local time
    assert local == datetime(2026, 11, 26, 6, 20, 1) and local.tzinfo is None


def test_a_duration_counts_its_unit() -> None:
    assert read(DURATION, "54", unit="s") == timedelta(seconds=54)
    assert read(DURATION, "1.5", unit="s") == timedelta(seconds=1.5)
    assert read(DURATION, "250", unit="ms") == timedelta(milliseconds=250)
    assert read(DURATION, "1200", unit="us") == timedelta(microseconds=1200)
    assert read(DURATION, "123:04:05", unit="hms") == timedelta(hours=123, minutes=4, seconds=5)
    with pytest.raises(ValueError, match="unit"):
        DURATION.reader(FieldInfo("H", kind="duration", unit="minutes"))


def test_the_kinds_of_received_headers_only_are_in_the_table_and_send_nothing() -> None:
    received = {name for name, kind in KINDS.items() if not kind.sends}
    assert received == {"timestamp", "duration", "channel_state"}
    for name in received:
        kind = kind_of(name)
        assert kind.reader(FieldInfo("H", kind=name, unit="s")) is not None
        assert kind.problem(FieldInfo("H", kind=name), "H", "x")  # never a valid action field
    assert DURATION.json_value(timedelta(milliseconds=1500)) == 1.5
    assert TIMESTAMP.json_value(datetime(2024, 1, 2, tzinfo=UTC)) == "2024-01-02T00:00:00+00:00"
    assert CHANNEL_STATE.json_value(ChannelState.UP) == 6


# --- a typed event ------------------------------------------------------------------------


def test_a_typed_event_reads_its_headers_by_their_kinds() -> None:
    status = event_of(
        ev.PeerStatus, ChannelType="SIP", Peer="SIP/phone1", PeerStatus="Reachable", Time="12"
    )
    assert isinstance(status, Event) and status.name == "PeerStatus"
    assert status.peer == "SIP/phone1" and status.peer_status == "Reachable"
    assert status.time == timedelta(milliseconds=12)
    assert status.port is None  # not in this event
    assert status.get("peerstatus") == "Reachable" and status.headers[2] == ("Peer", "SIP/phone1")
    hangup = event_of(ev.Hangup, Channel="PJSIP/phone1-01", ChannelState="6", Cause="16")
    assert hangup.cause == 16 and hangup.channel_state is ChannelState.UP
    assert hangup.channel == "PJSIP/phone1-01"  # the channel block without prefix: its own


# Texts of every kind, usual and not: what the generated code takes at once and what it
# leaves to the kind's reader.
SAMPLES = ("", "0", "42", "-7", "+3", "٣", " 5", "1_000", "yes", "Yes", "NO", "off", "On")
SAMPLES += ("maybe", "6", "11", "1733064000.25", "2024-12-01 14:40:00", "1:02:03", "x")


def test_every_generated_attribute_reads_what_its_kind_reads(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The properties of ``sdk.events`` read the usual text with code of their own (each
    kind's ``read_fragment``): for every field of every class, its prefixed blocks' too,
    they must give what the kind's reader gives (None for an empty text, the text itself
    for one that does not fit)."""
    caplog.set_level(logging.ERROR)  # the misfits' warnings: not what this test reads
    monkeypatch.setattr(sdk.model.event, "_WARNED", set())  # nor what it leaves said
    classes = list(EVENTS.classes())
    assert len(classes) > 200
    checked = 0
    for cls in classes:
        places = [("", "", cls.fields())]
        places += [(b.attribute, b.prefix, b.block.fields()) for b in cls.snapshots()]
        for attribute, prefix, fields in places:
            for field in fields:
                if field.key == "\nevent:":  # the event's own name (a list's EventList item)
                    continue
                choices = field.info.choices
                for raw in (*SAMPLES, *choices, *(c.lower() for c in choices)):
                    event = cls([("Event", cls.EVENT), (prefix + field.header, raw)])
                    view = getattr(event, attribute) if attribute else event
                    got, want = getattr(view, field.attribute), _as_read(field, raw)
                    assert got == want and type(got) is type(want), (cls, field.attribute, raw)
                    checked += 1
    assert checked > 20_000


def _as_read(field: Any, raw: str) -> Any:
    """What ``field``'s kind reads ``raw`` as, by its reader alone."""
    if field.read is None:
        return raw
    if raw == "":
        return None
    try:
        return field.read(raw)
    except ValueError:
        return raw


def test_a_typed_event_is_frozen() -> None:
    status = event_of(ev.PeerStatus, PeerStatus="Lagged")
    for name, value in (("peer_status", "Reachable"), ("headers", Headers()), ("x", 1)):
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(status, name, value)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del status.peer_status
    assert status.peer_status == "Lagged"


def test_nothing_is_lost_unknown_headers_misfits_and_the_raw_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="sdk.events")
    first = event_of(ev.Hangup, Cause="sixteen", Extra="kept", ChannelState="")
    second = event_of(ev.Hangup, Cause="also not")
    assert first.cause == "sixteen" and second.cause == "also not"  # text, never an exception
    assert first.channel_state is None  # empty: not set
    assert first.unknown_headers() == [("Extra", "kept")] and first.get("Extra") == "kept"
    assert second.unknown_headers() == []
    warned = [r for r in caplog.records if "Cause" in r.getMessage()]
    assert len(warned) == 1 and "'sixteen'" in warned[0].getMessage()  # once per event, header
    raw = first.raw
    assert type(raw) is Event and raw.headers is first.headers
    assert "Extra" in repr(first) and "cause='sixteen'" in repr(first)


def test_a_prefixed_snapshot_block_is_a_view() -> None:
    end = event_of(
        ev.DialEnd,
        Channel="Local/100@default-01;2",
        DestChannel="Local/100@default-01;1",
        DestChannelState="6",
        DestPriority="1",
        DialStatus="ANSWER",
    )
    assert end.channel == "Local/100@default-01;2"
    assert end.dest.channel == "Local/100@default-01;1"
    assert end.dest.channel_state is ChannelState.UP and end.dest.priority == 1
    assert end.dest and end.dest.uniqueid is None
    begin = event_of(ev.DialBegin, DestChannel="x")
    assert not event_of(ev.DialEnd).dest and begin.dest.channel == "x"
    assert end.documented()["destchannel"][1] == "DestChannel"
    rows = {row["attribute"]: row for row in ev.DialEnd.describe()}
    assert rows["dest.channel_state"]["header"] == "DestChannelState"
    assert rows["dial_status"]["kind"].startswith("enum (ABORT|ANSWER")


def test_records_json_and_html_give_the_typed_values() -> None:
    status = event_of(ev.FullyBooted, Privilege="system,all", Uptime="54", Odd="<script>")
    assert status.record() == {
        "Event": "FullyBooted",
        "Privilege": "system,all",
        "Uptime": timedelta(seconds=54),
        "Odd": "<script>",
    }
    assert status.to_json()["Uptime"] == 54.0 and status.privilege == "system,all"
    page = status._repr_html_()
    assert "uptime" in page and "duration" in page and "not in the spec" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    plain = Event(Headers([("Event", "X"), ("A", "1"), ("A", "2")]))
    assert plain.to_json() == {"Event": "X", "A": ["1", "2"]} and plain.record()["A"] == "1"


def test_the_registry_gives_each_name_its_class_and_others_event() -> None:
    assert EVENTS.type_of("PeerStatus") is ev.PeerStatus
    assert EVENTS.type_of("peerstatus") is ev.PeerStatus  # any case, as Asterisk reads names
    assert EVENTS.type_of("MadeUpEvent") is Event
    assert EVENTS["AOC-D"].__name__ == "AOC_D" and ev.AOC_D.EVENT == "AOC-D"
    plain = Event(Headers([("Event", "PeerStatus"), ("PeerStatus", "Lagged")]))
    made = typed(plain)
    assert isinstance(made, ev.PeerStatus) and made.peer_status == "Lagged"
    unknown = Event(Headers([("Event", "Nope")]))
    assert typed(unknown) is unknown
    with pytest.raises(ImportError, match="did you mean PeerStatus"):
        from sdk.events import PeerStats  # noqa: F401


def test_import_sdk_loads_no_event_module_and_an_event_only_its_own() -> None:
    code = (
        "import sys, sdk\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('sdk.events.'))\n"
        "print(loaded(), 'sdk.events' in sys.modules)\n"
        "from sdk.events import DialEnd\n"
        "print(loaded())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first == "[] True"  # the registry only: a map of names
    assert second == "['sdk.events.channel_snapshot', 'sdk.events.dialend']"


def test_the_parser_builds_each_event_of_its_class_by_both_of_its_paths() -> None:
    data = (
        b"Event: PeerStatus\r\nPeerStatus: Lagged\r\nPort: 5060\r\n\r\n"
        b"Event: Newfangled\r\nA: b\r\n\r\n"
        b"Event: PeerStatus\r\nPort: 50"
    )
    parser = Parser(banner=False, event_type=EVENTS.type_of)
    first, unknown = parser.feed(data)
    (split,) = parser.feed(b"61\r\n\r\n")  # a message cut between reads: the line by line path
    assert type(first) is ev.PeerStatus and first.port == 5060
    assert type(unknown) is Event
    assert type(split) is ev.PeerStatus and split.port == 5061
    (untyped,) = Parser(banner=False).feed(b"Event: PeerStatus\r\nPort: 1\r\n\r\n")
    assert type(untyped) is Event  # without event_type, as before


# --- the session speaks them ----------------------------------------------------------------


def test_the_session_gives_typed_events_to_callbacks_waiters_and_the_queue() -> None:
    with AMIServer.as_recorded("20") as pbx, admin_session(pbx, events=True, timeout=10) as ami:
        got: list[ev.Newchannel] = []
        ami.on(ev.Newchannel, got.append)
        sent = ami.send(
            Originate(channel="Local/100@default", application="Wait", data="1", async_=True)
        )
        assert sent.ok
        response = ami.wait_for_event(
            ev.OriginateResponse, lambda e: e.action_id == sent.action_id, timeout=30
        )
        assert type(response) is ev.OriginateResponse and response.response == "Success"
        assert wait_until(lambda: len(got) == 2, 30)
        assert all(type(e) is ev.Newchannel for e in got)
        assert got[1].channel_state is ChannelState.RING and got[0].priority == 1
        ami.send(UserEvent(user_event="Hello", headers={"Header1": "one"}))
        user = ami.wait_for_event("UserEvent", timeout=30)
        assert isinstance(user, ev.UserEvent) and user.user_event == "Hello"
        assert user.ANY_HEADERS and user.get("Header1") == "one"
        queued = [e for e in ami.events(timeout=0.5)]
        assert queued and all(isinstance(e, Event) for e in queued)
        assert any(type(e) is ev.DialEnd for e in queued)


def test_an_event_class_of_ones_own_gets_its_events_read_as_it() -> None:
    class MyPeerStatus(ev.PeerStatus):
        __slots__ = ()

        @property
        def up(self) -> bool:
            return self.peer_status in ("Reachable", "Registered")

    with AMIServer.as_recorded("20") as pbx, admin_session(pbx, events=True, timeout=10) as ami:
        got: list[MyPeerStatus] = []
        ami.on(MyPeerStatus, got.append)
        pbx.inject(b"Event: PeerStatus\r\nPeerStatus: Reachable\r\n\r\n")
        found = ami.wait_for_event(MyPeerStatus, lambda e: e.up, timeout=30)
        assert type(found) is MyPeerStatus and found.up
        assert wait_until(lambda: len(got) == 1, 30) and type(got[0]) is MyPeerStatus


def test_list_actions_return_typed_items_and_typed_frames() -> None:
    with AMIServer.as_recorded("20") as pbx, admin_session(pbx) as ami:
        peers = ami.send(SIPpeers())
    assert [type(e) for e in peers.events] == [ev.PeerEntry, ev.PeerEntry]
    assert type(peers.complete) is ev.PeerlistComplete and peers.complete.list_items == 2
    first = peers.events[0]
    assert first.ip_port == 5070 and first.dynamic is False and first.channeltype == "SIP"
    frame = peers.to_dataframe()
    assert str(frame["IPport"].dtype) == "Int64" and str(frame["Dynamic"].dtype) == "boolean"
    assert list(frame["ObjectName"]) == ["phone1", "phone2"]  # the README's columns work
    with AMIServer.as_recorded("22") as pbx, admin_session(pbx) as ami:
        endpoints = ami.send(PJSIPShowEndpoints())
    assert all(type(e) is ev.EndpointList for e in endpoints.events)
    assert [e.get("ObjectName") for e in endpoints.events] == ["phone1", "phone2"]
    assert endpoints.events[0].active_channels == 0
    assert str(endpoints.to_dataframe()["ActiveChannels"].dtype) == "Int64"


def test_a_column_with_a_misfit_keeps_it_and_times_get_datetime_dtypes() -> None:
    events = EventList(
        [
            event_of(ev.Hangup, Cause="16", Uniqueid="1"),
            event_of(ev.Hangup, Cause="odd", Uniqueid="2"),
        ]
    )
    frame = events.to_dataframe()
    assert list(frame["Cause"]) == [16, "odd"] and str(frame["Cause"].dtype) == "object"
    auth = EventList(
        [event_of(ev.SuccessfulAuth, EventTV="2026-11-26T06:20:01.451+0000", EventVersion="1")]
    )
    frame = auth.to_dataframe()
    assert str(frame["EventTV"].dtype).startswith("datetime64") and frame["EventVersion"][0] == 1


@pytest.mark.parametrize("version", ["20", "22"])
def test_every_event_the_embedded_server_sends_is_typed_with_nothing_unknown(
    version: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The embedded server's reading of a Local call, a UserEvent, a NOTIFY and the peer or
    endpoint list (the real servers' are in tests/asterisk/test_real_events.py)."""
    caplog.set_level(logging.WARNING, logger="sdk.events")
    seen: list[Event] = []
    with AMIServer.as_recorded(version) as pbx, admin_session(pbx, events=True) as ami:
        ami.on("*", seen.append)
        sent = ami.send(
            Originate(channel="Local/100@default", application="Wait", data="0", async_=True)
        )
        ami.wait_for_event(ev.OriginateResponse, lambda e: e.action_id == sent.action_id)
        ami.send(UserEvent(user_event="Probe", headers={"Marker": "1"}))
        if version == "20":
            ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}), check=True)
            listed = ami.send(SIPpeers())
        else:
            ami.send(PJSIPNotify(endpoint="phone1", variables={"Event": "check-sync"}), check=True)
            listed = ami.send(PJSIPShowEndpoints())
        ami.send(UserEvent(user_event="Fence"))
        ami.wait_for_event(ev.UserEvent, lambda e: e.user_event == "Fence")
        received = [*seen, *listed.events, listed.complete]
    names = {e.name for e in received if e is not None}
    assert {"Newchannel", "DialEnd", "OriginateResponse", "UserEvent"} <= names
    for event in received:
        assert isinstance(event, TypedEvent), event
        assert event.unknown_headers() == [], event
        event.values()
    assert not [r for r in caplog.records if r.name == "sdk.events"]
