"""Loading action specs: YAML in, checked models out, every problem reported at once.

The format is documented in ``specs/README.md``. Loading walks PyYAML's node tree rather than
the plain data so that each problem carries its file and line, and so that duplicate keys
(which PyYAML would silently merge) are caught.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs
import yaml

from codegen.naming import attribute_name, module_name
from sdk.model.action import Action
from sdk.model.checks import MAX_LINES, PAIR_NAMES
from sdk.model.fields import FieldInfo
from sdk.model.kinds import COMMON_FACTS, ENUM, KINDS, RELEASE_FACTS, Kind, kind_of

__all__ = [
    "ActionSpec",
    "SpecField",
    "SpecError",
    "SpecErrors",
    "load_specs",
    "package_problem",
    "text_problem",
]

NAME_RULES = tuple(PAIR_NAMES)
RULE_CLASSES = {
    "exactly_one_of": "ExactlyOneOf",
    "forbidden_names": "ForbiddenNames",
    "unique_names": "UniqueNames",
    "name_requires": "NameRequires",
}
RULE_KINDS = tuple(RULE_CLASSES)


def kind_constant(kind: Kind) -> str:
    """The name of the kind object in ``sdk.model.kinds`` (``STRING``, ``VARIABLES``...)."""
    return kind.name.upper()


# --- what generated code can take ----------------------------------------------------------

# An action, field or package name: ASCII only, so that Python does not normalize it into
# another name (NFKC: "ﬁ" is "fi") and every tool reads it alike.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What the generated modules bind at their top level (codegen/templates): an action module,
# and the package's __init__.py besides its actions. test_codegen_untrusted holds these to
# what the templates render.
ACTION_MODULE_NAMES = frozenset(
    {"annotations", "ClassVar", "attrs", "Action", "ami_field", "FieldProblem", "Found"}
    | {"Rule", "__all__", "_SLOTS", "_CHOICES", "slot_setters", "fast_choices"}
    | {"SIP_TOKENS", "is_sip_token", "too_long", *RULE_CLASSES.values()}
    | {kind_constant(kind) for kind in KINDS.values()}  # the kind objects, by their names
    | {name for kind in KINDS.values() for _module, name in kind.imports + kind.fast_imports}
)
PACKAGE_NAMES = frozenset(
    {"annotations", "TYPE_CHECKING", "Generic", "ActionRegistry", "ACTIONS", "__all__"}
    | {"__getattr__", "__dir__"}
)
# A field may not shadow what the base class defines (attributes, methods, ``RULES``...) nor
# a name its class body calls; an action may not shadow what its module or the package binds.
# And a field is a parameter of the generated __init__ and fast path: not ``self``, nor a
# builtin they call.
RESERVED_FIELD_NAMES = (
    frozenset(dir(Action)) | ACTION_MODULE_NAMES | frozenset(dir(builtins)) | {"self"}
)
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
class SpecField:
    """One field of a spec: the runtime's own ``FieldInfo``, and what only codegen needs
    (the Python attribute, the spec's line)."""

    name: str
    info: FieldInfo
    line: int = 0

    @property
    def header(self) -> str:
        return self.info.header

    @property
    def kind(self) -> Kind:
        return kind_of(self.info.kind)


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
    fields: tuple[SpecField, ...] = ()
    success_message: str | None = None
    list_events: tuple[str, ...] = ()
    list_complete: str | None = None
    rules: tuple[RuleSpec, ...] = ()

    @property
    def rule_imports(self) -> list[str]:
        """Names the generated module imports from ``sdk.model.rules``."""
        return sorted({r.class_name for r in self.rules} | ({"Rule"} if self.rules else set()))

    @property
    def module_name(self) -> str:
        return module_name(self.action)

    def imports(self, module: str) -> list[str]:
        """Names the generated module imports from ``module`` for the kinds of its fields."""
        names = {name for f in self.fields for mod, name in f.kind.imports if mod == module}
        return sorted(names, key=lambda n: (n[0].islower(), n))

    @property
    def kind_names(self) -> list[str]:
        """The kind objects its full path calls (``STRING``, ``VARIABLES``...), sorted."""
        return sorted({kind_constant(f.kind) for f in self.fields})

    @property
    def pair_counts(self) -> list[str]:
        """The fast path's counts of pairs (``len(_p2)``...), one per field of pairs."""
        return [f"len(_p{n})" for n, f in enumerate(self.fields, 1) if f.kind.pairs]

    @property
    def pair_room(self) -> int:
        """Lines left for pairs: 128, less Action, ActionID and one a field of one line."""
        return MAX_LINES - 2 - sum(not f.kind.pairs for f in self.fields)

    @property
    def has_choices(self) -> bool:
        return any(f.kind is ENUM for f in self.fields)

    @property
    def fast(self) -> bool:
        """Whether every field's kind has a fast path (then the module has one)."""
        return all(f.kind.fast is not None for f in self.fields)


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
        self, node: yaml.Node, where: str, schema: dict[str, tuple[Callable[..., Any], bool]]
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
) -> Callable[..., Any]:
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


def _list_of(item: Callable[..., Any]) -> Callable[..., Any]:
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


def _major(checker: _Checker, node: yaml.Node, where: str) -> Any:
    """An Asterisk major, such as ``20`` (a number or a string of digits)."""
    value = _version(checker, node, where)
    if value is not _INVALID and not value.isdigit():
        checker.error(node, f"{where} must be an Asterisk major such as 20, not {value!r}")
        return _INVALID
    return value


def _values_by_release(checker: _Checker, node: yaml.Node, where: str) -> Any:
    """``choices_in``: a mapping of Asterisk major to a list of values."""
    if not isinstance(node, yaml.MappingNode):
        checker.error(node, f"{where} must be a mapping of Asterisk major to values")
        return _INVALID
    out: dict[str, tuple[str, ...]] = {}
    for key_node, value_node in node.value:
        major = _major(checker, key_node, f"{where} key")
        values = _list_of(_str)(checker, value_node, f"{where}[{major}]")
        if major is _INVALID or values is _INVALID:
            continue
        if major in out:
            checker.error(key_node, f"{where}: {major} is given twice")
        elif not values:
            checker.error(value_node, f"{where}[{major}] names no value")
        else:
            out[major] = values
    return out


RESPONSE_SCHEMA = {
    "success_message": (_str, False),
    "list_events": (_list_of(_str), False),
    "list_complete": (_str, False),
}
# A field's keys are its Python name and the facts of ``FieldInfo`` (one model of a field),
# each read by its type; a member of an indexed group takes the facts of the scalar kinds.
_FACT_READERS: dict[str, Callable[..., Any]] = {
    "str": _str,
    "bool": _bool,
    "int": _int,
    "tuple[str, ...]": _list_of(_str),
    "str | None": _default,
    "tuple[tuple[str, FieldInfo], ...]": _list_of(_node),
}
# ... except the release facts, whose values are Asterisk majors
_RELEASE_READERS: dict[str, Callable[..., Any]] = {
    "available_in": _list_of(_major),
    "required_in": _list_of(_major),
    "choices_in": _values_by_release,
}
FIELD_SCHEMA = {
    "header": (_header, True),
    "name": (_str, False),
    **{
        fact.name: (_RELEASE_READERS.get(fact.name) or _FACT_READERS[str(fact.type)], False)
        for fact in attrs.fields(FieldInfo)
        if fact.name != "header"
    },
}
MEMBER_FACTS = (
    frozenset(COMMON_FACTS)
    | {fact for kind in KINDS.values() if kind.scalar for fact in kind.facts}
) - set(RELEASE_FACTS)
MEMBER_SCHEMA = {
    key: FIELD_SCHEMA[key] for key in FIELD_SCHEMA if key == "name" or key in MEMBER_FACTS
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


def _kinds_taking(fact: str) -> str:
    """The kinds that take ``fact``, in words: "kind enum", "kinds variables, headers and
    indexed"."""
    names = [name for name, kind in KINDS.items() if fact in kind.facts]
    if len(names) == 1:
        return f"kind {names[0]}"
    return f"kinds {', '.join(names[:-1])} and {names[-1]}"


def _attribute(
    checker: _Checker, data: dict[str, Any], lines: dict[str, int], where: str, line: int
) -> str | None:
    """The attribute of a field (or event header): its ``name:``, else the name its header
    maps to; None, the problem said, when that is no Python identifier."""
    if "name" in data:
        name: str = data["name"]
        problem = identifier_problem(name)
        if problem:
            checker.error(lines["name"], f"{where}: name {name!r} {problem}")
            return None
        return name
    name = attribute_name(data["header"])
    if identifier_problem(name):
        checker.error(
            lines.get("header", line),
            f"{where}: header maps to {name!r}, which is no Python identifier; give a 'name:'",
        )
        return None
    return name


def _read_field(
    checker: _Checker, node: yaml.Node, index: int, group: str | None = None
) -> SpecField | None:
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
    name_of_kind = data.get("kind", "string")
    kind = KINDS.get(name_of_kind)
    problem = (kind or kind_of("string")).header_problem(header)
    if problem and not (kind and kind.pattern):  # a pattern is checked with its members
        checker.error(lines.get("header", line), f"{where}: {problem}")
    allowed = [n for n, k in KINDS.items() if (group is None or k.scalar) and k.sends]
    if kind is None or name_of_kind not in allowed:
        checker.error(
            lines.get("kind", line),
            f"{where}: kind {name_of_kind!r} is not one of {', '.join(allowed)}",
        )
        return None
    members: list[SpecField] = []
    if "members" in kind.facts:
        members = _read_members(checker, data, lines, header, where, line, problem)
    else:
        extra = [f for f in ("members", "start") if f in data]
        if extra:
            checker.error(
                lines[extra[0]], f"{where}: '{extra[0]}' only fits {_kinds_taking(extra[0])}"
            )
    if "name" not in data and kind.pattern:
        checker.error(line, f"{where}: kind {kind.name} needs a 'name:' (its header is a pattern)")
        return None
    name = _attribute(checker, data, lines, where, line)
    if name is None:
        return None
    if name in RESERVED_FIELD_NAMES or name.startswith("_"):
        checker.error(
            lines.get("name", line),
            f"{where}: name {name!r} is reserved: the Action base class or the generated"
            " module already uses it",
        )
        return None
    for fact in kind.needs:
        if fact != "members" and not data.get(fact):
            checker.error(line, f"{where}: kind {kind.name} needs {fact!r}")
    for fact in ("choices", "choices_in", "unit", "min_items", "name_rule"):
        if fact in data and fact not in kind.facts:
            checker.error(lines[fact], f"{where}: {fact!r} only fits {_kinds_taking(fact)}")
    name_rule = data.get("name_rule", "variable")
    if name_rule not in NAME_RULES:
        checker.error(
            lines.get("name_rule", line),
            f"{where}: name_rule must be one of {', '.join(NAME_RULES)}",
        )
    facts = {key: value for key, value in data.items() if key != "name"}
    facts["members"] = tuple((m.name, m.info) for m in members)
    return SpecField(name=name, info=FieldInfo(**facts), line=line)


def _read_members(
    checker: _Checker,
    data: dict[str, Any],
    lines: dict[str, int],
    pattern: str,
    where: str,
    line: int,
    problem: str | None,
) -> list[SpecField]:
    """Check an indexed field's header pattern (``problem``: what its kind finds) and read
    its members."""
    if problem:
        checker.error(lines.get("header", line), f"{where}: {problem}")
    if data.get("start", 0) < 0:
        checker.error(lines["start"], f"{where}: 'start' must not be negative")
    nodes = data.get("members", ())
    if not nodes:
        checker.error(lines.get("members", line), f"{where}: kind indexed needs 'members'")
    members: list[SpecField] = []
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
    fields: list[SpecField] = []
    for index, node in enumerate(data.get("fields", ())):
        field = _read_field(checker, node, index)
        if field is not None:
            fields.append(field)
    headers: dict[str, SpecField] = {}
    names: dict[str, SpecField] = {}
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
    for field in fields:
        _check_releases(checker, field, tuple(data.get("available_in", ())))
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


def _check_releases(checker: _Checker, field: SpecField, action_majors: tuple[str, ...]) -> None:
    """A field's release facts fit its action's releases and its own facts."""
    info = field.info
    where = f"field {field.header!r}"

    def outside(majors: Iterable[str], of: tuple[str, ...]) -> str:
        return ", ".join(m for m in majors if m not in of)

    if info.available_in:
        if not action_majors:
            checker.error(field.line, f"{where}: available_in needs the action's available_in")
        elif extra := outside(info.available_in, action_majors):
            checker.error(
                field.line, f"{where}: available_in names {extra}, which the action's does not"
            )
    majors = info.majors(action_majors)
    if info.required_in and (extra := outside(info.required_in, majors)):
        checker.error(field.line, f"{where}: required_in names {extra}, which lack the field")
    if extra := outside((m for m, _ in info.choices_in), majors):
        checker.error(field.line, f"{where}: choices_in names {extra}, which lack the field")
    known = {c.lower() for c in info.choices}
    for major, values in info.choices_in:
        unknown = [v for v in values if v.lower() not in known]
        if unknown:
            checker.error(
                field.line,
                f"{where}: choices_in[{major}] has {', '.join(map(repr, unknown))}, which"
                " choices lacks (choices holds every value some release takes)",
            )


def _read_rule(
    checker: _Checker, node: yaml.Node, index: int, headers: dict[str, SpecField]
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

    def field_of(header: str, *, pairs: bool = False) -> SpecField | None:
        field = headers.get(header.lower())
        if field is None:
            checker.error(
                line, f"{where}: {kind} names {header!r}, which is no field of this action"
            )
        elif pairs and not field.kind.pairs:
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


# libyaml's composer where PyYAML has it (its wheels do): reading the YAML is most of a
# codegen run, and libyaml reads it about five times as fast as PyYAML's own composer, with
# the same nodes, tags and lines. Either builds an alias as the anchored node reached twice.
_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str, source: str) -> tuple[yaml.Node | None, list[SpecError]]:
    """The node tree of one spec's text, or None and the problem (YAML syntax, empty, an
    alias: a spec needs none, and aliases of aliases make a few lines stand for millions of
    nodes)."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [SpecError(source, line, f"YAML syntax: {problem}")]
    if root is None:
        return None, [SpecError(source, 1, "empty spec")]
    twice = _reached_twice(root)
    if twice is not None:
        message = "an anchor and its alias (&name, *name): specs may not use them"
        return None, [SpecError(source, twice.start_mark.line + 1, message)]
    return root, []


def _reached_twice(root: yaml.Node) -> yaml.Node | None:
    """The first node of the tree that is reached twice (an alias's anchor), or None; each
    node is visited once, so aliases of aliases cost no more than their own lines."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def load_spec_text(text: str, source: str) -> tuple[ActionSpec | None, list[SpecError]]:
    """Read one spec's text; ``source`` names it in errors and in the generated code."""
    root, errors = compose(text, source)
    if root is None:
        return None, errors
    checker = _Checker(source)
    spec = _read_spec(checker, root)
    return spec, checker.errors


def _texts(directory: Path, base: Path, errors: list[SpecError]) -> list[tuple[Path, str, str]]:
    """``(path, source, text)`` of each ``*.yaml`` of ``directory``, in name order: ``source``
    its path from ``base`` (as errors and generated code cite it); a file that is not UTF-8
    goes to ``errors`` instead."""
    out = []
    for path in sorted(directory.glob("*.yaml")):
        source = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.as_posix()
        try:
            out.append((path, source, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError as exc:
            errors.append(SpecError(source, 1, f"not UTF-8 text (byte {exc.start}: {exc.reason})"))
    return out


def load_specs(directory: Path, *, cite_from: Path | None = None) -> list[ActionSpec]:
    """Load every ``*.yaml`` in ``directory``, sorted by action; raise ``SpecErrors`` on problems.

    Paths in errors and generated files are relative to ``cite_from`` (default: the parent of
    ``directory``), so the output does not depend on the working directory.
    """
    base = cite_from if cite_from is not None else directory.parent
    errors: list[SpecError] = []
    specs: list[ActionSpec] = []
    texts = _texts(directory, base, errors)
    if not texts and not errors:
        raise SpecErrors([SpecError(str(directory), 0, "no *.yaml spec files here")])
    for path, source, text in texts:
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
