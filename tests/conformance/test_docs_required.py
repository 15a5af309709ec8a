"""What the tests that read the documentation XML (``test_docs_tables.py``,
``test_releases.py``, ``test_event_docs.py``) say without it, and that CI requires it.

Each case runs them in a pytest of its own, as ``make test`` would in a plain clone
(``AMI_DOCS_DIR`` names an empty folder) and as ``.ci/run`` does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import NO_DOCS_LINE

from codegen import ROOT

DOCS_TESTS = [
    str(Path(__file__).with_name(n))
    for n in ("test_docs_tables.py", "test_releases.py", "test_event_docs.py")
]


def run_docs_test(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AMI_DOCS", "AMI_SOURCES"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DOCS_TESTS],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_plain_clone_says_in_one_line_what_it_checked(tmp_path: Path) -> None:
    result = run_docs_test(AMI_DOCS_DIR=str(tmp_path), AMI_SOURCES_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    said = [line for line in result.stdout.splitlines() if line.startswith("conformance:")]
    assert said == [NO_DOCS_LINE]
    assert "warning" not in result.stdout.lower()  # nothing a user cannot act on
    assert str(tmp_path) not in result.stdout


def test_ci_requires_the_documentation_xml(tmp_path: Path) -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    exported = re.search(r"^export (.*)$", ci, re.MULTILINE)
    assert exported, ".ci/run exports nothing"
    make_test = re.search(r"^make test$", ci, re.MULTILINE)
    assert make_test and exported.start() < make_test.start(), "export after make test"
    assert "AMI_DOCS_REQUIRED=1" in exported.group(1).split()
    assert 'AMI_DOCS_DIR="$PWD/../shared/ami/docs"' in exported.group(1).split()
    # with that setting, a missing XML fails the run and says where it looked
    result = run_docs_test(AMI_DOCS_REQUIRED="1", AMI_DOCS_DIR=str(tmp_path))
    assert result.returncode == 1
    assert f"AMI_DOCS_REQUIRED is set, but the documentation XML is not in {tmp_path}" in (
        result.stdout
    )
