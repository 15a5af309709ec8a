"""The headers of the channel and bridge snapshot blocks that many events carry.

An event's documentation says ``<channel_snapshot prefix="Dest"/>`` instead of listing the
fifteen headers (``DestChannel``, ``DestChannelState``... ``DestLinkedid``) that Asterisk
sends for a channel; the list itself is not in ``core-en_US.xml`` but in the stylesheet that
expands it, ``doc/appdocsxml.xslt`` of Asterisk's sources. ``python -m codegen
snapshot-table SOURCE... --out codegen/snapshots.json`` reads it from source tarballs (or
the ``.xslt`` itself), checks that every source gives the same blocks, and writes them with
the digest of each source; ``load_snapshots`` reads that committed file back.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codegen.docs import DocParam, DocSnapshot, table_digest

__all__ = [
    "SNAPSHOTS_FILE",
    "expand",
    "load_snapshots",
    "main",
    "read_source",
    "read_xslt",
    "snapshot_document",
]

SNAPSHOTS_FILE = Path(__file__).parent / "snapshots.json"
XSLT_PATH = "doc/appdocsxml.xslt"  # inside Asterisk's sources
_XSL = "{http://www.w3.org/1999/XSL/Transform}"
_BLOCKS = {"channel_snapshot": "channel", "bridge_snapshot": "bridge"}
_PREFIXED = re.compile(r"concat\(@prefix,\s*'(?P<name>[^']+)'\)")

Blocks = dict[str, tuple[DocParam, ...]]  # "channel" -> its headers, without prefix


def read_xslt(text: str | bytes) -> Blocks:
    """The headers of each snapshot template of ``appdocsxml.xslt``: the ``parameter``
    elements it writes, with the name it gives them after the prefix, their ``required``
    attribute and enumeration where it writes one."""
    root = ET.fromstring(text)
    blocks: Blocks = {}
    for template in root.iter(f"{_XSL}template"):
        block = _BLOCKS.get(template.get("match", ""))
        if block is None:
            continue
        headers = []
        for element in template.findall(f"{_XSL}element"):
            if element.get("name") != "parameter":
                continue
            attributes = {
                a.get("name"): a for a in element.findall(f"{_XSL}attribute") if a.get("name")
            }
            value_of = attributes["name"].find(f"{_XSL}value-of") if "name" in attributes else None
            match = _PREFIXED.fullmatch(value_of.get("select", "") if value_of is not None else "")
            if match is None:
                raise ValueError(f"{block} snapshot: a parameter whose name is not prefix + text")
            required = attributes.get("required")
            required_text = (
                "".join(required.itertext()).strip().lower() if required is not None else None
            )
            enumlist = element.find("enumlist")
            headers.append(
                DocParam(
                    name=match["name"],
                    required=required_text in ("true", "yes"),
                    values=tuple(e.get("name", "") for e in enumlist.findall("enum"))
                    if enumlist is not None
                    else (),
                    required_given=required_text is not None,
                )
            )
        blocks[block] = tuple(headers)
    if set(blocks) != set(_BLOCKS.values()):
        raise ValueError(f"no template for {sorted(set(_BLOCKS.values()) - set(blocks))}")
    return blocks


def read_source(path: Path) -> tuple[str, bytes]:
    """``(name, bytes)`` of the stylesheet in ``path``: an Asterisk source tarball (its
    ``<top>/doc/appdocsxml.xslt``) or the ``.xslt`` file itself."""
    if path.suffix == ".xslt":
        return path.name, path.read_bytes()
    with tarfile.open(path) as tar:
        for member in tar:
            if member.isfile() and member.name.partition("/")[2] == XSLT_PATH:
                extracted = tar.extractfile(member)
                assert extracted is not None  # a regular file
                return f"{path.name}:{member.name}", extracted.read()
    raise ValueError(f"{path}: no {XSLT_PATH} inside")


def _table(blocks: Blocks) -> dict[str, Any]:
    return {
        block: {
            "headers": {h.name: h.required if h.required_given else None for h in headers},
            "values": {h.name: list(h.values) for h in headers if h.values},
        }
        for block, headers in sorted(blocks.items())
    }


def snapshot_document(paths: Sequence[Path]) -> dict[str, Any]:
    """The committed form: the blocks, which must be the same in every source, and the
    digest of each source's stylesheet."""
    sources: list[dict[str, str]] = []
    table: dict[str, Any] | None = None
    for path in paths:
        name, data = read_source(path)
        this = _table(read_xslt(data))
        if table is not None and this != table:
            raise ValueError(f"{name}: its snapshot blocks differ from {sources[0]['source']}'s")
        table = this
        sources.append({"source": name, "xslt_sha256": hashlib.sha256(data).hexdigest()})
    if table is None:
        raise ValueError("no source given")
    return {
        "about": (
            "The headers of <channel_snapshot/> and <bridge_snapshot/> in Asterisk's event"
            " documentation, without the prefix an event puts in front of each (null: the"
            " stylesheet says nothing of required), from doc/appdocsxml.xslt of the sources"
            " named. Written by `python -m codegen snapshot-table`; do not edit by hand."
        ),
        "sources": sources,
        "table_sha256": table_digest(table),
        "blocks": table,
    }


def load_snapshots(path: Path = SNAPSHOTS_FILE) -> Blocks:
    """The committed blocks, checked against their digest."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if table_digest(document["blocks"]) != document["table_sha256"]:
        raise ValueError(f"{path}: its blocks do not match table_sha256 (edited by hand?)")
    return {
        block: tuple(
            DocParam(
                name=name,
                required=bool(required),
                values=tuple(data["values"].get(name, ())),
                required_given=required is not None,
            )
            for name, required in data["headers"].items()
        )
        for block, data in document["blocks"].items()
    }


def expand(snapshot: DocSnapshot, blocks: Blocks) -> tuple[DocParam, ...]:
    """The headers ``snapshot`` stands for, named with its prefix (``DestChannel``)."""
    return tuple(
        DocParam(
            name=snapshot.prefix + header.name,
            required=header.required,
            values=header.values,
            required_given=header.required_given,
        )
        for header in blocks[snapshot.block]
    )


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen snapshot-table",
        description="Write the headers of the channel and bridge snapshot blocks, read from"
        " doc/appdocsxml.xslt of Asterisk source tarballs (all must agree), as JSON.",
    )
    parser.add_argument("sources", nargs="+", type=Path, help="asterisk-*.tar.gz or .xslt files")
    parser.add_argument("--out", type=Path, default=SNAPSHOTS_FILE)
    args = parser.parse_args(argv)
    try:
        document = snapshot_document(args.sources)
    except (OSError, ValueError, tarfile.TarError, ET.ParseError) as exc:
        parser.exit(2, f"snapshot-table: {exc}\n")
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8", newline="\n")
    counts = ", ".join(f"{b}: {len(d['headers'])} headers" for b, d in document["blocks"].items())
    print(f"{args.out}: {counts}, from {len(document['sources'])} sources")
    return 0
