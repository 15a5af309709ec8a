"""The SDK's version, from one place: the package metadata that ``pyproject.toml`` makes.

Installed (``pip install``, ``pip install -e .``), it is the installed distribution's
version. In a source tree that was never installed, it is read from the ``pyproject.toml``
next to the package; with neither, ``0+unknown``. Asked on first use only (``sdk.__version__``,
``ami --version``): reading metadata costs more than the rest of ``import sdk``.
"""

from __future__ import annotations

import functools
from pathlib import Path

from sdk.extras import DISTRIBUTION

__all__ = ["version"]

UNKNOWN = "0+unknown"


@functools.cache
def version() -> str:
    """``0.1.0``: the version of the installed distribution, else of the source tree."""
    import importlib.metadata  # lazy: the module doc says why

    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return _source_version() or UNKNOWN


def _source_version() -> str | None:
    import tomllib  # lazy: only a source tree that was never installed needs it

    try:
        with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as file:
            project = tomllib.load(file).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    version = project.get("version")
    if project.get("name") != DISTRIBUTION or not isinstance(version, str):
        return None
    return version
