"""Rules across fields, declared in a spec's ``rules:`` and checked with the field rules.

Some actions constrain fields together (PJSIPNotify: exactly one target, exactly one payload)
or the names inside a list of pairs (a NOTIFY header Asterisk refuses). A spec declares them;
codegen renders them into the class's ``RULES``; ``Action`` checks them on construction and
reports each broken rule as a ``FieldProblem`` of the field concerned, with the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from sdk.errors import FieldProblem
from sdk.model.fields import Pairs, Records

if TYPE_CHECKING:
    from sdk.model.action import Action

__all__ = ["ExactlyOneOf", "ForbiddenNames", "NameRequires", "Rule", "UniqueNames", "given"]


def given(value: object) -> bool:
    """Whether a field's value counts as given: not None, not empty, and (for pairs) at
    least one pair or group, or an item that could not be read."""
    if value is None or value == "":
        return False
    if isinstance(value, Pairs | Records):
        return len(value) > 0 or bool(value.problems)
    return True


def _header(cls: type[Action], name: str) -> str:
    """The wire header of attribute ``name`` of ``cls`` (its FieldInfo, read once a class)."""
    return cls.field_info()[name].header


def _list(headers: list[str]) -> str:
    return headers[0] if len(headers) == 1 else ", ".join(headers[:-1]) + " or " + headers[-1]


class Rule:
    """A constraint across fields; ``check`` returns the problems, empty when it holds."""

    def check(self, action: Action) -> list[FieldProblem]:
        raise NotImplementedError


@attrs.frozen
class ExactlyOneOf(Rule):
    """Exactly one of ``fields`` (attribute names) must be given."""

    fields: tuple[str, ...]

    def check(self, action: Action) -> list[FieldProblem]:
        present = [f for f in self.fields if given(getattr(action, f))]
        if len(present) == 1:
            return []
        cls = type(action)
        headers = [_header(cls, f) for f in self.fields]
        if not present:
            return [FieldProblem(self.fields[0], headers[0], f"give one of {_list(headers)}")]
        named = [_header(cls, f) for f in present]
        return [
            FieldProblem(
                present[1],
                named[1],
                f"give only one of {_list(headers)}, not {' and '.join(named)}",
            )
        ]


def _pairs(action: Action, field: str) -> Pairs:
    value = getattr(action, field)
    return value if isinstance(value, Pairs) else Pairs()


@attrs.frozen
class _NamesRule(Rule):
    field: str
    names: tuple[str, ...]
    reason: str
    # ``names`` lowercased, made once (the rule runs on every construction).
    _folded: frozenset[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_folded", frozenset(n.lower() for n in self.names))

    def _named(self, action: Action) -> list[tuple[int, str]]:
        """(origin, name) of each pair of the field called one of ``names``."""
        folded = self._folded
        pairs = _pairs(action, self.field)
        return [
            (pairs.origin(i), name) for i, (name, _) in enumerate(pairs) if name.lower() in folded
        ]


@attrs.frozen
class ForbiddenNames(_NamesRule):
    """No pair of ``field`` may be called one of ``names`` (without regard to case)."""

    def check(self, action: Action) -> list[FieldProblem]:
        found = self._named(action)
        if not found:
            return []
        header = _header(type(action), self.field)
        return [
            FieldProblem(self.field, header, f"{name}: {self.reason}", at) for at, name in found
        ]


@attrs.frozen
class UniqueNames(_NamesRule):
    """Each of ``names`` may name at most one pair of ``field``."""

    def check(self, action: Action) -> list[FieldProblem]:
        seen: set[str] = set()
        out = []
        for at, name in self._named(action):
            if name.lower() in seen:
                header = _header(type(action), self.field)
                out.append(
                    FieldProblem(self.field, header, f"{name} a second time: {self.reason}", at)
                )
            seen.add(name.lower())
        return out


@attrs.frozen
class NameRequires(Rule):
    """A pair of ``field`` called ``name`` needs a pair called ``requires`` too."""

    field: str
    name: str
    requires: str
    reason: str

    def check(self, action: Action) -> list[FieldProblem]:
        pairs = _pairs(action, self.field)
        names = [n.lower() for n, _ in pairs]
        if self.name.lower() not in names or self.requires.lower() in names:
            return []
        index = names.index(self.name.lower())
        message = f"{self.name} without {self.requires}: {self.reason}"
        header = _header(type(action), self.field)
        return [FieldProblem(self.field, header, message, pairs.origin(index))]
