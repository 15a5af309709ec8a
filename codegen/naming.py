"""From AMI header names to Python attribute names.

``Call-ID`` → ``call_id``, ``ActionID`` → ``action_id``, ``DAHDIChannel`` →
``dahdi_channel``, ``AOCBillingId`` → ``aoc_billing_id``: characters that cannot stand in a
name become ``_``, a ``_`` goes between a lower-case letter or digit and a capital, and before
the last capital of a run of capitals followed by a lower-case letter. Keywords and builtins
get a trailing ``_`` (``Async`` → ``async_``). The wire name itself is never rebuilt from the
Python one: it is kept in the field's metadata.
"""

from __future__ import annotations

import builtins
import keyword
import re

__all__ = ["attribute_name", "module_name", "needs_suffix"]

_NON_WORD = re.compile(r"[^0-9A-Za-z_]+")
_CAPS_RUN = re.compile(r"([A-Z]+)([A-Z][a-z])")
_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_UNDERSCORES = re.compile(r"__+")
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))


def needs_suffix(name: str) -> bool:
    """True when ``name`` would shadow a keyword or a builtin."""
    return keyword.iskeyword(name) or name in _BUILTINS


def attribute_name(header: str) -> str:
    """The snake_case attribute for a header name (may still not be an identifier: check)."""
    name = _NON_WORD.sub("_", header)
    name = _CAPS_RUN.sub(r"\1_\2", name)
    name = _LOWER_UPPER.sub(r"\1_\2", name)
    name = _UNDERSCORES.sub("_", name.lower()).strip("_")
    if needs_suffix(name):
        name += "_"
    return name


def module_name(action: str) -> str:
    """The module of an action: its wire name in lower case."""
    return action.lower()
