"""What ``pip show asterisk-ami-sdk`` tells a user: license, summary, URLs, Pythons supported.

Read from the installed metadata (``make test`` installs the package from pyproject.toml).
"""

from __future__ import annotations

import importlib.metadata
import sys

import trove_classifiers

META = importlib.metadata.metadata("asterisk-ami-sdk")
CLASSIFIERS = META.get_all("Classifier") or []


def test_license_and_summary() -> None:
    assert META["License-Expression"] == "MIT"
    assert "LICENSE" in (META.get_all("License-File") or [])
    summary = META["Summary"]
    assert summary and "\n" not in summary
    assert "Asterisk Manager Interface" in summary


def test_project_urls_are_named() -> None:
    urls = dict(entry.split(", ", 1) for entry in META.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues"} <= urls.keys()
    assert all(url.startswith("https://") for url in urls.values())


def test_python_versions_agree_with_requires_python() -> None:
    versions = sorted(
        (int(major), int(minor))
        for major, minor in (
            c.removeprefix("Programming Language :: Python :: ").split(".")
            for c in CLASSIFIERS
            if c.startswith("Programming Language :: Python :: 3.")
        )
    )
    assert versions == [(3, 11), (3, 12), (3, 13)]
    assert META["Requires-Python"] == ">=3.11"  # the oldest classifier, no older
    assert sys.version_info[:2] >= versions[0]
    assert "Programming Language :: Python :: 3 :: Only" in CLASSIFIERS


def test_classifiers_are_ones_pypi_accepts() -> None:
    unknown = [c for c in CLASSIFIERS if c not in trove_classifiers.classifiers]
    assert unknown == []
    assert any(c.startswith("Operating System :: ") for c in CLASSIFIERS)
    assert "Topic :: Communications :: Telephony" in CLASSIFIERS
    # PEP 639: the SPDX expression replaces License classifiers (setuptools refuses both)
    assert not any(c.startswith("License :: ") for c in CLASSIFIERS)
