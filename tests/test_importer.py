"""``python -m codegen import-docs`` on small documentation files written here.

The XML below follows the shape of Asterisk's ``core-en_US.xml`` (manager elements, syntax
parameters, enumlists, xi:include, responses) with text of our own; the real files are used
only by ``tests/conformance/test_docs_tables.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from codegen import ROOT
from codegen.docs import read_docs, table_digest
from codegen.importer import PLACEHOLDER, dump_spec, run_import
from codegen.render import render_all
from codegen.spec import load_spec_text, load_specs

XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE docs SYSTEM "appdocsxml.dtd">
<docs xmlns:xi="http://www.w3.org/2001/XInclude">
  <manager name="Login" language="en_US" module="builtin">
    <since><version>0.2.0</version></since>
    <synopsis>Zebra login words.</synopsis>
    <syntax>
      <parameter name="ActionID"><para>Zebra id words.</para></parameter>
      <parameter name="Username" required="true"><para>Zebra user words.</para></parameter>
    </syntax>
  </manager>
  <manager name="Kick" language="en_US" module="builtin">
    <since><version>2.0.0</version></since>
    <synopsis>Zebra kick words.</synopsis>
    <syntax>
      <parameter name="Channel" required="true"><para>Zebra channel words.</para></parameter>
    </syntax>
  </manager>
  <manager name="Widget" language="en_US" module="res_widget">
    <since><version>21.3.0</version><version>20.8.0</version><version>18.23.0</version></since>
    <synopsis>Zebra widget synopsis.</synopsis>
    <syntax>
      <xi:include xpointer="xpointer(/docs/manager[@name='Login']/syntax/parameter[@name='ActionID'])" />
      <xi:include xpointer="xpointer(/docs/manager[@name='Kick']/syntax/parameter[@name='Channel'])" />
      <xi:include xpointer="xpointer(/docs/manager[@name='Nowhere']/syntax/parameter[@name='X'])" />
      <parameter name="Mode" required="true">
        <para>Zebra mode words.</para>
        <enumlist><enum name="fast"/><enum name="slow"/></enumlist>
      </parameter>
      <parameter name="Mask">
        <enumlist><enum name="on"/><enum name="system,call,..."/></enumlist>
      </parameter>
      <parameter name="Timeout" default="30000"><para>Zebra timeout words.</para></parameter>
      <parameter name="Side1"><para>First side.</para></parameter>
      <parameter name="Side2"><para>Second side.</para></parameter>
      <parameter name="Header1"><para>Zebra any header.</para></parameter>
      <parameter name="HeaderN"><para>Zebra more headers.</para></parameter>
      <parameter name="Op-000000">
        <enumlist><enum name="Add"/><enum name="Drop"/></enumlist>
      </parameter>
      <parameter name="Arg-000000"><para>Zebra argument.</para></parameter>
      <parameter name="Amount(0)" required="true"><para>Zebra amount.</para></parameter>
      <parameter name="Bad Name"><para>Zebra bad.</para></parameter>
    </syntax>
    <description><para>Zebra description words.</para></description>
    <responses>
      <list-elements>
        <xi:include xpointer="xpointer(/docs/managerEvent[@name='WidgetEntry'])" />
      </list-elements>
      <managerEvent name="WidgetListComplete" language="en_US" module="res_widget"/>
    </responses>
  </manager>
  <manager name="OldThing" language="en_US" module="chan_old">
    <since><version>1.2.0</version></since>
    <synopsis>Zebra old words.</synopsis>
    <syntax><parameter name="Peer" required="true"/></syntax>
  </manager>
</docs>
"""


# Asterisk "22": OldThing is gone.
WITHOUT_OLDTHING = re.sub(r'  <manager name="OldThing".*?</manager>\n', "", XML, flags=re.DOTALL)


def write_docs(tmp_path: Path, version: str, text: str = XML) -> Path:
    path = tmp_path / f"asterisk-{version}-core-en_US.xml"
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, names: list[str], *, out: Path | None = None, **kwargs) -> list[str]:
    old = write_docs(tmp_path, "20.1.0")
    new = write_docs(tmp_path, "22.1.0", WITHOUT_OLDTHING)
    report: list[str] = []
    run_import(
        [read_docs(old), read_docs(new)],
        names,
        out or tmp_path / "specs",
        report=report.append,
        **kwargs,
    )
    return report


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_facts_patterns_and_includes(tmp_path: Path) -> None:
    report = run(tmp_path, ["Widget", "OldThing", "NoSuch"])
    assert "unknown  NoSuch: not in the documentation given" in report
    widget = load(tmp_path / "specs" / "Widget.yaml")
    assert widget["module"] == "res_widget"
    assert widget["since"] == "18.23.0"  # the first release that had it
    assert widget["available_in"] == ["20", "22"]
    assert load(tmp_path / "specs" / "OldThing.yaml")["available_in"] == ["20"]
    fields = {f["header"]: f for f in widget["fields"]}
    assert list(fields) == [
        "Channel",  # pulled in from Kick by xi:include; ActionID left to the base class
        "Mode",
        "Mask",
        "Timeout",
        "Side1",
        "Side2",
        "Header",
        "{member}-{index:06d}",
        "{member}({index})",
    ]
    assert fields["Channel"]["required"] is True
    assert fields["Mode"] == {
        "header": "Mode",
        "kind": "enum",
        "choices": ["fast", "slow"],
        "required": True,
    }
    assert fields["Mask"] == {"header": "Mask"}  # a syntax, not a list of values
    assert fields["Timeout"]["default"] == "30000"
    assert fields["Header"] == {"header": "Header", "name": "headers", "kind": "headers"}
    group = fields["{member}-{index:06d}"]
    assert group["kind"] == "indexed" and group["name"] == "op_groups"
    assert [m["header"] for m in group["members"]] == ["Op", "Arg"]
    assert group["members"][0]["choices"] == ["Add", "Drop"]
    amounts = fields["{member}({index})"]
    assert amounts["min_items"] == 1 and amounts["members"] == [
        {"header": "Amount", "required": True}
    ]
    assert widget["response"] == {
        "list_events": ["WidgetEntry"],
        "list_complete": "WidgetListComplete",
    }
    # every parameter that maps to nothing is reported, and why
    assert any(line.startswith("unmapped Widget.Bad Name") for line in report)
    assert any("unmapped Widget: include" in line and "Nowhere" in line for line in report)
    assert any(line.startswith("note     Widget.Mask") for line in report)
    # what it wrote is a valid spec that generates
    specs = load_specs(tmp_path / "specs")
    assert "widget.py" in render_all(specs)


def test_no_prose_is_copied_unless_asked(tmp_path: Path) -> None:
    run(tmp_path, ["Widget"])
    text = (tmp_path / "specs" / "Widget.yaml").read_text()
    assert "Zebra" not in text
    assert PLACEHOLDER in load(tmp_path / "specs" / "Widget.yaml")["summary"]
    run(tmp_path, ["Widget"], out=tmp_path / "mine", keep_docs=True)
    mine = load(tmp_path / "mine" / "Widget.yaml")
    assert mine["summary"] == "Zebra widget synopsis."
    assert mine["description"] == "Zebra description words."
    assert {f["header"]: f.get("doc") for f in mine["fields"]}["Mode"] == "Zebra mode words."


def test_reimport_keeps_what_people_wrote_and_is_a_fixed_point(tmp_path: Path) -> None:
    run(tmp_path, ["Widget"])
    path = tmp_path / "specs" / "Widget.yaml"
    spec = load(path)
    spec["summary"] = "Do the widget thing."
    spec["privilege"] = "system"
    spec["removed_in"] = "23"
    for field in spec["fields"]:
        field["doc"] = f"Our words on {field['header']}."
        if field["header"] == "Timeout":
            field["kind"] = "integer"
            field["name"] = "wait_ms"
    spec["fields"][-2]["name"] = "operations"
    spec["fields"][-2]["members"][1]["doc"] = "Our words on Arg."
    path.write_text(dump_spec(spec))
    before = path.read_text()
    report = run(tmp_path, ["Widget"])
    assert path.read_text() == before
    assert "same     Widget" in report
    # a fact that changes in the docs is taken, the words stay
    changed = WITHOUT_OLDTHING.replace(
        '<parameter name="Timeout" default="30000">', '<parameter name="Timeout" required="true">'
    )
    write_docs(tmp_path, "22.1.0", changed)
    report = []
    run_import(
        [read_docs(tmp_path / "asterisk-22.1.0-core-en_US.xml")],
        ["Widget"],
        path.parent,
        report=report.append,
    )
    after = {f["header"]: f for f in load(path)["fields"]}
    assert after["Timeout"] == {
        "header": "Timeout",
        "name": "wait_ms",
        "kind": "integer",
        "required": True,  # as the newest release read says
        "required_in": ["22"],  # 20 was not read: what the spec said of it (optional) is kept
        "doc": "Our words on Timeout.",
    }
    assert load(path)["summary"] == "Do the widget thing."
    assert load(path)["available_in"] == ["20", "22"]  # 20 kept: this run read only 22
    assert any(
        line.startswith("wrote    Widget: updated") and "Timeout changed" in line for line in report
    )


def test_curated_specs_get_release_facts_only_and_say_so(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    mine = "action: Kick\nsummary: Our kick.\ncurated: true\nfields:\n  - header: Channel\n    doc: Ours.\n  - header: Extra\n    doc: Ours too.\n"
    (specs / "Kick.yaml").write_text(mine)
    report = run(tmp_path, ["Kick"])
    (line,) = [line for line in report if "Kick" in line]
    assert line.startswith("curated  Kick: hand-curated; wrote its release facts only")
    assert "Channel is required in the docs" in line and "docs lack Extra" in line
    written = load(specs / "Kick.yaml")  # what was written by hand stays, words and all
    assert written == {**yaml.safe_load(mine), "available_in": ["20", "22"]}
    again = (specs / "Kick.yaml").read_text()
    report = run(tmp_path, ["Kick"])
    assert (specs / "Kick.yaml").read_text() == again
    (line,) = [line for line in report if "Kick" in line]
    assert line.startswith("curated  Kick: hand-curated, left as it is (--force overwrites)")
    report = run(tmp_path, ["Kick"], force=True)
    assert any("hand-curated spec overwritten (--force)" in line for line in report)
    assert "curated" not in load(specs / "Kick.yaml")


def test_dump_spec_reads_back_whatever_the_text() -> None:
    texts = [
        "plain words",
        "yes",
        "12",
        "a: colon",
        "# hash",
        '"quoted" and \\backslash',
        "ünïcödé ✓",
        "trailing ",
        "two  spaces " * 20,
        "long " * 60,
        "line\nbreak",
        "[bracket], {brace}",
    ]
    for text in texts:
        spec = {
            "action": "X",
            "summary": text,
            "fields": [
                {
                    "header": "H",
                    "kind": "enum",
                    "choices": [text, "b"],
                    "default": text,
                    "doc": text,
                }
            ],
        }
        dumped = dump_spec(spec)
        assert yaml.safe_load(dumped) == spec
        # a line end is prose only: a choice or a default is one line (test_codegen_untrusted)
        refused = ["choices[0]", "default"] if "\n" in text else []
        problems = [e.message.split(":")[0] for e in load_spec_text(dumped, "X.yaml")[1]]
        assert problems == [f"fields[0].{key}" for key in refused]
        assert dump_spec(yaml.safe_load(dumped)) == dumped


def test_tables_hold_names_and_flags_only(tmp_path: Path) -> None:
    docs = read_docs(write_docs(tmp_path, "20.1.0"))
    out = tmp_path / "table.json"
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "doc-table", str(docs.path), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["asterisk"] == "20.1.0" and data["xml_sha256"] == docs.sha256
    assert data["actions"]["Kick"] == {"Channel": True}
    assert data["actions"]["Widget"]["Amount(0)"] is True
    assert "ActionID" not in data["actions"]["Login"]
    assert data["table_sha256"] == table_digest(data["actions"])
    assert "Zebra" not in out.read_text()


def test_command_line(tmp_path: Path) -> None:
    docs = write_docs(tmp_path, "20.1.0")
    out = tmp_path / "specs"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "codegen", "import-docs", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    result = cli(str(docs), "--actions", "widget,Kick", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Kick.yaml", "Widget.yaml"]
    assert "unmapped Widget.Bad Name" in result.stdout
    assert cli(str(docs), "--all", "--out", str(out), "--check").returncode == 1  # 2 more to write
    assert cli(str(docs), "--all", "--out", str(out)).returncode == 0
    assert cli(str(docs), "--all", "--out", str(out), "--check").returncode == 0
    unknown = cli(str(docs), "--actions", "NoSuch", "--out", str(out))
    assert unknown.returncode == 2 and "NoSuch" in unknown.stderr
    nameless = tmp_path / "core-en_US.xml"
    nameless.write_text(XML)
    result = cli(str(nameless), "--all", "--out", str(out))
    assert result.returncode != 0 and "--asterisk-version" in result.stderr
    assert (
        cli(str(nameless), "--all", "--out", str(out), "--asterisk-version", "21.0.0").returncode
        == 0
    )
    assert load(out / "Kick.yaml")["available_in"] == ["20", "21"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'header: "{member}-{index}"\n    kind: indexed\n    members: [{header: A}]',
            "needs a 'name:'",
        ),
        (
            "header: Thing\n    name: t\n    kind: indexed\n    members: [{header: A}]",
            "a pattern with {member} and {index}",
        ),
        (
            'header: "{member}: {index}"\n    name: t\n    kind: indexed\n    members: [{header: A}]',
            "no header name",
        ),
        (
            'header: "{member}-{index:q}"\n    name: t\n    kind: indexed\n    members: [{header: A}]',
            "bad header pattern",
        ),
        ('header: "{member}-{index}"\n    name: t\n    kind: indexed', "needs 'members'"),
        (
            'header: "{member}-{index}"\n    name: t\n    kind: indexed\n    members: [{header: A, kind: variables}]',
            "kind 'variables' is not one of",
        ),
        (
            'header: "{member}-{index}"\n    name: t\n    kind: indexed\n    members: [{header: A}, {header: a}]',
            "duplicate member",
        ),
        ("header: Plain\n    members: [{header: A}]", "'members' only fits kind indexed"),
    ],
)
def test_spec_errors_of_kind_indexed(text: str, message: str) -> None:
    spec = textwrap.dedent("action: T\nsummary: t\nfields:\n  - ") + text + "\n"
    _spec, errors = load_spec_text(spec, "T.yaml")
    assert any(message in str(e) for e in errors), [str(e) for e in errors]


# Three releases of one action: "16" lacks Extra, requires Target and knows fewer modes.
RELEASE_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<docs xmlns:xi="http://www.w3.org/2001/XInclude">
  <manager name="Beam" language="en_US" module="res_beam">
    <since><version>16.0.0</version></since>
    <synopsis>Zebra beam words.</synopsis>
    <syntax>
      <parameter name="Target" required="{required}"><para>Zebra target.</para></parameter>
      <parameter name="Mode" required="true">
        <enumlist>{modes}</enumlist>
      </parameter>
      {extra}
    </syntax>
  </manager>
</docs>
"""


def beam(tmp_path: Path, version: str, *, required: bool, modes: str, extra: bool) -> Path:
    enums = "".join(f'<enum name="{m}"/>' for m in modes.split())
    text = RELEASE_XML.format(
        required="true" if required else "false",
        modes=enums,
        extra='<parameter name="Extra"><para>Zebra extra.</para></parameter>' if extra else "",
    )
    return write_docs(tmp_path, version, text)


def test_one_run_over_several_releases_writes_what_each_release_has(tmp_path: Path) -> None:
    docs = [
        beam(tmp_path, "16.1.0", required=True, modes="up down", extra=False),
        beam(tmp_path, "18.2.0", required=False, modes="up down sideways", extra=True),
        beam(tmp_path, "20.3.0", required=False, modes="up down sideways", extra=True),
    ]
    out = tmp_path / "specs"
    report: list[str] = []
    run_import([read_docs(p) for p in docs], ["Beam"], out, report=report.append)
    spec = load(out / "Beam.yaml")
    assert spec["available_in"] == ["16", "18", "20"]
    fields = {f["header"]: f for f in spec["fields"]}
    assert fields["Target"] == {"header": "Target", "required_in": ["16"]}  # optional from 18
    assert fields["Mode"] == {
        "header": "Mode",
        "kind": "enum",
        "required": True,
        "choices": ["up", "down", "sideways"],
        "choices_in": {"16": ["up", "down"]},
    }
    assert fields["Extra"] == {"header": "Extra", "available_in": ["18", "20"]}
    # the generated class carries the same facts, in its FieldInfo
    parsed, errors = load_spec_text((out / "Beam.yaml").read_text(), "Beam.yaml")
    assert not errors and parsed is not None
    infos = {f.header: f.info for f in parsed.fields}
    assert infos["Extra"].majors(parsed.available_in) == ("18", "20")
    assert infos["Target"].required_by("16") and not infos["Target"].required_by("18")
    assert infos["Mode"].choices_of("16") == ("up", "down")
    assert infos["Mode"].choices_of("20") == ("up", "down", "sideways")
    source = render_all([parsed], package="mypbx.actions")["beam.py"]
    assert 'available_in=("18", "20"),' in source and 'required_in=("16",),' in source
    assert '"16": ("up", "down"),' in source
    # a later run of one release keeps what the others said, and changes nothing
    again: list[str] = []
    run_import([read_docs(docs[-1])], ["Beam"], out, report=again.append)
    assert "same     Beam" in again


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('header: A\n    available_in: ["19"]', "available_in names 19, which the action's does"),
        ('header: A\n    required_in: ["22"]', "required_in names 22, which lack the field"),
        ('header: A\n    available_in: ["20.1"]', "must be an Asterisk major such as 20"),
        (
            'header: A\n    kind: enum\n    choices: [x]\n    choices_in: {"20": [y]}',
            "choices_in[20] has 'y', which choices lacks",
        ),
        ('header: A\n    choices_in: {"20": [y]}', "'choices_in' only fits kind enum"),
        (
            'header: A\n    kind: enum\n    choices: [x]\n    choices_in: {"20": []}',
            "choices_in[20] names no value",
        ),
        (
            'header: "{member}-{index}"\n    name: t\n    kind: indexed\n    members: [{header: A, available_in: ["20"]}]',
            "unknown key 'available_in'",
        ),
    ],
)
def test_spec_errors_of_release_facts(text: str, message: str) -> None:
    spec = 'action: T\nsummary: t\navailable_in: ["20", "21"]\nfields:\n  - ' + text + "\n"
    _spec, errors = load_spec_text(spec, "T.yaml")
    assert any(message in str(e) for e in errors), [str(e) for e in errors]


def test_a_header_only_older_releases_document_keeps_a_field_with_its_releases(
    tmp_path: Path,
) -> None:
    docs = [
        beam(tmp_path, "16.1.0", required=False, modes="up", extra=True),
        beam(tmp_path, "18.2.0", required=False, modes="up", extra=False),
    ]
    out = tmp_path / "specs"
    run_import([read_docs(p) for p in docs], ["Beam"], out, report=[].append)
    fields = [f["header"] for f in load(out / "Beam.yaml")["fields"]]
    assert fields == ["Target", "Mode", "Extra"]  # the newest's order, then the older one
    extra = load(out / "Beam.yaml")["fields"][-1]
    assert extra == {"header": "Extra", "available_in": ["16"]}
