"""Loading event specs: YAML in, checked models out, every problem reported at once.

An event spec (``specs/events/PeerStatus.yaml``) says what Asterisk sends in one event: its
read class, the releases that document it, each header with its kind (``sdk.model.kinds``:
integers, booleans, enumerations, timestamps, durations with their unit, channel states),
and the snapshot blocks it carries by prefix. The blocks themselves are declared once, in
``specs/events/snapshots/`` (``Channel.yaml``, ``Bridge.yaml``). The format is in
``specs/README.md``; the loader is the action specs' own (``codegen.spec``: file and line of
each problem, duplicate keys, no aliases, text fit for generated source).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import jinja2
import yaml

from codegen.naming import attribute_name
from codegen.render import WIDTH, _code, declaration, docstring, environment, pystr
from codegen.spec import (
    SpecError,
    SpecErrors,
    SpecField,
    _attribute,
    _bool,
    _Checker,
    _header,
    _kinds_taking,
    _line,
    _list_of,
    _node,
    _str,
    _texts,
    _version,
    compose,
    identifier_problem,
    kind_constant,
    package_problem,
)
from sdk.model.event import Snapshot, TypedEvent
from sdk.model.fields import FieldInfo
from sdk.model.kinds import DURATION_UNITS, KINDS, kind_of
from sdk.wire.message import search_key

__all__ = [
    "BlockSpec",
    "EventHeader",
    "EventSpec",
    "SnapshotRef",
    "READ_CLASSES",
    "class_name",
    "event_fields",
    "event_property",
    "event_snapshot",
    "load_blocks",
    "load_event_specs",
    "render_events",
]

# The read classes of manager.conf, as Asterisk names its EVENT_FLAG_* (manager.c).
READ_CLASSES = (
    "system call log verbose command agent user config dtmf reporting cdr dialplan originate"
    " agi cc aoc test security message"
).split()
# The kinds an event header may have: those of one header's text.
HEADER_KINDS = tuple(name for name, kind in KINDS.items() if kind.scalar)

# What the generated event modules and package bind at their top level, besides the
# events: no event, block or header may take these names.
EVENT_MODULE_NAMES = frozenset(
    {"annotations", "ClassVar", "TYPE_CHECKING", "HeaderField", "SnapshotField", "field"}
    | {"snapshot", "TypedEvent", "Block", "Snapshot", "__all__"}
    | {kind_constant(kind) for kind in KINDS.values()}
    | {name for kind in KINDS.values() for _module, name in kind.value_imports}
    | {name for kind in KINDS.values() for _module, name in kind.read_imports}
)
EVENT_PACKAGE_NAMES = frozenset(
    {"annotations", "TYPE_CHECKING", "Any", "BlockRegistry", "EVENTS", "Event", "EventRegistry"}
    | {"TypedEvent", "ChannelState", "typed", "_BLOCKS", "__all__", "__getattr__", "__dir__"}
)
RESERVED_HEADER_NAMES = (
    frozenset(dir(TypedEvent)) | frozenset(dir(Snapshot)) | EVENT_MODULE_NAMES | {"self"}
) - {"action_id"}  # ActionID's field reads what the base's property reads

_NOT_IN_NAME = re.compile(r"[^0-9A-Za-z_]")


def class_name(event: str) -> str:
    """The Python name of an event's class: its name, each character that cannot stand in a
    name made ``_`` (``AOC-D``: ``AOC_D``)."""
    return _NOT_IN_NAME.sub("_", event)


@attrs.frozen
class EventHeader(SpecField):
    """One header of an event or block: an action field's facts (its ``FieldInfo``, the
    releases that have it among them, and its attribute)."""

    @property
    def available_in(self) -> tuple[str, ...]:
        return self.info.available_in


@attrs.frozen
class SnapshotRef:
    """A snapshot block an event carries: the block's name, the prefix before each of its
    headers, the attribute of a prefixed block ("" for none: its headers are the event's)."""

    block: str
    prefix: str = ""
    name: str = ""
    available_in: tuple[str, ...] = ()
    line: int = 0


@attrs.frozen
class BlockSpec:
    """A snapshot block (``specs/events/snapshots/Channel.yaml``)."""

    block: str
    summary: str
    source: str
    headers: tuple[EventHeader, ...] = ()

    @property
    def mixin(self) -> str:
        return f"{self.block}Block"

    @property
    def view(self) -> str:
        return f"{self.block}Snapshot"

    @property
    def module_name(self) -> str:
        return f"{self.block.lower()}_snapshot"

    @property
    def kind_names(self) -> list[str]:
        return sorted({kind_constant(h.kind) for h in self.headers})

    def value_imports(self) -> dict[str, list[str]]:
        return _value_imports(self.headers)


@attrs.frozen
class EventSpec:
    event: str
    source: str
    summary: str = ""
    description: str = ""
    documented: bool = True
    curated: bool = False
    module: str = ""
    read_class: str = ""
    available_in: tuple[str, ...] = ()
    any_headers: bool = False
    headers: tuple[EventHeader, ...] = ()
    snapshots: tuple[SnapshotRef, ...] = ()

    @property
    def class_name(self) -> str:
        return class_name(self.event)

    @property
    def module_name(self) -> str:
        return self.class_name.lower()

    @property
    def renamed(self) -> bool:
        """Whether the class name differs from the event's (``AOC-D``: ``AOC_D``)."""
        return self.class_name != self.event

    @property
    def kind_names(self) -> list[str]:
        return sorted({kind_constant(h.kind) for h in self.headers})

    @property
    def mixins(self) -> list[str]:
        """The blocks without prefix, whose headers are the event's own."""
        return [f"{s.block}Block" for s in self.snapshots if not s.prefix]

    @property
    def views(self) -> list[SnapshotRef]:
        return [s for s in self.snapshots if s.prefix]

    def block_imports(self) -> dict[str, list[str]]:
        """``{module: names}`` of the snapshot classes the module imports."""
        out: dict[str, set[str]] = {}
        for ref in self.snapshots:
            names = out.setdefault(f"{ref.block.lower()}_snapshot", set())
            names.add(f"{ref.block}Snapshot" if ref.prefix else f"{ref.block}Block")
        return {module: sorted(names) for module, names in sorted(out.items())}

    def value_imports(self) -> dict[str, list[str]]:
        return _value_imports(self.headers)


def _value_imports(headers: Iterable[EventHeader]) -> dict[str, list[str]]:
    """What the annotations and read fragments of ``headers`` need: ``{module: names}``."""
    out: dict[str, set[str]] = {}
    for header in headers:
        for module, name in (*header.kind.value_imports, *header.kind.read_imports):
            out.setdefault(module, set()).add(name)
    return {module: sorted(names) for module, names in sorted(out.items())}


# --- reading -------------------------------------------------------------------------------

HEADER_SCHEMA = {
    "header": (_header, True),
    "name": (_str, False),
    "kind": (_str, False),
    "choices": (_list_of(_str), False),
    "unit": (_str, False),
    "doc": (_str, False),
    "available_in": (_list_of(_version), False),
}
SNAPSHOT_SCHEMA = {
    "block": (_str, True),
    "prefix": (_str, False),
    "name": (_str, False),
    "available_in": (_list_of(_version), False),
}
EVENT_SCHEMA = {
    "event": (_str, True),
    "summary": (_str, False),
    "description": (_str, False),
    "documented": (_bool, False),
    "curated": (_bool, False),
    "module": (_str, False),
    "read_class": (_str, False),
    "available_in": (_list_of(_version), False),
    "any_headers": (_bool, False),
    "snapshots": (_list_of(_node), False),
    "headers": (_list_of(_node), True),
}
BLOCK_SCHEMA = {
    "snapshot": (_str, True),
    "summary": (_str, True),
    "headers": (_list_of(_node), True),
}
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _read_header(checker: _Checker, node: yaml.Node, index: int) -> EventHeader | None:
    data = checker.mapping(node, f"headers[{index}]", HEADER_SCHEMA)
    lines = data.pop("__lines__", {})
    if "header" not in data:
        return None
    header = data["header"]
    where = f"header {header!r}"
    line = _line(node)
    kind = KINDS.get(data.get("kind", "string"))
    problem = kind_of("string").header_problem(header)
    if problem:
        checker.error(lines.get("header", line), f"{where}: {problem}")
    if kind is None or kind.name not in HEADER_KINDS:
        checker.error(
            lines.get("kind", line),
            f"{where}: kind {data.get('kind')!r} is not one of {', '.join(HEADER_KINDS)}",
        )
        return None
    for fact in ("choices", "unit"):
        if fact in data and fact not in kind.facts:
            checker.error(lines[fact], f"{where}: {fact!r} only fits {_kinds_taking(fact)}")
    for fact in kind.needs:
        if not data.get(fact):
            checker.error(line, f"{where}: kind {kind.name} needs {fact!r}")
    if "unit" in data and data["unit"] not in DURATION_UNITS:
        checker.error(lines["unit"], f"{where}: unit must be one of {', '.join(DURATION_UNITS)}")
    name = _attribute(checker, data, lines, where, line)
    if name is None:
        return None
    if name == "action_id" and header.lower() != "actionid":
        checker.error(lines.get("name", line), f"{where}: name 'action_id' is ActionID's")
        return None
    if name in RESERVED_HEADER_NAMES or name.startswith("_"):
        checker.error(
            lines.get("name", line),
            f"{where}: name {name!r} is reserved: the event base class or the generated"
            " module already uses it; give another 'name:' (such as {name}_)".replace(
                "{name}", name
            ),
        )
        return None
    facts = {k: data[k] for k in ("available_in", "choices", "unit", "doc") if k in data}
    info = FieldInfo(header, kind=kind.name, **facts)
    return EventHeader(name, info, line)


def _read_headers(checker: _Checker, nodes: Iterable[yaml.Node]) -> list[EventHeader]:
    headers: list[EventHeader] = []
    by_header: dict[str, EventHeader] = {}
    by_name: dict[str, EventHeader] = {}
    for index, node in enumerate(nodes):
        found = _read_header(checker, node, index)
        if found is None:
            continue
        folded = found.header.lower()
        if folded in by_header:
            first = by_header[folded]
            checker.error(
                found.line, f"duplicate header {found.header!r} (first on line {first.line})"
            )
            continue
        if found.name in by_name:
            first = by_name[found.name]
            checker.error(
                found.line,
                f"name collision: {found.header!r} and {first.header!r} (line {first.line})"
                f" both map to {found.name!r}; give one a 'name:'",
            )
            continue
        by_header[folded] = by_name[found.name] = found
        headers.append(found)
    return headers


def _read_snapshot(checker: _Checker, node: yaml.Node, index: int) -> SnapshotRef | None:
    data = checker.mapping(node, f"snapshots[{index}]", SNAPSHOT_SCHEMA)
    lines = data.pop("__lines__", {})
    if "block" not in data:
        return None
    prefix = data.get("prefix", "")
    line = _line(node)
    if prefix and not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", prefix):
        checker.error(lines["prefix"], f"snapshots[{index}]: prefix {prefix!r} is no name")
        return None
    name = data.get("name", attribute_name(prefix) if prefix else "")
    if "name" in data and not prefix:
        checker.error(lines["name"], f"snapshots[{index}]: a block without prefix has no name")
    if prefix:
        problem = identifier_problem(name)
        if problem or name in RESERVED_HEADER_NAMES or name.startswith("_"):
            checker.error(
                lines.get("name", line),
                f"snapshots[{index}]: name {name!r} cannot be an attribute; give a 'name:'",
            )
            return None
    return SnapshotRef(data["block"], prefix, name, tuple(data.get("available_in", ())), line)


def _start(
    text: str, source: str, schema: dict[str, Any]
) -> tuple[_Checker, dict[str, Any], dict[str, int], list[EventHeader]] | list[SpecError]:
    """The checker, keys, their lines and headers of one spec's text; or its YAML problem."""
    root, errors = compose(text, source)
    if root is None:
        return errors
    checker = _Checker(source)
    data = checker.mapping(root, "spec", schema)
    lines = data.pop("__lines__", {})
    return checker, data, lines, _read_headers(checker, data.get("headers", ()))


def load_event_text(
    text: str, source: str, blocks: dict[str, BlockSpec]
) -> tuple[EventSpec | None, list[SpecError]]:
    """Read one event spec's text; ``blocks``: the snapshot blocks it may name."""
    started = _start(text, source, EVENT_SCHEMA)
    if isinstance(started, list):
        return None, started
    checker, data, lines, headers = started
    refs = [
        ref
        for index, node in enumerate(data.get("snapshots", ()))
        if (ref := _read_snapshot(checker, node, index)) is not None
    ]
    event = data.get("event")
    if event is not None and (
        not _EVENT_NAME.fullmatch(event)
        or identifier_problem(class_name(event))
        or class_name(event) in EVENT_PACKAGE_NAMES | EVENT_MODULE_NAMES
        or class_name(event).endswith(("Block", "Snapshot"))
    ):
        checker.error(
            lines["event"],
            f"event {event!r} cannot name a class (letters, digits, '_' and '-'; not a name"
            " the generated package uses, nor one ending in Block or Snapshot)",
        )
        event = None
    read_class = data.get("read_class")
    if read_class is not None and read_class not in READ_CLASSES:
        checker.error(
            lines["read_class"],
            f"read_class {read_class!r} is not one of {', '.join(READ_CLASSES)}",
        )
    _check_refs(checker, refs, headers, blocks)
    majors = tuple(data.get("available_in", ()))
    items: list[EventHeader | SnapshotRef] = [*headers, *refs]
    for item in items:
        extra = sorted(set(item.available_in) - set(majors))
        if extra:
            checker.error(item.line, f"available_in names {extra}, which the event's lacks")
    if event is None or checker.errors:
        return None, checker.errors
    return (
        EventSpec(
            event=event,
            source=source,
            summary=data.get("summary", ""),
            description=data.get("description", ""),
            documented=data.get("documented", True),
            curated=data.get("curated", False),
            module=data.get("module", ""),
            read_class=read_class or "",
            available_in=majors,
            any_headers=data.get("any_headers", False),
            headers=tuple(headers),
            snapshots=tuple(refs),
        ),
        [],
    )


def _check_refs(
    checker: _Checker,
    refs: list[SnapshotRef],
    headers: list[EventHeader],
    blocks: dict[str, BlockSpec],
) -> None:
    """Blocks that exist, prefixes once a block, and no header or attribute twice once the
    blocks without prefix are part of the event."""
    own = {h.header.lower(): h for h in headers}
    names = {h.name: h.header for h in headers}
    seen: set[tuple[str, str]] = set()
    for ref in refs:
        block = blocks.get(ref.block)
        if block is None:
            checker.error(ref.line, f"snapshot block {ref.block!r} is not one of {sorted(blocks)}")
            continue
        if (ref.block, ref.prefix) in seen:
            checker.error(ref.line, f"snapshot {ref.block} {ref.prefix!r} is named twice")
            continue
        seen.add((ref.block, ref.prefix))
        if ref.prefix:
            if ref.name in names:
                checker.error(
                    ref.line, f"snapshot {ref.prefix!r}: attribute {ref.name!r} is a header's"
                )
            names[ref.name] = ref.prefix
        for field in block.headers:
            full = (ref.prefix + field.header).lower()
            if full in own:
                checker.error(
                    own[full].line,
                    f"header {own[full].header!r} is one of block {ref.block}'s"
                    f" (prefix {ref.prefix!r}): leave it out",
                )
            if not ref.prefix:
                if field.name in names and names[field.name] != field.header:
                    checker.error(ref.line, f"block {ref.block}: attribute {field.name!r} is taken")
                names[field.name] = field.header


def load_block_text(text: str, source: str) -> tuple[BlockSpec | None, list[SpecError]]:
    """Read one snapshot block's spec."""
    started = _start(text, source, BLOCK_SCHEMA)
    if isinstance(started, list):
        return None, started
    checker, data, lines, headers = started
    block = data.get("snapshot")
    if block is not None and not re.fullmatch(r"[A-Z][A-Za-z0-9]*", block):
        checker.error(lines["snapshot"], f"snapshot {block!r} must be a capitalized name")
        block = None
    if block is None or "summary" not in data or checker.errors:
        return None, checker.errors
    return BlockSpec(block, data["summary"], source, tuple(headers)), []


def load_blocks(directory: Path, *, cite_from: Path | None = None) -> dict[str, BlockSpec]:
    """The snapshot blocks of ``directory/snapshots``; raises ``SpecErrors``."""
    errors: list[SpecError] = []
    blocks = _load_blocks(directory, cite_from or directory.parent, errors)
    if errors:
        raise SpecErrors(errors)
    return blocks


def _load_blocks(directory: Path, base: Path, errors: list[SpecError]) -> dict[str, BlockSpec]:
    blocks: dict[str, BlockSpec] = {}
    for path, source, text in _texts(directory / "snapshots", base, errors):
        block, problems = load_block_text(text, source)
        errors.extend(problems)
        if block is None:
            continue
        if path.stem != block.block:
            errors.append(SpecError(source, 1, f"file name must be {block.block}.yaml"))
        blocks[block.block] = block
    return blocks


def load_event_specs(
    directory: Path, *, cite_from: Path | None = None
) -> tuple[list[EventSpec], list[BlockSpec]]:
    """Every event spec of ``directory`` and block of ``directory/snapshots``, sorted by
    name; raises ``SpecErrors`` with every problem of every file."""
    base = cite_from if cite_from is not None else directory.parent
    errors: list[SpecError] = []
    blocks = _load_blocks(directory, base, errors)
    specs: list[EventSpec] = []
    texts = _texts(directory, base, errors)
    if not texts:
        errors.append(SpecError(str(directory), 0, "no *.yaml event spec files here"))
    for path, source, text in texts:
        spec, problems = load_event_text(text, source, blocks)
        errors.extend(problems)
        if spec is None:
            continue
        if path.stem != spec.event:
            errors.append(
                SpecError(source, 1, f"file name must be the event name: {spec.event}.yaml")
            )
        specs.append(spec)
    errors.extend(_cross_check(specs, blocks.values()))
    if errors:
        raise SpecErrors(errors)
    return sorted(specs, key=lambda s: s.event), sorted(blocks.values(), key=lambda b: b.block)


def _cross_check(specs: Iterable[EventSpec], blocks: Iterable[BlockSpec]) -> list[SpecError]:
    errors = []
    seen: dict[str, str] = {b.module_name: b.source for b in blocks}
    for spec in specs:
        key = spec.module_name
        if key in seen:
            errors.append(
                SpecError(
                    spec.source,
                    1,
                    f"event {spec.event!r} collides with {seen[key]}: same module {key}.py",
                )
            )
        else:
            seen[key] = spec.source
    return errors


# --- rendering -----------------------------------------------------------------------------


def _field(header: EventHeader, indent: int, tail: str) -> str:
    """The declaration of one header in ``FIELDS``: ``field("cause", "Cause", INTEGER)``."""
    info = header.info
    args: list[tuple[str, Any]] = [
        ("", pystr(header.name)),
        ("", pystr(info.header)),
        ("", kind_constant(header.kind)),
    ]
    if info.available_in:
        args.append(("available_in", info.available_in))
    if info.choices:
        args.append(("choices", info.choices))
    if info.unit:
        args.append(("unit", pystr(info.unit)))
    if info.doc:
        args.append(("doc", info.doc))
    return declaration(" " * indent, "field", args, indent, tail)


def event_fields(headers: Sequence[EventHeader], indent: int) -> str:
    """``FIELDS: ClassVar[tuple[HeaderField, ...]] = (...)``: the fields of ``headers``, one a
    line (a single one on the line of ``FIELDS`` when it fits, as ruff writes it)."""
    pad = " " * indent
    head = f"{pad}FIELDS: ClassVar[tuple[HeaderField, ...]] = ("
    if len(headers) == 1:
        one = _field(headers[0], 0, ",)")
        if "\n" not in one and len(head) + len(one) <= WIDTH:
            return head + one
    lines = [_field(h, indent + 4, ",") for h in headers]
    return "\n".join([head, *lines, f"{pad})"])


def _set_test(head: str, values: Iterable[str], indent: int) -> str:
    """``if raw in {"a", "b"}:`` at ``indent``, one item a line when too long (as ruff)."""
    pad = " " * indent
    items = [pystr(v) for v in dict.fromkeys(values)]
    line = f"{pad}{head}{{{', '.join(items)}}}:"
    if len(line) <= WIDTH:
        return line
    return f"{pad}{head}{{\n" + "".join(f"{pad}    {item},\n" for item in items) + f"{pad}}}:"


def _fragment(code: str, sets: dict[str, tuple[str, ...]], indent: int) -> list[str]:
    """A kind's read fragment at ``indent``: each ``if raw in {name}:`` written with its set."""
    pad = " " * indent
    lines = []
    for line in code.split("\n"):
        named = re.fullmatch(r"(?P<lead> *)(?P<head>.* in )\{(?P<set>\w+)\}:", line)
        if named:
            depth = indent + len(named["lead"])
            lines.append(_set_test(named["head"], sets[named["set"]], depth))
        else:
            lines.append(pad + line)
    return lines


def event_property(header: EventHeader, indent: int) -> str:
    """The property of one header: its text (``self.headers.value``), read at once by the
    kind's read fragment when it is the usual text, else by ``_read`` (``sdk.model.event``)."""
    pad, body = " " * indent, " " * (indent + 4)
    info, kind = header.info, header.kind
    doc = f"{info.header} ({kind.name}{', ' + info.unit if info.unit else ''})."
    if info.doc:
        doc += f" {info.doc}"
    lines = [
        f"{pad}@property",
        f"{pad}def {header.name}(self) -> {kind.value} | None:",
        f'{pad}    """{docstring(doc, indent + 4)}"""',
    ]
    find = [("", pystr(search_key(info.header))), ("", pystr(info.header))]
    if kind.reader(info) is None:
        lines.append(declaration(f"{body}return ", "self.headers.value", find, indent + 4))
        return "\n".join(lines)
    lines.append(declaration(f"{body}raw = ", "self.headers.value", find, indent + 4))
    fragment = kind.read_fragment(info)
    if fragment is not None:
        code, sets = fragment
        lines.extend(_fragment(code, sets, indent + 4))
    lines.append(f"{body}return self._read({pystr(header.name)}, raw)")
    return "\n".join(lines)


def event_snapshot(ref: SnapshotRef, indent: int) -> str:
    """The declaration of a prefixed block: ``dest: SnapshotField[...] = snapshot(...)``."""
    view = f"{ref.block}Snapshot"
    args: list[tuple[str, Any]] = [("", view), ("", pystr(ref.prefix))]
    if ref.available_in:
        args.append(("available_in", ref.available_in))
    head = f"{' ' * indent}{ref.name}: SnapshotField[{view}] = "
    return declaration(head, "snapshot", args, indent)


def _environment() -> jinja2.Environment:
    env = environment()
    env.globals["event_fields"] = _code(event_fields)
    env.globals["event_property"] = _code(event_property)
    env.globals["event_snapshot"] = _code(event_snapshot)
    return env


def render_events(
    specs: Iterable[EventSpec], blocks: Iterable[BlockSpec], *, package: str = "sdk.events"
) -> dict[str, str]:
    """``{file name: source}``: a module per event and per block, and the package's
    ``__init__.py`` (the lazy registry)."""
    problem = package_problem(package)
    if problem:
        raise ValueError(problem)
    env = _environment()
    specs = sorted(specs, key=lambda s: s.module_name)
    blocks = sorted(blocks, key=lambda b: b.module_name)
    event_template = env.get_template("event.py.jinja")
    files = {
        f"{spec.module_name}.py": str(event_template.render(spec=spec, package=package))
        for spec in specs
    }
    block_template = env.get_template("block.py.jinja")
    for block in blocks:
        files[f"{block.module_name}.py"] = str(block_template.render(block=block))
    package_template = env.get_template("events.py.jinja")
    imports = sorted(
        [(b.module_name, f"{b.mixin}, {b.view}") for b in blocks]
        + [(s.module_name, s.class_name) for s in specs]
    )
    files["__init__.py"] = str(
        package_template.render(specs=specs, blocks=blocks, package=package, imports=imports)
    )
    return files
