"""Asterisk releases: which one a server runs, and what each release has, field by field.

A release is an Asterisk major. The specs know six, ``DOCUMENTED``, from their documentation
(16.30.1, 18.26.4, 20.20.1, 21.12.3, 22.10.1, 23.4.1): each action's ``AVAILABLE_IN`` and
each field's ``FieldInfo.available_in``, ``required_in`` and ``choices_in``
(``specs/README.md``). This module holds the rules that read them, used alike by the session
(``sdk.client.capabilities``), the command line, the notebook form and bulk NOTIFY:

- ``Release``: what is known of a server's release, from its banner's AMI version
  (``from_banner``: 5.0.x is 16, 7.0.x 18, 9.0.x 20, 10.0.x 21, 11.0.x 22, 12.0.x 23), from
  CoreSettings' ``AsteriskVersion`` or an override (``from_version``). Any other AMI version
  (17's 6.0.x, 19's 8.0.x, a future one) is an unknown release, never a guess: it is checked
  as the nearest documented release below it, leniently (``Release.lenient``);
- ``has_action`` and ``field_majors``: which releases have an action, a field;
- ``field_problems``: the fields of an action that a release lacks, requires but are not
  given, or whose value it does not take, as ``FieldProblem`` objects naming the field and
  the releases that have it. What to check is worked out once per class and release, so a
  send that has nothing to check pays one dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from sdk.errors import FieldProblem
from sdk.model.fields import FieldInfo
from sdk.model.kinds import ENUM, fields_of, kind_of
from sdk.model.rules import given

__all__ = [
    "AMI_MAJORS",
    "DOCS_VERSIONS",
    "DOCUMENTED",
    "Release",
    "UNKNOWN",
    "field_majors",
    "field_notes",
    "field_problems",
    "has_field_checks",
    "from_banner",
    "from_version",
    "has_action",
    "majors_text",
]

# The version whose documentation tells what each release has.
DOCS_VERSIONS = {
    "16": "16.30.1",
    "18": "18.26.4",
    "20": "20.20.1",
    "21": "21.12.3",
    "22": "22.10.1",
    "23": "23.4.1",
}
DOCUMENTED = tuple(DOCS_VERSIONS)  # the documented releases, oldest first
# The major of the AMI version (the banner's ``Asterisk Call Manager/9.0.0``) of each
# documented release; Asterisk gives each major its own.
AMI_MAJORS = {"5": "16", "7": "18", "9": "20", "10": "21", "11": "22", "12": "23"}
_BY_AMI = sorted((int(ami), major) for ami, major in AMI_MAJORS.items())


@attrs.frozen
class Release:
    """What is known of the Asterisk release a server runs.

    ``major`` is its Asterisk major when known (``"20"``; ``"19"``, known from CoreSettings
    or an override but not documented here), else None. ``docs`` is the documented release
    whose facts apply: ``major`` itself, or the nearest documented release below; None when
    none applies (a release older than 16, or nothing known). ``source`` says how it was
    learned: ``banner``, ``CoreSettings`` or ``override``; ``said``, what that source said.
    """

    major: str | None = None
    docs: str | None = None
    source: str = ""
    said: str = ""

    @property
    def exact(self) -> bool:
        """Whether the server runs a documented release (its facts are those of its docs)."""
        return self.docs is not None and self.docs == self.major

    @property
    def lenient(self) -> bool:
        """Whether what the docs say is only a guide: the release is not one documented."""
        return not self.exact

    def __str__(self) -> str:
        if self.exact:
            return f"Asterisk {self.major}"
        if self.major:
            what = f"Asterisk {self.major}"
        else:
            what = f"an unknown release ({self.said})" if self.said else "a release not known"
        if self.docs is None:
            return what
        return f"{what}, checked as Asterisk {self.docs}"


UNKNOWN = Release()


def _nearest_below(number: int, table: Iterable[tuple[int, str]]) -> str | None:
    below = [major for key, major in table if key <= number]
    return below[-1] if below else None


def from_banner(ami_version: str | None) -> Release:
    """The release an AMI version tells (``9.0.0`` → Asterisk 20); an AMI version no
    documented release has is an unknown release, checked as the one below it."""
    if not ami_version:
        return UNKNOWN
    head = ami_version.split(".")[0]
    if not head.isdigit():
        return Release(source="banner", said=f"AMI {ami_version}")
    major = AMI_MAJORS.get(str(int(head)))
    if major is not None:
        return Release(major, major, "banner", f"AMI {ami_version}")
    return Release(None, _nearest_below(int(head), _BY_AMI), "banner", f"AMI {ami_version}")


def from_version(version: str, source: str) -> Release:
    """The release of an Asterisk version (``20.5.0``, or a major: ``20``), as CoreSettings
    or an override says it. Raises ``ValueError`` for text that is no version."""
    head = str(version).strip().split(".")[0]
    if not head.isdigit():
        raise ValueError(f"{version!r} is not an Asterisk version such as 20 or 20.5.0")
    major = str(int(head))
    docs = _nearest_below(int(major), ((int(m), m) for m in DOCUMENTED))
    return Release(major, docs, source, str(version).strip())


def majors_text(majors: Iterable[str]) -> str:
    """``("18", "20", "21")`` → ``Asterisk 18, 20 and 21``."""
    names = list(majors)
    if not names:
        return "no release documented here"
    if len(names) == 1:
        return f"Asterisk {names[0]}"
    return f"Asterisk {', '.join(names[:-1])} and {names[-1]}"


def has_action(cls: type[Any], major: str) -> bool | None:
    """Whether Asterisk ``major`` has the action ``cls``; None when the class does not say
    (no ``AVAILABLE_IN``: ``Generic``, a spec without releases)."""
    majors: tuple[str, ...] = getattr(cls, "AVAILABLE_IN", ())
    return (major in majors) if majors else None


def field_majors(cls: type[Any], info: FieldInfo) -> tuple[str, ...]:
    """The releases that have the field ``info`` of the action ``cls`` (its own, or its
    action's)."""
    return info.majors(getattr(cls, "AVAILABLE_IN", ()))


@attrs.frozen
class _Check:
    """What one field must meet in one release: ``absent`` (given, the release lacks it),
    ``required`` (not given, the release needs it) or ``choices`` (the values it takes)."""

    name: str
    info: FieldInfo
    rule: str
    majors: tuple[str, ...] = ()
    choices: frozenset[str] = frozenset()

    def says(self, major: str) -> str:
        """What Asterisk ``major`` does otherwise, in words."""
        if self.rule == "absent":
            return (
                f"Asterisk {major} has no {self.info.header} ({majors_text(self.majors)} have it)"
            )
        if self.rule == "required":
            return f"is required in Asterisk {major}"
        return f"Asterisk {major} takes {', '.join(self.info.choices_of(major))}"


_CHECKS: dict[tuple[type[Any], str], tuple[_Check, ...]] = {}


def _checks(cls: type[Any], major: str) -> tuple[_Check, ...]:
    """The checks of ``cls``'s fields in ``major``: none for most (worked out once)."""
    found = _CHECKS.get((cls, major))
    if found is not None:
        return found
    checks = []
    for name, info in fields_of(cls):
        majors = field_majors(cls, info)
        if major not in majors:
            checks.append(_Check(name, info, "absent", majors))
            continue
        if info.required_by(major) and not info.needs_value:
            checks.append(_Check(name, info, "required"))
        if kind_of(info.kind) is ENUM and info.choices_of(major) != info.choices:
            taken = frozenset(c.lower() for c in info.choices_of(major))
            checks.append(_Check(name, info, "choices", choices=taken))
    _CHECKS[(cls, major)] = found = tuple(checks)
    return found


def has_field_checks(cls: type[Any], major: str) -> bool:
    """Whether Asterisk ``major`` takes any field of ``cls`` otherwise than the class does
    (else ``field_problems`` finds nothing, whatever the values)."""
    return bool(has_action(cls, major) and _checks(cls, major))


def field_problems(action: Any, major: str) -> list[FieldProblem]:
    """What Asterisk ``major`` would not take of ``action``'s fields: a field given that the
    release lacks, one it requires that is not given, a value it does not take. Empty when
    the release takes it all (or the action's class says nothing of releases)."""
    cls = type(action)
    checks = _CHECKS.get((cls, major))
    if checks is None:
        checks = _checks(cls, major) if has_action(cls, major) else ()
        _CHECKS[(cls, major)] = checks
    if not checks:
        return []
    problems = []
    for check in checks:
        value = getattr(action, check.name)
        if check.rule == "absent" and given(value):
            problem = check.says(major)
        elif check.rule == "required" and not given(value):
            problem = check.says(major)
        elif check.rule == "choices" and isinstance(value, str) and given(value):
            if value.lower() in check.choices:
                continue
            problem = f"{check.says(major)}, not {value!r}"
        else:
            continue
        problems.append(FieldProblem(check.name, check.info.header, problem))
    return problems


def field_notes(cls: type[Any], major: str) -> dict[str, str]:
    """``{attribute: note}`` of each field of ``cls`` that Asterisk ``major`` takes otherwise
    than the class does: it lacks the field, requires it, or takes fewer values. What a form
    shows beside a field, and ``ami describe --release`` beside its row."""
    if not has_action(cls, major):
        return {}
    notes: dict[str, str] = {}
    for check in _checks(cls, major):
        note = check.says(major)
        notes[check.name] = f"{notes[check.name]}; {note}" if check.name in notes else note
    return notes
