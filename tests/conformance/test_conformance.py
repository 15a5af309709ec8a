"""Every generated action against Asterisk's documentation, through the committed tables.

``asterisk-20.20.1.json`` and ``asterisk-22.10.1.json`` hold the names and required flags of
every documented manager action (``python -m codegen doc-table``); ``test_docs_tables.py``
checks them against the XML files when those are at hand. Here, without any XML: header
names (any case) and required flags of every class agree with both tables, except the
differences listed with their reasons in ``specs/deviations.yaml``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import all_fixtures, load_fixture

from codegen import ROOT, SPECS_DIR
from codegen.docs import table_digest
from codegen.importer import PLACEHOLDER, params_of_info
from codegen.spec import load_specs
from sdk.actions import ACTIONS
from sdk.wire.message import Event, Response
from sdk.wire.parser import Parser

HERE = Path(__file__).parent
VERSIONS = ("20.20.1", "22.10.1")
CURATED = (
    "SIPnotify PJSIPNotify Originate Command Login Events Filter Getvar Setvar Hangup Redirect"
    " QueueAdd QueueStatus Status CoreShowChannels PJSIPShowEndpoints PJSIPShowContacts"
    " SIPpeers SIPshowpeer"
).split()


@cache
def table(version: str) -> dict[str, Any]:
    return json.loads((HERE / f"asterisk-{version}.json").read_text(encoding="utf-8"))


@cache
def deviations() -> list[dict[str, Any]]:
    """The actions' entries (the events' are held by test_events.py)."""
    entries = yaml.safe_load((ROOT / "specs" / "deviations.yaml").read_text(encoding="utf-8"))
    return [entry for entry in entries if "action" in entry]


def documented(name: str) -> dict[str, tuple[str, bool]]:
    """The class's fields as the documentation would name them: {folded: (name, required)}."""
    out: dict[str, tuple[str, bool]] = {}
    for _attribute, info in ACTIONS[name].fields():
        for param, required in params_of_info(info):
            out[param.lower()] = (param, required)
    return out


def differences(name: str, params: dict[str, bool]) -> set[tuple[str, ...]]:
    """``(action, header, difference, docs, spec)`` for each way the class differs."""
    ours = documented(name)
    theirs = {p.lower(): (p, required) for p, required in params.items()}
    found: set[tuple[str, ...]] = set()
    for key in ours.keys() | theirs.keys():
        if key not in theirs:
            found.add((name, ours[key][0], "missing", "absent", "present"))
        elif key not in ours:
            found.add((name, theirs[key][0], "missing", "present", "absent"))
        else:
            (spec_name, spec_required), (docs_name, docs_required) = ours[key], theirs[key]
            if spec_required != docs_required:
                found.add(
                    (
                        name,
                        spec_name,
                        "required",
                        str(docs_required).lower(),
                        str(spec_required).lower(),
                    )
                )
            if spec_name != docs_name:
                found.add((name, spec_name, "spelling", docs_name, spec_name))
    return found


def listed() -> set[tuple[str, ...]]:
    out = set()
    for entry in deviations():
        if entry["difference"] == "kind":
            continue
        if entry["difference"] == "spelling":
            out.add((entry["action"], entry["header"], "spelling", entry["docs"], entry["header"]))
        else:
            out.add(
                (
                    entry["action"],
                    entry["header"],
                    entry["difference"],
                    str(entry["docs"]).lower(),
                    str(entry["spec"]).lower(),
                )
            )
    return out


def test_the_specs_cover_exactly_the_167_actions() -> None:
    wanted = (HERE / "actions.txt").read_text(encoding="utf-8").split()
    assert len(wanted) == 167
    assert sorted(ACTIONS) == sorted(wanted)
    assert all(ACTIONS.canonical(name) == name for name in wanted)  # spelt as Asterisk does


@pytest.mark.parametrize("version", VERSIONS)
def test_header_names_and_required_flags_agree_with_the_documentation(version: str) -> None:
    documented_actions = table(version)["actions"]
    found: set[tuple[str, ...]] = set()
    for name in ACTIONS:
        if name in documented_actions:
            found |= differences(name, documented_actions[name])
    expected = {d for d in listed() if d[0] in documented_actions}
    unlisted = sorted(found - expected)
    stale = sorted(expected - found)
    assert not unlisted, (
        f"differences from the {version} docs not in specs/deviations.yaml: {unlisted}"
    )
    assert not stale, f"specs/deviations.yaml lists differences that no longer exist: {stale}"


def test_the_listed_kind_differences_still_hold_and_every_entry_has_a_reason() -> None:
    for entry in deviations():
        assert entry.get("reason", "").strip(), entry
        assert entry["difference"] in ("spelling", "required", "missing", "kind"), entry
        assert entry["action"] in ACTIONS, entry
        if entry["difference"] == "kind":
            kinds = {i.header.lower(): i.kind for _, i in ACTIONS[entry["action"]].fields()}
            assert kinds.get(entry["header"].lower()) == entry["spec"], entry


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_says_which_asterisk_versions_have_it(name: str) -> None:
    cls = ACTIONS[name]
    having = tuple(v.split(".")[0] for v in VERSIONS if name in table(v)["actions"])
    assert cls.AVAILABLE_IN == having
    if "22" not in having:  # gone by 22: say when it left, and what to use
        assert cls.REMOVED_IN and 20 < int(cls.REMOVED_IN) <= 22, name
    else:
        assert not cls.REMOVED_IN, name
    if cls.REPLACED_BY:
        assert cls.REPLACED_BY in ACTIONS and "22" in ACTIONS[cls.REPLACED_BY].AVAILABLE_IN


def test_chan_sip_skinny_and_monitor_are_gone_in_22_and_sipnotify_names_pjsipnotify() -> None:
    gone = {n for n in ACTIONS if "22" not in ACTIONS[n].AVAILABLE_IN}
    assert gone == {
        n
        for n in ACTIONS
        if n.startswith(("SIP", "SKINNY"))
        or n in ("Monitor", "StopMonitor", "ChangeMonitor", "PauseMonitor", "UnpauseMonitor")
    }
    assert len(gone) == 15
    assert ACTIONS["SIPnotify"].REPLACED_BY == "PJSIPNotify"


def test_the_committed_tables_are_as_doc_table_wrote_them() -> None:
    """A hand edit of a table (to make a difference pass, say) shows as a digest mismatch."""
    for version in VERSIONS:
        data = table(version)
        assert data["asterisk"] == version
        assert table_digest(data["actions"]) == data["table_sha256"]
        for params in data["actions"].values():
            assert all(isinstance(flag, bool) for flag in params.values())
            assert "actionid" not in {p.lower() for p in params}


def test_curated_specs_are_marked_and_every_spec_has_words_of_its_own() -> None:
    specs = {s.action: s for s in load_specs(SPECS_DIR, cite_from=ROOT)}
    assert all(specs[name].curated for name in CURATED)
    for spec in specs.values():
        assert PLACEHOLDER not in spec.summary, spec.action
        assert spec.summary.strip() and "\n" not in spec.summary.strip(), spec.action
        for field in spec.fields:
            assert field.info.doc.strip(), f"{spec.action}.{field.header} has no doc"
            for _name, member in field.info.members:
                assert member.doc.strip(), f"{spec.action}.{member.header} has no doc"


def test_every_event_list_recorded_in_the_fixtures_matches_its_spec() -> None:
    """Each list item of a recorded answer is one of the action's LIST_EVENTS, and the event
    that closes the list is its LIST_COMPLETE."""
    checked = set()
    for version, name in all_fixtures():
        sent: dict[str, str] = {}
        items: dict[str, list[Event]] = {}
        for exchange in load_fixture(name, version)["exchanges"]:
            if "send" in exchange:
                for message in Parser(banner=False).feed(exchange["send"].encode()):
                    if message.get("ActionID") and message.get("Action"):
                        sent[message["ActionID"]] = message["Action"]
            elif "recv" in exchange and exchange["recv"].startswith(("Response", "Event")):
                for message in Parser(banner=False).feed(exchange["recv"].encode()):
                    if isinstance(message, Response) and message.is_list:
                        items[message.action_id] = []  # type: ignore[index]
                    elif isinstance(message, Event) and message.action_id in items:
                        items[message.action_id].append(message)  # type: ignore[index]
        for action_id, events in items.items():
            cls = ACTIONS[sent[action_id]]
            *listed_items, last = events
            assert last.get("EventList") == "Complete", (name, last)
            assert last.name == cls.LIST_COMPLETE, (name, cls.ACTION)
            assert {e.name for e in listed_items} <= set(cls.LIST_EVENTS), (name, cls.ACTION)
            checked.add(cls.ACTION)
    assert checked >= {"SIPpeers", "SIPpeerstatus", "Status", "CoreShowChannels", "DBGet"}
    assert "PJSIPShowEndpoints" in checked
