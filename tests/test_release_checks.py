"""The session knows the server's release and checks every action against what it has.

Banner, CoreSettings and an override tell the release (``sdk.model.releases``); before
anything is written, an action or a field the release lacks is refused, or sent with a
logged warning when the check is lenient; the server's ListCommands answer decides on
actions. Sessions here run over the in-memory transport: no socket is needed.
"""

from __future__ import annotations

import logging

import pytest
from conftest import memory_session

from sdk import ActionUnavailable, Session, ValidationError
from sdk.actions import (
    ACTIONS,
    Login,
    ModuleLoad,
    Originate,
    Ping,
    PJSIPHangup,
    PJSIPNotify,
    PJSIPSetMaintenance,
    SIPnotify,
)
from sdk.client.capabilities import check_available
from sdk.client.memory import MemoryTransport
from sdk.model.releases import DOCUMENTED, Release, field_problems, from_banner, from_version

BANNERS = {
    "16": "5.0.3",
    "18": "7.0.1",
    "20": "9.0.0",
    "21": "10.0.0",
    "22": "11.0.0",
    "23": "12.0.0",
}


def pbx(ami: str = "9.0.0", version: str = "20.20.1") -> MemoryTransport:
    """A server in memory that says AMI ``ami`` and acks what it is sent."""
    transport = MemoryTransport(banner=f"Asterisk Call Manager/{ami}")
    transport.handle(
        "CoreSettings",
        lambda conn, request: conn.respond(
            request, "Success", headers=[("AsteriskVersion", version)]
        ),
    )
    for name in ("PJSIPNotify", "ModuleLoad", "PJSIPHangup", "PJSIPSetMaintenance", "SIPnotify"):
        transport.handle(name, lambda conn, request: conn.ack(request, "done"))
    return transport


def sent(transport: MemoryTransport, name: str) -> int:
    return sum(1 for request in transport.received if request.get("Action") == name)


def option_notify() -> PJSIPNotify:
    return PJSIPNotify(endpoint="phone1", option="check-sync")


@pytest.mark.parametrize(("major", "ami"), sorted(BANNERS.items()))
def test_each_documented_release_by_its_ami_version(major: str, ami: str) -> None:
    release = from_banner(ami)
    assert (release.major, release.docs, release.exact, release.source) == (
        major,
        major,
        True,
        "banner",
    )
    assert str(release) == f"Asterisk {major}"


@pytest.mark.parametrize(
    ("ami", "docs"),
    [("6.0.0", "16"), ("8.0.2", "18"), ("13.0.0", "23"), ("4.1.0", None), ("2.10.6", None)],
)
def test_any_other_ami_version_is_unknown_and_checked_as_the_release_below(
    ami: str, docs: str | None
) -> None:
    release = from_banner(ami)
    assert release.major is None  # never a guess: AMI 6 is not said to be Asterisk 17
    assert release.docs == docs and release.lenient
    assert f"AMI {ami}" in str(release)


def test_a_version_names_its_release_and_the_documented_one_below() -> None:
    assert from_version("20.5.0", "CoreSettings") == Release("20", "20", "CoreSettings", "20.5.0")
    assert (from_version("19", "override").major, from_version("19", "override").docs) == (
        "19",
        "18",
    )
    assert from_version("24.0.1", "override").docs == "23"
    assert from_version("13.38.3", "CoreSettings").docs is None
    with pytest.raises(ValueError, match="not an Asterisk version"):
        from_version("twenty", "override")
    assert DOCUMENTED == tuple(sorted(BANNERS, key=int))


def test_a_field_the_release_lacks_is_refused_before_sending_naming_the_releases() -> None:
    transport = pbx(BANNERS["16"])
    with memory_session(transport) as ami:
        assert ami.release == from_banner(BANNERS["16"]) and ami.asterisk_major == 16
        with pytest.raises(ValidationError) as refused:
            ami.send(option_notify())
        assert not isinstance(refused.value, ActionUnavailable)  # the action is there
        problems = {p.field: p.message for p in refused.value.errors}
        assert problems == {
            "option": "Asterisk 16 has no Option (Asterisk 18, 20, 21, 22 and 23 have it)",
            "variables": "is required in Asterisk 16",
        }
        assert "Session(lenient=True)" in str(refused.value)
        with pytest.raises(ValidationError, match="Asterisk 16 takes load, unload, reload, not"):
            ami.send(ModuleLoad(module="res_pjsip.so", load_type="refresh"))
        assert ami.send(ModuleLoad(module="res_pjsip.so", load_type="reload")).ok
        assert ami.send(PJSIPNotify(endpoint="phone1", variables={"Event": "check-sync"})).ok
    assert sent(transport, "PJSIPNotify") == 1 and sent(transport, "ModuleLoad") == 1


def test_the_same_action_goes_to_a_release_that_has_the_field() -> None:
    for major in ("18", "20", "21", "22", "23"):
        transport = pbx(BANNERS[major])
        with memory_session(transport) as ami:
            assert ami.send(option_notify()).ok, major
            assert ami.send(ModuleLoad(module="res_pjsip.so", load_type="refresh")).ok
        assert sent(transport, "PJSIPNotify") == 1


def test_lenient_sends_with_a_warning_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    transport = pbx(BANNERS["16"])
    with caplog.at_level(logging.WARNING, "sdk.client.session"):
        with memory_session(transport, lenient=True) as ami:
            assert ami.send(option_notify()).ok
            assert ami.send(option_notify()).ok
    warnings = [r.getMessage() for r in caplog.records if "has no Option" in r.getMessage()]
    assert len(warnings) == 1 and "sent all the same" in warnings[0]
    assert sent(transport, "PJSIPNotify") == 2


def test_an_action_the_release_lacks_is_refused_naming_who_has_it_and_the_replacement() -> None:
    transport = pbx(BANNERS["21"])
    with memory_session(transport) as ami:
        with pytest.raises(ActionUnavailable) as maintenance:
            ami.send(PJSIPSetMaintenance(endpoint="phone1", state="on"))
        with pytest.raises(ActionUnavailable) as sip:
            ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}))
    assert "Asterisk 21 has no PJSIPSetMaintenance (Asterisk 20, 22 and 23 have it)" in str(
        maintenance.value
    )
    assert maintenance.value.replacement is None
    assert "chan_sip was removed in Asterisk 21 (Asterisk 16, 18 and 20 have it)" in str(sip.value)
    assert sip.value.replacement == "PJSIPNotify"
    assert sent(transport, "PJSIPSetMaintenance") == sent(transport, "SIPnotify") == 0
    transport = pbx(BANNERS["16"])
    with memory_session(transport) as ami, pytest.raises(ActionUnavailable) as hangup:
        ami.send(PJSIPHangup(channel="PJSIP/phone1-00000001", cause="16"))
    assert "Asterisk 16 has no PJSIPHangup (Asterisk 18, 20, 21, 22 and 23 have it)" in str(
        hangup.value
    )


def test_the_servers_list_wins_over_the_docs() -> None:
    transport = pbx(BANNERS["21"])
    listing = "PJSIPSetMaintenance: Backported.  (Priv: system,all)"

    def list_commands(conn, request):  # type: ignore[no-untyped-def]
        name, _, value = listing.partition(": ")
        conn.respond(request, "Success", headers=[(name, value), ("Ping", "Ping.  (Priv: <none>)")])

    transport.handle("ListCommands", list_commands)
    with memory_session(transport) as ami:
        ami.server_actions()
        assert ami.send(PJSIPSetMaintenance(endpoint="phone1", state="on")).ok  # a backport
        with pytest.raises(ActionUnavailable, match="not in the server's ListCommands"):
            ami.send(ModuleLoad(module="x", load_type="load"))  # 21 has it; this server not
        with pytest.raises(ActionUnavailable, match="answer, and Asterisk 21 has no PJSIPShow"):
            ami.send(ACTIONS["PJSIPShowMaintenance"]())  # neither has it: both say so
    assert sent(transport, "PJSIPSetMaintenance") == 1 and sent(transport, "ModuleLoad") == 0


def test_an_unknown_release_is_checked_as_the_one_below_leniently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = pbx("6.0.0", "17.9.4")  # Asterisk 17: no docs of its own here
    with caplog.at_level(logging.WARNING, "sdk.client.session"), memory_session(transport) as ami:
        assert ami.release.major is None and ami.release.docs == "16"
        assert ami.send(
            PJSIPHangup(channel="PJSIP/phone1-00000001", cause="16")
        ).ok  # 16 lacks it: warned
        assert ami.send(option_notify()).ok
        assert ami.asterisk_version() == "17.9.4"  # CoreSettings names the release
        assert (ami.release.major, ami.release.docs, ami.release.source) == (
            "17",
            "16",
            "CoreSettings",
        )
        assert ami.asterisk_major == 17
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "Asterisk 16 has no PJSIPHangup" in said and "has no Option" in said
    assert "AMI 6.0.0" in said  # the release the warning is about, as it was known
    assert sent(transport, "PJSIPHangup") == 1 and sent(transport, "PJSIPNotify") == 1


def test_coresettings_corrects_a_banner_and_an_override_wins_over_both(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = pbx(BANNERS["20"], "21.12.3")  # a build whose banner is off
    with caplog.at_level(logging.WARNING, "sdk.client.session"), memory_session(transport) as ami:
        ami.send(PJSIPSetMaintenance(endpoint="phone1", state="on"))  # 20 has it
        ami.asterisk_version()
        assert ami.release == Release("21", "21", "CoreSettings", "21.12.3")
        with pytest.raises(ActionUnavailable, match="Asterisk 21 has no PJSIPSetMaintenance"):
            ami.send(PJSIPSetMaintenance(endpoint="phone1", state="on"))
    assert any("CoreSettings 21.12.3" in r.getMessage() for r in caplog.records)
    with memory_session(transport, release="22") as ami:
        assert ami.release == Release("22", "22", "override", "22")
        ami.asterisk_version()
        assert ami.release.source == "override"
        assert ami.send(PJSIPSetMaintenance(endpoint="phone1", state="on")).ok


def test_the_url_takes_release_and_lenient() -> None:
    transport = pbx(BANNERS["20"])
    with Session.from_url(
        "ami://admin@pbx?release=16&lenient=true", secret="s3cret", transport=transport
    ) as ami:
        assert ami.release.major == "16" and ami.server.lenient
        assert ami.send(option_notify()).ok  # 16 has no Option: sent, leniently
    with pytest.raises(ValueError, match="option release expects an Asterisk major"):
        Session.from_url("ami://admin@pbx?release=x", secret="s3cret", transport=transport)
    with pytest.raises(ValueError, match="release must be an Asterisk major"):
        Session("pbx", username="admin", secret="s3cret", release="x", transport=transport)


def test_the_sessions_own_login_is_never_checked() -> None:
    """Asterisk 16's docs omit Login's AuthType, Key and Events; its manager.c reads them, and
    the session's MD5 login with Events: off goes through."""
    assert "16" not in dict(Login.fields())["events"].majors(Login.AVAILABLE_IN)
    with memory_session(pbx(BANNERS["16"]), auth="md5", events=False) as ami:
        assert ami.send(Ping()).ok


def test_field_problems_is_one_rule_for_every_front_end() -> None:
    notify = option_notify()
    assert [p.field for p in field_problems(notify, "16")] == ["option", "variables"]
    assert field_problems(notify, "18") == []
    originate = Originate(channel="Local/1@default", application="Wait", pre_dial_go_sub="x,s,1")
    assert [p.header for p in field_problems(originate, "16")] == ["PreDialGoSub"]
    assert check_available(originate, None, BANNERS["18"]) == []
    assert check_available(originate, None, BANNERS["16"], lenient=True)  # a warning
    with pytest.raises(ValidationError, match="Asterisk 16 has no PreDialGoSub"):
        check_available(originate, None, BANNERS["16"])
    assert all(field_problems(cls(), "23") == [] for cls in (Ping, ACTIONS["CoreStatus"]))
