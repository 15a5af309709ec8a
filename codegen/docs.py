"""Reading Asterisk's documentation XML (``core-en_US.xml``): manager actions and events.

Every Asterisk build installs this file (``documentation/core-en_US.xml`` under its data
directory). Each action is a ``<manager name=... module=...>`` with ``<since>`` versions and
a ``<syntax>`` of ``<parameter name=... required=... default=...>`` elements, some pulled in
from other elements through ``xi:include`` (ActionID from Login, Channel from Hangup...);
list actions name their item and closing events under ``<responses>``. Each event is a
``<managerEvent name=...>`` with one or more ``<managerEventInstance class="EVENT_FLAG_...">``
(its read class), whose ``<syntax>`` has parameters (the event's headers, some included from
other events) and ``<channel_snapshot prefix=.../>`` / ``<bridge_snapshot prefix=.../>``
references to the blocks of headers that ``codegen.snapshots`` knows. This module reads
those facts; the prose is kept only for ``import-docs --keep-docs``, never committed here.

Quirks of the files, handled here: an action or event can be documented more than once
(app_voicemail's, once per storage backend; VarSet by three modules): it counts once. The
files of Asterisk 16, 18 and 21 lack ``module=`` on most elements: the module is then ``""``
(``codegen.releases`` takes it from a release that names it). Each file is parsed once per
process (``read_docs`` keeps what it read, by path and content digest).

``table_document`` and ``event_table_document`` reduce a file to the facts the conformance
tests keep (``tests/conformance/``); ``header_kind`` proposes the kind of an event header.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "DocAction",
    "DocEvent",
    "DocEventInstance",
    "DocParam",
    "DocSet",
    "DocSnapshot",
    "HEADER_KINDS",
    "event_table",
    "event_table_document",
    "header_kind",
    "param_table",
    "read_docs",
    "table_digest",
    "table_document",
    "version_from_name",
]

_XI = "{http://www.w3.org/2001/XInclude}include"
# One step of the xpointer paths these files use: ``manager[@name='Login']``, ``syntax``,
# ``parameter[contains(@name, 'ReportX')]``, ``para[2]``, ``node()``.
_STEP = re.compile(r"/?(?P<tag>[\w-]+(?:\(\))?)(?:\[(?P<predicate>[^\]]*)\])?")
_NAME_IS = re.compile(r"@name='(?P<value>[^']*)'")
_NAME_CONTAINS = re.compile(r"contains\(@name,\s*'(?P<value>[^']*)'\)")
_EVENT_POINTER = re.compile(r"xpointer\(/docs/managerEvent\[@name='(?P<event>[^']+)'\]\)")
# An enumeration value that is a literal word, not a piece of syntax ("system,call,...",
# "name(<event_name>)"): only such lists are closed sets of values.
_LITERAL = re.compile(r"[A-Za-z0-9_.+-]+")
_VERSION_IN_NAME = re.compile(r"asterisk-(\d+(?:\.\d+)*)")
_SNAPSHOTS = {"channel_snapshot": "channel", "bridge_snapshot": "bridge"}

_Resolve = Callable[[ET.Element], list[ET.Element] | None]


@attrs.frozen
class DocParam:
    """One documented parameter (header) of an action or an event."""

    name: str
    required: bool = False
    default: str | None = None
    values: tuple[str, ...] = ()  # the names of its <enumlist>, as written
    closed: bool = False  # whether ``values`` is a closed set of literal values
    text: str = ""  # its prose (for --keep-docs only)
    required_given: bool = False  # whether the XML writes ``required=`` at all


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
class DocSnapshot:
    """A ``<channel_snapshot/>`` or ``<bridge_snapshot/>`` of an event: a block of headers,
    each named with ``prefix`` in front (``Dest`` gives ``DestChannel``, ``DestUniqueid``...)."""

    block: str  # "channel" or "bridge"
    prefix: str = ""


@attrs.frozen
class DocEventInstance:
    """One ``<managerEventInstance>``: a place in Asterisk that raises the event."""

    read_class: str  # as written: "EVENT_FLAG_CALL"
    module: str = ""
    since: tuple[str, ...] = ()
    params: tuple[DocParam, ...] = ()
    snapshots: tuple[DocSnapshot, ...] = ()
    synopsis: str = ""  # prose, for --keep-docs only
    problems: tuple[str, ...] = ()


@attrs.frozen
class DocEvent:
    """What the documentation says of one manager event, over all its instances (several
    places raise some events, each documented as an instance, or as an element of its own)."""

    name: str
    module: str
    instances: tuple[DocEventInstance, ...]

    @property
    def read_classes(self) -> tuple[str, ...]:
        """The read classes of its instances, each once, in the order written."""
        return tuple(dict.fromkeys(i.read_class for i in self.instances if i.read_class))

    @property
    def params(self) -> tuple[DocParam, ...]:
        """The headers of all instances, each once (the first description of a name wins)."""
        return _unique(p for i in self.instances for p in i.params)

    @property
    def snapshots(self) -> tuple[DocSnapshot, ...]:
        return tuple(dict.fromkeys(s for i in self.instances for s in i.snapshots))

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(p for i in self.instances for p in i.problems)


@attrs.frozen
class DocSet:
    """One documentation file: its Asterisk version, digest, actions and events by name."""

    path: Path
    version: str | None
    sha256: str
    actions: dict[str, DocAction]
    events: dict[str, DocEvent] = attrs.field(factory=dict)

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


def _unique(params: Iterable[DocParam]) -> tuple[DocParam, ...]:
    """``params`` without a second one of the same name (any case): the first one wins."""
    seen: dict[str, DocParam] = {}
    for param in params:
        seen.setdefault(param.name.lower(), param)
    return tuple(seen.values())


def _resolver(root: ET.Element) -> _Resolve:
    """What an ``xi:include`` of this document stands for: the elements its xpointer selects
    (``[]`` for prose, ``text()`` and ``node()``), or None for a path it cannot read.

    The paths are the XPath subset these files use, evaluated as XInclude does before any
    stylesheet runs: from ``/docs`` (``docs/...`` without its slash too), each step a tag
    with at most one predicate: ``@name='X'``, ``contains(@name, 'X')`` or a position.
    """
    index: dict[tuple[str, str], list[ET.Element]] = {}
    for child in root:
        index.setdefault((child.tag, child.get("name", "")), []).append(child)

    def resolve(include: ET.Element) -> list[ET.Element] | None:
        pointer = include.get("xpointer", "")
        if not (pointer.startswith("xpointer(") and pointer.endswith(")")):
            return None
        path = pointer[len("xpointer(") : -1]
        steps = list(_STEP.finditer(path))
        if "".join(s.group(0) for s in steps) != path or not steps or steps[0]["tag"] != "docs":
            return None
        nodes = [root]
        for number, step in enumerate(steps[1:]):
            tag, predicate = step["tag"], step["predicate"]
            if tag.endswith("()"):
                return []
            named = _NAME_IS.fullmatch(predicate or "")
            if number == 0 and named:  # the first step picks a top-level element by name
                nodes = list(index.get((tag, named["value"]), []))
                continue
            found = []
            for node in nodes:
                selected = _select(node.findall(tag), predicate)
                if selected is None:
                    return None
                found.extend(selected)
            nodes = found
        return nodes

    return resolve


def _select(elements: list[ET.Element], predicate: str | None) -> list[ET.Element] | None:
    if predicate is None:
        return elements
    if named := _NAME_IS.fullmatch(predicate):
        return [e for e in elements if e.get("name") == named["value"]]
    if contains := _NAME_CONTAINS.fullmatch(predicate):
        return [e for e in elements if contains["value"] in e.get("name", "")]
    if predicate.isdigit():
        return elements[int(predicate) - 1 : int(predicate)]
    return None


def _read_param(element: ET.Element, resolve: _Resolve) -> DocParam:
    enumlist = element.find("enumlist")
    if enumlist is None:  # an enumlist included from another element (Login's Events)
        for include in element.iter(_XI):
            enumlist = next((e for e in resolve(include) or () if e.tag == "enumlist"), None)
            if enumlist is not None:
                break
    values: tuple[str, ...] = ()
    closed = False
    if enumlist is not None:
        enums = enumlist.findall("enum")
        values = tuple(e.get("name", "") for e in enums)
        closed = bool(values) and all(
            _LITERAL.fullmatch(v) and e.find("enumlist") is None
            for v, e in zip(values, enums, strict=True)
        )
    required = element.get("required")
    return DocParam(
        name=element.get("name", ""),
        required=(required or "false").strip().lower() in ("true", "yes"),
        default=element.get("default"),
        values=values,
        closed=closed,
        text=_text(element),
        required_given=required is not None,
    )


def _read_syntax(
    syntax: ET.Element | None, resolve: _Resolve
) -> tuple[list[DocParam], list[DocSnapshot], list[str]]:
    """The parameters (included ones too), snapshot blocks and unreadable includes of a
    ``<syntax>``."""
    params: list[DocParam] = []
    snapshots: list[DocSnapshot] = []
    problems: list[str] = []
    for child in syntax if syntax is not None else ():
        if child.tag == "parameter":
            params.append(_read_param(child, resolve))
        elif child.tag in _SNAPSHOTS:
            snapshots.append(DocSnapshot(_SNAPSHOTS[child.tag], child.get("prefix", "")))
        elif child.tag == _XI:
            targets = [e for e in resolve(child) or () if e.tag == "parameter"]
            if not targets:
                problems.append(f"include {child.get('xpointer', '')!r} resolves to no parameter")
            params.extend(_read_param(target, resolve) for target in targets)
    return params, snapshots, problems


def _since(element: ET.Element) -> tuple[str, ...]:
    since = element.find("since")
    if since is None:
        return ()
    return tuple(v.text.strip() for v in since.findall("version") if v.text)


def _read_action(element: ET.Element, resolve: _Resolve) -> DocAction:
    params, _snapshots, problems = _read_syntax(element.find("syntax"), resolve)
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
    return DocAction(
        name=element.get("name", ""),
        module=element.get("module", ""),
        since=_since(element),
        params=tuple(p for p in params if p.name.lower() != "actionid"),
        list_events=tuple(list_events),
        list_complete=list_complete,
        synopsis=_text(element.find("synopsis")),
        description=_text(element.find("description")),
        problems=tuple(problems),
    )


def _event_name(element: ET.Element) -> str | None:
    """The event a response names, written there or included (by name: the event may be
    documented by a module this file lacks)."""
    if element.tag == "managerEvent":
        return element.get("name")
    if element.tag == _XI:
        match = _EVENT_POINTER.fullmatch(element.get("xpointer", ""))
        return match["event"] if match else None
    return None


def _read_instance(element: ET.Element, resolve: _Resolve) -> DocEventInstance:
    params, snapshots, problems = _read_syntax(element.find("syntax"), resolve)
    return DocEventInstance(
        read_class=element.get("class", ""),
        module=element.get("module", ""),
        since=_since(element),
        params=_unique(params),
        snapshots=tuple(snapshots),
        synopsis=_text(element.find("synopsis")),
        problems=tuple(problems),
    )


def _pick(entries: list[DocAction]) -> DocAction:
    """One of an action's several entries (app_voicemail's, documented once per storage
    backend, alike but for the module): the one whose module is a prefix of the others'
    (``app_voicemail``); the first one in a file that names no module."""
    for entry in entries:
        if all(other.module.startswith(entry.module) for other in entries):
            return entry
    return entries[0]


def _events(root: ET.Element, resolve: _Resolve) -> dict[str, DocEvent]:
    """Every ``<managerEvent>``, list items and completions under ``<responses>`` too; the
    instances of an event documented several times are put together."""
    modules: dict[str, list[str]] = {}
    instances: dict[str, list[DocEventInstance]] = {}
    for element in root.iter("managerEvent"):
        name = element.get("name", "")
        modules.setdefault(name, []).append(element.get("module", ""))
        instances.setdefault(name, []).extend(
            _read_instance(i, resolve) for i in element.findall("managerEventInstance")
        )
    return {
        name: DocEvent(name, _shortest(modules[name]), tuple(instances[name]))
        for name in sorted(instances)
    }


def _shortest(modules: list[str]) -> str:
    """The module that is a prefix of the others (``app_voicemail``), else the first named."""
    named = [m for m in modules if m]
    for module in named:
        if all(other.startswith(module) for other in named):
            return module
    return named[0] if named else ""


HEADER_KINDS = ("int", "bool", "enum", "channel_state", "timestamp", "duration", "string")

_BOOLEAN_PAIRS = ({"yes", "no"}, {"true", "false"}, {"0", "1"}, {"on", "off"})
# Names (matched whole, case kept) and descriptions that say what a header holds. Names
# come first: the text of some queue headers (HoldTime, RingTime, TalkTime) says "seconds
# since 00:00, Jan 1, 1970" where app_queue.c sends the seconds elapsed; and case matters:
# QueueMemberAdded's LoginTime is a time of day, AgentLogoff's Logintime a number of seconds.
_DURATION_NAME = re.compile(
    r"\w*Duration\w*|\w*Seconds|(Hold|Ring|Talk|Wrapup|Answered)[Tt]ime|Logintime|Wait"
    r"|Uptime|LastReload|RTT|\w*Usec|ParkingTimeout|NextReg"
)
_TIMESTAMP_NAME = re.compile(
    r"\w*TV|Timestamp|LastCall|LastPause|CallStarted|LoggedInTime|LoginTime"
)
_INT_NAME = re.compile(
    r"(Tech)?Cause|\w*Count|(List)?Items|\w*Priority|(Original)?Position|Penalty|\w*Port"
    r"|EventVersion|\w*NumChannels|Total\w*|\w*Sessions|\w*FAXes|\w*Attempts"
)
_DURATION_TEXT = re.compile(
    r"(?i)(in (milli|micro)?seconds|number of seconds|^seconds since|hh:mm:ss|time, in seconds)"
)
_TIMESTAMP_TEXT = re.compile(
    r"(?i)(since 00:00, jan 1, 1970|epoch time|absolute (time|lifetime)"
    r"|^the (earliest of|time when|time the))"
)
_INT_TEXT = re.compile(r"(?i)(^(the )?(total )?number of|\bnumeric|\bnumerical)")
_BOOL_TEXT = re.compile(r"(?i)^(whether|indicates whether|if true)\b")


def header_kind(param: DocParam) -> str:
    """A proposed kind (one of ``HEADER_KINDS``) for a documented event header, from its
    enumeration, its name and the words of its description.

    An enumeration of two values that are a yes/no pair (``Yes``/``No``, ``0``/``1``,
    ``on``/``off``...) is ``bool``, any other ``enum``; ``ChannelState`` (any prefix) is the
    numeric state of a channel; then durations, timestamps and integers by name, then those
    and booleans ("Whether ...") by description; everything else, identifiers such as ``Uniqueid`` included, a string.
    This is a proposal for the event specs, not a rule the runtime applies.
    """
    name, text = param.name, param.text
    if name.endswith("ChannelState"):
        return "channel_state"
    if param.values:
        folded = {v.lower() for v in param.values}
        return "bool" if folded in _BOOLEAN_PAIRS else "enum"
    for pattern, kind in (
        (_DURATION_NAME, "duration"),
        (_TIMESTAMP_NAME, "timestamp"),
        (_INT_NAME, "int"),
    ):
        if pattern.fullmatch(name):
            return kind
    for pattern, kind in (
        (_DURATION_TEXT, "duration"),
        (_TIMESTAMP_TEXT, "timestamp"),
        (_INT_TEXT, "int"),
        (_BOOL_TEXT, "bool"),
    ):
        if pattern.search(text):
            return kind
    return "string"


_READ: dict[tuple[Path, str | None, str], DocSet] = {}
_KEEP = 16  # files kept read; Asterisk's six and the tests' small ones fit


def read_docs(path: Path, version: str | None = None) -> DocSet:
    """Read every manager action and event of one documentation file.

    ``version`` is the Asterisk version the file documents; by default it is read from the
    file name (``asterisk-20.20.1-core-en_US.xml``), since the XML itself does not say.
    A file already read in this process, with the same content, is not parsed again (the
    result is shared: do not change it).
    """
    data = path.read_bytes()
    key = (path, version, hashlib.sha256(data).hexdigest())
    if key not in _READ:
        if len(_READ) >= _KEEP:
            del _READ[next(iter(_READ))]
        _READ[key] = _parse(path, version, data, key[2])
    return _READ[key]


def _parse(path: Path, version: str | None, data: bytes, sha256: str) -> DocSet:
    root = ET.fromstring(data)
    resolve = _resolver(root)
    entries: dict[str, list[DocAction]] = {}
    for element in root.iter("manager"):
        action = _read_action(element, resolve)
        entries.setdefault(action.name, []).append(action)
    return DocSet(
        path=path,
        version=version or version_from_name(path),
        sha256=sha256,
        actions={name: _pick(found) for name, found in sorted(entries.items())},
        events=_events(root, resolve),
    )


def param_table(docs: DocSet) -> dict[str, dict[str, bool]]:
    """``{action: {parameter: required}}``: names and required flags only, ActionID left out."""
    return {
        name: {param.name: param.required for param in action.params}
        for name, action in docs.actions.items()
    }


def table_digest(table: Any) -> str:
    """A digest of a table's content, so that an edit by hand shows."""
    canonical = json.dumps(table, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def table_document(docs: DocSet) -> dict[str, Any]:
    """The committed form of a file's action table (``python -m codegen doc-table``).

    ``actions`` (names and required flags) has its digest in ``table_sha256``; ``modules``
    (where the file names one) and ``values`` (closed enumerations) have theirs in
    ``details_sha256``.
    """
    actions = param_table(docs)
    details = {
        "modules": {n: a.module for n, a in docs.actions.items() if a.module},
        "values": {
            name: values
            for name, action in docs.actions.items()
            if (values := {p.name: list(p.values) for p in action.params if p.closed})
        },
    }
    return {
        "about": (
            "Names and required flags of the manager actions' parameters in Asterisk's"
            " documentation XML, without ActionID; the module of each action where the file"
            " names it, and the values of each closed enumeration. Written by"
            " `python -m codegen doc-table`; do not edit by hand."
        ),
        "asterisk": docs.version,
        "xml_sha256": docs.sha256,
        "table_sha256": table_digest(actions),
        "details_sha256": table_digest(details),
        "actions": actions,
        **details,
    }


def event_table(docs: DocSet) -> dict[str, dict[str, Any]]:
    """``{event: {read_classes, snapshots, headers, values}}``: of each documented event its
    read classes as written, its snapshot blocks (``{"channel": ["", "Dest"]}``), its own
    headers (``{name: required}``, None where the XML does not say) and the values of its
    enumerations, all of them: what an event sends is written as it is sent ("Not Permitted",
    "InUse&Hold"), not as a syntax."""
    table: dict[str, dict[str, Any]] = {}
    for name, event in docs.events.items():
        snapshots: dict[str, list[str]] = {}
        for snapshot in event.snapshots:
            snapshots.setdefault(snapshot.block, []).append(snapshot.prefix)
        table[name] = {
            "read_classes": list(event.read_classes),
            "snapshots": snapshots,
            "headers": {p.name: p.required if p.required_given else None for p in event.params},
            "values": {p.name: list(p.values) for p in event.params if p.values},
        }
    return table


def event_table_document(docs: DocSet) -> dict[str, Any]:
    """The committed form of a file's event table (``python -m codegen doc-table --events``)."""
    events = event_table(docs)
    return {
        "about": (
            "Read classes, snapshot blocks (channel_snapshot, bridge_snapshot: by prefix; their"
            " headers are in codegen/snapshots.json), headers with their required flags (null:"
            " not said) and enumerated values of the manager events in Asterisk's"
            " documentation XML. Written by `python -m codegen doc-table --events`; do not"
            " edit by hand."
        ),
        "asterisk": docs.version,
        "xml_sha256": docs.sha256,
        "table_sha256": table_digest(events),
        "events": events,
    }
