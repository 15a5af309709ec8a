"""The embedded server plays every release of 16 to 23: its banner and version, the lab's SIP
stack, and a ListCommands (recorded for 20 and 22, derived from the docs for the others)."""

from __future__ import annotations

import re

import pytest
from conftest import admin_session

from sdk.actions import ACTIONS, Command, Getvar, PJSIPNotify, SIPnotify
from sdk.model.releases import DOCUMENTED, Release
from sdk.testing import AMIServer
from sdk.testing.known import KnownActions
from sdk.testing.releases import PLAYS

LINE = re.compile(r"[A-Za-z0-9]+: .+  \(Priv: ([a-z]+(,[a-z]+)*,all|<none>)\)")
VERSIONS = {"16": "16.30.1", "18": "18.26.4", "21": "21.12.3", "23": "23.4.1"}


@pytest.mark.parametrize("release", DOCUMENTED)
def test_each_release_says_who_it_is(release: str) -> None:
    with AMIServer.as_recorded(release) as pbx, admin_session(pbx, timeout=5) as ami:
        assert ami.release == Release(release, release, "banner", ami.release.said)
        assert ami.asterisk_version() == PLAYS[release].asterisk
        assert ami.release == Release(release, release, "CoreSettings", PLAYS[release].asterisk)
        raw = ami.send(ACTIONS["ListCommands"](), check=True)
        offered = ami.server_actions()
    lines = [(n, v) for n, v in raw.headers if n not in ("Response", "ActionID")]
    assert lines and all(LINE.fullmatch(f"{n}: {v}") for n, v in lines)
    names = [n for n, _ in lines]
    assert names == sorted(names, key=str.lower)  # sorted, as Asterisk keeps its list
    assert set(pbx.handlers.names) <= set(offered)  # everything it emulates, it lists
    chan_sip = release in ("16", "18", "20")  # the lab's stack: chan_sip, then res_pjsip
    assert ("SIPnotify" in offered, "PJSIPNotify" in offered) == (chan_sip, not chan_sip)
    derived = pbx.known_actions.origin
    assert ("not recorded" in derived) == (not PLAYS[release].recorded)


@pytest.mark.parametrize("release", sorted(VERSIONS))
def test_a_derived_listing_holds_only_what_the_release_documents(release: str) -> None:
    with AMIServer.as_recorded(release) as pbx, admin_session(pbx, timeout=5) as ami:
        offered = ami.server_actions()
    assert PLAYS[release].asterisk == VERSIONS[release]
    assert all(release in ACTIONS[name].AVAILABLE_IN for name in offered)
    assert ("PJSIPSetMaintenance" in offered) == (release == "23")  # 21.12.3 has none
    assert ("PJSIPHangup" in offered) == (release in ("21", "23"))  # 18+, and res_pjsip
    assert "QueueStatus" not in offered  # the lab loads no app_queue
    assert "derived from the documentation of Asterisk" in pbx.known_actions.origin


def test_the_derivation_gives_back_the_recordings_it_can_be_held_to() -> None:
    """Derived for 20 and 22 (whose docs list every action their recordings do), the listing
    is the recorded one, line for line; and 16 lists what 20 does less what came in 18."""
    recorded = KnownActions.recorded("20").listing()
    assert KnownActions.derived("20", "chan_sip").listing() == recorded
    assert KnownActions.derived("22", "pjsip").listing() == KnownActions.recorded("22").listing()
    sixteen = dict(KnownActions.derived("16", "chan_sip").listing())
    new_in_18 = {n for n in ACTIONS if ACTIONS[n].AVAILABLE_IN[:1] == ("18",)}
    assert set(sixteen) == {n for n, _ in recorded} - new_in_18
    pjsip = dict(KnownActions.derived("18", "pjsip").listing())
    assert "PJSIPHangup" in pjsip and "SIPnotify" not in pjsip  # 18 with res_pjsip instead
    assert "PJSIPHangup" not in dict(KnownActions.derived("16", "pjsip").listing())


def test_notify_on_each_stack() -> None:
    with AMIServer.as_recorded("16") as pbx, admin_session(pbx, timeout=5) as ami:
        answer = ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}))
        assert answer.message == "Notify Sent"
        assert pbx.notifies[-1].header("Event") == "check-sync"
        assert "User-Agent: Asterisk PBX 16.30.1" in pbx.notifies[-1].text
    with AMIServer.as_recorded("23") as pbx, admin_session(pbx, timeout=5) as ami:
        answer = ami.send(PJSIPNotify(endpoint="phone1", option="check-sync"))
        assert answer.message == "NOTIFY sent"
        assert pbx.notifies[-1].header("Event") == "check-sync"
    with AMIServer.as_recorded("18", sip="pjsip") as pbx, admin_session(pbx, timeout=5) as ami:
        assert ami.send(PJSIPNotify(endpoint="phone1", option="check-sync")).ok


def test_a_release_runs_only_a_stack_it_had() -> None:
    with pytest.raises(ValueError, match="sip must be 'pjsip' on version 21"):
        AMIServer("21", sip="chan_sip")
    with pytest.raises(ValueError, match="'chan_sip' or 'pjsip' on version 16"):
        AMIServer("16", sip="sccp")
    assert AMIServer("18").sip == "chan_sip" and AMIServer("23").sip == "pjsip"
    assert AMIServer("16").banner == "Asterisk Call Manager/5.0.0"


@pytest.mark.parametrize("release", sorted(VERSIONS))
def test_a_release_without_recordings_answers_commands_and_functions(release: str) -> None:
    """Command and Getvar of a function read the recorded CLI and function lists: a release
    without recordings of its own answers from the lab server with its SIP stack."""
    with AMIServer.as_recorded(release) as pbx, admin_session(pbx, timeout=5) as ami:
        version = ami.send(Command(command="core show version"), check=True)
        assert PLAYS[release].asterisk in version.output
        assert ami.send(Getvar(variable="LEN(four)"), check=True).get("Value") == "4"
        assert ami.connected  # nothing dropped the connection
