"""The documentation reader on small files written here: includes, repeated entries, events,
snapshot blocks, the release view and the proposed header kinds.

The XML follows the shape of Asterisk's ``core-en_US.xml`` and ``doc/appdocsxml.xslt`` with
names and words of our own; the real files are read by ``tests/conformance/``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from codegen import ROOT
from codegen.docs import (
    DocParam,
    DocSnapshot,
    event_table_document,
    header_kind,
    read_docs,
    table_digest,
    table_document,
)
from codegen.releases import actions_by_release, events_by_release, load_tables
from codegen.snapshots import expand, load_snapshots, read_xslt

XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<docs xmlns:xi="http://www.w3.org/2001/XInclude">
  <manager name="Hang" language="en_US">
    <syntax>
      <parameter name="Channel" required="true"><para>Zebra channel.</para></parameter>
      <parameter name="Mask"><enumlist><enum name="on"/><enum name="off"/></enumlist></parameter>
    </syntax>
  </manager>
  <application name="Ring" language="en_US">
    <syntax><parameter name="Cause" required="true"/></syntax>
  </application>
  <manager name="Box" language="en_US" module="app_box_imap">
    <syntax><parameter name="Mode"/></syntax>
  </manager>
  <manager name="Box" language="en_US" module="app_box">
    <syntax>
      <parameter name="Mode">
        <xi:include xpointer="xpointer(/docs/manager[@name='Hang']/syntax/parameter[@name='Mask']/enumlist)" />
      </parameter>
    </syntax>
  </manager>
  <manager name="Box" language="en_US" module="app_box_odbc">
    <syntax><parameter name="Mode"/></syntax>
  </manager>
  <manager name="Use" language="en_US" module="builtin">
    <syntax>
      <xi:include xpointer="xpointer(/docs/manager[@name='Hang']/syntax/parameter[@name='Channel'])" />
      <xi:include xpointer="xpointer(/docs/application[@name='Ring']/syntax/parameter[@name='Cause'])" />
      <xi:include xpointer="xpointer(/docs/manager[@name='Gone']/syntax/parameter[@name='X'])" />
    </syntax>
    <responses>
      <list-elements>
        <managerEvent name="UseItem" language="en_US" module="builtin">
          <managerEventInstance class="EVENT_FLAG_COMMAND">
            <syntax><channel_snapshot/></syntax>
          </managerEventInstance>
        </managerEvent>
      </list-elements>
      <managerEvent name="UseComplete" language="en_US" module="builtin">
        <managerEventInstance class="EVENT_FLAG_COMMAND">
          <syntax><parameter name="ListItems"/></syntax>
        </managerEventInstance>
      </managerEvent>
    </responses>
  </manager>
  <managerEvent name="Peer" language="en_US" module="chan_zebra">
    <managerEventInstance class="EVENT_FLAG_SYSTEM" module="chan_zebra">
      <since><version>1.2.0</version></since>
      <syntax>
        <channel_snapshot/>
        <bridge_snapshot prefix="To"/>
        <parameter name="PeerStatus">
          <enumlist><enum name="Up"/><enum name="Not Reachable"/></enumlist>
        </parameter>
        <parameter name="Cause" required="false"><para>A numeric zebra code.</para></parameter>
        <parameter name="ReportXOne"/>
        <parameter name="ReportXTwo"/>
      </syntax>
    </managerEventInstance>
    <managerEventInstance class="EVENT_FLAG_CALL" module="chan_zebra">
      <syntax><parameter name="Address"/><parameter name="Cause"/></syntax>
    </managerEventInstance>
  </managerEvent>
  <managerEvent name="Copy" language="en_US" module="builtin">
    <managerEventInstance class="EVENT_FLAG_CALL">
      <syntax>
        <channel_snapshot prefix="Dest"/>
        <xi:include xpointer="xpointer(docs/managerEvent[@name='Peer']/managerEventInstance/syntax/parameter[@name='PeerStatus'])" />
        <xi:include xpointer="xpointer(/docs/managerEvent[@name='Peer']/managerEventInstance/syntax/parameter[contains(@name, 'ReportX')])" />
        <xi:include xpointer="xpointer(/docs/managerEvent[@name='Peer']/managerEventInstance[2]/syntax/parameter)" />
      </syntax>
    </managerEventInstance>
  </managerEvent>
  <managerEvent name="Twice" language="en_US" module="app_one">
    <managerEventInstance class="EVENT_FLAG_DIALPLAN"><syntax><parameter name="Value"/></syntax></managerEventInstance>
  </managerEvent>
  <managerEvent name="Twice" language="en_US" module="app_two">
    <managerEventInstance class="EVENT_FLAG_DIALPLAN"><syntax><parameter name="Value"/></syntax></managerEventInstance>
  </managerEvent>
</docs>
"""

XSLT = """\
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="channel_snapshot">
    <xsl:element name="parameter">
      <xsl:attribute name="name"><xsl:value-of select="concat(@prefix,'Channel')"/></xsl:attribute>
    </xsl:element>
    <xsl:element name="parameter">
      <xsl:attribute name="name"><xsl:value-of select="concat(@prefix, 'ChannelState')"/></xsl:attribute>
      <para>Zebra state words.</para>
    </xsl:element>
  </xsl:template>
  <xsl:template match="bridge_snapshot">
    <xsl:element name="parameter">
      <xsl:attribute name="required">
        false
      </xsl:attribute>
      <xsl:attribute name="name"><xsl:value-of select="concat(@prefix,'BridgeMode')"/></xsl:attribute>
      <enumlist><enum name="none"/><enum name="talker"/></enumlist>
    </xsl:element>
  </xsl:template>
</xsl:stylesheet>
"""


def _codegen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def docs(tmp_path: Path):
    path = tmp_path / "asterisk-21.1.0-core-en_US.xml"
    path.write_text(XML, encoding="utf-8")
    return read_docs(path)


def test_actions_count_once_and_includes_resolve(docs) -> None:
    assert sorted(docs.actions) == ["Box", "Hang", "Use"]  # Box is written three times
    assert docs.actions["Box"].module == "app_box"  # the prefix of the others
    assert docs.actions["Hang"].module == ""  # the file does not name it (16, 18, 21)
    assert docs.actions["Box"].params[0].values == ("on", "off")  # an included enumlist
    use = docs.actions["Use"]
    assert [(p.name, p.required) for p in use.params] == [("Channel", True), ("Cause", True)]
    assert use.problems == (
        "include \"xpointer(/docs/manager[@name='Gone']/syntax/parameter[@name='X'])\""
        " resolves to no parameter",
    )
    assert use.list_events == ("UseItem",) and use.list_complete == "UseComplete"


def test_events_with_instances_snapshots_and_includes(docs) -> None:
    assert sorted(docs.events) == ["Copy", "Peer", "Twice", "UseComplete", "UseItem"]
    peer = docs.events["Peer"]
    assert peer.read_classes == ("EVENT_FLAG_SYSTEM", "EVENT_FLAG_CALL")
    assert [p.name for p in peer.params] == [
        "PeerStatus",
        "Cause",
        "ReportXOne",
        "ReportXTwo",
        "Address",
    ]
    cause = peer.params[1]
    assert (cause.required, cause.required_given) == (False, True)  # the first one wins
    assert peer.params[0].values == ("Up", "Not Reachable")
    assert peer.snapshots == (DocSnapshot("channel"), DocSnapshot("bridge", "To"))
    assert peer.instances[0].since == ("1.2.0",)
    copy = docs.events["Copy"]
    assert [p.name for p in copy.params] == [
        "PeerStatus",  # docs/... without its slash
        "ReportXOne",  # contains(@name, ...)
        "ReportXTwo",
        "Address",  # the second instance's, by position
        "Cause",
    ]
    assert copy.snapshots == (DocSnapshot("channel", "Dest"),) and copy.problems == ()
    twice = docs.events["Twice"]
    assert len(twice.instances) == 2 and twice.module == "app_one"
    assert docs.events["UseItem"].snapshots == (DocSnapshot("channel"),)


def test_tables_and_their_digests(docs) -> None:
    table = table_document(docs)
    assert table["actions"]["Use"] == {"Channel": True, "Cause": True}
    assert table["modules"] == {"Box": "app_box", "Use": "builtin"}
    assert table["values"] == {"Box": {"Mode": ["on", "off"]}, "Hang": {"Mask": ["on", "off"]}}
    assert table["details_sha256"] == table_digest(
        {"modules": table["modules"], "values": table["values"]}
    )
    events = event_table_document(docs)
    assert events["table_sha256"] == table_digest(events["events"])
    assert events["events"]["Peer"] == {
        "read_classes": ["EVENT_FLAG_SYSTEM", "EVENT_FLAG_CALL"],
        "snapshots": {"channel": [""], "bridge": ["To"]},
        "headers": {
            "PeerStatus": None,
            "Cause": False,
            "ReportXOne": None,
            "ReportXTwo": None,
            "Address": None,
        },
        "values": {"PeerStatus": ["Up", "Not Reachable"]},
    }
    assert "Zebra" not in json.dumps([table, events])  # facts only, never the prose


def test_the_doc_table_command_writes_both_tables(docs, tmp_path: Path) -> None:
    for extra, key, count in (([], "actions", 3), (["--events"], "events", 5)):
        out = tmp_path / f"{key}.json"
        result = _codegen("doc-table", str(docs.path), "--out", str(out), *extra)
        assert result.returncode == 0, result.stderr
        assert f"{count} {key} of Asterisk 21.1.0" in result.stdout
        assert len(json.loads(out.read_text())[key]) == count


def test_a_file_is_parsed_once_while_its_content_stays(docs) -> None:
    assert read_docs(docs.path) is docs
    docs.path.write_text(XML.replace('name="Hang"', 'name="Hung"'), encoding="utf-8")
    again = read_docs(docs.path)
    assert again is not docs and "Hung" in again.actions


@pytest.mark.parametrize(
    ("param", "kind"),
    [
        (DocParam("DestChannelState"), "channel_state"),
        (DocParam("Admin", values=("Yes", "No")), "bool"),
        (DocParam("InCall", values=("0", "1")), "bool"),
        (DocParam("PeerStatus", values=("Registered", "Lagged")), "enum"),
        (DocParam("Cause", text="A numeric cause code."), "int"),
        (DocParam("ListItems"), "int"),
        (DocParam("CallsTaken", text="The number of calls taken."), "int"),
        (DocParam("AccountCode"), "string"),  # "count" inside a word is no count
        (
            DocParam("HoldTime", text="... expressed in seconds since 00:00, Jan 1, 1970"),
            "duration",
        ),
        (
            DocParam("LastCall", text="... expressed in seconds since 00:00, Jan 1, 1970"),
            "timestamp",
        ),
        (DocParam("LoginTime"), "timestamp"),
        (DocParam("Logintime", text="The number of seconds the agent was logged in."), "duration"),
        (DocParam("Duration", text="The time, in seconds, of EndTime - StartTime."), "duration"),
        (DocParam("StartTime", text="The time the record was made."), "timestamp"),
        (DocParam("EventTV"), "timestamp"),
        (DocParam("EventVersion"), "int"),
        (DocParam("UsingPassword", text="Whether or not a password was given."), "bool"),
        (DocParam("Uniqueid"), "string"),
        (DocParam("Linkedid", text="Uniqueid of the oldest channel."), "string"),
    ],
)
def test_header_kind_proposal(param: DocParam, kind: str) -> None:
    assert header_kind(param) == kind


def test_snapshot_blocks_from_the_stylesheet_in_a_tarball(tmp_path: Path) -> None:
    blocks = read_xslt(XSLT)
    assert [h.name for h in blocks["channel"]] == ["Channel", "ChannelState"]
    (mode,) = blocks["bridge"]
    assert (mode.name, mode.required, mode.required_given) == ("BridgeMode", False, True)
    assert mode.values == ("none", "talker")
    assert [h.name for h in expand(DocSnapshot("channel", "Dest"), blocks)] == [
        "DestChannel",
        "DestChannelState",
    ]
    tarballs = []
    for version in ("20.1.0", "22.1.0"):
        tarball = tmp_path / f"asterisk-{version}.tar.gz"
        with tarfile.open(tarball, "w:gz") as tar:
            data = XSLT.encode()
            member = tarfile.TarInfo(f"asterisk-{version}/doc/appdocsxml.xslt")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        tarballs.append(str(tarball))
    out = tmp_path / "snapshots.json"
    result = _codegen("snapshot-table", *tarballs, "--out", str(out))
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    assert [s["source"] for s in document["sources"]] == [
        "asterisk-20.1.0.tar.gz:asterisk-20.1.0/doc/appdocsxml.xslt",
        "asterisk-22.1.0.tar.gz:asterisk-22.1.0/doc/appdocsxml.xslt",
    ]
    assert load_snapshots(out) == blocks
    other = tmp_path / "other.xslt"
    other.write_text(XSLT.replace("'Channel'", "'Chan'"))
    result = _codegen("snapshot-table", tarballs[0], str(other), "--out", str(out))
    assert result.returncode == 2 and "differ" in result.stderr
    document["blocks"]["bridge"]["headers"]["BridgeMode"] = True
    out.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="table_sha256"):
        load_snapshots(out)


def _table(version: str, actions: dict, modules: dict, values: dict) -> dict:
    return {"asterisk": version, "actions": actions, "modules": modules, "values": values}


def test_the_release_view_puts_majors_side_by_side() -> None:
    tables = {
        "22.1.0": _table("22.1.0", {"A": {"Mode": False, "New": True}}, {"A": "res_a"}, {}),
        "16.2.0": _table("16.2.0", {"A": {"mode": True}, "Old": {}}, {}, {"A": {"mode": ["x"]}}),
        "18.3.0": _table("18.3.0", {"A": {"Mode": True}}, {}, {"A": {"Mode": ["x", "y"]}}),
    }
    view = actions_by_release(tables)
    a = view["A"]
    assert (a.majors, a.module) == (("16", "18", "22"), "res_a")
    assert [p.name for p in a.params] == ["Mode", "New"]  # the newest spelling and order
    mode = a.param("MODE")
    assert mode.spellings == {"16": "mode", "18": "Mode", "22": "Mode"}
    assert mode.required == {"16": True, "18": True, "22": False}
    assert mode.values == {"16": ("x",), "18": ("x", "y")}
    assert a.param("New").majors == ("22",)
    assert view["Old"].majors == ("16",) and view["Old"].module == ""
    with pytest.raises(ValueError, match="two tables for Asterisk 16"):
        actions_by_release({**tables, "16.3.0": _table("16.3.0", {}, {}, {})})


def test_the_release_view_of_events(docs) -> None:
    table = event_table_document(docs)
    older = json.loads(json.dumps(table))
    older["asterisk"] = "18.1.0"
    del older["events"]["Copy"]
    older["events"]["Peer"]["headers"].pop("Address")
    view = events_by_release({"21.1.0": table, "18.1.0": older})
    assert view["Copy"].majors == ("21",)
    peer = view["Peer"]
    assert peer.read_classes["18"] == ("EVENT_FLAG_SYSTEM", "EVENT_FLAG_CALL")
    assert peer.snapshots["21"] == (("channel", ""), ("bridge", "To"))
    assert peer.header("address").majors == ("21",)
    assert peer.header("Cause").required == {"18": False, "21": False}


def test_committed_tables_are_checked_against_their_digests(docs, tmp_path: Path) -> None:
    path = tmp_path / "asterisk-21.1.0.json"
    path.write_text(json.dumps(table_document(docs)))
    (tmp_path / "asterisk-21.1.0-events.json").write_text(json.dumps(event_table_document(docs)))
    assert list(load_tables(tmp_path)) == ["21.1.0"]
    assert list(load_tables(tmp_path, "-events")) == ["21.1.0"]
    edited = json.loads(path.read_text())
    edited["values"]["Box"]["Mode"].append("maybe")
    path.write_text(json.dumps(edited))
    with pytest.raises(ValueError, match="details_sha256"):
        load_tables(tmp_path)
