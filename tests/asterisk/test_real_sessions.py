"""The session against the real servers: logins, permissions, TLS, lists, calls, events."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

import pytest

from sdk import ActionError, ActionUnavailable, AuthenticationError, ConnectionError, Session
from sdk.actions import (
    Command,
    CoreSettings,
    Hangup,
    Originate,
    Ping,
    PJSIPShowEndpoints,
    SIPnotify,
    SIPpeers,
    Status,
    UserEvent,
)

if TYPE_CHECKING:
    from harness import Real

pytestmark = pytest.mark.asterisk
pytest_plugins = ["harness"]


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_login_md5_and_plain(real: Real, auth: str) -> None:
    with real.session(auth=auth) as ami:
        assert ami.send(Ping()).get("Ping") == "Pong"
        assert ami.asterisk_version() == real.config.release
        assert ami.asterisk_major == int(real.version)


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_a_refused_login(real: Real, auth: str) -> None:
    started = time.monotonic()
    with pytest.raises(AuthenticationError, match="login as 'admin' refused"):
        Session(real.host, real.port, username="admin", secret="wrong", auth=auth, timeout=15)
    assert time.monotonic() - started < 15


def test_the_readonly_user_is_refused_a_write(real: Real) -> None:
    notify = (
        SIPnotify(channel="phone1", variables={"Event": "check-sync"})
        if real.version == "20"
        else Command(command="core show version")
    )
    with real.session(("readonly", "r3ad")) as ami:
        assert ami.send(Ping()).ok  # no write class needed
        with pytest.raises(ActionError, match="Permission denied"):
            ami.send(notify, check=True)
        offered = ami.server_actions()  # Asterisk lists only what this user may send
        assert notify.ACTION not in offered and "Ping" in offered
        with pytest.raises(ActionUnavailable):  # from now on refused before sending
            ami.send(notify)
    assert real.phone.quiet(0.5) == []


def test_tls_with_the_certificate_the_build_made(real: Real) -> None:
    cafile = str(real.config.cafile)
    with Session(
        real.host,
        real.config.tls_port,
        username="admin",
        secret="s3cret",
        tls=True,
        tls_cafile=cafile,
        tls_server_name="localhost",
        timeout=15,
    ) as ami:
        assert ami.tls and ami.send(Ping()).get("Ping") == "Pong"
        assert ami.send(CoreSettings()).get("AsteriskVersion") == real.config.release
    with pytest.raises(ConnectionError, match="certificate"):  # not trusted without the file
        Session(real.host, real.config.tls_port, username="a", secret="b", tls=True, timeout=15)
    with pytest.raises(ConnectionError, match="TLS"):  # TLS to the plain port
        Session(real.host, real.port, username="a", secret="b", tls=True, tls_verify=False)


def test_peer_and_endpoint_lists(real: Real) -> None:
    with real.session() as ami:
        if real.version == "20":
            answer = ami.send(SIPpeers())
            names = [e.get("ObjectName") for e in answer.events]
            assert answer.complete is not None and answer.complete.name == "PeerlistComplete"
            ports = {e.get("ObjectName"): e.get("IPport") for e in answer.events}
            assert ports == {"phone1": str(real.config.phone_port), "phone2": "0"}
        else:
            answer = ami.send(PJSIPShowEndpoints())
            names = [e.get("ObjectName") for e in answer.events]
            assert answer.complete is not None and answer.complete.name == "EndpointListComplete"
            contacts = {e.get("ObjectName"): e.get("Contacts") for e in answer.events}
            assert contacts["phone2"] == ""
            assert f"127.0.0.1:{real.config.phone_port}" in (contacts["phone1"] or "")
        assert sorted(names) == ["phone1", "phone2"]
        assert answer.complete.get("ListItems") == "2"


def test_command_output(real: Real) -> None:
    with real.session() as ami:
        version = ami.send(Command(command="core show version")).output or ""
        assert version.startswith(f"Asterisk {real.config.release} built by")
        peers = "sip show peers" if real.version == "20" else "pjsip show endpoints"
        table = ami.send(Command(command=peers), check=True).output or ""
        assert "phone1" in table and "phone2" in table
        with pytest.raises(ActionError) as refused:
            ami.send(Command(command="no such command here"), check=True)
        assert "No such command" in (refused.value.response.output or "")


def _local_call(ami: Session, seconds: int = 10) -> str:
    """An Originate to Local/100@default (answers, waits 30 s); returns its ;1 channel."""
    action_id = f"call-{uuid.uuid4().hex[:8]}"
    answer = ami.send(
        Originate(
            channel="Local/100@default",
            application="Wait",
            data=str(seconds),
            async_=True,
            action_id=action_id,
        ),
        check=True,
    )
    assert answer.message == "Originate successfully queued"
    done = ami.wait_for_event(
        "OriginateResponse", lambda e: e.get("ActionID") == action_id, timeout=20
    )
    assert done.get("Response") == "Success"
    return done.get("Channel") or ""


def test_originate_to_a_local_channel_and_its_events(real: Real) -> None:
    with real.session(events="call") as ami:
        channel = _local_call(ami)
        assert channel.startswith("Local/100@default-") and channel.endswith(";1")
        created = [e for e in ami.events(timeout=1) if e.name == "Newchannel"]
        assert {e.get("Channel") for e in created} >= {channel, channel[:-1] + "2"}
        status = ami.send(Status())
        up = {e.get("Channel"): e for e in status.events}
        assert channel in up and up[channel].get("ChannelStateDesc") == "Up"
        assert up[channel].get("Application") == "Wait"
        assert status.complete is not None and status.complete.get("Items") == str(len(up))
        ami.send(Hangup(channel=channel), check=True)
        gone = ami.wait_for_event("Hangup", lambda e: e.get("Channel") == channel, timeout=20)
        assert gone.get("Cause") is not None


def test_userevent_round_trip(real: Real) -> None:
    marker = uuid.uuid4().hex
    with real.session(events="user") as ami:
        ami.send(
            UserEvent(user_event="SdkProbe", headers={"Marker": marker, "Note": "a, b = c"}),
            check=True,
        )
        event = ami.wait_for_event("UserEvent", lambda e: e.get("Marker") == marker, timeout=15)
    assert event.get("UserEvent") == "SdkProbe" and event.get("Note") == "a, b = c"
