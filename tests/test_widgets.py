"""The notebook widgets, driven in plain Python against the embedded server (no browser).

Setting a widget's ``.value`` is what typing does; ``button.click()`` is a click. An Output
widget captures nothing without a front end, so the forms show everything in HTML widgets
and the tests read those.
"""

from __future__ import annotations

import html
import importlib
import json
import logging
import secrets
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import comm
import ipywidgets
import pytest
from conftest import wait_until

from codegen.render import check, render_all, write
from codegen.spec import load_specs
from sdk import Action, ValidationError
from sdk.actions import ACTIONS, Login, SIPnotify, UserEvent
from sdk.model.fields import METADATA_KEY, FieldInfo, Variables
from sdk.testing import AMIServer
from sdk.widgets import (
    ActionForm,
    ActionPicker,
    ConnectionPanel,
    EventLog,
    Explorer,
    History,
    SecretText,
)
from sdk.widgets.editors import (
    BooleanEditor,
    EnumEditor,
    IntegerEditor,
    PairsEditor,
    SecretEditor,
    TextEditor,
)


@pytest.fixture
def panel(server: AMIServer) -> Iterator[ConnectionPanel]:
    with ConnectionPanel.for_server(server, events="user", timeout=5) as p:
        assert p.connected
        yield p


def actions_sent(server: AMIServer, name: str) -> list[Any]:
    return [m for m in server.received if m.action == name]


def fill_sip_notify(form: ActionForm, channel: str, pairs: list[tuple[str, str]]) -> None:
    """Type into the form as a person would: the channel box, then one row per pair."""
    form.editors["channel"].text.value = channel
    rows = form.editors["variables"]
    for name, value in pairs:
        row = rows.add_row()
        row.name.value = name
        row.value.value = value


# --- sending --------------------------------------------------------------------------------


def test_send_puts_exactly_the_action_on_the_wire_and_shows_the_answer(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    form = ActionForm(SIPnotify, panel)
    assert form.send_button.disabled  # nothing filled in yet
    fill_sip_notify(form, "phone1", [("Event", "check-sync")])
    assert form.valid and not form.send_button.disabled
    before = len(server.received)
    form.send_button.click()
    [received] = server.received[before:]
    action_id = received.get("ActionID")
    assert received.lines == (
        "Action: SIPnotify",
        f"ActionID: {action_id}",
        "Channel: phone1",
        "Variable: Event=check-sync",
    )
    assert server.notifies[-1].header("Event") == "check-sync"
    assert form.last_response is not None and form.last_response.message == "Notify Sent"
    assert "Notify Sent" in form.response.value and "Success" in form.response.value
    assert action_id in form.response.value  # the headers of the response, as a table
    [sent] = list(form.history)
    assert (sent.action, sent.action_id, sent.status, sent.message) == (
        "SIPnotify",
        action_id,
        "Success",
        "Notify Sent",
    )
    assert "Variable: Event=check-sync" in sent.request
    assert "Notify Sent" in form.history.widget.value
    form.close()


def test_rows_keep_their_order_repeat_names_and_move(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    form = ActionForm(SIPnotify, panel)
    fill_sip_notify(
        form,
        "phone1",
        [
            ("Content", "Voice-Message: 1/0"),
            ("Event", "message-summary"),
            ("Content-Type", "application/simple-message-summary"),
            ("Content", "Messages-Waiting: yes"),
        ],
    )
    rows = form.editors["variables"]
    rows.rows[-1].up.click()  # Messages-Waiting above Content-Type
    rows.rows[0].down.click()  # Voice-Message below Event
    rows.rows[1].down.click()  # ... and below Messages-Waiting
    extra = rows.add_row()  # a blank row is left out
    rows.rows[1].up.click()
    assert rows.rows[0].name.value == "Content" and rows.rows[1].name.value == "Event"
    rows.rows[0].down.click()
    extra.remove.click()
    assert extra not in rows.rows
    form.send_button.click()
    assert actions_sent(server, "SIPnotify")[-1].getall("Variable") == [
        "Event=message-summary",
        "Content=Messages-Waiting: yes",
        "Content=Voice-Message: 1/0",
        "Content-Type=application/simple-message-summary",
    ]
    assert server.notifies[-1].body == "Messages-Waiting: yes\r\nVoice-Message: 1/0"
    form.close()


def test_invalid_input_shows_the_class_message_next_to_the_field_and_sends_nothing(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    form = ActionForm(SIPnotify, panel)
    fill_sip_notify(form, "phone1\r\nAction: Originate", [("Event", "check-sync")])
    channel = form.editors["channel"]
    with pytest.raises(ValidationError) as excinfo:
        SIPnotify(channel="phone1\r\nAction: Originate", variables={"Event": "check-sync"})
    expected = excinfo.value.errors[0].message
    assert expected.startswith("must not contain CR, LF or NUL")
    assert expected in channel.problems.value
    assert "jp-error-color1" in channel.problems.value  # red: the user typed it
    assert form.send_button.disabled and not form.valid
    before = len(server.received)
    form.send_button.click()  # a click that gets through anyway sends nothing
    assert form.send() is None
    assert len(server.received) == before and not form.history.entries

    channel.text.value = "phone1"
    assert form.valid and channel.problems.value == ""
    rows = form.editors["variables"]
    rows.rows[0].name.value = ""
    rows.rows[0].value.value = ""  # the only row is blank now: left out
    assert "needs at least one Variable (name=value)" in rows.problems.value
    rows.rows[0].name.value = "Event"
    rows.rows[0].value.value = "check-sync"
    rows.add_row()  # blank: not passed, so the next row is item 1 for the class
    bad = rows.add_row("Bad Name", "x")
    assert "is not a SIP token" in bad.problems.value
    assert rows.rows[1].problems.value == "" and rows.rows[0].problems.value == ""
    assert [(p.field, p.index) for p in form.problems] == [("variables", 1)]
    assert form.send_button.disabled
    form.close()


def test_untouched_required_fields_say_so_quietly(panel: ConnectionPanel) -> None:
    form = ActionForm(SIPnotify, panel)
    channel = form.editors["channel"]
    assert "is required" in channel.problems.value
    assert "jp-ui-font-color2" in channel.problems.value  # grey until the user types
    assert "fix the fields marked above" in form.status.value
    form.close()


def test_server_errors_timeouts_and_lost_connections_show_in_the_form(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    form = ActionForm(SIPnotify, panel)
    fill_sip_notify(form, "nosuchpeer", [("Event", "check-sync")])
    response = form.send()
    assert response is not None and response.status == "Error"
    assert "Could not create address" in form.response.value
    assert "jp-error-color1" in form.response.value

    server.handle("SIPnotify", lambda conn, request: None)
    form.timeout.value = 0.2
    assert form.send() is None
    assert "timeout" in form.response.value and "no complete answer within 0.2 s" in (
        form.response.value
    )
    assert form.history[-1].status == "timeout"

    def hang_up(conn: Any, request: Any) -> None:
        conn.close()

    server.handle("SIPnotify", hang_up)
    form.timeout.value = 5
    assert form.send() is None
    assert "connection lost" in form.response.value
    assert "may or may not have run" in form.response.value
    assert "Traceback" not in form.response.value
    assert panel.session is None and "connection ended" in panel.state.value
    assert form.send_button.disabled and "not connected" in form.status.value
    assert [s.status for s in form.history] == ["Error", "timeout", "connection lost"]
    form.close()


def test_list_items_of_a_response_show_as_a_table(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    def peer_list(conn: Any, request: Any) -> None:
        """Answer the way a list action does: start, one event an item, complete."""
        action_id = request.get("ActionID")
        conn.respond(request, "Success", "Peer status list will follow", list_start=True)
        for name, status in [("phone1", "OK (5 ms)"), ("phone2", "UNKNOWN")]:
            conn.event(
                "PeerEntry", [("ActionID", action_id), ("ObjectName", name), ("Status", status)]
            )
        conn.event(
            "PeerlistComplete",
            [("ActionID", action_id), ("EventList", "Complete"), ("ListItems", "2")],
        )

    server.handle("Ping", peer_list)
    form = ActionForm("Ping", panel)
    response = form.send()
    assert response is not None and [e.get("ObjectName") for e in response.events] == [
        "phone1",
        "phone2",
    ]
    shown = form.response.value
    assert "2 list items, ended by PeerlistComplete" in shown
    items = shown.split("ended by PeerlistComplete</div>")[1]
    assert ">ObjectName</th>" in items and ">phone2</td>" in items and ">UNKNOWN</td>" in items
    form.close()


def test_logoff_from_a_form_ends_the_panel_session(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    form = ActionForm("Logoff", panel)
    assert form.send().status == "Goodbye"  # type: ignore[union-attr]
    assert "Thanks for all the fish." in form.response.value
    assert panel.session is None and "connection ended" in panel.state.value
    assert form.send_button.disabled and not panel.connect_button.disabled
    form.close()


def test_a_session_given_directly_works_and_a_closed_one_is_reported(server: AMIServer) -> None:
    from sdk import Session

    with Session(server.host, server.port, username="admin", secret="s3cret") as ami:
        form = ActionForm("ping", ami)
        assert form.send().get("Ping") == "Pong"  # type: ignore[union-attr]
    assert form.send() is None  # the form learns it at the next click
    assert form.send_button.disabled and "session is closed" in form.status.value
    form.close()
    unconnected = ActionForm(Login)
    assert unconnected.send() is None and "not connected" in unconnected.status.value
    unconnected.close()


# --- a form for any action, from metadata alone ---------------------------------------------

SPEC = """
action: PhoneSetup
summary: A made-up action with every kind of field.
description: Only the tests know it; the embedded server does not.
module: test
available_in: ["20"]
fields:
  - header: Peer
    required: true
    doc: The phone.
  - header: Timeout
    kind: integer
    default: 30000
    doc: Milliseconds.
  - header: Urgent
    kind: boolean
    doc: Now or later.
  - header: Mode
    kind: enum
    choices: [Fast, Slow]
    doc: How.
  - header: PIN
    secret: true
    doc: The phone's admin PIN.
  - header: Variable
    name: variables
    kind: variables
    doc: Pairs.
"""


def test_a_new_spec_gets_a_working_form_with_no_widget_code(
    tmp_path: Path, server: AMIServer, panel: ConnectionPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "PhoneSetup.yaml").write_text(textwrap.dedent(SPEC))
    out = tmp_path / "newactions"
    write(check(render_all(load_specs(specs), package="newactions"), out), out)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        cls = importlib.import_module("newactions.phonesetup").PhoneSetup
    finally:
        for name in [m for m in sys.modules if m.startswith("newactions")]:
            del sys.modules[name]
    form = ActionForm(cls, panel)
    kinds = {name: type(editor) for name, editor in form.editors.items()}
    assert kinds == {
        "peer": TextEditor,
        "timeout": IntegerEditor,
        "urgent": BooleanEditor,
        "mode": EnumEditor,
        "pin": SecretEditor,
        "variables": PairsEditor,
    }
    assert "The phone." in form.widget.children[1].children[0].children[1].children[1].value
    assert form.editors["timeout"].number.value == 30000  # the server's default, not sent
    form.editors["peer"].text.value = "desk"
    assert form.values() == {"peer": "desk"}
    form.editors["timeout"].number.value = 45  # typing a number ticks "send"
    form.editors["urgent"].box.value = True
    form.editors["mode"].dropdown.value = "Slow"
    form.editors["pin"].box.set_state({"value": "2468"})  # as the browser sends it
    form.editors["variables"].add_row("a", "b")
    assert form.valid
    response = form.send()
    assert response is not None and response.status == "Error"
    assert "Invalid/unknown command: PhoneSetup" in form.response.value
    lines = actions_sent(server, "PhoneSetup")[-1].lines
    assert lines[2:] == (
        "Peer: desk",
        "Timeout: 45",
        "Urgent: true",
        "Mode: Slow",
        "PIN: 2468",
        "Variable: a=b",
    )
    assert "PIN: ***" in form.history[-1].request and "2468" not in form.history[-1].request
    assert form.editors["pin"].box.value == ""
    form.editors["timeout"].given.value = False
    form.editors["mode"].dropdown.value = None
    assert form.values() == {
        "peer": "desk",
        "urgent": True,
        "pin": "2468",
        "variables": [("a", "b")],
    }
    form.close()


def test_every_generated_action_gets_a_form() -> None:
    for name in ACTIONS:
        cls = ACTIONS[name]
        form = ActionForm(cls)
        assert list(form.editors) == [attribute for attribute, _ in cls.fields()]
        for attribute, info in cls.fields():
            assert (
                info.header
                in form.fields_box.children[list(form.editors).index(attribute)].children[0].value
            )
        form.close()


def test_required_fields_are_marked_and_docs_shown() -> None:
    form = ActionForm(SIPnotify)
    labels = {row.children[0].value.split("</b>")[0][3:]: row for row in form.fields_box.children}
    assert "title='required'" in labels["Channel"].children[0].value
    assert "title='required'" not in labels["Call-ID"].children[0].value
    doc = labels["Channel"].children[1].children[1].value
    assert "The peer to notify" in doc
    form.close()


def test_unknown_kinds_fall_back_to_a_text_box_or_rows() -> None:
    """A kind added after the widgets (patterned headers, say) still gets an editor, and
    the class's own message shows next to it."""

    @attrs.frozen(kw_only=True)
    class Future(Action):
        ACTION = "Future"
        shape: str | None = attrs.field(
            default=None, metadata={METADATA_KEY: FieldInfo("Shape", kind="patterned")}
        )
        items: Variables = attrs.field(
            factory=Variables,
            converter=Variables.of,
            metadata={METADATA_KEY: FieldInfo("Item", kind="numbered")},
        )

    form = ActionForm(Future)
    assert isinstance(form.editors["shape"], TextEditor)
    assert isinstance(form.editors["items"], PairsEditor)
    doc = html.unescape(form.fields_box.children[0].children[1].children[1].value)
    assert "(kind 'patterned': entered as text)" in doc
    form.editors["shape"].text.value = "x"
    assert "has an unknown kind 'patterned'" in html.unescape(form.editors["shape"].problems.value)
    form.close()


def test_optional_booleans_are_sent_only_when_they_differ_from_the_default() -> None:
    on_by_default = BooleanEditor("flag", FieldInfo("Flag", kind="boolean", default="yes"))
    assert on_by_default.box.value is True and on_by_default.value() is None
    on_by_default.box.value = False
    assert on_by_default.value() is False and on_by_default.touched
    unknown = BooleanEditor("flag", FieldInfo("Flag", kind="boolean"))
    assert unknown.box.value is False and unknown.value() is None
    unknown.fill("yes")
    assert unknown.value() is True
    required = BooleanEditor("flag", FieldInfo("Flag", kind="boolean", required=True))
    assert required.value() is False
    for editor in (on_by_default, unknown, required):
        editor.close()


def test_fill_refuses_unknown_fields_and_bad_choices() -> None:
    form = ActionForm(Login)
    with pytest.raises(TypeError, match="Login has no field nosuch"):
        form.fill(nosuch=1)
    with pytest.raises(ValueError, match="is not one of plain, MD5"):
        form.fill(auth_type="sha1")
    form.fill(auth_type="md5", username="admin")
    assert form.editors["auth_type"].value() == "MD5" and form.valid
    form.close()


# --- the connection panel and secrets -------------------------------------------------------


def test_panel_connects_with_a_typed_secret_that_never_reaches_the_widget_state(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(
        comm.DummyComm, "publish_msg", lambda self, *args, **kw: sent.append((args, kw))
    )
    caplog.set_level(logging.DEBUG)
    secret = secrets.token_urlsafe(12)
    with AMIServer() as pbx:
        pbx.add_user("ops", secret)
        panel = ConnectionPanel(pbx.host, pbx.port, "ops", auth="plain")
        panel.connect_button.click()
        assert "enter the secret" in panel.state.value and panel.session is None
        panel.secret.set_state({"value": secret})  # the browser syncs the typed text
        assert panel.secret.value == "" and panel.secret.has_secret
        assert "secret entered" in panel.secret_state.value
        panel.connect_button.click()
        assert panel.connected and "connected as ops" in panel.state.value
        assert panel.connect_button.disabled and not panel.disconnect_button.disabled
        form = ActionForm(Login, panel)
        form.editors["secret"].box.set_state({"value": secret})
        form.fill(username="ops")
        form.send()  # "Already authenticated"
        assert "Already authenticated" in form.response.value
        state = json.dumps(ipywidgets.Widget.get_manager_state(drop_defaults=False))
        seen = " ".join(
            [repr(panel), repr(form), str(form.history), form.history._repr_html_(), state]
        )
        panel.disconnect_button.click()
        assert "disconnected" in panel.state.value and not panel.connected
        form.close()
        panel.close()
    assert pbx.received[1].get("Secret") == secret  # plain login: it did go to the server
    assert sent, "the widgets published their state"
    assert secret not in json.dumps(sent, default=str)
    assert secret not in seen
    assert secret not in caplog.text
    assert all(secret not in str(r.args) for r in caplog.records)


def test_secret_box_never_echoes_and_starts_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    monkeypatch.setattr(
        comm.DummyComm, "publish_msg", lambda self, kind, data=None, **kw: sent.append(repr(data))
    )
    plain = ipywidgets.Password()
    plain.set_state({"value": "typed-into-a-plain-box"})
    assert any("typed-into-a-plain-box" in m for m in sent)  # what SecretText prevents
    secret = SecretText()
    sent.clear()
    secret.set_state({"value": "typed-into-the-secret-box"})
    assert secret.secret == "typed-into-the-secret-box"
    assert sent == [repr({"method": "update", "state": {"value": ""}, "buffer_paths": []})]
    plain.close()
    secret.close()

    box = SecretText(value="hunter2")
    assert box.value == "" and box.secret == "hunter2"
    assert box.trait_metadata("value", "echo_update") is False
    assert not box.continuous_update  # syncs on Enter or leaving the box, not per key
    assert "hunter2" not in repr(box)
    box.set_secret(None)
    assert not box.has_secret
    box.close()


def test_wrong_secret_shows_in_the_panel_not_as_a_traceback(server: AMIServer) -> None:
    server.auth_fail_delay = 0.01
    with ConnectionPanel(server.host, server.port, "admin", timeout=10) as panel:
        assert not panel.connect("not-the-secret")
        assert "could not connect" in panel.state.value
        assert "Authentication failed" in panel.state.value
        assert "not-the-secret" not in panel.state.value
        assert panel.session is None and not panel.connect_button.disabled


def test_one_click_starts_the_embedded_server_and_close_stops_it() -> None:
    panel = ConnectionPanel(events="off")
    panel.embedded_button.click()
    assert panel.connected and panel.server is not None
    assert "embedded server as Asterisk 20.20.1" in panel.state.value
    assert panel.port.value == panel.server.port and panel.username.value == "admin"
    assert not panel.secret.has_secret  # the server's secret never went into a widget
    panel.disconnect()
    assert panel.connect()  # again, without typing: the embedded user's secret is known
    server = panel.server
    panel.close()
    assert panel.server is None and not server.connections


def test_panel_from_env_reads_ami_url(monkeypatch: pytest.MonkeyPatch, server: AMIServer) -> None:
    monkeypatch.setenv("AMI_URL", f"ami://admin@{server.host}:{server.port}?auth=plain")
    monkeypatch.delenv("AMI_SECRET", raising=False)
    panel = ConnectionPanel.from_env()
    assert not panel.connected and panel.auth.value == "plain"  # waits for the secret
    panel.close()
    monkeypatch.setenv("AMI_SECRET", "s3cret")
    with ConnectionPanel.from_env() as panel:
        assert panel.connected and panel.session.auth == "plain"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="never in the URL"):
        ConnectionPanel.from_env("ami://admin:pw@host:5038")
    # the same reader as Session.from_url and the CLI: same rules, same words, nothing echoed
    for url, problem in [
        ("admin@host:5038", "has no scheme"),
        ("ami://admin@host:99999", "has a bad port"),
        ("ami://admin@host?timeout=soon", "option timeout expects a number of seconds"),
        ("amis://admin@host", "uses amis://, and the panel connects without TLS"),
        ("ami://admin@host?keepalive=5", "has the option keepalive, which the panel does not"),
    ]:
        with pytest.raises(ValueError, match=problem) as excinfo:
            ConnectionPanel.from_env(url)
        assert "soon" not in str(excinfo.value)


# --- events ---------------------------------------------------------------------------------


def test_event_log_receives_a_user_event_sent_by_a_form(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    log = EventLog(panel, maxlen=3)
    form = ActionForm(UserEvent, panel)
    form.editors["user_event"].text.value = "Deploy"
    form.editors["headers"].add_row("Build", "<b>42</b>")
    form.send_button.click()
    assert "Event Sent" in form.response.value
    assert wait_until(lambda: "Deploy" in log.table.value)  # drawn within log.refresh
    assert log.received == 1 and "UserEvent" in log.table.value
    assert "&lt;b&gt;42&lt;/b&gt;" in log.table.value  # server text is escaped, never markup
    [event] = log.matching()
    assert event.get("Build") == "<b>42</b>"

    log.filter.value = "Peer*"
    assert log.matching() == [] and "Deploy" not in log.table.value
    log.filter.value = "userev"
    assert len(log.matching()) == 1
    for n in range(4):
        form.editors["user_event"].text.value = f"E{n}"
        form.send()
    assert wait_until(lambda: "2 oldest dropped" in log.summary.value)
    assert log.received == 5
    assert [e.get("UserEvent") for e in log.matching()] == ["E1", "E2", "E3"]
    log.clear_button.click()
    assert log.received == 0 and log.matching() == []
    assert "waiting for events" in log.table.value
    form.close()
    log.close()


def test_a_burst_of_events_is_drawn_at_most_every_refresh(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    log = EventLog(panel, refresh=0.3)
    draws: list[str] = []
    log.table.observe(lambda change: draws.append(change["new"]), names="value")
    for n in range(50):
        server.broadcast("UserEvent", "user", [("UserEvent", f"Burst{n}")])
    assert wait_until(lambda: "Burst49" in log.table.value)
    assert log.received == 50
    assert len(draws) <= 4  # not one redraw per event
    log.close()


def test_event_log_keeps_updating_while_a_form_waits_for_its_answer(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    log = EventLog(panel, refresh=0)
    seen_while_waiting: list[bool] = []

    def slow_notify(conn: Any, request: Any) -> None:
        """Broadcast an event, and answer only once the log (in the client) shows it."""
        server.broadcast("UserEvent", "user", [("UserEvent", "DuringSend")])
        seen_while_waiting.append(wait_until(lambda: "DuringSend" in log.table.value))
        conn.ack(request, "Notify Sent")

    server.handle("SIPnotify", slow_notify)
    form = ActionForm(SIPnotify, panel).fill(channel="phone1", variables={"Event": "x"})
    form.send_button.click()
    assert seen_while_waiting == [True]
    assert "Notify Sent" in form.response.value
    form.close()
    log.close()


def test_event_log_shows_the_documented_columns_of_one_event_class(
    server: AMIServer, panel: ConnectionPanel
) -> None:
    log = EventLog(panel, refresh=0, pattern="PeerStatus")
    server.broadcast("UserEvent", "user", [("UserEvent", "Other")])
    for peer, status, time_ms in (("SIP/phone1", "Reachable", "12"), ("SIP/phone2", "Lagged", "")):
        headers = [("ChannelType", "SIP"), ("Peer", peer), ("PeerStatus", status)]
        server.broadcast(
            "PeerStatus", "user", headers + [("Time", time_ms), ("Odd", "x")]
        )  # the class the panel reads
    assert wait_until(lambda: log.received == 3 and "phone2" in log.table.value)
    table = log.table.value
    for column in ("<th", ">Peer<", ">PeerStatus<", ">Time<", ">other headers<"):
        assert column in table, column
    assert "0:00:00.012000" in table and "Odd: x" in table  # typed; the undocumented kept
    assert ">headers<" not in table and "Other" not in table
    log.filter.value = ""  # a mix of events: their headers in one column
    assert ">headers<" in log.table.value and "UserEvent: Other" in log.table.value
    log.close()


def test_event_log_follows_reconnects(server: AMIServer, panel: ConnectionPanel) -> None:
    log = EventLog(panel)
    first = panel.session
    panel.disconnect()
    assert "not connected" in log.table.value
    panel.connect()
    assert panel.session is not first
    server.broadcast("UserEvent", "user", [("UserEvent", "After")])
    assert wait_until(lambda: log.received == 1)
    log.close()
    server.broadcast("UserEvent", "user", [("UserEvent", "Closed")])
    time.sleep(0.1)
    assert log.received == 1


# --- picker and explorer --------------------------------------------------------------------


def test_picker_filters_and_rebuilds_the_form(server: AMIServer, panel: ConnectionPanel) -> None:
    history = History()
    picker = ActionPicker(panel, history=history)
    assert picker.form is not None and picker.form.action_class.ACTION == "Ping"
    picker.filter.value = "sippeer"
    assert picker.select.options == ("SIPpeers", "SIPpeerstatus")
    picker.filter.value = "NOT"
    assert picker.select.options == ("PJSIPNotify", "SIPnotify")
    picker.select.value = "SIPnotify"
    first = picker.form
    assert first.action_class is SIPnotify and picker.form_box.children == (first.widget,)
    first.fill(channel="phone1", variables={"Event": "check-sync"}).send()
    picker.filter.value = ""
    picker.select.value = "Ping"
    assert picker.form.action_class.ACTION == "Ping"
    assert first.send_button.comm is None  # the old form's widgets are closed
    picker.form.send()
    assert [s.action for s in history] == ["SIPnotify", "Ping"]
    assert picker.choose("sipNOTIFY").action_class is SIPnotify
    with pytest.raises(KeyError):
        picker.choose("NoSuchAction")
    boxes = [picker.widget, *picker.widget.children, *picker.widget.children[0].children]
    picker.close()
    assert [box for box in boxes if box.comm is not None] == []  # inner boxes closed too


def test_explorer_puts_it_all_together_and_closes_everything() -> None:
    explorer = Explorer(initial="UserEvent")
    explorer.panel.events.value = "user"
    explorer.panel.start_embedded()
    form = explorer.form
    assert form is not None
    form.fill(user_event="FromExplorer")
    form.send()
    assert wait_until(lambda: "FromExplorer" in explorer.events.table.value)
    bundle = explorer._repr_mimebundle_()
    assert bundle and "application/vnd.jupyter.widget-view+json" in bundle
    explorer.close()
    assert explorer.panel.server is None
