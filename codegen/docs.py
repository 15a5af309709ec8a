"""Reading Asterisk's documentation XML (``core-en_US.xml``) for its manager actions.

Every Asterisk build installs this file (``documentation/core-en_US.xml`` under its data
directory). Each action is a ``<manager name=... module=...>`` with ``<since>`` versions and
a ``<syntax>`` of ``<parameter name=... required=... default=...>`` elements, some pulled in
from other elements through ``xi:include`` (ActionID from Login, Channel from Hangup...);
list actions name their item and closing events under ``<responses>``. This module reads
those facts; the prose is kept only for ``import-docs --keep-docs``, never committed here.

``param_table`` reduces a file to names and required flags: the tables the conformance
test compares the specs with (``tests/conformance/``).
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import attrs

__all__ = [
    "DocAction",
    "DocParam",
    "DocSet",
    "param_table",
    "read_docs",
    "table_digest",
    "version_from_name",
]

_XI = "{http://www.w3.org/2001/XInclude}include"
_PARAM_POINTER = re.compile(
    r"xpointer\(/docs/(?P<tag>[\w-]+)\[@name='(?P<owner>[^']+)'\]"
    r"/syntax/parameter\[@name='(?P<param>[^']+)'\]\)"
)
_EVENT_POINTER = re.compile(r"xpointer\(/docs/managerEvent\[@name='(?P<event>[^']+)'\]\)")
# An enumeration value that is a literal word, not a piece of syntax ("system,call,...",
# "name(<event_name>)"): only such lists are closed sets of values.
_LITERAL = re.compile(r"[A-Za-z0-9_.+-]+")
_VERSION_IN_NAME = re.compile(r"asterisk-(\d+(?:\.\d+)*)")


@attrs.frozen
class DocParam:
    """One documented parameter (header) of an action."""

    name: str
    required: bool = False
    default: str | None = None
    values: tuple[str, ...] = ()  # the names of its <enumlist>, as written
    closed: bool = False  # whether ``values`` is a closed set of literal values
    text: str = ""  # its prose (for --keep-docs only)


@attrs.frozen
class DocAction:
    """What the documentation says of one manager action."""

    name: str
    module: str
    since: tuple[str, ...] = ()
    params: tuple[DocParam, ...] = ()
    list_events: tuple[str, ...] = ()
    list_complete: str | None = None
    synopsis: str = ""  # prose, for --keep-docs only
    description: str = ""  # prose, for --keep-docs only
    problems: tuple[str, ...] = ()  # what could not be read (an include that resolves nowhere)

    @property
    def first_version(self) -> str:
        """The lowest version of ``<since>``: the first release that had the action."""
        return min(self.since, key=_version_key) if self.since else ""


@attrs.frozen
class DocSet:
    """One documentation file: its Asterisk version, digest and actions by name."""

    path: Path
    version: str | None
    sha256: str
    actions: dict[str, DocAction]

    @property
    def major(self) -> str | None:
        return self.version.split(".")[0] if self.version else None


def _version_key(version: str) -> tuple[int, ...]:
    """``20.10.1`` → ``(20, 10, 1)``, to sort versions; a part that is not a number is 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in str(version).split("."))


def version_from_name(path: Path) -> str | None:
    """``asterisk-20.20.1-core-en_US.xml`` → ``20.20.1``; None when the name does not say."""
    match = _VERSION_IN_NAME.search(path.name)
    return match.group(1) if match else None


def _text(element: ET.Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _read_param(element: ET.Element) -> DocParam:
    enumlist = element.find("enumlist")
    values: tuple[str, ...] = ()
    closed = False
    if enumlist is not None:
        enums = enumlist.findall("enum")
        values = tuple(e.get("name", "") for e in enums)
        closed = bool(values) and all(
            _LITERAL.fullmatch(v) and e.find("enumlist") is None
            for v, e in zip(values, enums, strict=True)
        )
    return DocParam(
        name=element.get("name", ""),
        required=(element.get("required") or "false").lower() in ("true", "yes"),
        default=element.get("default"),
        values=values,
        closed=closed,
        text=_text(element),
    )


def _read_action(element: ET.Element, index: dict[tuple[str, str], ET.Element]) -> DocAction:
    name = element.get("name", "")
    params: list[DocParam] = []
    problems: list[str] = []
    syntax = element.find("syntax")
    for child in syntax if syntax is not None else ():
        if child.tag == "parameter":
            params.append(_read_param(child))
        elif child.tag == _XI:
            pointer = child.get("xpointer", "")
            match = _PARAM_POINTER.fullmatch(pointer)
            owner = index.get((match["tag"], match["owner"])) if match else None
            target = None
            if owner is not None:
                owner_syntax = owner.find("syntax")
                if owner_syntax is not None:
                    target = next(
                        (
                            p
                            for p in owner_syntax.findall("parameter")
                            if p.get("name") == match["param"]  # type: ignore[index]
                        ),
                        None,
                    )
            if target is None:
                problems.append(f"include {pointer!r} resolves to no parameter")
            else:
                params.append(_read_param(target))
    list_events: list[str] = []
    list_complete = None
    responses = element.find("responses")
    if responses is not None:
        for child in responses:
            if child.tag == "list-elements":
                for item in child:
                    event = _event_name(item)
                    if event:
                        list_events.append(event)
            elif _event_name(child):
                list_complete = _event_name(child)
    since = element.find("since")
    return DocAction(
        name=name,
        module=element.get("module", ""),
        since=tuple(v.text.strip() for v in since.findall("version") if v.text)
        if since is not None
        else (),
        params=tuple(p for p in params if p.name.lower() != "actionid"),
        list_events=tuple(list_events),
        list_complete=list_complete,
        synopsis=_text(element.find("synopsis")),
        description=_text(element.find("description")),
        problems=tuple(problems),
    )


def _event_name(element: ET.Element) -> str | None:
    if element.tag == "managerEvent":
        return element.get("name")
    if element.tag == _XI:
        match = _EVENT_POINTER.fullmatch(element.get("xpointer", ""))
        return match["event"] if match else None
    return None


def _pick(entries: list[DocAction]) -> DocAction:
    """One of an action's several entries (app_voicemail's, documented once per storage
    backend): the one whose module is a prefix of the others' (``app_voicemail``)."""
    for entry in entries:
        if all(other.module.startswith(entry.module) for other in entries):
            return entry
    return entries[0]


def read_docs(path: Path, version: str | None = None) -> DocSet:
    """Read every manager action of one documentation file.

    ``version`` is the Asterisk version the file documents; by default it is read from the
    file name (``asterisk-20.20.1-core-en_US.xml``), since the XML itself does not say.
    """
    data = path.read_bytes()
    root = ET.fromstring(data)
    index: dict[tuple[str, str], ET.Element] = {}
    for child in root:
        index.setdefault((child.tag, child.get("name", "")), child)
    entries: dict[str, list[DocAction]] = {}
    for element in root.iter("manager"):
        action = _read_action(element, index)
        entries.setdefault(action.name, []).append(action)
    actions = {name: _pick(found) for name, found in sorted(entries.items())}
    return DocSet(
        path=path,
        version=version or version_from_name(path),
        sha256=hashlib.sha256(data).hexdigest(),
        actions=actions,
    )


def param_table(docs: DocSet) -> dict[str, dict[str, bool]]:
    """``{action: {parameter: required}}``: names and required flags only, ActionID left out."""
    return {
        name: {param.name: param.required for param in action.params}
        for name, action in docs.actions.items()
    }


def table_digest(actions: dict[str, dict[str, bool]]) -> str:
    """A digest of a table's content, so that an edit by hand shows."""
    canonical = json.dumps(actions, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def table_document(docs: DocSet) -> dict:
    """The committed form of a file's table (``python -m codegen doc-table``)."""
    actions = param_table(docs)
    return {
        "about": (
            "Names and required flags of the manager actions' parameters in Asterisk's"
            " documentation XML, without ActionID. Written by `python -m codegen doc-table`;"
            " do not edit by hand."
        ),
        "asterisk": docs.version,
        "xml_sha256": docs.sha256,
        "table_sha256": table_digest(actions),
        "actions": actions,
    }
