"""Every event spec against Asterisk's documentation, through the committed event tables.

``asterisk-<version>-events.json`` (six releases, ``python -m codegen doc-table --events``)
hold each documented event's read classes, headers, enumerated values and snapshot blocks;
``codegen/snapshots.json`` the blocks' own headers. Here, without any XML, the specs of
``specs/events`` (and so the classes generated from them) agree with every table: the
releases that document each event and each header, the read class, the headers (any case),
the values of each enumeration, the blocks by prefix. What differs on purpose is listed,
with its reason, in ``specs/deviations.yaml`` (entries with ``event:``); the test fails on
any other difference and on an entry that no longer holds. Then every event of every
recorded session parses into its class with no header its spec lacks and no value that does
not fit its kind. ``test_event_kinds_against_the_xml`` is the one that needs the XML: the
kinds the specs give agree with those ``codegen.docs.header_kind`` proposes, but for the
listed ones.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import NO_DOCS_LINE, all_fixtures, load_fixture

from codegen import EVENT_SPECS_DIR, ROOT
from codegen.docs import header_kind, read_docs
from codegen.event_import import BLOCK_NAMES, duration_unit, read_class_of, run_event_import
from codegen.events import BlockSpec, EventSpec, load_event_specs
from codegen.releases import load_tables, major_of
from codegen.snapshots import load_snapshots
from sdk.events import EVENTS
from sdk.model.event import TypedEvent
from sdk.wire.message import Event
from sdk.wire.parser import Parser

HERE = Path(__file__).parent
DOCS = Path(os.environ.get("AMI_DOCS_DIR") or ROOT.parent / "shared" / "ami" / "docs")
# Headers a recorded event may carry that its spec does not name: none. (Event, Privilege
# and ActionID are every event's; UserEvent carries whatever its sender gave.)
ALLOWED_UNKNOWN: frozenset[tuple[str, str]] = frozenset()

Difference = tuple[str, str, str, str]  # (event, header or prefix, difference, detail)
SHINGLE = 8  # words in a row that count as copied prose


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


@cache
def specs() -> tuple[dict[str, EventSpec], dict[str, BlockSpec]]:
    events, blocks = load_event_specs(EVENT_SPECS_DIR, cite_from=ROOT)
    return {s.event: s for s in events}, {b.block: b for b in blocks}


@cache
def tables() -> dict[str, dict[str, Any]]:
    """``{major: {event: facts}}`` of the six committed tables (digests checked)."""
    return {major_of(v): t["events"] for v, t in load_tables(HERE, "-events").items()}


@cache
def deviations() -> list[dict[str, Any]]:
    entries = yaml.safe_load((ROOT / "specs" / "deviations.yaml").read_text(encoding="utf-8"))
    return [entry for entry in entries if "event" in entry]


def _majors(item: Any, spec: EventSpec) -> tuple[str, ...]:
    return item.available_in or spec.available_in


def _values(found: Iterable[str]) -> str:
    return ",".join(sorted(found))


def differences(spec: EventSpec, having: dict[str, dict[str, Any]]) -> set[Difference]:
    """How ``spec`` differs from what the releases that document its event (``having``,
    ``{major: facts}``, oldest first) say: read class and the presence of each header and
    block in each release; the spelling of the newest release that has a header, and the
    values any release lists."""
    name = spec.event
    found: set[Difference] = set()
    spelt: dict[str, str] = {}
    values: dict[str, set[str]] = {}
    for major, documented in having.items():
        flags = documented["read_classes"]
        if flags and read_class_of(flags[0]) != spec.read_class:
            found.add((name, "", "read_class", flags[0]))
        ours = {h.header.lower(): h for h in spec.headers if major in _majors(h, spec)}
        theirs = {h.lower(): h for h in documented["headers"]}
        for key in ours.keys() - theirs.keys():
            found.add((name, ours[key].header, "missing", "docs lack it"))
        for key in theirs.keys() - ours.keys():
            found.add((name, theirs[key], "missing", "the spec lacks it"))
        for key, docs_name in theirs.items():
            spelt[key] = docs_name  # the newest release's spelling wins
            values.setdefault(key, set()).update(documented["values"].get(docs_name, ()))
        ours_blocks = {(r.block, r.prefix) for r in spec.snapshots if major in _majors(r, spec)}
        theirs_blocks = {
            (BLOCK_NAMES[block], prefix)
            for block, prefixes in documented["snapshots"].items()
            for prefix in prefixes
        }
        for block, prefix in ours_blocks ^ theirs_blocks:
            side = "docs lack it" if (block, prefix) in ours_blocks else "the spec lacks it"
            found.add((name, f"{block} {prefix!r}", "snapshot", side))
    headers = {h.header.lower(): h for h in spec.headers}
    for key, docs_name in spelt.items():
        header = headers.get(key)
        if header is None:
            continue
        if header.header != docs_name:
            found.add((name, header.header, "spelling", docs_name))
        if header.kind.name == "enum":
            added = set(header.info.choices) - values[key]
            lacking = values[key] - set(header.info.choices)
            if added:
                found.add((name, header.header, "values", "+" + _values(added)))
            if lacking:
                found.add((name, header.header, "values", "-" + _values(lacking)))
        elif values[key] and header.kind.name != "boolean":
            found.add((name, header.header, "kind", header.kind.name))
    return found


def all_differences() -> set[Difference]:
    events, _blocks = specs()
    found: set[Difference] = set()
    for name in sorted(set().union(*tables().values())):
        having = {m: table[name] for m, table in tables().items() if name in table}
        spec = events.get(name)
        if spec is None:
            found.add((name, "", "no spec", _values(having)))
            continue
        if set(having) != set(spec.available_in):
            found.add((name, "", "releases", _values(having)))
        found |= differences(spec, having)
    for spec in events.values():
        if not spec.documented:
            found.add((spec.event, "", "undocumented", ""))
            if any(spec.event in table for table in tables().values()):
                found.add((spec.event, "", "documented after all", ""))
        if spec.any_headers:
            found.add((spec.event, "", "any headers", ""))
    return found


def listed() -> set[Difference]:
    return {
        (entry["event"], entry.get("header", ""), entry["difference"], str(entry.get("docs", "")))
        for entry in deviations()
    }


def test_the_event_specs_agree_with_the_six_tables_but_for_the_listed_deviations() -> None:
    found = all_differences()
    words = {d for d in listed() if d[2] in ("kind", "meaning")}  # not in the tables
    unlisted = sorted(found - listed())
    stale = sorted((listed() - words) - found)
    assert not unlisted, f"differences from the docs not in specs/deviations.yaml: {unlisted}"
    assert not stale, f"specs/deviations.yaml lists differences that no longer exist: {stale}"


def test_every_event_deviation_has_a_reason_and_its_kind_holds() -> None:
    events, _blocks = specs()
    for entry in deviations():
        assert entry.get("reason", "").strip(), entry
        assert entry["event"] in events, entry
        if entry["difference"] in ("kind", "meaning"):
            headers = {h.header.lower(): h for h in events[entry["event"]].headers}
            header = headers[entry["header"].lower()]
            assert header.kind.name == entry["spec"], entry
            if "unit" in entry:
                assert header.info.unit == entry["unit"], entry


def test_185_documented_events_and_41_written_from_the_sources() -> None:
    events, blocks = specs()
    per_major = {m: len(t) for m, t in tables().items()}
    assert per_major == {"16": 169, "18": 171, "20": 185, "21": 180, "22": 181, "23": 181}
    documented = {n for n, s in events.items() if s.documented}
    assert documented == set().union(*tables().values()) and len(documented) == 185
    assert len(events) - len(documented) == 41
    assert set(EVENTS) == set(events)  # the generated registry: every spec, no other
    assert sorted(blocks) == ["Bridge", "Channel"]
    committed = load_snapshots()
    for key, block in blocks.items():
        names = [h.header for h in block.headers]
        assert names == [h.name for h in committed[key.lower()]]  # the stylesheet's, in order


def test_every_list_event_the_action_specs_name_has_an_event_spec() -> None:
    events, _blocks = specs()
    for path in sorted((ROOT / "specs" / "actions").glob("*.yaml")):
        response = yaml.safe_load(path.read_text(encoding="utf-8")).get("response") or {}
        named = [*response.get("list_events", ()), response.get("list_complete")]
        assert {n for n in named if n} <= set(events), path.name


def _recorded() -> list[tuple[str, str, Event]]:
    """``(version, fixture, event)`` of every event of every recorded session, as the
    session's parser builds them."""
    out = []
    for version, name in all_fixtures():
        parser = Parser(event_type=EVENTS.type_of)
        for exchange in load_fixture(name, version)["exchanges"]:
            for message in parser.feed(exchange.get("recv", "").encode()):
                if isinstance(message, Event):
                    out.append((version, name, message))
    return out


def test_every_recorded_event_parses_into_its_class_with_nothing_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="sdk.events")
    recorded = _recorded()
    names = {event.name for _, _, event in recorded}
    assert {"PeerEntry", "PeerStatus", "OriginateResponse", "EndpointList", "UserEvent"} <= names
    unknown = set()
    for version, fixture, event in recorded:
        assert isinstance(event, TypedEvent), (version, fixture, event.name)
        major = version.split(".")[0]
        assert not event.AVAILABLE_IN or major in event.AVAILABLE_IN, (fixture, event.name)
        event.values()  # every typed attribute read
        event.to_json()
        for header, _value in event.unknown_headers():
            unknown.add((event.name, header))
    assert unknown <= ALLOWED_UNKNOWN, sorted(unknown - ALLOWED_UNKNOWN)
    misfits = [r.getMessage() for r in caplog.records if r.name == "sdk.events"]
    assert not misfits, misfits


def test_event_specs_against_the_xml(tmp_path: Path, report_line: Callable[[str], None]) -> None:
    """With the XML at hand: ``import-docs --events all --check`` over the committed specs
    changes nothing (every fact is the XML's, every word written here kept), no summary
    repeats the XML's prose, and each header's kind and unit is the one ``header_kind`` and
    the header's words propose (what the importer gives a new header), but for the kinds
    ``specs/deviations.yaml`` lists."""
    paths = sorted(DOCS.glob("asterisk-*-core-en_US.xml"))
    if len(paths) < 6:
        if os.environ.get("AMI_DOCS_REQUIRED"):
            pytest.fail(f"AMI_DOCS_REQUIRED is set, but the documentation XML is not in {DOCS}")
        report_line(NO_DOCS_LINE)
        return
    docsets = sorted(
        (read_docs(p) for p in paths), key=lambda d: [int(x) for x in (d.version or "0").split(".")]
    )
    copy = tmp_path / "events"
    shutil.copytree(EVENT_SPECS_DIR, copy)
    names = sorted(set().union(*(d.events for d in docsets)))
    report: list[str] = []
    assert run_event_import(docsets, names, copy, check=True, report=report.append) == 0, report
    assert not [line for line in report if line.startswith(("unmapped", "invalid"))], report
    events, _blocks = specs()
    prose = " ".join(
        p.text + " " + i.synopsis
        for d in docsets
        for e in d.events.values()
        for i in e.instances
        for p in i.params
    )
    theirs = _shingles(prose)
    copied = [
        s.event for s in events.values() if _shingles(s.summary + " " + s.description) & theirs
    ]
    assert not copied, f"summaries that repeat the documentation's prose: {copied}"
    kinds = {"int": "integer", "bool": "boolean"}
    found = set()
    for spec in events.values():
        params = {}
        for docs in docsets:  # the newest release's words win, as the importer reads them
            if spec.event in docs.events:
                params.update({p.name.lower(): p for p in docs.events[spec.event].params})
        for header in spec.headers:
            param = params.get(header.header.lower())
            if param is None:
                continue
            proposed = kinds.get(header_kind(param), header_kind(param))
            if proposed != header.kind.name:
                found.add((spec.event, header.header, "kind", proposed))
            elif proposed == "duration" and duration_unit(param) != header.info.unit:
                found.add((spec.event, header.header, "kind", f"duration ({duration_unit(param)})"))
    listed_kinds = {d for d in listed() if d[2] == "kind"}
    assert found <= listed_kinds, sorted(found - listed_kinds)
    assert not listed_kinds - found, sorted(listed_kinds - found)
