"""Loading action specs: YAML in, checked models out, every problem reported at once.

The format is documented in ``specs/README.md``. Loading walks PyYAML's node tree rather than
the plain data so that each problem carries its file and line, and so that duplicate keys
(which PyYAML would silently merge) are caught.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs
import yaml

from codegen.naming import attribute_name, module_name
from sdk.action import Action
from sdk.fields import HEADER_NAME, KINDS, SCALAR_KINDS, indexed_header

__all__ = [
    "ActionSpec",
    "FieldSpec",
    "SpecError",
    "SpecErrors",
    "load_specs",
    "package_problem",
    "text_problem",
]

NAME_RULES = ("variable", "sip-token")
RULE_CLASSES = {
    "exactly_one_of": "ExactlyOneOf",
    "forbidden_names": "ForbiddenNames",
    "unique_names": "UniqueNames",
    "name_requires": "NameRequires",
}
RULE_KINDS = tuple(RULE_CLASSES)

# --- what generated code can take ----------------------------------------------------------

# An action, field or package name: ASCII only, so that Python does not normalize it into
# another name (NFKC: "ﬁ" is "fi") and every tool reads it alike.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What the generated modules bind at their top level (codegen/templates): an action module,
# and the package's __init__.py besides its actions. test_codegen_untrusted holds these to
# what the templates render.
ACTION_MODULE_NAMES = frozenset(
    {"annotations", "ClassVar", "attrs", "Action", "fast_init", "ami_field", "Variables"}
    | {"ExtraHeaders", "FieldInfo", "Records", "Rule", "__all__", *RULE_CLASSES.values()}
)
PACKAGE_NAMES = frozenset(
    {"annotations", "TYPE_CHECKING", "Generic", "ActionRegistry", "ACTIONS", "__all__"}
    | {"__getattr__", "__dir__"}
)
# A field may not shadow what the base class defines (attributes, methods, ``RULES``...) nor
# a name its class body calls; an action may not shadow what its module or the package binds.
RESERVED_FIELD_NAMES = frozenset(dir(Action)) | ACTION_MODULE_NAMES
RESERVED_ACTION_NAMES = PACKAGE_NAMES | ACTION_MODULE_NAMES
# Text in a spec may hold line ends and tabs only where it is prose (docstrings and docs).
_PROSE_KEYS = frozenset({"summary", "description", "doc", "reason"})


def identifier_problem(name: str) -> str | None:
    """Why ``name`` cannot be an action, field or package part, or None."""
    if not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        return "is not an ASCII Python identifier"
    return None


def package_problem(package: str) -> str | None:
    """Why ``package`` cannot be the dotted name of a generated package, or None."""
    if any(identifier_problem(part) for part in package.split(".")):
        return f"{package!r} is not a dotted Python name (such as mypbx.actions)"
    return None


def text_problem(text: str, *, prose: bool = False) -> str | None:
    """The first character of ``text`` that generated source must not carry, or None.

    Control, format and separator characters (categories C*, Zl, Zp: NUL, ESC, DEL, the
    bidirectional overrides, U+2028...) can hide code from a reader or end a line in some
    tool; prose may hold line ends and tabs, which the generator folds into its layout.
    """
    for index, char in enumerate(text):
        if prose and char in "\n\t":
            continue
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            return (
                f"control character U+{ord(char):04X} at position {index}:"
                " generated code cannot carry it; remove it"
            )
    return None


@attrs.frozen
class SpecError:
    """One problem in one spec file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class SpecErrors(Exception):
    """Every problem found while loading specs (``.errors``)."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.path, e.line, e.message))
        count = len(self.errors)
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the specs:\n{lines}")


@attrs.frozen
class FieldSpec:
    header: str
    name: str
    kind: str = "string"
    required: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()
    min_items: int = 0
    secret: bool = False
    default: str | None = None
    name_rule: str = "variable"
    members: tuple[FieldSpec, ...] = ()  # kind indexed: the headers of one group
    start: int = 0  # kind indexed: the first group's number
    line: int = 0

    @property
    def python_type(self) -> str:
        return {
            "string": "str | None",
            "integer": "int | None",
            "boolean": "bool | None",
            "enum": "str | None",
            "variables": "Variables",
            "headers": "ExtraHeaders",
            "indexed": "Records",
        }[self.kind]


@attrs.frozen
class RuleSpec:
    """One rule across fields (``rules:`` of a spec), its fields as attribute names."""

    kind: str
    fields: tuple[str, ...] = ()  # exactly_one_of
    field: str = ""  # the others: a variables or headers field
    names: tuple[str, ...] = ()
    name: str = ""
    requires: str = ""
    reason: str = ""
    line: int = 0

    @property
    def class_name(self) -> str:
        return RULE_CLASSES[self.kind]


@attrs.frozen
class ActionSpec:
    action: str
    summary: str
    source: str  # the spec's path as generated files cite it
    description: str = ""
    curated: bool = False  # maintained by hand: the docs importer leaves it alone
    module: str = ""
    since: str = ""
    removed_in: str = ""
    privilege: str = ""
    available_in: tuple[str, ...] = ()
    replaced_by: str = ""
    fields: tuple[FieldSpec, ...] = ()
    success_message: str | None = None
    list_events: tuple[str, ...] = ()
    list_complete: str | None = None
    rules: tuple[RuleSpec, ...] = ()

    @property
    def rule_imports(self) -> list[str]:
        """Names the generated module imports from ``sdk.rules``."""
        return sorted({r.class_name for r in self.rules} | ({"Rule"} if self.rules else set()))

    @property
    def module_name(self) -> str:
        return module_name(self.action)

    @property
    def field_imports(self) -> list[str]:
        """Names the generated module imports from ``sdk.fields``."""
        names = {"ami_field"} if self.fields else set()
        kinds = {f.kind for f in self.fields}
        if "variables" in kinds:
            names.add("Variables")
        if "headers" in kinds:
            names.add("ExtraHeaders")
        if "indexed" in kinds:
            names.update(("FieldInfo", "Records"))
        return sorted(names, key=lambda n: (n[0].islower(), n))


# --- node checking -----------------------------------------------------------------------

_constructor = yaml.constructor.SafeConstructor()


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Checker:
    """Reads one spec file's node tree, collecting problems instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[SpecError] = []

    def error(self, node: yaml.Node | int, message: str) -> None:
        line = node if isinstance(node, int) else _line(node)
        self.errors.append(SpecError(self.source, line, message))

    def mapping(
        self, node: yaml.Node, where: str, schema: dict[str, tuple[Callable, bool]]
    ) -> dict[str, Any]:
        """Check a mapping against ``schema`` ({key: (reader, required)}); return what reads."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where} must be a mapping")
            return {}
        out: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _construct(self, key_node, where)
            if key is _INVALID:
                continue
            if not isinstance(key, str):
                self.error(key_node, f"{where}: key {key!r} must be a string")
                continue
            if key in lines:
                self.error(key_node, f"{where}: duplicate key {key!r} (first on line {lines[key]})")
                continue
            lines[key] = _line(key_node)
            if key not in schema:
                known = ", ".join(sorted(schema))
                self.error(key_node, f"{where}: unknown key {key!r} (known: {known})")
                continue
            reader, _required = schema[key]
            value = reader(self, value_node, f"{where}.{key}")
            if value is not _INVALID:
                out[key] = value
        for key, (_reader, required) in schema.items():
            if required and key not in lines:
                self.error(node, f"{where}: missing key {key!r}")
        out["__lines__"] = lines
        return out


_INVALID = object()


def _construct(checker: _Checker, node: yaml.Node, where: str) -> Any:
    """The value of a scalar node, or _INVALID (a tag that names no plain YAML type)."""
    try:
        return _constructor.construct_object(node)
    except yaml.YAMLError as exc:
        checker.error(node, f"{where}: {getattr(exc, 'problem', None) or exc}")
        return _INVALID


def _scalar(
    expected: tuple[type, ...], label: str, *, coerce: bool = False, text: bool = True
) -> Callable:
    """A reader of one scalar of the ``expected`` types; numbers (and booleans, when
    ``expected`` admits them) become strings where ``coerce`` is set (``since: 12``). With
    ``text``, a string must be fit for generated source (``text_problem``; keys named in
    ``_PROSE_KEYS`` may hold line ends)."""

    def read(checker: _Checker, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            checker.error(node, f"{where} must be {label}")
            return _INVALID
        value = _construct(checker, node, where)
        if value is _INVALID:
            return _INVALID
        if isinstance(value, bool):
            if bool not in expected:
                checker.error(node, f"{where} must be {label}, not {value!r}")
                return _INVALID
            return ("true" if value else "false") if coerce else value
        if coerce and isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, expected):
            checker.error(node, f"{where} must be {label}, not {value!r}")
            return _INVALID
        if text and isinstance(value, str):
            problem = text_problem(value, prose=where.rsplit(".", 1)[-1] in _PROSE_KEYS)
            if problem:
                checker.error(node, f"{where}: {problem}")
                return _INVALID
        return value

    return read


_str = _scalar((str,), "a string")
_header = _scalar((str,), "a string", text=False)  # checked as a header name (_read_field)
_version = _scalar((str,), "a version string", coerce=True)
_bool = _scalar((bool,), "true or false")
_int = _scalar((int,), "an integer")
_default = _scalar((str, bool), "a string, number or boolean", coerce=True)


def _list_of(item: Callable) -> Callable:
    def read(checker: _Checker, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            checker.error(node, f"{where} must be a list")
            return _INVALID
        out = []
        for index, child in enumerate(node.value):
            value = item(checker, child, f"{where}[{index}]")
            if value is not _INVALID:
                out.append(value)
        return tuple(out)

    return read


def _node(checker: _Checker, node: yaml.Node, where: str) -> Any:
    return node


RESPONSE_SCHEMA = {
    "success_message": (_str, False),
    "list_events": (_list_of(_str), False),
    "list_complete": (_str, False),
}
FIELD_SCHEMA = {
    "header": (_header, True),
    "name": (_str, False),
    "kind": (_str, False),
    "required": (_bool, False),
    "doc": (_str, False),
    "choices": (_list_of(_str), False),
    "min_items": (_int, False),
    "secret": (_bool, False),
    "default": (_default, False),
    "name_rule": (_str, False),
    "members": (_list_of(_node), False),
    "start": (_int, False),
}
MEMBER_SCHEMA = {
    key: FIELD_SCHEMA[key]
    for key in ("header", "name", "kind", "required", "doc", "choices", "secret", "default")
}
TOP_SCHEMA = {
    "action": (_str, True),
    "summary": (_str, True),
    "curated": (_bool, False),
    "description": (_str, False),
    "module": (_str, False),
    "since": (_version, False),
    "removed_in": (_version, False),
    "privilege": (_str, False),
    "available_in": (_list_of(_version), False),
    "replaced_by": (_str, False),
    "fields": (_list_of(_node), True),
    "response": (_node, False),
    "rules": (_list_of(_node), False),
}
NAMES_RULE_SCHEMA = {"field": (_str, True), "names": (_list_of(_str), True), "reason": (_str, True)}
REQUIRES_RULE_SCHEMA = {
    "field": (_str, True),
    "name": (_str, True),
    "requires": (_str, True),
    "reason": (_str, True),
}


def _read_field(
    checker: _Checker, node: yaml.Node, index: int, group: str | None = None
) -> FieldSpec | None:
    """One field; with ``group`` (the indexed field's header), one member of that group."""
    where = f"fields[{index}]" if group is None else f"field {group!r}: members[{index}]"
    data = checker.mapping(node, where, FIELD_SCHEMA if group is None else MEMBER_SCHEMA)
    lines = data.pop("__lines__", {})
    if "header" not in data:
        return None
    header = data["header"]
    where = f"field {header!r}" if group is None else f"field {group!r}: member {header!r}"
    line = _line(node)
    if group is None and header.lower() in ("action", "actionid"):
        checker.error(line, f"{header} belongs to the base class: leave it out")
        return None
    kind = data.get("kind", "string")
    if kind != "indexed" and not HEADER_NAME.fullmatch(header):  # a pattern is checked below
        checker.error(
            lines.get("header", line),
            f"{where}: header {header!r} is no AMI header name"
            " (printable ASCII without blanks or ':')",
        )
    allowed = KINDS if group is None else SCALAR_KINDS
    if kind not in allowed:
        checker.error(
            lines.get("kind", line), f"{where}: kind {kind!r} is not one of {', '.join(allowed)}"
        )
        return None
    members: list[FieldSpec] = []
    if kind == "indexed":
        members = _read_members(checker, data, lines, header, where, line)
    elif "members" in data or "start" in data:
        key = "members" if "members" in data else "start"
        checker.error(lines[key], f"{where}: '{key}' only fits kind indexed")
    if "name" in data:
        name = data["name"]
        problem = identifier_problem(name)
        if problem:
            checker.error(lines["name"], f"{where}: name {name!r} {problem}")
            return None
    elif kind == "indexed":
        checker.error(line, f"{where}: kind indexed needs a 'name:' (its header is a pattern)")
        return None
    else:
        name = attribute_name(header)
        if identifier_problem(name):
            checker.error(
                lines.get("header", line),
                f"{where}: header maps to {name!r}, which is no Python identifier; give a 'name:'",
            )
            return None
    if name in RESERVED_FIELD_NAMES or name.startswith("_"):
        checker.error(
            lines.get("name", line),
            f"{where}: name {name!r} is reserved: the Action base class or the generated"
            " module already uses it",
        )
        return None
    choices = data.get("choices", ())
    if kind == "enum" and not choices:
        checker.error(line, f"{where}: kind enum needs 'choices'")
    if choices and kind != "enum":
        checker.error(lines["choices"], f"{where}: 'choices' only fits kind enum")
    if "min_items" in data and kind not in ("variables", "headers", "indexed"):
        checker.error(
            lines["min_items"],
            f"{where}: 'min_items' only fits kinds variables, headers and indexed",
        )
    name_rule = data.get("name_rule", "variable")
    if "name_rule" in data and kind != "variables":
        checker.error(lines["name_rule"], f"{where}: 'name_rule' only fits kind variables")
    if name_rule not in NAME_RULES:
        checker.error(
            lines.get("name_rule", line),
            f"{where}: name_rule must be one of {', '.join(NAME_RULES)}",
        )
    return FieldSpec(
        header=header,
        name=name,
        kind=kind,
        required=data.get("required", False),
        doc=data.get("doc", ""),
        choices=tuple(choices),
        min_items=data.get("min_items", 0),
        secret=data.get("secret", False),
        default=data.get("default"),
        name_rule=name_rule,
        members=tuple(members),
        start=data.get("start", 0),
        line=line,
    )


def _read_members(
    checker: _Checker,
    data: dict[str, Any],
    lines: dict[str, int],
    pattern: str,
    where: str,
    line: int,
) -> list[FieldSpec]:
    """Check an indexed field's header pattern and read its members."""
    if "{member}" not in pattern or "{index" not in pattern:
        checker.error(
            lines.get("header", line),
            f"{where}: the header of kind indexed is a pattern with {{member}} and {{index}}"
            " (such as {member}-{index:06d})",
        )
    else:
        try:
            samples = [indexed_header(pattern, "Name", n) for n in (0, 99999)]
        except (KeyError, IndexError, ValueError) as exc:
            checker.error(lines.get("header", line), f"{where}: bad header pattern: {exc}")
        else:
            if not all(HEADER_NAME.fullmatch(sample) for sample in samples):
                checker.error(
                    lines.get("header", line),
                    f"{where}: the pattern makes {samples[0]!r}, which is no header name"
                    " (printable ASCII without blanks or ':')",
                )
    if data.get("start", 0) < 0:
        checker.error(lines["start"], f"{where}: 'start' must not be negative")
    nodes = data.get("members", ())
    if not nodes:
        checker.error(lines.get("members", line), f"{where}: kind indexed needs 'members'")
    members: list[FieldSpec] = []
    for number, member_node in enumerate(nodes):
        member = _read_field(checker, member_node, number, group=pattern)
        if member is None:
            continue
        if any(m.header.lower() == member.header.lower() for m in members):
            checker.error(member.line, f"{where}: duplicate member {member.header!r}")
        elif any(m.name == member.name for m in members):
            checker.error(member.line, f"{where}: two members map to {member.name!r}")
        else:
            members.append(member)
    return members


def _read_spec(checker: _Checker, root: yaml.Node) -> ActionSpec | None:
    data = checker.mapping(root, "spec", TOP_SCHEMA)
    lines = data.pop("__lines__", {})
    response: dict[str, Any] = {}
    if "response" in data:
        response = checker.mapping(data["response"], "response", RESPONSE_SCHEMA)
        response.pop("__lines__", None)
    fields: list[FieldSpec] = []
    for index, node in enumerate(data.get("fields", ())):
        field = _read_field(checker, node, index)
        if field is not None:
            fields.append(field)
    headers: dict[str, FieldSpec] = {}
    names: dict[str, FieldSpec] = {}
    for field in fields:
        folded = field.header.lower()
        if folded in headers:
            first = headers[folded]
            checker.error(
                field.line, f"duplicate field: header {field.header!r} (first on line {first.line})"
            )
            continue
        headers[folded] = field
        if field.name in names:
            first = names[field.name]
            checker.error(
                field.line,
                f"name collision: {field.header!r} and {first.header!r} (line {first.line})"
                f" both map to {field.name!r}; give one a 'name:'",
            )
        else:
            names[field.name] = field
    rules = [
        rule
        for index, node in enumerate(data.get("rules", ()))
        if (rule := _read_rule(checker, node, index, headers)) is not None
    ]
    action = data.get("action")
    if action is not None:
        problem = identifier_problem(action)
        if problem is None and (action in RESERVED_ACTION_NAMES or action.startswith("_")):
            problem = "is reserved: the generated package or module already uses this name"
        if problem:
            checker.error(lines["action"], f"action {action!r} {problem}")
            action = None
    if action is None or "summary" not in data:
        return None
    return ActionSpec(
        action=action,
        summary=data["summary"],
        source=checker.source,
        curated=data.get("curated", False),
        description=data.get("description", ""),
        module=data.get("module", ""),
        since=data.get("since", ""),
        removed_in=data.get("removed_in", ""),
        privilege=data.get("privilege", ""),
        available_in=tuple(data.get("available_in", ())),
        replaced_by=data.get("replaced_by", ""),
        fields=tuple(fields),
        success_message=response.get("success_message"),
        list_events=tuple(response.get("list_events", ())),
        list_complete=response.get("list_complete"),
        rules=tuple(rules),
    )


def _read_rule(
    checker: _Checker, node: yaml.Node, index: int, headers: dict[str, FieldSpec]
) -> RuleSpec | None:
    """One entry of ``rules:``: a mapping with a single key, the rule's kind."""
    where = f"rules[{index}]"
    line = _line(node)
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        checker.error(node, f"{where} must be a mapping with one key: {', '.join(RULE_KINDS)}")
        return None
    key_node, value_node = node.value[0]
    kind = _construct(checker, key_node, where)
    if kind is _INVALID:
        return None
    if kind not in RULE_KINDS:
        checker.error(key_node, f"{where}: unknown rule {kind!r} (known: {', '.join(RULE_KINDS)})")
        return None

    def field_of(header: str, *, pairs: bool = False) -> FieldSpec | None:
        field = headers.get(header.lower())
        if field is None:
            checker.error(
                line, f"{where}: {kind} names {header!r}, which is no field of this action"
            )
        elif pairs and field.kind not in ("variables", "headers"):
            checker.error(
                line, f"{where}: {kind} needs a variables or headers field, not {header!r}"
            )
            return None
        return field

    if kind == "exactly_one_of":
        listed = _list_of(_str)(checker, value_node, f"{where}.{kind}")
        if listed is _INVALID:
            return None
        if len(listed) < 2:
            checker.error(line, f"{where}: exactly_one_of needs at least two fields")
            return None
        found = [field_of(h) for h in listed]
        if None in found:
            return None
        return RuleSpec(kind, fields=tuple(f.name for f in found if f), line=line)
    schema = REQUIRES_RULE_SCHEMA if kind == "name_requires" else NAMES_RULE_SCHEMA
    data = checker.mapping(value_node, f"{where}.{kind}", schema)
    if any(key not in data for key in schema):
        return None
    field = field_of(data["field"], pairs=True)
    if field is None:
        return None
    return RuleSpec(
        kind,
        field=field.name,
        names=tuple(data.get("names", ())),
        name=data.get("name", ""),
        requires=data.get("requires", ""),
        reason=data["reason"],
        line=line,
    )


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: a spec needs none, and aliases of aliases make
    a few lines stand for millions of nodes."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "an alias (*name): specs may not use anchors and aliases", mark
            )
        return super().compose_node(parent, index)


def load_spec_text(text: str, source: str) -> tuple[ActionSpec | None, list[SpecError]]:
    """Read one spec's text; ``source`` names it in errors and in the generated code."""
    checker = _Checker(source)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [SpecError(source, line, f"YAML syntax: {problem}")]
    if root is None:
        return None, [SpecError(source, 1, "empty spec")]
    spec = _read_spec(checker, root)
    return spec, checker.errors


def load_specs(directory: Path, *, cite_from: Path | None = None) -> list[ActionSpec]:
    """Load every ``*.yaml`` in ``directory``, sorted by action; raise ``SpecErrors`` on problems.

    Paths in errors and generated files are relative to ``cite_from`` (default: the parent of
    ``directory``), so the output does not depend on the working directory.
    """
    base = cite_from if cite_from is not None else directory.parent
    errors: list[SpecError] = []
    specs: list[ActionSpec] = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise SpecErrors([SpecError(str(directory), 0, "no *.yaml spec files here")])
    for path in files:
        source = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            errors.append(SpecError(source, 1, f"not UTF-8 text (byte {exc.start}: {exc.reason})"))
            continue
        spec, problems = load_spec_text(text, source)
        errors.extend(problems)
        if spec is None:
            continue
        if path.stem != spec.action:
            errors.append(
                SpecError(source, 1, f"file name must be the action name: {spec.action}.yaml")
            )
        specs.append(spec)
    errors.extend(_cross_check(specs))
    if errors:
        raise SpecErrors(errors)
    return sorted(specs, key=lambda s: s.action)


def _cross_check(specs: Iterable[ActionSpec]) -> list[SpecError]:
    errors = []
    seen: dict[str, ActionSpec] = {}
    for spec in specs:
        key = spec.module_name
        if key in seen:
            first = seen[key]
            errors.append(
                SpecError(
                    spec.source,
                    1,
                    f"action {spec.action!r} collides with {first.action!r} ({first.source}): same module {key}.py",
                )
            )
        else:
            seen[key] = spec
    return errors
