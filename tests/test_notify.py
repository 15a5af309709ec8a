"""send_notify picks SIPnotify or PJSIPNotify by what the server lists, not by its version."""

from __future__ import annotations

import pytest

from sdk import Session, ValidationError
from sdk.notify import build_notify, notify_method, send_notify
from sdk.testing import AMIServer


@pytest.mark.parametrize(
    ("version", "sip", "method"),
    [("20", "chan_sip", "SIPnotify"), ("20", "pjsip", "PJSIPNotify"), ("22", None, "PJSIPNotify")],
)
def test_method_follows_the_servers_action_list(version: str, sip: str | None, method: str) -> None:
    with AMIServer.as_recorded(version, sip=sip) as pbx:
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret") as ami:
            assert notify_method(ami) == method
            response = send_notify(ami, "phone1", event="check-sync", check=True)
    assert response.message in ("Notify Sent", "NOTIFY sent")
    assert [m.action for m in pbx.received if "notify" in (m.action or "").lower()] == [method]
    (notify,) = pbx.notifies
    assert notify.header("Event") == "check-sync"
    assert ("ListCommands" in [m.action for m in pbx.received]) is True


def test_body_lines_and_content_type() -> None:
    with AMIServer.as_recorded("22") as pbx:
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret") as ami:
            send_notify(
                ami,
                "phone1",
                event="message-summary",
                content=["Messages-Waiting: yes", "Voice-Message: 1/0"],
                content_type="application/simple-message-summary",
                check=True,
            )
            response = send_notify(ami, "sip:phone9@127.0.0.1:5099", event="check-sync")
            assert response.ok  # a URI goes as URI
    assert pbx.notifies[0].body == "Messages-Waiting: yes\r\nVoice-Message: 1/0"
    assert pbx.received[-2].get("URI") == "sip:phone9@127.0.0.1:5099"


def test_uri_needs_pjsip_and_content_needs_a_type() -> None:
    with pytest.raises(ValidationError, match="URIs need PJSIPNotify"):
        build_notify("SIPnotify", "sip:phone1@10.0.0.1", event="check-sync")
    with pytest.raises(ValidationError, match="Content without Content-Type"):
        build_notify("PJSIPNotify", "phone1", event="x", content="body")
    action = build_notify("SIPnotify", "phone1", event="x", content="a\nb", headers=[("X-A", "1")])
    assert list(action.variables) == [
        ("Event", "x"),
        ("X-A", "1"),
        ("Content", "a"),
        ("Content", "b"),
    ]
