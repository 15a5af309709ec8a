"""Specs and folder names are untrusted input to codegen.

The loader refuses, in one report for every spec, what cannot be written safely (bad header
names, names that are no ASCII identifier or that the generated code already uses, control
characters); everything it accepts is escaped into the generated files, so importing code
generated from hostile specs, out of a hostile folder, runs nothing and writes nothing.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from codegen import ROOT, SPECS_DIR
from codegen.render import UnsafeText, environment, render_all
from codegen.spec import (
    ACTION_MODULE_NAMES,
    PACKAGE_NAMES,
    RESERVED_FIELD_NAMES,
    SpecErrors,
    load_specs,
)

CANARY = "CANARY"


def run_codegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_specs(directory: Path, specs: dict[str, str]) -> None:
    directory.mkdir(parents=True)
    for name, text in specs.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


# --- one report --------------------------------------------------------------------------

BAD_SPECS = {
    # headers that are no AMI header name
    "Headers.yaml": r"""
        action: Headers
        summary: Headers that cannot go on the wire.
        fields:
          - header: "Bad\rName"
            name: cr
          - header: "Bad\nName"
            name: lf
          - header: Two words
            name: blank
          - header: "Colon:Name"
            name: colon
          - header: ""
            name: empty
          - header: Action
          - header: "{member}-{index}"
            name: groups
            kind: indexed
            members:
              - header: "Bad Member"
                name: bad_member
        """,
    # field names that are no ASCII identifier or that the generated class already has
    "Names.yaml": """
        action: Names
        summary: Field names the class cannot take.
        fields:
          - header: A
            name: RULES
          - header: B
            name: __init__
          - header: C
            name: ami_field
          - header: D
            name: fields
          - header: E
            name: café
          - header: F
            name: x-y
          - header: G
            name: __dict__
        """,
    # action names that collide with what the package or the action module defines
    "ACTIONS.yaml": "action: ACTIONS\nsummary: x\nfields: []\n",
    "Generic.yaml": "action: Generic\nsummary: x\nfields: []\n",
    "Action.yaml": "action: Action\nsummary: x\nfields: []\n",
    "__init__.yaml": "action: __init__\nsummary: x\nfields: []\n",
    "Naïve.yaml": "action: Naïve\nsummary: x\nfields: []\n",
    # control characters in text that goes into generated source
    "Text.yaml": r"""
        action: Text
        summary: "NUL \0 here"
        description: "An escape \e[31m sequence"
        module: "del \x7f"
        fields:
          - header: X
            doc: "right-to-left \u202e override"
            kind: enum
            choices: ["tab\tchoice", "ok"]
          - header: V
            kind: variables
        response:
          success_message: "two\nlines"
          list_events: ["line\u2028separator"]
        rules:
          - forbidden_names:
              field: V
              names: ["bell\a"]
              reason: "next line \x85 here"
        """,
}
EXPECTED = [
    "Headers.yaml:4: field 'Bad\\rName': header 'Bad\\rName' is no AMI header name",
    "Headers.yaml:6: field 'Bad\\nName': header 'Bad\\nName' is no AMI header name",
    "Headers.yaml:8: field 'Two words': header 'Two words' is no AMI header name",
    "Headers.yaml:10: field 'Colon:Name': header 'Colon:Name' is no AMI header name",
    "Headers.yaml:12: field '': header '' is no AMI header name",
    "Headers.yaml:14: Action belongs to the base class",
    "Headers.yaml:19: field '{member}-{index}': member 'Bad Member': header 'Bad Member' is no",
    "Names.yaml:5: field 'A': name 'RULES' is reserved",
    "Names.yaml:7: field 'B': name '__init__' is reserved",
    "Names.yaml:9: field 'C': name 'ami_field' is reserved",
    "Names.yaml:11: field 'D': name 'fields' is reserved",
    "Names.yaml:13: field 'E': name 'café' is not an ASCII Python identifier",
    "Names.yaml:15: field 'F': name 'x-y' is not an ASCII Python identifier",
    "Names.yaml:17: field 'G': name '__dict__' is reserved",
    "ACTIONS.yaml:1: action 'ACTIONS' is reserved",
    "Generic.yaml:1: action 'Generic' is reserved",
    "Action.yaml:1: action 'Action' is reserved",
    "__init__.yaml:1: action '__init__' is reserved",
    "Naïve.yaml:1: action 'Naïve' is not an ASCII Python identifier",
    "Text.yaml:2: spec.summary: control character U+0000",
    "Text.yaml:3: spec.description: control character U+001B",
    "Text.yaml:4: spec.module: control character U+007F",
    "Text.yaml:7: fields[0].doc: control character U+202E",
    "Text.yaml:9: fields[0].choices[0]: control character U+0009",
    "Text.yaml:13: response.success_message: control character U+000A",
    "Text.yaml:14: response.list_events[0]: control character U+2028",
    "Text.yaml:18: rules[0].forbidden_names.names[0]: control character U+0007",
    "Text.yaml:19: rules[0].forbidden_names.reason: control character U+0085",
    "--package: 'my-pkg.actions' is not a dotted Python name",
]


def test_one_report_lists_every_problem_of_every_spec(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    write_specs(specs, BAD_SPECS)
    out = tmp_path / "out"
    result = run_codegen(
        "--specs", str(specs), "--out", str(out), "--package", "my-pkg.actions", cwd=tmp_path
    )
    assert result.returncode == 2, result.stdout + result.stderr
    report = result.stderr.splitlines()
    assert report[0] == f"{len(EXPECTED)} problems in the specs:", result.stderr
    problems = report[1:]
    for expected in EXPECTED:
        where = expected if expected.startswith("--") else f"specs/{expected}"
        assert any(line.startswith(where) for line in problems), f"{where!r} not in {problems}"
    assert len(problems) == len(EXPECTED), problems
    assert not out.exists()


# --- hostile specs that load ----------------------------------------------------------------

# Text that would end a docstring, a string literal or a comment, or that an encoding
# declaration would turn into code; every one of them is fine as text.
BREAKOUTS = [
    '"""; open("CANARY", "w").write("docstring") #',
    "'''; open('CANARY', 'w').write('docstring') #",
    '"; open("CANARY", "w").write("literal") #',
    "'; open('CANARY', 'w').write('literal') #",
    "\\",
    '\\"; open("CANARY", "w").write("backslash") #',
    "\\x22; open(\\x22CANARY\\x22, \\x22w\\x22) #",
    "\\N{QUOTATION MARK}; open('CANARY', 'w') #",
    "{{ 7 * 7 }} {% raw %} {# jinja #}",
    "# -*- coding: unicode_escape -*-",
    'ends in a quote"',
    "ends in a backslash\\",
    "naïve café, 東京, שלום, 😀",
]
LONG = " ".join(BREAKOUTS * 3)  # long enough to be split across lines


# A header name may hold quotes, braces and backslashes (printable ASCII but blank and ":").
ODD_HEADER = "Odd{v0}{{'\"\\"


def hostile_spec(action: str, *, indexed: bool) -> str:
    """A spec whose every text is one of BREAKOUTS (as YAML, so each is exact); with
    ``indexed``, a field of kind indexed, which has no fast path (the full path only)."""
    texts = iter(BREAKOUTS * 4)
    spec = {
        "action": action,
        "summary": LONG,
        "description": "\n\n".join(BREAKOUTS) + '\n"""\nopen("CANARY", "w")\n"""',
        "module": next(texts),
        "since": next(texts),
        "privilege": next(texts),
        "replaced_by": next(texts),
        "available_in": [next(texts), next(texts)],
        "fields": [
            {"header": "Plain", "doc": LONG, "default": next(texts), "secret": True},
            {"header": "Choice", "kind": "enum", "choices": list(BREAKOUTS), "doc": next(texts)},
            {"header": "Variable", "name": "variables", "kind": "variables", "doc": next(texts)},
            {"header": ODD_HEADER, "doc": next(texts)},
        ],
        "response": {
            "success_message": next(texts),
            "list_events": [next(texts), next(texts)],
            "list_complete": next(texts),
        },
        "rules": [
            {"forbidden_names": {"field": "Variable", "names": BREAKOUTS, "reason": LONG}},
            {"unique_names": {"field": "Variable", "names": [next(texts)], "reason": next(texts)}},
            {
                "name_requires": {
                    "field": "Variable",
                    "name": next(texts),
                    "requires": next(texts),
                    "reason": next(texts),
                }
            },
        ],
    }
    if indexed:
        group = {
            "header": "{member}-{index:06d}",
            "name": "groups",
            "kind": "indexed",
            "members": [
                {"header": "Cat", "doc": next(texts), "default": next(texts)},
                {"header": "Var", "kind": "enum", "choices": [next(texts), next(texts)]},
            ],
        }
        spec["fields"].append(group)
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=1000)


# Run in a process of its own: record everything that would show code running or writing.
IMPORT_PROBE = r"""
import json, os, sys
import attr, sdk.model.action, sdk.model.fields, sdk.model.generic, sdk.model.kinds, sdk.model.registry, sdk.model.rules  # trusted

sys.dont_write_bytecode = True
events = []
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# who may compile and run code: the import system, and attrs writing a class's methods
# (nothing of the SDK: the generated modules hold their own encoders)
TRUSTED_CALLERS = (
    "<frozen importlib._bootstrap",
    os.path.dirname(attr.__file__) + os.sep,
)

def hook(event, args):
    if event == "open":
        path, mode, flags = args
        if (mode and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
            events.append(f"open for writing: {path}")
    elif event in ("exec", "compile"):
        caller = sys._getframe(1).f_code.co_filename
        if not caller.startswith(TRUSTED_CALLERS):
            events.append(f"{event} called from {caller}")
    elif event.split(".")[0] in ("os", "subprocess", "socket", "shutil", "ctypes", "pty"):
        if event not in ("os.listdir", "os.scandir"):
            events.append(f"{event}: {args!r}"[:200])

sys.addaudithook(hook)
import hostile_pkg.actions as package
found = {}
for name in package.__all__:
    if name in ("ACTIONS", "Generic"):
        continue
    cls = getattr(package, name)

    def info_of(info):
        return {"header": info.header, "doc": info.doc, "choices": list(info.choices),
                "default": info.default,
                "members": {name: info_of(member) for name, member in info.members}}

    found[name] = {"SUMMARY": cls.SUMMARY, "SPEC": cls.SPEC, "MODULE": cls.MODULE,
                   "SINCE": cls.SINCE, "doc": cls.__doc__, "LIST_EVENTS": list(cls.LIST_EVENTS),
                   "SUCCESS_MESSAGE": cls.SUCCESS_MESSAGE,
                   "fields": {attribute: info_of(info) for attribute, info in cls.fields()},
                   "reasons": [getattr(rule, "reason", None) for rule in cls.RULES]}
    values = {"plain": "v", "choice": cls.fields()[1][1].choices[0], "odd_v0": "1"}
    found[name]["wire"] = cls(**values, variables={"A": "b"}).to_bytes("1").decode()
print(json.dumps({"events": events, "found": found}))
"""


@pytest.mark.parametrize(
    "folder",
    [
        # a new line in the header comment, with code on it
        'specs"\'\nopen("CANARY", "w").write("folder")\n#',
        # an encoding declaration in the header comment: unicode_escape turns every escape
        # the generator writes (\" and \n) back into quotes and line ends
        'specs -*- coding: unicode_escape -*- \\"\'"""',
    ],
    ids=["newline", "coding"],
)
def test_hostile_specs_generate_code_that_runs_nothing_at_import(
    tmp_path: Path, folder: str
) -> None:
    specs = tmp_path / folder
    specs.mkdir()
    for action in ("Hostile", "Evil"):
        spec = hostile_spec(action, indexed=action == "Evil")
        (specs / f"{action}.yaml").write_text(spec, encoding="utf-8")
    package = tmp_path / "hostile_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    result = run_codegen("--specs", str(specs), "--out", str(package / "actions"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        [sys.executable, "-B", "-c", IMPORT_PROBE],
        cwd=tmp_path,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    outcome = json.loads(probe.stdout)
    assert outcome["events"] == []
    assert not list(tmp_path.rglob(CANARY))
    for path in (package / "actions").glob("*.py"):
        head = path.read_text(encoding="utf-8").splitlines()[:2]
        assert head[0].startswith("# Generated by `python -m codegen` from ")
        assert head[1].startswith("# Do not edit by hand")
        assert not re.search(r"coding[:=]", head[0])  # no PEP 263 encoding declaration

    # and the generated code holds every text exactly as the spec has it
    for action in ("Hostile", "Evil"):
        spec = yaml.safe_load((specs / f"{action}.yaml").read_text(encoding="utf-8"))
        found = outcome["found"][action]
        assert found["SUMMARY"] == spec["summary"]
        assert found["SPEC"] == f"{folder}/{action}.yaml"
        assert found["MODULE"] == spec["module"] and found["SINCE"] == spec["since"]
        assert found["SUCCESS_MESSAGE"] == spec["response"]["success_message"]
        assert found["LIST_EVENTS"] == spec["response"]["list_events"]
        assert found["reasons"] == [next(iter(r.values()))["reason"] for r in spec["rules"]]
        plain, choice = found["fields"]["plain"], found["fields"]["choice"]
        assert plain["doc"] == spec["fields"][0]["doc"]
        assert plain["default"] == spec["fields"][0]["default"]
        assert choice["choices"] == BREAKOUTS
        assert '"""' in found["doc"] and "CANARY" in found["doc"]  # the docstring kept them
        assert found["wire"] == (
            f"Action: {action}\r\nActionID: 1\r\nPlain: v\r\nChoice: {BREAKOUTS[0]}\r\n"
            f"Variable: A=b\r\n{ODD_HEADER}: 1\r\n\r\n"
        )


def top_level_names(source: str) -> set[str]:
    """Every name a module binds at its top level (its ``if TYPE_CHECKING:`` imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_reserved_names_cover_what_the_templates_bind(tmp_path: Path) -> None:
    (tmp_path / "Hostile.yaml").write_text(hostile_spec("Hostile", indexed=True))
    specs = load_specs(SPECS_DIR) + load_specs(tmp_path)  # every kind of field and rule
    files = render_all(specs)
    actions = {spec.action for spec in specs}
    for name, source in files.items():
        bound = top_level_names(source) - actions
        reserved = PACKAGE_NAMES if name == "__init__.py" else ACTION_MODULE_NAMES
        assert bound <= reserved, f"{name} binds {sorted(bound - reserved)}: reserve them"
    assert {"RULES", "to_bytes", "action_id", "__init__"} <= RESERVED_FIELD_NAMES


def test_a_template_cannot_write_text_unescaped() -> None:
    env = environment()
    for text in ('a"b', "a\nb", "a # b", "a\\b", "coding: latin-1"):
        with pytest.raises(UnsafeText, match="pass it through pystr, docstring or comment"):
            env.from_string("x = {{ text }}").render(text=text)
    assert env.from_string("x = {{ text | pystr }}").render(text='a"b\n') == "x = 'a\"b\\n'"
    assert env.from_string("# {{ text | comment }}").render(text="a\nb: c=d") == (
        "# a\\x0ab\\x3a c\\x3dd"
    )


def test_anchors_and_aliases_are_refused_and_cost_their_lines_only(tmp_path: Path) -> None:
    """A spec needs no alias; nine lines of aliases of aliases stand for 10**9 nodes if
    anything walks them as a tree. Each alias is refused with its anchor's line, at once."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "Alias.yaml").write_text(
        "action: Alias\nsummary: &s text\nfields:\n  - header: Channel\n    doc: *s\n"
    )
    laughs = ["action: Laughs", "summary: x", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol]"]
    laughs += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    (specs / "Laughs.yaml").write_text("\n".join([*laughs, "fields: []", ""]))
    with pytest.raises(SpecErrors) as excinfo:
        load_specs(specs)
    found = [str(e) for e in excinfo.value.errors]
    assert found[0].startswith("specs/Alias.yaml:2: an anchor and its alias (&name, *name)")
    assert found[1].startswith("specs/Laughs.yaml:")
    assert "an anchor and its alias" in found[1] and len(found) == 2
