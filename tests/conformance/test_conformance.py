"""Every generated action against Asterisk's documentation, through the committed tables.

``asterisk-<version>.json`` hold the names, required flags and closed enumerations of every
documented manager action of Asterisk 16.30.1, 18.26.4, 20.20.1, 21.12.3, 22.10.1 and 23.4.1
(``python -m codegen doc-table``); ``test_docs_tables.py`` checks them against the XML files
when those are at hand. Here, without any XML, for each release: the actions it has, and of
each action the fields it has (``available_in``), their header names (any case), required
flags (``required_in``) and enumerated values (``choices_in``) agree with its table, except
the differences listed with their reasons in ``specs/deviations.yaml``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import release_table
import yaml
from conftest import all_fixtures, load_fixture

from codegen import ROOT, SPECS_DIR
from codegen.docs import table_digest
from codegen.importer import PLACEHOLDER, params_of_info
from codegen.spec import load_specs
from sdk.actions import ACTIONS
from sdk.model.fields import FieldInfo
from sdk.model.kinds import ENUM, kind_of
from sdk.wire.message import Event, Response
from sdk.wire.parser import Parser

HERE = Path(__file__).parent
VERSIONS = ("16.30.1", "18.26.4", "20.20.1", "21.12.3", "22.10.1", "23.4.1")
MAJORS = tuple(v.split(".")[0] for v in VERSIONS)
MAINTENANCE = ("PJSIPSetMaintenance", "PJSIPShowMaintenance")  # 20, 22, 23: not in 21
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
    return yaml.safe_load((ROOT / "specs" / "deviations.yaml").read_text(encoding="utf-8"))


def fields_in(name: str, major: str) -> list[FieldInfo]:
    """The fields of the class that Asterisk ``major`` has (``available_in``)."""
    cls = ACTIONS[name]
    return [info for _, info in cls.fields() if major in info.majors(cls.AVAILABLE_IN)]


def documented(name: str, major: str) -> dict[str, tuple[str, bool]]:
    """The class's fields in ``major`` as its documentation would name them:
    {folded: (name, required in that release)}."""
    out: dict[str, tuple[str, bool]] = {}
    for info in fields_in(name, major):
        for param, required in params_of_info(info):
            if info.required_in:
                required = info.required_by(major)
            out[param.lower()] = (param, required)
    return out


def differences(name: str, major: str, params: dict[str, bool]) -> set[tuple[str, ...]]:
    """``(action, header, difference, docs, spec)`` for each way the class differs."""
    ours = documented(name, major)
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


def listed(major: str) -> set[tuple[str, ...]]:
    """The deviations of ``major``: an entry holds in the releases it names (``releases:``),
    or in every release that documents its action."""
    out = set()
    for entry in deviations():
        if entry["difference"] == "kind" or major not in entry.get("releases", MAJORS):
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


def test_the_specs_cover_exactly_the_169_actions() -> None:
    wanted = (HERE / "actions.txt").read_text(encoding="utf-8").split()
    assert len(wanted) == 167  # the names of 20 and 22; 16 to 23 add the two Maintenance ones
    assert sorted(ACTIONS) == sorted([*wanted, *MAINTENANCE])
    assert len(ACTIONS) == 169
    names = set().union(*(table(v)["actions"] for v in VERSIONS))
    assert names == set(ACTIONS)  # every action of every release, and nothing else
    assert all(ACTIONS.canonical(name) == name for name in ACTIONS)  # spelt as Asterisk does


@pytest.mark.parametrize("version", VERSIONS)
def test_header_names_and_required_flags_agree_with_the_documentation(version: str) -> None:
    major = version.split(".")[0]
    documented_actions = table(version)["actions"]
    found: set[tuple[str, ...]] = set()
    for name in ACTIONS:
        if name in documented_actions:
            found |= differences(name, major, documented_actions[name])
    expected = {d for d in listed(major) if d[0] in documented_actions}
    unlisted = sorted(found - expected)
    stale = sorted(expected - found)
    assert not unlisted, (
        f"differences from the {version} docs not in specs/deviations.yaml: {unlisted}"
    )
    assert not stale, f"specs/deviations.yaml lists differences that no longer exist: {stale}"


@pytest.mark.parametrize("version", VERSIONS)
def test_enumerated_values_agree_with_the_documentation_release_by_release(version: str) -> None:
    """An enum field takes in each release the values that release documents (``choices_in``
    where they differ from ``choices``); a closed list of the docs is an enum field, unless
    ``specs/deviations.yaml`` says why not (``kind``)."""
    major = version.split(".")[0]
    kinds = {(d["action"], d["header"].lower()) for d in deviations() if d["difference"] == "kind"}
    wrong = []
    for name, params in table(version).get("values", {}).items():
        fields = {info.header.lower(): info for info in fields_in(name, major)}
        for param, values in params.items():
            info = fields.get(param.lower())
            if info is None or (name, param.lower()) in kinds:
                continue
            if kind_of(info.kind) is not ENUM:
                wrong.append((name, param, "not an enum"))
            elif sorted(info.choices_of(major)) != sorted(values):
                wrong.append((name, param, info.choices_of(major), values))
    assert not wrong, f"values that differ from the {version} docs: {wrong}"


def test_the_listed_kind_differences_still_hold_and_every_entry_has_a_reason() -> None:
    for entry in deviations():
        assert entry.get("reason", "").strip(), entry
        assert entry["difference"] in ("spelling", "required", "missing", "kind"), entry
        assert entry["action"] in ACTIONS, entry
        assert set(entry.get("releases", ())) <= set(MAJORS), entry
        if entry["difference"] == "kind":
            kinds = {i.header.lower(): i.kind for _, i in ACTIONS[entry["action"]].fields()}
            assert kinds.get(entry["header"].lower()) == entry["spec"], entry


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_says_which_asterisk_versions_have_it(name: str) -> None:
    cls = ACTIONS[name]
    having = tuple(m for v, m in zip(VERSIONS, MAJORS, strict=True) if name in table(v)["actions"])
    assert cls.AVAILABLE_IN == having
    if having[-1] != MAJORS[-1]:  # gone by the newest: say when it left, and what to use
        assert cls.REMOVED_IN == MAJORS[MAJORS.index(having[-1]) + 1], name
    else:
        assert not cls.REMOVED_IN, name
    if cls.REPLACED_BY:
        assert cls.REPLACED_BY in ACTIONS and MAJORS[-1] in ACTIONS[cls.REPLACED_BY].AVAILABLE_IN
    for _, info in cls.fields():  # a field's releases are some of its action's
        assert set(info.majors(cls.AVAILABLE_IN)) <= set(having), (name, info.header)


def test_what_came_in_18_and_left_in_21_and_sipnotify_names_pjsipnotify() -> None:
    gone = {n for n in ACTIONS if "23" not in ACTIONS[n].AVAILABLE_IN}
    assert gone == {
        n
        for n in ACTIONS
        if n.startswith(("SIP", "SKINNY"))
        or n in ("Monitor", "StopMonitor", "ChangeMonitor", "PauseMonitor", "UnpauseMonitor")
    }
    assert len(gone) == 15
    not_in_21 = {n for n in ACTIONS if "21" not in ACTIONS[n].AVAILABLE_IN}
    assert not_in_21 == gone | set(MAINTENANCE) and len(not_in_21) == 17
    new_in_18 = {n for n in ACTIONS if ACTIONS[n].AVAILABLE_IN[0] == "18"}
    assert len(new_in_18) == 8 and "PJSIPHangup" in new_in_18
    assert ACTIONS["SIPnotify"].REPLACED_BY == "PJSIPNotify"


def test_the_committed_tables_are_as_doc_table_wrote_them() -> None:
    """A hand edit of a table (to make a difference pass, say) shows as a digest mismatch."""
    for version in VERSIONS:
        data = table(version)
        assert data["asterisk"] == version
        assert table_digest(data["actions"]) == data["table_sha256"]
        assert table_digest({k: data[k] for k in ("modules", "values")}) == data["details_sha256"]
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


def test_the_release_table_of_the_closing_note() -> None:
    """``release_table.py``'s table, from the generated classes: the actions of each release
    and the fields that differ from the release before (MixMonitor's options/Options of 16
    and 18 is a spelling, one field for us: ``deviations.yaml``)."""
    rows = {major: (count, changed) for major, count, changed in release_table.rows()}
    assert {m: count for m, (count, _) in rows.items()} == {
        m: len(table(v)["actions"]) for v, m in zip(VERSIONS, MAJORS, strict=True)
    }
    assert [count for count, _ in rows.values()] == [159, 167, 169, 152, 154, 154]
    changed = {m: {entry.split(".")[0] for entry in rows[m][1]} for m in MAJORS}
    assert changed["18"] == {
        "AOCMessage",
        "Filter",
        "Login",
        "ModuleLoad",
        "Originate",
        "PJSIPNotify",
        "Park",
        "QueueChangePriorityCaller",
    }
    assert rows["20"][1] == ["QueueAdd.Reason (new)"]
    assert changed["21"] == changed["22"] == changed["23"] == set()
    assert "PJSIPNotify.Option (new)" in rows["18"][1]
    assert "PJSIPNotify.Variable (optional)" in rows["18"][1]
    assert "ModuleLoad.LoadType (+refresh)" in rows["18"][1]
