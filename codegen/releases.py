"""Actions and events across Asterisk releases: one view, keyed by major.

Each documentation file tells what one release has (``codegen.docs``); its table
(``table_document``, ``event_table_document``, committed in ``tests/conformance/``) keeps
those facts. This module puts the tables of several releases side by side: for each action,
the majors that document it, and for each of its parameters the majors that have it, its
spelling, required flag and enumerated values in each; for each event, its read classes,
snapshot blocks and headers the same way. A release is a major (``"16"`` ... ``"23"``): the
docs say what its documented minor has.

The module of an action is the one the newest release names: the files of 16, 18 and 21
name almost none (their doc generator did not write ``module=``), and every action they
document is also in 20, 22 or 23, which do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from codegen.docs import _version_key, table_digest

__all__ = [
    "ActionReleases",
    "EventReleases",
    "HeaderReleases",
    "actions_by_release",
    "events_by_release",
    "load_tables",
    "major_of",
]


def major_of(version: str) -> str:
    """``20.20.1`` → ``20``."""
    return str(version).split(".")[0]


@attrs.frozen
class HeaderReleases:
    """One parameter of an action, or header of an event, across releases."""

    name: str  # as the newest release that has it spells it
    spellings: Mapping[str, str]  # major -> the name as that release writes it
    required: Mapping[str, bool | None]  # None: that release's XML does not say
    values: Mapping[str, tuple[str, ...]]  # the majors that enumerate its values

    @property
    def majors(self) -> tuple[str, ...]:
        return tuple(self.spellings)


@attrs.frozen
class ActionReleases:
    """One manager action across releases."""

    name: str
    module: str  # as the newest release that names one writes it; "" if none does
    majors: tuple[str, ...]
    params: tuple[HeaderReleases, ...]  # in the newest order; older-only ones after

    def param(self, name: str) -> HeaderReleases | None:
        """The parameter called ``name`` (any case) in any release, or None."""
        return next((p for p in self.params if p.name.lower() == name.lower()), None)


@attrs.frozen
class EventReleases:
    """One manager event across releases."""

    name: str
    majors: tuple[str, ...]
    read_classes: Mapping[str, tuple[str, ...]]  # major -> read classes as written
    snapshots: Mapping[str, tuple[tuple[str, str], ...]]  # major -> ((block, prefix), ...)
    headers: tuple[HeaderReleases, ...]  # its own headers, snapshot blocks not expanded

    def header(self, name: str) -> HeaderReleases | None:
        return next((h for h in self.headers if h.name.lower() == name.lower()), None)


def _by_major(tables: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(major, table)`` from the oldest release to the newest; one file per major."""
    out: dict[str, Mapping[str, Any]] = {}
    for version in sorted(tables, key=_version_key):
        major = major_of(version)
        if major in out:
            raise ValueError(
                f"two tables for Asterisk {major}: {out[major]['asterisk']}, {version}"
            )
        out[major] = tables[version]
    return list(out.items())


def _headers(
    per_major: Iterable[tuple[str, Mapping[str, bool | None], Mapping[str, list[str]]]],
) -> tuple[HeaderReleases, ...]:
    """Headers put together by name (any case) from ``(major, {name: required}, {name:
    values})``, given from the oldest release to the newest."""
    per_major = list(per_major)
    merged: dict[str, dict[str, dict[str, Any]]] = {}
    for major, required, values in reversed(per_major):  # the newest first sets the order
        for name, flag in required.items():
            entry = merged.setdefault(name.lower(), {"spellings": {}, "required": {}, "values": {}})
            entry["spellings"][major] = name
            entry["required"][major] = flag
            if name in values:
                entry["values"][major] = tuple(values[name])
    order = [m for m, _, _ in per_major]

    def oldest_first(mapping: dict[str, Any]) -> dict[str, Any]:
        return {m: mapping[m] for m in order if m in mapping}

    return tuple(
        HeaderReleases(
            name=next(iter(entry["spellings"].values())),
            spellings=oldest_first(entry["spellings"]),
            required=oldest_first(entry["required"]),
            values=oldest_first(entry["values"]),
        )
        for entry in merged.values()
    )


def actions_by_release(tables: Mapping[str, Mapping[str, Any]]) -> dict[str, ActionReleases]:
    """Every action of the action tables given (``{version: table_document(...)}``)."""
    ordered = _by_major(tables)
    names = sorted(set().union(*(t["actions"] for _, t in ordered)))
    out = {}
    for name in names:
        having = [(m, t) for m, t in ordered if name in t["actions"]]
        modules = [t.get("modules", {}).get(name, "") for _, t in having]
        out[name] = ActionReleases(
            name=name,
            module=next((m for m in reversed(modules) if m), ""),
            majors=tuple(m for m, _ in having),
            params=_headers(
                (m, t["actions"][name], t.get("values", {}).get(name, {})) for m, t in having
            ),
        )
    return out


def events_by_release(tables: Mapping[str, Mapping[str, Any]]) -> dict[str, EventReleases]:
    """Every event of the event tables given (``{version: event_table_document(...)}``)."""
    ordered = _by_major(tables)
    names = sorted(set().union(*(t["events"] for _, t in ordered)))
    out = {}
    for name in names:
        having = [(m, t["events"][name]) for m, t in ordered if name in t["events"]]
        out[name] = EventReleases(
            name=name,
            majors=tuple(m for m, _ in having),
            read_classes={m: tuple(e["read_classes"]) for m, e in having},
            snapshots={
                m: tuple((b, p) for b, prefixes in e["snapshots"].items() for p in prefixes)
                for m, e in having
            },
            headers=_headers((m, e["headers"], e["values"]) for m, e in having),
        )
    return out


def load_tables(directory: Path, suffix: str = "") -> dict[str, dict[str, Any]]:
    """The committed tables ``asterisk-<version><suffix>.json`` of ``directory`` by version
    (``suffix="-events"`` for the event tables), each checked against its digests."""
    tables = {}
    for path in sorted(directory.glob(f"asterisk-*{suffix}.json")):
        version = path.name.removeprefix("asterisk-").removesuffix(f"{suffix}.json")
        if not version.replace(".", "").isdigit():
            continue  # asterisk-20.20.1-events.json when reading the action tables
        table = json.loads(path.read_text(encoding="utf-8"))
        body = table["events"] if "events" in table else table["actions"]
        if table_digest(body) != table["table_sha256"]:
            raise ValueError(f"{path}: its content does not match table_sha256")
        details = {k: table[k] for k in ("modules", "values") if "actions" in table}
        if details and table_digest(details) != table["details_sha256"]:
            raise ValueError(f"{path}: its modules and values do not match details_sha256")
        tables[table["asterisk"]] = table
    return tables
