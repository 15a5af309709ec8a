"""Actions and events of Asterisk 16, 18, 20, 21, 22 and 23, as their documentation XML says.

``asterisk-<version>.json`` (actions) and ``asterisk-<version>-events.json`` (events) are
written by ``python -m codegen doc-table [--events]`` from the six files of
``../shared/ami/docs``, and ``codegen/snapshots.json`` by ``python -m codegen
snapshot-table`` from the source tarballs of ``../shared/asterisk``. With those at hand
the tests here re-derive every committed table and check what only the XML shows (entries
written twice, missing modules, includes); without them, they check the committed tables
against their digests and say in one line of the run's report what was not compared (``AMI_DOCS_REQUIRED=1``
makes that a failure, as in ``test_docs_tables.py``; ``AMI_DOCS_DIR`` and
``AMI_SOURCES_DIR`` point to other folders). The facts of the release view and of the
recorded events are checked from the committed tables, with or without the XML.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import NO_DOCS_LINE, all_fixtures, load_fixture

from codegen import ROOT
from codegen.docs import DocSet, event_table_document, header_kind, read_docs, table_document
from codegen.releases import HeaderReleases, actions_by_release, events_by_release, load_tables
from codegen.snapshots import SNAPSHOTS_FILE, expand, load_snapshots, snapshot_document
from sdk.model.fields import FALSE_WORDS, TRUE_WORDS
from sdk.wire.message import Event
from sdk.wire.parser import Parser

HERE = Path(__file__).parent
RELEASES = ("16.30.1", "18.26.4", "20.20.1", "21.12.3", "22.10.1", "23.4.1")
SOURCES = ("20.20.1", "22.10.1")  # the source tarballs at hand
SHARED = ROOT.parent / "shared"
DOCS = Path(os.environ.get("AMI_DOCS_DIR") or SHARED / "ami" / "docs")
TARBALLS = Path(os.environ.get("AMI_SOURCES_DIR") or SHARED / "asterisk")
MAINTENANCE = {"PJSIPSetMaintenance", "PJSIPShowMaintenance"}
MONITOR = {"Monitor", "StopMonitor", "ChangeMonitor", "PauseMonitor", "UnpauseMonitor"}


def _xml(version: str) -> Path:
    return DOCS / f"asterisk-{version}-core-en_US.xml"


def _absent(paths: list[Path], what: str, report: Callable[[str], None]) -> bool:
    """Whether some of ``paths`` are missing: a failure under AMI_DOCS_REQUIRED, else one
    line of the run's report saying what was checked instead."""
    missing = [str(p) for p in paths if not p.exists()]
    if not missing:
        return False
    if os.environ.get("AMI_DOCS_REQUIRED"):
        pytest.fail(f"not found: {', '.join(missing)}")
    report(NO_DOCS_LINE)  # what was skipped (``what``) is the same for the user: digests only
    return True


@cache
def docsets() -> dict[str, DocSet] | None:
    """The six files, read once per session (``read_docs`` keeps them); None without them."""
    if any(not _xml(v).exists() for v in RELEASES):
        return None
    return {v: read_docs(_xml(v)) for v in RELEASES}


@cache
def action_tables() -> dict[str, dict[str, Any]]:
    return load_tables(HERE)


@cache
def event_tables() -> dict[str, dict[str, Any]]:
    return load_tables(HERE, "-events")


def test_the_committed_tables_are_what_doc_table_derives_from_the_six_files(
    report_line: Callable[[str], None],
) -> None:
    assert sorted(action_tables()) == sorted(event_tables()) == sorted(RELEASES)  # digests ok
    if _absent(
        [_xml(v) for v in RELEASES],
        "the action and event tables of six releases were checked against their digests"
        " only, not re-derived from the XML",
        report_line,
    ):
        return
    for version, docs in (docsets() or {}).items():
        assert table_document(docs) == action_tables()[version], (
            f"asterisk-{version}.json is not what `python -m codegen doc-table` writes"
        )
        assert event_table_document(docs) == event_tables()[version], (
            f"asterisk-{version}-events.json is not what `doc-table --events` writes"
        )


def test_the_snapshot_blocks_are_what_the_source_tarballs_say(
    report_line: Callable[[str], None],
) -> None:
    blocks = load_snapshots()  # checks the digest
    assert [h.name for h in blocks["channel"]][:3] == [
        "Channel",
        "ChannelState",
        "ChannelStateDesc",
    ]
    assert len(blocks["channel"]) == 14 and len(blocks["bridge"]) == 8
    committed = json.loads(SNAPSHOTS_FILE.read_text(encoding="utf-8"))
    digests = {s["xslt_sha256"] for s in committed["sources"]}
    assert len(committed["sources"]) == 2 and len(digests) == 1  # 20 and 22: the same file
    tarballs = [TARBALLS / f"asterisk-{v}.tar.gz" for v in SOURCES]
    if _absent(tarballs, "codegen/snapshots.json was checked against its digest only", report_line):
        return
    assert snapshot_document(tarballs) == committed


def test_169_actions_in_six_releases() -> None:
    view = actions_by_release(action_tables())
    wanted = set((HERE / "actions.txt").read_text(encoding="utf-8").split())
    assert len(view) == 169 and set(view) == wanted | MAINTENANCE
    for name in MAINTENANCE:
        assert view[name].majors == ("20", "22", "23")
    new_in_18 = {n for n, a in view.items() if "18" in a.majors and "16" not in a.majors}
    assert new_in_18 == {
        "CoreShowChannelMap",
        "DAHDIShowStatus",
        "PJSIPHangup",
        "SendFlash",
        "VoicemailBoxSummary",
        "VoicemailForward",
        "VoicemailMove",
        "VoicemailRemove",
    }
    gone_in_21 = {n for n, a in view.items() if "20" in a.majors and "21" not in a.majors}
    assert len(gone_in_21) == 17
    assert gone_in_21 == {
        n
        for n, a in view.items()
        if a.module in ("chan_sip", "chan_skinny") or n in MONITOR | MAINTENANCE
    }
    assert {view[n].module for n in MONITOR} == {"res_monitor"}
    assert all(a.module for a in view.values())  # 16, 18 and 21 name none: 20, 22, 23 do
    assert all(
        a.majors == ("16", "18", "20", "21", "22", "23")
        for n, a in view.items()
        if n not in gone_in_21 | new_in_18 | MAINTENANCE
    )


def test_fields_that_differ_by_release() -> None:
    view = actions_by_release(action_tables())
    later = ("18", "20", "21", "22", "23")
    assert view["PJSIPNotify"].param("Option").majors == later
    assert view["Originate"].param("PreDialGoSub").majors == later
    variable = view["PJSIPNotify"].param("Variable")
    assert variable.required == {"16": True, **dict.fromkeys(later, False)}
    assert view["ModuleLoad"].param("LoadType").values["16"] == ("load", "unload", "reload")
    assert view["ModuleLoad"].param("LoadType").values["18"][-1] == "refresh"
    options = view["MixMonitor"].param("Options")
    assert options.spellings["18"] == "options" and options.spellings["20"] == "Options"
    assert view["QueueAdd"].param("Reason").majors == ("20", "21", "22", "23")

    def facts(param: HeaderReleases, major: str) -> tuple[object, ...]:
        return param.spellings.get(major), param.required.get(major), param.values.get(major)

    changed = {  # every action whose fields differ from one release to the next
        name
        for name, action in view.items()
        for param in action.params
        if len({facts(param, major) for major in action.majors}) > 1
    }
    assert changed == {
        "AOCMessage",
        "Filter",
        "Login",
        "MixMonitor",
        "ModuleLoad",
        "Originate",
        "PJSIPNotify",
        "Park",
        "QueueAdd",
        "QueueChangePriorityCaller",
    }


def test_what_only_the_xml_shows_entries_twice_modules_and_includes(
    report_line: Callable[[str], None],
) -> None:
    if _absent([_xml(v) for v in RELEASES], "the reader's quirks were not checked", report_line):
        return
    all_docs = docsets() or {}
    for version, docs in all_docs.items():
        text = docs.path.read_text(encoding="utf-8")
        raw = re.findall(r'<manager name="(\w+)"', text)
        voicemail = raw.count("VoicemailUsersList")
        assert voicemail == (1 if version == "16.30.1" else 3), version
        assert len(docs.actions) == len(set(raw))
        nameless = sum(not a.module for a in docs.actions.values())
        assert nameless == (len(docs.actions) - 1 if version[:2] in ("16", "18", "21") else 0)
        assert [a.name for a in docs.actions.values() if a.problems] == []
        assert [e.name for e in docs.events.values() if e.problems] == []
        raw_events = len(re.findall(r"<managerEvent ", text))
        expected = {"20.20.1": (189, 185), "22.10.1": (185, 181)}.get(version)
        if expected:
            assert (raw_events, len(docs.events)) == expected
    newest = all_docs["23.4.1"]
    hangup = newest.actions["PJSIPHangup"]  # Channel from Hangup, Cause from an application
    assert [p.name for p in hangup.params] == ["Channel", "Cause"]
    login = newest.actions["Login"].params  # an enumlist included from Events
    assert next(p for p in login if p.name == "Events").values[:2] == ("on", "off")
    rtcp = [p.name for p in newest.events["RTCPSent"].params]  # contains(@name, 'ReportX')
    assert "ReportXSourceSSRC" in rtcp and "ReportXDLSR" in rtcp
    assert newest.events["AttendedTransfer"].params[0].name == "Result"  # docs/... path


def test_185_events_in_20_and_181_in_22() -> None:
    tables = {v: t["events"] for v, t in event_tables().items()}
    assert (len(tables["20.20.1"]), len(tables["22.10.1"])) == (185, 181)
    view = events_by_release(event_tables())
    assert len(view) == 185 and set(view) == set(tables["20.20.1"])
    assert {n for n, e in view.items() if "22" not in e.majors} == {
        n for n in tables["20.20.1"] if n not in tables["22.10.1"]
    }
    assert all(len(e.read_classes[m]) == 1 for e in view.values() for m in e.majors)
    assert view["ChannelTalkingStart"].read_classes["20"] == ("EVENT_FLAG_CLASS",)  # sic
    hangup = view["Hangup"]
    assert hangup.snapshots["16"] == (("channel", ""),)
    assert hangup.header("TechCause").majors == ("20", "22", "23")
    transfer = view["AttendedTransfer"].snapshots["22"]
    assert ("bridge", "Orig") in transfer and ("channel", "TransferTarget") in transfer


def _recorded_events() -> dict[tuple[str, str], dict[str, set[str]]]:
    """``{(version, event): {header: values}}`` of every event in the recorded sessions."""
    out: dict[tuple[str, str], dict[str, set[str]]] = {}
    for version, name in all_fixtures():
        parser = Parser()
        for exchange in load_fixture(name, version)["exchanges"]:
            for message in parser.feed(exchange.get("recv", "").encode()):
                if isinstance(message, Event):
                    headers = out.setdefault((version, message.name), {})
                    for header, value in message.headers:
                        headers.setdefault(header, set()).add(value)
    return out


def _documented_headers(event: dict[str, Any]) -> list[str]:
    """An event's own headers and those of its snapshot blocks, with their prefixes."""
    blocks = load_snapshots()
    names = list(event["headers"])
    for block, prefixes in event["snapshots"].items():
        names += [prefix + header.name for prefix in prefixes for header in blocks[block]]
    return names


def test_the_recorded_events_against_the_documented_ones() -> None:
    tables = {v: t["events"] for v, t in event_tables().items()}
    undocumented = set()
    unknown_headers = set()
    for (version, name), headers in _recorded_events().items():
        event = tables[version].get(name)
        if event is None:
            undocumented.add(name)
            continue
        documented = _documented_headers(event)
        unknown_headers |= {
            (name, h)
            for h in headers
            if h not in documented and h not in ("Event", "Privilege", "ActionID")
        }
    assert undocumented == {
        "PeerEntry",
        "PeerlistComplete",
        "SIPpeerstatusComplete",
        "DBGetResponse",
        "DBGetComplete",
    }
    assert unknown_headers == {
        ("StatusComplete", "EventList"),
        ("StatusComplete", "ListItems"),
        ("UserEvent", "Header1"),  # UserEvent's own headers, any name
    }


def _fits(kind: str, value: str, values: tuple[str, ...]) -> bool:
    if kind in ("int", "channel_state", "duration"):
        return re.fullmatch(r"-?\d+", value) is not None
    if kind == "bool":
        return value.lower() in TRUE_WORDS | FALSE_WORDS
    if kind == "enum":
        return value.lower() in {v.lower() for v in values}
    return True


def test_recorded_values_fit_the_proposed_header_kinds(report_line: Callable[[str], None]) -> None:
    if _absent(
        [_xml(v) for v in SOURCES], "the proposed kinds were not held against the XML", report_line
    ):
        return
    blocks = load_snapshots()
    misfits = set()
    kinds = set()
    for (version, name), headers in _recorded_events().items():
        event = read_docs(_xml(version)).events.get(name)
        if event is None:
            continue
        params = list(event.params) + [p for s in event.snapshots for p in expand(s, blocks)]
        for param in params:
            kind = header_kind(param)
            kinds.add(kind)
            for value in headers.get(param.name, ()):
                if not _fits(kind, value, param.values):
                    misfits.add((name, param.name, value))
    assert kinds == {"int", "bool", "enum", "channel_state", "timestamp", "duration", "string"}
    # chan_sip reports a peer without qualify as Unmonitored, a value its docs do not list
    assert misfits == {("PeerStatus", "PeerStatus", "Unmonitored")}
