"""The tools show what each release has: ``ami list --release``, ``ami describe`` per field,
and the notebook form, which marks the fields the connected server's release lacks."""

from __future__ import annotations

import io
import json

import pytest
from conftest import memory_session

from sdk.actions import ACTIONS, PJSIPNotify
from sdk.cli import main
from sdk.client.memory import MemoryTransport
from sdk.widgets import ActionForm


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def listed(*argv: str) -> list[str]:
    code, out = run("list", "--json", *argv)
    assert code == 0
    return [row["action"] for row in json.loads(out)]


def test_list_release_shows_what_that_release_has(capsys: pytest.CaptureFixture[str]) -> None:
    sixteen, twenty_one, every = listed("--release", "16"), listed("--release", "21"), listed()
    assert "Asterisk 16 has (its documentation, 16.30.1)" in capsys.readouterr().err
    assert len(every) == 169 and len(sixteen) == 169 - 8 - 2  # 8 came in 18; 2 in 20.20
    assert "PJSIPHangup" not in sixteen and "SIPnotify" in sixteen
    assert "SIPnotify" not in twenty_one and "PJSIPSetMaintenance" not in twenty_one
    assert set(listed("--release", "23")) == {n for n in every if "23" in ACTIONS[n].AVAILABLE_IN}
    code, _ = run("list", "--release", "17")
    assert (
        code == 2 and "--release: invalid choice (choose from '16', '18'" in capsys.readouterr().err
    )
    code, _ = run("list", "--release", "16", "--embedded")
    assert code == 2 and "--release lists what a release's documentation has" in (
        capsys.readouterr().err
    )


def test_describe_lists_per_field_the_releases_that_have_it() -> None:
    code, out = run("describe", "PJSIPNotify", "--json")
    assert code == 0
    fields = {f["header"]: f for f in json.loads(out)["fields"]}
    assert fields["Option"]["asterisk"] == "18,20,21,22,23"
    assert fields["Endpoint"]["asterisk"] == "16,18,20,21,22,23"
    assert fields["Variable"]["required"] == "in 16"  # required only there
    code, out = run("describe", "ModuleLoad", "--release", "16")
    assert code == 0
    assert "enum (load|unload|reload|refresh; 16: load|unload|reload)" in out
    assert "Asterisk 16 has no Recursive (Asterisk 18, 20, 21, 22 and 23 have it)" in out
    assert "Asterisk 16 takes load, unload, reload" in out


def banner(ami: str) -> MemoryTransport:
    transport = MemoryTransport(banner=f"Asterisk Call Manager/{ami}")
    transport.handle("PJSIPNotify", lambda conn, request: conn.ack(request, "NOTIFY sent"))
    return transport


def test_the_form_marks_the_fields_the_connected_release_lacks() -> None:
    transport = banner("5.0.3")  # Asterisk 16
    with memory_session(transport) as ami:
        form = ActionForm(PJSIPNotify, ami)
        notes = {name: note.value for name, note in form.release_notes.items()}
        assert "Asterisk 16 has no Option" in notes["option"]
        assert "the server runs Asterisk 16" in notes["option"]
        assert "is required in Asterisk 16" in notes["variables"]
        assert notes["endpoint"] == notes["uri"] == ""
        form.fill(endpoint="phone1", option="check-sync")
        assert not form.valid and form.send_button.disabled  # the session would refuse it
        assert {p.field for p in form.problems} == {"option", "variables"}
        assert "Asterisk 16 has no Option" in form.editors["option"].problems.value
        assert form.send() is None
        form.fill(option=None, variables={"Event": "check-sync"})
        assert form.valid and form.send() is not None
        form.close()
    assert [r.get("Action") for r in transport.received].count("PJSIPNotify") == 1


def test_the_form_of_a_release_that_has_the_field_marks_nothing_and_lenient_warns() -> None:
    with memory_session(banner("7.0.1")) as ami:  # Asterisk 18
        form = ActionForm(PJSIPNotify, ami).fill(endpoint="phone1", option="check-sync")
        assert all(note.value == "" for note in form.release_notes.values())
        assert form.valid
        form.close()
    with memory_session(banner("5.0.3"), lenient=True) as ami:
        form = ActionForm(PJSIPNotify, ami).fill(endpoint="phone1", option="check-sync")
        assert form.valid and not form.send_button.disabled
        assert "sent all the same" in form.preview.value
        assert form.send() is not None
        form.close()
    unconnected = ActionForm(PJSIPNotify).fill(endpoint="phone1", option="check-sync")
    assert unconnected.valid and all(n.value == "" for n in unconnected.release_notes.values())
    unconnected.close()
