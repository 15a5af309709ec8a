"""The one test that reads Asterisk's documentation XML itself (``../shared/ami/docs``).

With the XML files at hand it checks that:

- the committed tables are exactly what ``python -m codegen doc-table`` derives from them;
- ``import-docs`` over the committed specs changes nothing: every fact in an imported spec
  is the XML's, and re-importing keeps every word written here;
- no summary, description or doc of a spec repeats the XML's prose (eight words in a row).

A plain clone has no XML (the normal case for a user). The test then does not pretend: it
checks what can be checked without it (each committed table still has the digest
``doc-table`` gave it, so a hand edit shows) and says so in one line at the end of the run.
``AMI_DOCS_DIR`` names the folder of ``asterisk-<version>-core-en_US.xml`` files, and
``AMI_DOCS_REQUIRED=1`` makes their absence a failure: ``.ci/run`` sets both, so CI always
runs the full check (``test_docs_required.py`` holds it to that).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import NO_DOCS_LINE

from codegen import ROOT, SPECS_DIR
from codegen.docs import read_docs, table_digest, table_document
from codegen.importer import run_import

HERE = Path(__file__).parent
VERSIONS = ("16.30.1", "18.26.4", "20.20.1", "21.12.3", "22.10.1", "23.4.1")
DOCS = Path(os.environ.get("AMI_DOCS_DIR") or ROOT.parent / "shared" / "ami" / "docs")
SHINGLE = 8  # words in a row that count as copied prose


def _xml(version: str) -> Path:
    return DOCS / f"asterisk-{version}-core-en_US.xml"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def _prose(spec: dict) -> list[str]:
    texts = [spec.get("summary", ""), spec.get("description", "")]
    for field in spec.get("fields") or []:
        texts.append(field.get("doc", ""))
        texts.extend(member.get("doc", "") for member in field.get("members") or [])
    return [t for t in texts if t]


def test_tables_specs_and_words_against_the_documentation_xml(
    tmp_path: Path, report_line: Callable[[str], None]
) -> None:
    committed = {v: json.loads((HERE / f"asterisk-{v}.json").read_text()) for v in VERSIONS}
    missing = [str(_xml(v)) for v in VERSIONS if not _xml(v).exists()]
    if missing:
        if os.environ.get("AMI_DOCS_REQUIRED"):
            pytest.fail(
                f"AMI_DOCS_REQUIRED is set, but the documentation XML is not in {DOCS}:"
                f" {', '.join(missing)} (AMI_DOCS_DIR names the folder)"
            )
        for version, data in committed.items():  # what can be checked without the XML
            assert table_digest(data["actions"]) == data["table_sha256"], version
        report_line(NO_DOCS_LINE)
        return

    docsets = [read_docs(_xml(v)) for v in VERSIONS]
    for docs in docsets:
        assert table_document(docs) == committed[docs.version], (
            f"tests/conformance/asterisk-{docs.version}.json is not what doc-table derives from"
            f" {docs.path}: run `python -m codegen doc-table {docs.path} --out ...`"
        )

    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    names = sorted(p.stem for p in SPECS_DIR.glob("*.yaml"))
    report: list[str] = []
    changed = run_import(docsets, names, specs, check=True, report=report.append)
    assert changed == 0, "\n".join(line for line in report if not line.startswith("same"))
    unmapped = [line for line in report if line.startswith(("unmapped", "invalid"))]
    assert not unmapped, unmapped
    curated_notes = [line for line in report if line.startswith("curated") and "differ" in line]
    assert not curated_notes, curated_notes

    copied = []
    for path in sorted(SPECS_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc = next(
            d.actions[spec["action"]] for d in reversed(docsets) if spec["action"] in d.actions
        )
        theirs = _shingles(" ".join([doc.synopsis, doc.description, *(p.text for p in doc.params)]))
        for text in _prose(spec):
            common = _shingles(text) & theirs
            if common:
                copied.append(f"{path.name}: {' '.join(sorted(common)[0])!r}")
    assert not copied, f"prose copied from the documentation XML: {copied}"
