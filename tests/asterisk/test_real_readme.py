"""The README's examples that talk to a server, run against the real ones.

Each test follows one README section; what only the embedded server has (``pbx.notifies``)
is replaced by the phone, which catches the NOTIFY Asterisk really sends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from sdk import ActionUnavailable, Reconnect, Session, ValidationError, connect
from sdk.actions import Command, Generic, Ping, PJSIPNotify, PJSIPShowEndpoints, SIPnotify
from sdk.bulk import bulk_notify
from sdk.notify import send_notify

if TYPE_CHECKING:
    from harness import Real

pytestmark = pytest.mark.asterisk
pytest_plugins = ["harness"]


def test_usage(ast20: Real) -> None:
    with Session(ast20.host, ast20.port, username="admin", secret="s3cret") as ami:
        notify = SIPnotify(channel="phone1", variables={"Event": "check-sync"})
        response = ami.send(notify, check=True)
        assert response.message == "Notify Sent"
        with pytest.raises(ValidationError) as refused:
            SIPnotify(channel="phone1\r\nAction: Originate", variables=[])
        assert {p.field for p in refused.value.errors} >= {"channel"}
    request = ast20.phone.wait(1)[0]  # the NOTIFY request, as the phone received it
    assert request.startswith(f"NOTIFY sip:127.0.0.1:{ast20.config.phone_port} SIP/2.0\r\n")
    assert "\r\nEvent: check-sync\r\n" in request


def test_what_the_server_offers(ast22: Real) -> None:
    with Session(ast22.host, ast22.port, username="admin", secret="s3cret") as ami:
        assert (ami.ami_version, ami.asterisk_major, ami.asterisk_version()) == (
            "11.0.0",
            22,
            "22.10.1",
        )
        with pytest.raises(ActionUnavailable) as gone:  # refused before anything is sent
            ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}))
        assert gone.value.replacement == "PJSIPNotify"
        offered = ami.server_actions()
        assert sorted(offered)[:3] == ["AGI", "AOCMessage", "AbsoluteTimeout"]
        assert "PJSIPNotify" in offered and "SIPnotify" not in offered
        assert not [name for name in offered if name.startswith("Queue")]  # not built here
        assert ami.send(Generic("Ping")).get("Ping") == "Pong"
        with pytest.raises(ActionUnavailable):  # once the list is known, it decides
            ami.send(Generic("QueueStatus"))


def test_lists_and_command_output(ast22: Real) -> None:
    with Session(ast22.host, ast22.port, username="admin", secret="s3cret") as ami:
        endpoints = ami.send(PJSIPShowEndpoints())
        assert [e.get("ObjectName") for e in endpoints.events] == ["phone1", "phone2"]
        assert endpoints.complete is not None and endpoints.complete.get("ListItems") == "2"
        frame = endpoints.to_dataframe()[["ObjectName", "DeviceState"]]
        assert list(frame["ObjectName"]) == ["phone1", "phone2"]
        assert list(frame["DeviceState"]) == ["Not in use", "Unavailable"]
        output = ami.send(Command(command="core show version")).output or ""
        assert output.startswith("Asterisk 22.10.1 built by ")


def test_notify_to_one_phone_or_to_thousands(ast22: Real) -> None:
    with Session(ast22.host, ast22.port, username="admin", secret="s3cret") as ami:
        assert send_notify(ami, "phone1", event="check-sync").message == "NOTIFY sent"
    assert "Event: check-sync" in ast22.phone.wait(1)[0]
    ast22.phone.clear()
    report = bulk_notify(
        [("lab", "phone1"), ("lab", "phone2"), ("lab", "ghost")],
        pbxs={"lab": {"url": ast22.url(), "rate": 20}},
        secrets={"lab": "s3cret"},
        progress=False,
    )
    assert str(report) == "3 results: 1 error, 2 ok"
    assert len(ast22.phone.wait(1)) == 1  # phone2 has no contact: accepted, sent nowhere


def _ami(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdk", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AMI_SECRET": "s3cret", **(env or {})},
    )


def test_the_command_line(ast20: Real) -> None:
    url = ast20.url()
    sent = _ami(
        "send", "SIPnotify", "--channel", "phone1", "--variable", "Event=check-sync", "--url", url
    )
    assert sent.returncode == 0, sent.stderr
    assert "Notify Sent" in sent.stdout
    assert "Event: check-sync" in ast20.phone.wait(1)[0]
    peers = _ami("send", "SIPpeers", "--url", url, "--json")
    assert peers.returncode == 0, peers.stderr
    listed = json.loads(peers.stdout)
    assert "phone1" in json.dumps(listed) and "phone2" in json.dumps(listed)
    refused = _ami(
        "send", "SIPnotify", "--channel", "PHONE1", "--variable", "Event=x", "--url", url
    )
    assert refused.returncode == 1 and "Could not create address" in refused.stdout + refused.stderr
    wrong = _ami("send", "Ping", "--url", url, env={"AMI_SECRET": "wrong"})
    assert wrong.returncode == 3


def test_the_demo_against_a_real_server(ast20: Real) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sdk.demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AMI_URL": ast20.url(), "AMI_SECRET": "s3cret"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Message: Notify Sent" in done.stdout
    assert "Event: check-sync" in ast20.phone.wait(1)[0]


def test_in_a_notebook(real: Real) -> None:
    from sdk.widgets import ActionForm, ConnectionPanel, EventLog

    panel = ConnectionPanel(real.host, real.port, events="on")
    try:
        assert panel.connect("s3cret"), panel.state.value
        if real.version == "20":
            form = ActionForm(SIPnotify, panel).fill(
                channel="phone1", variables={"Event": "check-sync"}
            )
        else:
            form = ActionForm(PJSIPNotify, panel).fill(
                endpoint="phone1", variables={"Event": "check-sync"}
            )
        events = EventLog(panel)
        form.send()
        last = form.history[-1]
        assert last.status == "Success"
        assert last.message == ("Notify Sent" if real.version == "20" else "NOTIFY sent")
        assert "Event: check-sync" in real.phone.wait(1)[0]
        events.close()
        form.close()
    finally:
        panel.close()


def test_tls_and_reconnect_options(real: Real) -> None:
    url = (
        f"amis://admin@{real.host}:{real.config.tls_port}"
        f"?tls_cafile={real.config.cafile}&tls_server_name=localhost&timeout=15"
    )
    with connect(url, secret="s3cret") as ami:
        assert ami.tls and ami.send(Ping()).get("Ping") == "Pong"
    with Session(
        real.host,
        real.port,
        username="admin",
        secret="s3cret",
        reconnect=Reconnect(initial=0.5, maximum=30),
        keepalive=30,
    ) as ami:
        assert ami.send(Ping()).get("Ping") == "Pong"
