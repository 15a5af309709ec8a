"""Event lists and Command output through the session: against the recorded bytes of real
Asterisk (a replayer, in memory) and against the embedded server."""

from __future__ import annotations

from typing import Any

import pytest
from replayer import Replayer

from sdk import ActionError, Session, TimeoutError
from sdk.actions import (
    Command,
    CoreShowChannels,
    DBGet,
    DBPut,
    Originate,
    PJSIPShowEndpoints,
    SIPpeers,
    SIPpeerstatus,
    Status,
)
from sdk.testing import AMIServer

LISTS = [
    # fixture, version, action, item events, completing event
    ("sippeers-eventlist", "20.20.1", SIPpeers(), ["PeerEntry"] * 2, "PeerlistComplete"),
    ("sippeerstatus", "20.20.1", SIPpeerstatus(), ["PeerStatus"] * 2, "SIPpeerstatusComplete"),
    ("status-empty", "20.20.1", Status(), ["Status"] * 2, "StatusComplete"),
    ("coreshowchannels-empty", "20.20.1", CoreShowChannels(), [], "CoreShowChannelsComplete"),
    (
        "pjsipshowendpoints",
        "22.10.1",
        PJSIPShowEndpoints(),
        ["EndpointList"] * 2,
        "EndpointListComplete",
    ),
]


def plain_session(host: str, port: int, **kwargs: Any) -> Session:
    return Session(
        host,
        port,
        username="admin",
        secret="s3cret",
        auth="plain",
        timeout=5,
        reconnect=False,
        **kwargs,
    )


def replay_session(peer: Replayer) -> Session:
    """A session to the recorded bytes, in memory."""
    return plain_session("replay", 5038, transport=peer.transport)


@pytest.mark.parametrize(("fixture", "version", "action", "items", "complete"), LISTS)
def test_list_against_the_recorded_bytes(
    fixture: str, version: str, action, items: list[str], complete: str
) -> None:
    with Replayer(fixture, version) as peer, replay_session(peer) as ami:
        response = ami.send(action)
    assert response.ok and response.is_list
    assert [e.name for e in response.events] == items
    assert response.complete is not None and response.complete.name == complete
    assert response.complete.get("ListItems") == str(len(items))
    assert all(e.action_id == response.action_id for e in response.events)
    assert list(ami.events(timeout=0)) == []  # no item leaked into the event queue
    assert type(action).LIST_COMPLETE == complete and set(items) <= set(type(action).LIST_EVENTS)


@pytest.mark.parametrize(("fixture", "version", "action", "items", "complete"), LISTS)
def test_list_against_the_embedded_server(
    fixture: str, version: str, action, items: list[str], complete: str
) -> None:
    with AMIServer.as_recorded(version.split(".")[0]) as pbx:
        if fixture == "status-empty":
            one, two = pbx.pbx.new_local_pair("100", "default", "Wait", "1")
            one.state = two.state = 6
        with plain_session(pbx.host, pbx.port) as ami:
            response = ami.send(action)
    assert [e.name for e in response.events] == items
    assert response.complete is not None and response.complete.name == complete


def test_dbput_dbget_and_the_missing_key() -> None:
    with Replayer("dbput-dbget") as peer, replay_session(peer) as ami:
        assert (
            ami.send(DBPut(family="probe", key="k1", val="v1")).message
            == "Updated database successfully"
        )
        found = ami.send(DBGet(family="probe", key="k1"))
        missing = ami.send(DBGet(family="probe", key="missing"))
    assert [(e.name, e.get("Val")) for e in found.events] == [("DBGetResponse", "v1")]
    assert found.complete.name == "DBGetComplete"
    assert not missing.ok and missing.events == [] and missing.message == "Database entry not found"


def test_list_as_a_dataframe() -> None:
    with Replayer("sippeers-eventlist") as peer, replay_session(peer) as ami:
        frame = ami.send(SIPpeers()).to_dataframe()
    assert list(frame["ObjectName"]) == ["phone1", "phone2"]
    # the columns PeerEntry's spec documents have their kinds' dtypes (issue 15)
    assert list(frame["Dynamic"]) == [False, True] and str(frame["Dynamic"].dtype) == "boolean"
    assert list(frame["IPport"]) == [5070, 0] and str(frame["IPport"].dtype) == "Int64"
    assert len(frame.columns) >= 15


def test_a_list_that_never_completes_times_out_with_its_items() -> None:
    start = (
        "Response: Success\r\nActionID: sp-1\r\nEventList: start\r\nMessage: Peer status list will follow\r\n\r\n"
        "Event: PeerEntry\r\nActionID: sp-1\r\nObjectName: phone1\r\n\r\n"
    )
    script = [
        {"recv": "Asterisk Call Manager/9.0.0\r\n"},
        {"send": "Action: Login\r\nActionID: login-1\r\n\r\n"},
        {
            "recv": "Response: Success\r\nActionID: login-1\r\nMessage: Authentication accepted\r\n\r\n"
        },
        {"send": "Action: SIPpeers\r\nActionID: sp-1\r\n\r\n"},
        {"recv": start},
    ]
    with Replayer("", script=script) as peer, replay_session(peer) as ami:
        with pytest.raises(TimeoutError) as excinfo:
            ami.send(SIPpeers(), timeout=0.3)
    error = excinfo.value
    assert [e.get("ObjectName") for e in error.events] == ["phone1"]
    assert error.response is not None and error.response.is_list
    assert "1 list items so far" in str(error)


def test_command_output_new_style_keeps_indentation() -> None:
    with Replayer("command-output") as peer, replay_session(peer) as ami:
        response = ami.send(Command(command="sip show peers"))
    lines = response.output.split("\n")
    assert len(lines) == 4
    assert lines[1].startswith("phone1                    127.0.0.1") and lines[1].endswith("  ")
    assert lines[3].startswith("2 sip peers")


def test_command_error_still_carries_its_output() -> None:
    with Replayer("command-error") as peer, replay_session(peer) as ami:
        with pytest.raises(ActionError) as excinfo:
            ami.send(Command(command="no such cli command"), check=True)
    assert excinfo.value.response.output.startswith("No such command 'no such cli command'")


def test_command_output_old_style_follows() -> None:
    follows = (
        "Response: Follows\r\nPrivilege: Command\r\nActionID: c-1\r\n"
        "Name/username             Host\n"
        "phone1                    127.0.0.1\n"
        "\n"
        "1 sip peers: Monitored: 0\n"
        "--END COMMAND--\r\n\r\n"
    )
    script = [
        {"recv": "Asterisk Call Manager/1.1\r\n"},
        {"send": "Action: Login\r\nActionID: login-1\r\n\r\n"},
        {
            "recv": "Response: Success\r\nActionID: login-1\r\nMessage: Authentication accepted\r\n\r\n"
        },
        {"send": "Action: Command\r\nActionID: c-1\r\n\r\n"},
        {"recv": follows},
    ]
    with Replayer("", script=script) as peer, replay_session(peer) as ami:
        response = ami.send(Command(command="sip show peers"))
    assert response.status == "Follows" and response.ok
    assert response.output == (
        "Name/username             Host\nphone1                    127.0.0.1\n\n1 sip peers: Monitored: 0"
    )


def test_originate_async_then_wait_for_its_response_event() -> None:
    with AMIServer.as_recorded() as pbx:
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret", events="call") as ami:
            queued = ami.send(
                Originate(channel="Local/100@default", application="Wait", data="1", async_=True),
                check=True,
            )
            event = ami.wait_for_event(
                "OriginateResponse", lambda e: e.action_id == queued.action_id, timeout=5
            )
            assert event.get("Response") == "Success" and event.get("Reason") == "4"
            hangup = ami.wait_for_event("Hangup", timeout=5)  # when Wait(1) ends
            assert hangup.get("Cause-txt") == "Normal Clearing"
            failed = ami.send(Originate(channel="SIP/nosuchpeer", application="Wait", data="1"))
            assert not failed.ok and failed.message == "Originate failed"
