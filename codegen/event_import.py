"""``python -m codegen import-docs ... --events``: event specs from the documentation XML.

The facts of each ``<managerEvent>`` over the releases given (``codegen.docs``): the
releases that document it, its read class (``EVENT_FLAG_CALL`` is ``call``), its headers in
the newest release's order, each with the releases that have it when not all do, its
enumerated values, and its snapshot blocks by prefix. The blocks' own headers come from
``codegen/snapshots.json`` (``doc/appdocsxml.xslt`` of the sources) into
``snapshots/Channel.yaml`` and ``snapshots/Bridge.yaml``. A new header gets the kind
``codegen.docs.header_kind`` proposes (a duration its unit from the words of its
description); what a spec already says is kept: summaries (none is made up), attribute
names, kinds, units, values Asterisk sends beyond the documented ones, a read class the
documentation misnames. Specs marked ``documented: false`` (written from the sources and
recordings) and ``curated: true`` are left alone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from codegen import EVENT_SPECS_DIR
from codegen.docs import DocParam, DocSet, header_kind
from codegen.events import READ_CLASSES, RESERVED_HEADER_NAMES, load_block_text, load_event_text
from codegen.importer import FIELD_ORDER, _emit
from codegen.naming import attribute_name
from codegen.snapshots import Blocks, load_snapshots

__all__ = ["import_event", "import_blocks", "run_event_import"]

EVENT_ORDER = (
    "event",
    "summary",
    "description",
    "documented",
    "curated",
    "module",
    "read_class",
    "available_in",
    "any_headers",
    "snapshots",
    "headers",
)
HEADER_ORDER = FIELD_ORDER
SNAPSHOT_ORDER = ("block", "prefix", "name", "available_in")
_KINDS = {"int": "integer", "bool": "boolean"}  # header_kind's names in the specs' words
BLOCK_NAMES = {"channel": "Channel", "bridge": "Bridge"}
_SUMMARIES = {
    "Channel": "The headers of a channel, as the events that concern one write them.",
    "Bridge": "The headers of a bridge, as the events that concern one write them.",
}


def read_class_of(flag: str) -> str | None:
    """``EVENT_FLAG_CALL`` → ``call``; None for a flag manager.c does not have."""
    name = flag.removeprefix("EVENT_FLAG_").lower()
    return name if name in READ_CLASSES else None


def duration_unit(param: DocParam) -> str:
    """The unit a duration's description gives: ms, us, H:MM:SS text, or seconds."""
    text = param.text.lower()
    if "hh:mm:ss" in text:
        return "hms"
    if "milli" in text or param.name.endswith("Ms"):
        return "ms"
    if "micro" in text or param.name.endswith("Usec"):
        return "us"
    return "s"


def _header(
    param: DocParam, majors: Sequence[str], all_majors: Sequence[str], old: dict[str, Any] | None
) -> dict[str, Any]:
    """One header's spec entry: the docs' facts, what ``old`` says kept."""
    entry: dict[str, Any] = {"header": param.name}
    if old is not None and old.get("header", "").lower() == param.name.lower():
        entry["header"] = old["header"]
    if old is not None and "name" in old:
        entry["name"] = old["name"]
    else:
        name = attribute_name(param.name)
        if name in RESERVED_HEADER_NAMES and name != "action_id":
            entry["name"] = name + "_"
    proposed = header_kind(param)
    kind = old.get("kind", "string") if old is not None else _KINDS.get(proposed, proposed)
    if kind != "string":
        entry["kind"] = kind
    if kind == "enum":
        values = list(param.values)
        extra = [v for v in (old or {}).get("choices", ()) if v not in values]
        entry["choices"] = values + extra if values else list((old or {}).get("choices", ()))
    if kind == "duration":
        entry["unit"] = (old or {}).get("unit") or duration_unit(param)
    if old is not None and old.get("doc"):
        entry["doc"] = old["doc"]
    if list(majors) != list(all_majors):
        entry["available_in"] = list(majors)
    return entry


def _releases(docsets: Sequence[DocSet], name: str) -> list[tuple[str, Any]]:
    return [(d.major or "", d.events[name]) for d in docsets if name in d.events]


def import_event(
    name: str, docsets: Sequence[DocSet], old: dict[str, Any] | None
) -> tuple[dict[str, Any], list[str]]:
    """The spec data of event ``name`` from the files that document it (oldest first),
    merged with ``old``; and notes of what could not be mapped."""
    old = old or {}
    notes: list[str] = []
    having = _releases(docsets, name)
    majors = [m for m, _ in having]
    spec: dict[str, Any] = {"event": name}
    for key in ("summary", "description"):
        if old.get(key):
            spec[key] = old[key]
    module = next((e.module for _, e in reversed(having) if e.module), "")
    if module:
        spec["module"] = module
    classes = [c for _, e in reversed(having) for c in e.read_classes]
    known = [read_class_of(c) for c in classes]
    if old.get("read_class"):
        spec["read_class"] = old["read_class"]
    elif known and known[0] is not None:
        spec["read_class"] = known[0]
    else:
        notes.append(f"unmapped {name}: read class {classes[:1]} is no class of manager.c")
    spec["available_in"] = majors
    if old.get("any_headers"):
        spec["any_headers"] = True
    old_snapshots = {(s.get("block"), s.get("prefix", "")): s for s in old.get("snapshots") or []}
    snapshots: dict[tuple[str, str], list[str]] = {}
    for major, event in having:
        for ref in event.snapshots:
            snapshots.setdefault((BLOCK_NAMES[ref.block], ref.prefix), []).append(major)
    if snapshots:
        spec["snapshots"] = []
        for (block, prefix), with_it in snapshots.items():
            entry: dict[str, Any] = {"block": block}
            if prefix:
                entry["prefix"] = prefix
                kept = old_snapshots.get((block, prefix), {})
                if "name" in kept:
                    entry["name"] = kept["name"]
            if with_it != majors:
                entry["available_in"] = with_it
            spec["snapshots"].append(entry)
    old_headers = {str(h.get("header", "")).lower(): h for h in old.get("headers") or []}
    found: dict[str, tuple[DocParam, list[str]]] = {}
    for major, event in reversed(having):  # the newest release first: its order, its words
        for param in event.params:
            entry_for = found.setdefault(param.name.lower(), (param, []))
            entry_for[1].insert(0, major)
    headers = []
    for key, (param, with_it) in found.items():
        if not attribute_name(param.name).isidentifier() and "name" not in old_headers.get(key, {}):
            notes.append(f"unmapped {name}.{param.name}: no attribute; give it a 'name:'")
            continue
        headers.append(_header(param, with_it, majors, old_headers.get(key)))
    documented = {h["header"].lower() for h in headers}
    # headers the docs lack that a spec adds (StatusComplete's EventList...), kept
    headers += [h for k, h in old_headers.items() if k not in documented and k not in found]
    spec["headers"] = headers
    return spec, notes


def import_blocks(blocks: Blocks, old: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The specs of the snapshot blocks (``{"Channel": data}``) from ``snapshots.json``."""
    out = {}
    for key, headers in blocks.items():
        block = BLOCK_NAMES[key]
        previous = old.get(block, {})
        by_header = {str(h.get("header", "")).lower(): h for h in previous.get("headers") or []}
        out[block] = {
            "snapshot": block,
            "summary": previous.get("summary") or _SUMMARIES[block],
            "headers": [_header(h, [], [], by_header.get(h.name.lower())) for h in headers],
        }
    return out


def dump_event_spec(data: dict[str, Any]) -> str:
    """The YAML of an event or block spec: keys in a fixed order, versions quoted."""
    lines: list[str] = []
    order = EVENT_ORDER if "event" in data else ("snapshot", "summary", "headers")
    for key in [k for k in order if k in data]:
        value = data[key]
        if key in ("headers", "snapshots"):
            lines.append(f"{key}:" if value else f"{key}: []")
            for item in value:
                _emit(
                    item,
                    HEADER_ORDER if key == "headers" else SNAPSHOT_ORDER,
                    4,
                    lines,
                    lead="  - ",
                )
        else:
            _emit({key: value}, order, 0, lines)
    text = "\n".join(lines) + "\n"
    if yaml.safe_load(text) != _as_read(data):
        raise AssertionError(f"spec of {data.get('event')} does not read back as written")
    return text


def _as_read(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as YAML reads it back (versions as text)."""

    def fix(item: Any) -> Any:
        if isinstance(item, dict):
            return {
                k: [str(v) for v in val] if k == "available_in" else fix(val)
                for k, val in item.items()
            }
        if isinstance(item, list):
            return [fix(v) for v in item]
        return item

    return fix(data)  # type: ignore[no-any-return]


def _old(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    if not path.exists():
        return None, None
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}, text


def run_event_import(
    docsets: Sequence[DocSet],
    names: Sequence[str],
    out_dir: Path = EVENT_SPECS_DIR,
    *,
    check: bool = False,
    report: Callable[[str], Any] = print,
) -> int:
    """Import events ``names`` and the snapshot blocks into ``out_dir``; report each spec
    and everything not mapped. Returns the number of files written (or, with ``check``,
    that would be)."""
    written = 0
    blocks_dir = out_dir / "snapshots"
    old_blocks = {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        for p in sorted(blocks_dir.glob("*.yaml"))
    }
    block_specs = {}
    for block, data in import_blocks(load_snapshots(), old_blocks).items():
        text = dump_event_spec(data)
        path = blocks_dir / f"{block}.yaml"
        parsed, errors = load_block_text(text, str(path))
        for error in errors:
            report(f"invalid  {error}")
        if parsed is not None:
            block_specs[block] = parsed
        written += _write(path, text, check, report, f"snapshot {block}")
    for name in names:
        path = out_dir / f"{name}.yaml"
        old, old_text = _old(path)
        if old is not None and (old.get("curated") or old.get("documented") is False):
            report(f"kept     {name}: {'curated' if old.get('curated') else 'undocumented'}")
            continue
        spec, notes = import_event(name, docsets, old)
        for note in notes:
            report(note)
        if "read_class" not in spec:
            continue
        text = dump_event_spec(spec)
        _parsed, errors = load_event_text(text, str(path), block_specs)
        for error in errors:
            report(f"invalid  {error}")
        if errors:
            continue
        written += _write(path, text, check, report, name, old_text)
    return written


def _write(
    path: Path,
    text: str,
    check: bool,
    report: Callable[[str], Any],
    what: str,
    old: str | None = None,
) -> int:
    if old is None and path.exists():
        old = path.read_text(encoding="utf-8")
    if text == old:
        report(f"same     {what}")
        return 0
    report(f"{'would' if check else 'wrote'}    {what}: {'new' if old is None else 'updated'}")
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return 1


def main(args: Any, docsets: Sequence[DocSet]) -> int:
    """``import-docs --events NAMES|all`` (``codegen.importer.main`` reads the options)."""
    known = sorted(set().union(*(d.events for d in docsets)))
    if args.events.strip().lower() == "all":
        names = known
    else:
        folded = {n.lower(): n for n in known}
        names = [n.strip() for n in args.events.split(",") if n.strip()]
        unknown = [n for n in names if n.lower() not in folded]
        if unknown:
            print(f"not in the documentation: {', '.join(unknown)}", file=sys.stderr)
            return 2
        names = [folded[n.lower()] for n in names]
    out = args.out or EVENT_SPECS_DIR
    count = run_event_import(docsets, names, out, check=args.check)
    print(
        f"{len(names)} events, {count} specs {'would change' if args.check else 'written'} in {out}"
    )
    return 1 if args.check and count else 0
