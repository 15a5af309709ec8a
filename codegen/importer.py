"""``python -m codegen import-docs``: action specs from Asterisk's documentation XML.

The XML gives facts: header names, required flags, enumerations, defaults, the module, the
versions. Those are what the importer writes. Words are ours: a summary, description or doc
already in a spec is kept as it is, and a new spec gets a placeholder summary (the XML's own
prose goes into specs only with ``--keep-docs``, for people importing their own Asterisk's
documentation). What the XML does not say is kept from the existing spec too: attribute
names, kinds other than enumerations (integer, boolean, variables...), ``removed_in``,
``replaced_by``, ``privilege``, the success message, list events it does not name.

A spec with ``curated: true`` is maintained by hand: the importer does not write it unless
``--force`` is given, and says so, listing where the documentation differs from it.

Patterned parameters become fields of their own kinds instead of being dropped:
``Name-000000`` and ``Name(0)`` become groups of kind ``indexed`` (one per pattern), and
``Header1`` with ``HeaderN`` a field of kind ``headers`` (any header name). Every parameter
that maps to nothing is reported.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import yaml

from codegen import SPECS_DIR
from codegen.docs import (
    DocAction,
    DocParam,
    DocSet,
    _version_key,
    event_table_document,
    read_docs,
    table_document,
)
from codegen.naming import attribute_name
from codegen.releases import ActionReleases, HeaderReleases, actions_by_release
from codegen.spec import load_spec_text
from sdk.model.checks import HEADER_NAME
from sdk.model.fields import FieldInfo
from sdk.model.kinds import RELEASE_FACTS, kind_of

__all__ = [
    "PLACEHOLDER",
    "params_of_info",
    "dump_spec",
    "import_action",
    "main",
    "table_main",
]

PLACEHOLDER = "no summary written yet"
WIDTH = 92  # folded text is wrapped at this column

_ZERO_PADDED = re.compile(r"(?P<member>.+)-(?P<index>0{2,})")  # Action-000000
_PARENTHESIZED = re.compile(r"(?P<member>.+)\((?P<index>\d+)\)")  # UnitAmount(0)
_NUMBERED = re.compile(r"(?P<stem>.+?)(?P<n>\d+|N)")  # Header1 ... HeaderN

TOP_ORDER = (
    "action",
    "summary",
    "curated",
    "description",
    "module",
    "since",
    "removed_in",
    "privilege",
    "available_in",
    "replaced_by",
    "fields",
    "response",
    "rules",
)
# A field's keys as the specs write them: its name, then FieldInfo's facts in their order.
FIELD_ORDER = ("header", "name", *(f.name for f in attrs.fields(FieldInfo) if f.name != "header"))
RESPONSE_ORDER = ("success_message", "list_events", "list_complete")
_KEPT_FIELD_KEYS = ("name", "doc", "min_items", "name_rule", "secret")
_VERSION_LISTS = ("available_in", "required_in")  # lists of versions, written quoted
_FACT_NAMES = frozenset(f.name for f in attrs.fields(FieldInfo)) - {"members"}
_PROSE_KEYS = ("summary", "description", "doc")


# --- what a field stands for in the documentation -------------------------------------------


def params_of_info(info: FieldInfo) -> list[tuple[str, bool]]:
    """The documentation's ``(parameter, required)`` that one field stands for, by its kind
    (``sdk.model.kinds``): a plain field is its header; a ``headers`` field (any header
    name) is what the docs write ``Header1`` and ``HeaderN``; an ``indexed`` group is each
    member's header at the first index (``Action-000000``, ``UnitAmount(0)``), required only
    when the group is."""
    return kind_of(info.kind).documented(info)


# --- from the documentation's parameters to fields --------------------------------------------


def _pattern_of(name: str) -> tuple[str, str, int] | None:
    """``(pattern, member, start)`` of a numbered parameter, or None."""
    match = _ZERO_PADDED.fullmatch(name)
    if match:
        width = len(match["index"])
        return "{member}-{index:0" + str(width) + "d}", match["member"], int(match["index"])
    match = _PARENTHESIZED.fullmatch(name)
    if match:
        return "{member}({index})", match["member"], int(match["index"])
    return None


def _free_header_stems(params: Sequence[DocParam]) -> set[str]:
    """Stems documented as ``Stem1`` ... ``StemN``: placeholders for any header name."""
    numbered: dict[str, set[str]] = {}
    for param in params:
        match = _NUMBERED.fullmatch(param.name)
        if match:
            numbered.setdefault(match["stem"], set()).add(match["n"])
    return {stem for stem, ns in numbered.items() if "N" in ns and ns - {"N"}}


def _plain_field(param: DocParam, old: dict[str, Any] | None, keep_docs: bool) -> dict[str, Any]:
    field: dict[str, Any] = {"header": param.name}
    if old is not None and old.get("header", "").lower() == param.name.lower():
        field["header"] = old["header"]  # the same name in a spelling someone chose
    if param.closed:
        field["kind"] = "enum"
        field["choices"] = list(param.values)
    elif old is not None and old.get("kind", "string") != "string" and not param.values:
        # a type the docs do not express (integer, boolean, variables, choices they omit)
        field["kind"] = old["kind"]
        if "choices" in old:
            field["choices"] = list(old["choices"])
    if param.default is not None:
        field["default"] = param.default
    _keep(field, old, keep_docs, param.text)
    if param.required and kind_of(field.get("kind", "string")).pairs:
        field["min_items"] = max(field.get("min_items", 0), 1)  # how a list is required
    elif param.required:
        field["required"] = True
    return field


def _keep(field: dict[str, Any], old: dict[str, Any] | None, keep_docs: bool, text: str) -> None:
    """Carry over what people wrote (name, doc, min_items...), or the XML prose if asked."""
    for key in _KEPT_FIELD_KEYS:
        if old is not None and key in old:
            field[key] = old[key]
    if "doc" not in field and keep_docs and text:
        field["doc"] = text


def _note_open_values(param: DocParam, where: str, notes: list[str]) -> None:
    """Note that ``param`` lists values that only illustrate a syntax (kept a string)."""
    if param.values and not param.closed:
        notes.append(
            f"note     {where}: its enumeration describes a syntax, not a closed set"
            " of values: written as a string"
        )


def _fields(
    doc: DocAction, old_fields: Sequence[dict[str, Any]], keep_docs: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    """The fields of ``doc`` merged with the old spec's, and notes on what was not mapped."""
    notes: list[str] = []
    by_header = {str(f.get("header", "")).lower(): f for f in old_fields}
    stems = _free_header_stems(doc.params)
    fields: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    done_stems: set[str] = set()
    for param in doc.params:
        where = f"{doc.name}.{param.name}"
        numbered = _NUMBERED.fullmatch(param.name)
        if numbered and numbered["stem"] in stems:
            stem = numbered["stem"]
            if stem not in done_stems:
                done_stems.add(stem)
                old = by_header.get(stem.lower())
                field = {"header": stem, "name": attribute_name(stem) + "s", "kind": "headers"}
                _keep(field, old, keep_docs, param.text)
                fields.append(field)
            continue
        pattern = _pattern_of(param.name)
        if pattern is not None:
            text, member, start = pattern
            group = groups.get(text)
            if group is None:
                old = by_header.get(text.lower())
                group = {
                    "header": text,
                    "name": attribute_name(member) + "_groups",
                    "kind": "indexed",
                    "members": [],
                }
                if start:
                    group["start"] = start
                _keep(group, old, keep_docs, "")
                group["_old_members"] = {
                    str(m.get("header", "")).lower(): m for m in (old or {}).get("members", [])
                }
                groups[text] = group
                fields.append(group)
            _note_open_values(param, where, notes)
            old_member = group["_old_members"].get(member.lower())
            entry = _plain_field(
                DocParam(
                    member, param.required, param.default, param.values, param.closed, param.text
                ),
                old_member,
                keep_docs,
            )
            if param.required:
                group["min_items"] = 1
            group["members"].append(entry)
            continue
        name = attribute_name(param.name)
        if not HEADER_NAME.fullmatch(param.name) or not name.isidentifier():
            notes.append(f"unmapped {where}: {param.name!r} cannot be a header and attribute")
            continue
        _note_open_values(param, where, notes)
        fields.append(_plain_field(param, by_header.get(param.name.lower()), keep_docs))
    for group in groups.values():
        group.pop("_old_members")
    for problem in doc.problems:
        notes.append(f"unmapped {doc.name}: {problem}")
    return fields, notes


# --- what differs between releases -----------------------------------------------------------


def releases_of(docsets: Sequence[DocSet]) -> dict[str, ActionReleases]:
    """Every action of ``docsets`` across their releases (``codegen.releases``)."""
    return actions_by_release({d.version: table_document(d) for d in docsets if d.version})


def _majors_read(docsets: Sequence[DocSet]) -> list[str]:
    return [d.major for d in docsets if d.major is not None]


def action_majors(
    old: dict[str, Any] | None, releases: ActionReleases, read: Sequence[str]
) -> list[str]:
    """The majors that have the action: those of the files read that document it, and those
    the old spec names that no file read tells about."""
    majors = {str(v) for v in (old or {}).get("available_in", ())} - set(read)
    majors |= set(releases.majors)
    return sorted(majors, key=_version_key)


def _info_of(field: dict[str, Any]) -> FieldInfo:
    """The ``FieldInfo`` of a field's data, as the spec loader builds it (members named)."""
    facts = {k: v for k, v in field.items() if k in _FACT_NAMES}
    members = [
        (m.get("name") or attribute_name(str(m["header"])), _info_of(m))
        for m in field.get("members", ())
    ]
    return FieldInfo(**{**facts, "members": members})


def _release_facts(
    field: dict[str, Any],
    old: dict[str, Any] | None,
    releases: ActionReleases,
    read: Sequence[str],
    majors: Sequence[str],
    old_majors: Sequence[str],
    *,
    curated: bool,
) -> None:
    """Write in ``field`` its release facts: the majors that have it, where it is required,
    its values in each; the docs read tell of the majors ``read``, ``old`` (the same field
    in the old spec, whose action had ``old_majors``) of the others. ``majors``: the
    action's. A field no docs have (a deviation of ours) keeps what ``old`` said. The
    choices of an imported enum become every value some release takes; a curated spec's
    stay as written."""
    for key in RELEASE_FACTS:
        field.pop(key, None)
    info = _info_of(field)
    params = [p for name, _ in params_of_info(info) if (p := releases.param(name)) is not None]
    if not params:
        for key in RELEASE_FACTS:
            if old is not None and key in old:
                field[key] = old[key]
        return
    before = _info_of(old) if old is not None else None

    def has(major: str) -> bool:
        if major in read:
            return any(major in p.majors for p in params)
        return before is not None and major in before.majors(tuple(old_majors))

    having = [m for m in majors if has(m)]
    if having != list(majors):
        field["available_in"] = having

    def required(major: str) -> bool:
        if major in read:
            return any(p.required.get(major) for p in params)
        return before is not None and before.required_by(major)

    flags = {m: required(m) for m in having}
    if len(set(flags.values())) > 1:
        field["required_in"] = [m for m, flag in flags.items() if flag]
    if field.get("kind") != "enum":
        return
    values = {m: _values(params[0], m, before) for m in having}
    choices = list(field.get("choices", ()))
    if not curated:
        for listed in values.values():  # every value some release takes
            choices += [v for v in listed if v.lower() not in {c.lower() for c in choices}]
        field["choices"] = choices
    differ = {
        m: list(v)
        for m, v in values.items()
        if {x.lower() for x in v} != {c.lower() for c in choices}
    }
    if differ:
        field["choices_in"] = differ


def _values(param: HeaderReleases, major: str, before: FieldInfo | None) -> tuple[str, ...]:
    """The values of ``param`` in ``major``: its docs' closed list, else what the old spec
    said of that release, else none known (every choice)."""
    if major in param.values:
        return param.values[major]
    return before.choices_of(major) if before is not None else ()


def with_releases(
    spec: dict[str, Any],
    old: dict[str, Any] | None,
    releases: ActionReleases,
    read: Sequence[str],
    *,
    curated: bool = False,
) -> dict[str, Any]:
    """``spec`` with the release facts of the action and each field, from the documentation
    of the majors ``read`` (``releases``) and, for others, from ``old``."""
    out = dict(spec)
    majors = action_majors(old, releases, read)
    if majors:
        out["available_in"] = majors
    old_majors = [str(v) for v in (old or {}).get("available_in", ())]
    by_header = {str(f.get("header", "")).lower(): f for f in (old or {}).get("fields") or []}
    fields = []
    for field in spec.get("fields") or []:
        field = dict(field)
        old_field = by_header.get(str(field["header"]).lower())
        _release_facts(field, old_field, releases, read, majors, old_majors, curated=curated)
        fields.append(field)
    out["fields"] = fields
    return out


# --- one spec --------------------------------------------------------------------------------


def _last_doc(docsets: Sequence[DocSet], name: str) -> DocAction:
    """Action ``name`` as the last documentation file that has it says (that one wins)."""
    return [d for d in docsets if name in d.actions][-1].actions[name]


def import_action(
    name: str,
    docsets: Sequence[DocSet],
    old: dict[str, Any] | None,
    *,
    keep_docs: bool = False,
    releases: ActionReleases | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The spec data for action ``name`` from the documentation files that have it (the last
    one given wins for parameters; one only the older files have comes after), merged with
    ``old``, with the facts of each release (``releases``: ``releases_of(docsets)[name]``,
    computed when not given); and the notes of what was not mapped."""
    doc = _with_older_params(_last_doc(docsets, name), docsets)
    old = old or {}
    spec: dict[str, Any] = {"action": name}
    if old.get("summary") and PLACEHOLDER not in old["summary"]:
        spec["summary"] = old["summary"]
    elif keep_docs and doc.synopsis:
        spec["summary"] = doc.synopsis
    else:
        spec["summary"] = f"The {name} action of {doc.module or 'Asterisk'} ({PLACEHOLDER})."
    if old.get("description"):
        spec["description"] = old["description"]
    elif keep_docs and doc.description:
        spec["description"] = doc.description
    releases = releases or releases_of(docsets)[name]
    spec["module"] = doc.module or releases.module
    since = min(  # the files of 16 and 18 write no <since>: those that do tell
        (v for d in docsets if name in d.actions and (v := d.actions[name].first_version)),
        key=_version_key,
        default="",
    )
    if since:
        spec["since"] = since
    for key in ("removed_in", "privilege"):
        if old.get(key):
            spec[key] = str(old[key])
    if old.get("replaced_by"):
        spec["replaced_by"] = old["replaced_by"]
    fields, notes = _fields(doc, old.get("fields") or [], keep_docs)
    spec["fields"] = fields
    response = dict(old.get("response") or {})
    if doc.list_events:
        response["list_events"] = list(doc.list_events)
    if doc.list_complete:
        response["list_complete"] = doc.list_complete
    if response:
        spec["response"] = {k: response[k] for k in RESPONSE_ORDER if k in response}
    if old.get("rules"):
        spec["rules"] = old["rules"]  # rules across fields are ours: the docs have none
    spec = with_releases(spec, old, releases, _majors_read(docsets))
    return {k: spec[k] for k in TOP_ORDER if k in spec}, notes


def _with_older_params(doc: DocAction, docsets: Sequence[DocSet]) -> DocAction:
    """``doc`` with the parameters that only older files document after its own (each as the
    newest of those files says it), so that a header a release dropped still has a field."""
    params = list(doc.params)
    seen = {p.name.lower() for p in params}
    for docs in reversed(docsets):
        for param in docs.actions[doc.name].params if doc.name in docs.actions else ():
            if param.name.lower() not in seen:
                seen.add(param.name.lower())
                params.append(param)
    return attrs.evolve(doc, params=tuple(params))


def curated_differences(spec_text: str, doc: DocAction) -> list[str]:
    """Where the documentation's names and required flags differ from a curated spec."""
    spec, _errors = load_spec_text(spec_text, doc.name)
    if spec is None:
        return ["the spec does not load"]
    ours = {n.lower(): (n, r) for f in spec.fields for n, r in params_of_info(f.info)}
    theirs = {p.name.lower(): (p.name, p.required) for p in doc.params}
    out = []
    for key, (name, required) in theirs.items():
        if key not in ours:
            out.append(f"docs have {name}{' (required)' if required else ''}")
        elif ours[key][1] != required:
            out.append(f"{name} is {'' if required else 'not '}required in the docs")
    out.extend(f"docs lack {ours[k][0]}" for k in ours if k not in theirs)
    return out


# --- writing YAML ----------------------------------------------------------------------------


def _is_plain(text: str) -> bool:
    if not text or text != text.strip() or "\n" in text or not text.isprintable():
        return False
    try:
        loaded: object = yaml.safe_load(f"k: {text}")
        return loaded == {"k": text}
    except yaml.YAMLError:
        return False


def _scalar(value: Any, column: int, indent: int) -> list[str]:
    """The lines of one scalar value that starts at ``column``; continuation lines at ``indent``."""
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int):
        return [str(value)]
    text = str(value)
    if column + len(text) <= WIDTH and _is_plain(text):
        return [text]
    foldable = text == text.strip() and "\n" not in text and "  " not in text and text.isprintable()
    if foldable and column + len(text) > WIDTH:
        lines, current = [], ""
        for word in text.split(" "):
            if current and indent + len(current) + 1 + len(word) > WIDTH:
                lines.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        lines.append(current)
        return [">-", *(" " * indent + line for line in lines)]
    return [json.dumps(text, ensure_ascii=False)]


def _flow_item(value: Any) -> str:
    text = str(value)
    plain = _is_plain(text) and not any(c in text for c in ",[]{}#")
    return text if plain else json.dumps(text, ensure_ascii=False)


def _emit(
    data: dict[str, Any], order: Sequence[str], indent: int, out: list[str], lead: str | None = None
) -> None:
    """Append the lines of a mapping at ``indent``; ``lead`` replaces the first key's indent
    (``  - `` for an item of a list)."""
    keys = [k for k in order if k in data] + [k for k in data if k not in order]
    for position, key in enumerate(keys):
        start = lead if position == 0 and lead is not None else " " * indent
        prefix = f"{start}{key}:"
        value = data[key]
        if key == "choices_in":  # values by release: keys are versions, quoted
            out.append(prefix)
            for major, values in value.items():
                _emit_list(" " * (indent + 2) + f"{json.dumps(str(major))}:", values, out)
        elif isinstance(value, dict):
            out.append(prefix)
            _emit(value, RESPONSE_ORDER, indent + 2, out)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out.append(prefix)
            for item in value:
                _emit(item, FIELD_ORDER, indent + 4, out, lead=" " * (indent + 2) + "- ")
        elif isinstance(value, list):
            _emit_list(prefix, value, out, versions=key in _VERSION_LISTS)
        else:
            if key in ("since", "removed_in", "default"):
                lines = [json.dumps(str(value))]
            else:
                lines = _scalar(value, len(prefix) + 1, indent + 2)
            out.append(f"{prefix} {lines[0]}")
            out.extend(lines[1:])


def _quoted(value: Any) -> str:
    return json.dumps(str(value))


def _emit_list(prefix: str, value: list[Any], out: list[str], *, versions: bool = False) -> None:
    """Append a list after ``prefix`` (``  key:``): in flow style when it fits, else one item
    a line; versions are quoted, so that ``20`` reads back as the string it is."""
    item: Callable[[Any], str] = _quoted if versions else _flow_item
    flow = "[" + ", ".join(item(v) for v in value) + "]"
    if len(prefix) + 1 + len(flow) <= WIDTH or not value:
        out.append(f"{prefix} {flow}")
    else:
        indent = len(prefix) - len(prefix.lstrip(" -")) + 2
        out.append(prefix)
        out.extend(" " * indent + "- " + item(v) for v in value)


def dump_spec(data: dict[str, Any]) -> str:
    """The YAML text of a spec: keys in a fixed order, long text folded, versions quoted.

    Deterministic; checked to read back as the same data.
    """
    lines: list[str] = []
    _emit(data, TOP_ORDER, 0, lines)
    text = "\n".join(lines) + "\n"
    if yaml.safe_load(text) != _stringify_versions(data):
        raise AssertionError(f"spec of {data.get('action')} does not read back as written")
    return text


def _stringify_versions(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key in ("since", "removed_in"):
        if key in out:
            out[key] = str(out[key])
    for key in _VERSION_LISTS:
        if key in out:
            out[key] = [str(v) for v in out[key]]
    if "choices_in" in out:
        out["choices_in"] = {str(k): list(v) for k, v in out["choices_in"].items()}
    if isinstance(out.get("fields"), list):
        out["fields"] = [
            _stringify_versions(f) if isinstance(f, dict) else f for f in out["fields"]
        ]
    return out


# --- command line ----------------------------------------------------------------------------


def _read_existing(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    if not path.exists():
        return None, None
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}, text


def _describe_change(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    if old is None:
        return "new"
    before = {str(f.get("header")).lower(): f for f in old.get("fields") or []}
    after = {str(f.get("header")).lower(): f for f in new.get("fields") or []}
    parts = [f"+{after[k]['header']}" for k in after if k not in before]
    parts += [f"-{before[k]['header']}" for k in before if k not in after]
    parts += [
        f"{after[k]['header']} changed" for k in after if k in before and after[k] != before[k]
    ]
    for key in ("module", "since", "available_in", "response", "summary"):
        if old.get(key) != new.get(key):
            parts.append(f"{key} changed")
    return "updated: " + (", ".join(parts) or "layout")


def run_import(
    docsets: Sequence[DocSet],
    names: Sequence[str],
    out_dir: Path,
    *,
    keep_docs: bool = False,
    force: bool = False,
    check: bool = False,
    report: Any = print,
) -> int:
    """Import ``names`` into ``out_dir``; report every action and every unmapped parameter.

    The files are read together: each spec gets the facts of every release they document
    (``codegen.releases``). A curated spec gets those release facts only, its other keys
    left as written. Returns the number of spec files that were (or, with ``check``, would
    be) written.
    """
    written = 0
    view = releases_of(docsets)
    read = _majors_read(docsets)
    for name in names:
        if not any(name in docs.actions for docs in docsets):
            report(f"unknown  {name}: not in the documentation given")
            continue
        path = out_dir / f"{name}.yaml"
        old, old_text = _read_existing(path)
        notes: list[str] = []
        curated = old is not None and bool(old.get("curated")) and not force
        if old is not None and curated:
            spec = with_releases(old, old, view[name], read, curated=True)
        else:
            spec, notes = import_action(
                name, docsets, None if force else old, keep_docs=keep_docs, releases=view[name]
            )
        if force and old is not None and old.get("curated"):
            report(f"curated  {name}: hand-curated spec overwritten (--force)")
        text = old_text if curated and spec == old else dump_spec(spec)
        _parsed, errors = load_spec_text(text or "", str(path))
        for note in notes:
            report(note)
        for error in errors:
            report(f"invalid  {error}")
        if errors:
            continue
        if curated:
            differences = curated_differences(text or "", _last_doc(docsets, name))
            tail = f"; the docs differ: {'; '.join(differences)}" if differences else ""
            if text == old_text:
                report(f"curated  {name}: hand-curated, left as it is (--force overwrites){tail}")
                continue
            verb = "would write" if check else "wrote"
            report(
                f"curated  {name}: hand-curated; {verb} its release facts only"
                f" ({_describe_change(old, spec).removeprefix('updated: ')}){tail}"
            )
        elif text == old_text:
            report(f"same     {name}")
            continue
        else:
            report(f"{'would' if check else 'wrote'}    {name}: {_describe_change(old, spec)}")
        written += 1
        if not check:
            out_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(text or "", encoding="utf-8", newline="\n")
    return written


def _load_docsets(paths: Sequence[Path], version: str | None) -> list[DocSet]:
    if version is not None and len(paths) != 1:
        raise SystemExit("--asterisk-version fits one documentation file only")
    docsets = [read_docs(path, version) for path in paths]
    for docs in docsets:
        if docs.version is None:
            raise SystemExit(
                f"{docs.path}: cannot tell which Asterisk this documents;"
                " pass --asterisk-version (such as 21.5.0)"
            )
    return sorted(docsets, key=lambda d: _version_key(d.version or "0"))


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen import-docs",
        description=(
            "Write action specs from Asterisk's documentation XML (documentation/core-en_US.xml"
            " under Asterisk's data directory, usually /var/lib/asterisk)."
        ),
    )
    parser.add_argument(
        "docs", nargs="+", type=Path, help="core-en_US.xml files (several: one per version)"
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--actions", help="comma-separated action names")
    which.add_argument("--all", action="store_true", help="every action of the files")
    parser.add_argument(
        "--out", type=Path, default=SPECS_DIR, help="spec folder (default: the SDK's specs)"
    )
    parser.add_argument(
        "--asterisk-version",
        help="the version the file documents, when its name does not say (asterisk-V-...)",
    )
    parser.add_argument(
        "--keep-docs",
        action="store_true",
        help="copy the XML's prose into new specs (for your own use; never into this project)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite hand-curated specs (curated: true) too"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any spec would change"
    )
    args = parser.parse_args(argv)
    docsets = _load_docsets(args.docs, args.asterisk_version)
    known = sorted(set().union(*(d.actions for d in docsets)))
    if args.all:
        names = known
    else:
        names = [n.strip() for n in args.actions.split(",") if n.strip()]
        folded = {n.lower(): n for n in known}
        unknown = [n for n in names if n.lower() not in folded]
        if unknown:
            print(f"not in the documentation: {', '.join(unknown)}", file=sys.stderr)
            return 2
        names = [folded[n.lower()] for n in names]
    count = run_import(
        docsets,
        names,
        args.out,
        keep_docs=args.keep_docs,
        force=args.force,
        check=args.check,
    )
    verb = "would change" if args.check else "written"
    print(f"{len(names)} actions, {count} specs {verb} in {args.out}")
    return 1 if args.check and count else 0


def table_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen doc-table",
        description="Write the names and required flags of every action of one documentation"
        " file as JSON (the tables of tests/conformance); with --events, its events.",
    )
    parser.add_argument("docs", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--asterisk-version")
    parser.add_argument(
        "--events", action="store_true", help="the events' table instead of the actions'"
    )
    args = parser.parse_args(argv)
    (docs,) = _load_docsets([args.docs], args.asterisk_version)
    document = event_table_document(docs) if args.events else table_document(docs)
    text = json.dumps(document, indent=1) + "\n"
    args.out.write_text(text, encoding="utf-8", newline="\n")
    what = f"{len(docs.events)} events" if args.events else f"{len(docs.actions)} actions"
    print(f"{args.out}: {what} of Asterisk {docs.version}")
    return 0
