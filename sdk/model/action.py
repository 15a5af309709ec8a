"""The base class of every action: validation on construction, exact bytes on the wire.

A generated action (``sdk/actions/*.py``) is a frozen, keyword-only attrs class whose fields
carry ``FieldInfo`` metadata (``sdk.model.fields``), and whose module holds its own encoder,
written by codegen from the kinds of its fields (``sdk.model.kinds``):

- the fast path, the start of its ``__init__``: plain values (exact text, numbers and
  booleans, pairs given as a dict of text) are checked and written in one pass, the slots
  set at once;
- the full path, anything else: attrs' ``__init__`` runs each field's converter (every
  value made plain: ``sdk.model.values``), then ``__attrs_post_init__`` runs ``validate()``, which
  returns every problem (raised together in one ``ValidationError``), and ``_encode()``,
  which writes the header lines of the valid action (botocore's split).

This class holds what every action shares, and the full path of an action class written by
hand (``sdk.Generic``): ``validate`` and ``_encode`` here go through its fields' kinds one
by one; the generated ones are the same calls, written out. A valid action keeps its
encoded lines, so ``to_bytes`` only adds ``Action`` and ``ActionID``.

A message read from the wire is not an action: ``sdk.model.received.Received`` reads it by
an action's fields without validating it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from sdk.errors import FieldProblem, ValidationError
from sdk.model.checks import action_id_problems
from sdk.model.fields import FieldInfo
from sdk.model.kinds import Found, ami_field, fields_of, kind_of, secret_headers_of
from sdk.model.values import plain

if TYPE_CHECKING:
    from sdk.model.rules import Rule

__all__ = ["Action", "action_fields", "secret_headers"]

_ACTION_ID_DOC = "Echoed in the response and its events, so the answer can be matched."


def action_fields(cls: type[Action]) -> tuple[tuple[str, FieldInfo], ...]:
    """``(attribute, FieldInfo)`` of every header field of ``cls`` in wire order, ActionID excluded."""
    return fields_of(cls)


def secret_headers(cls: type[Action]) -> frozenset[str]:
    """The headers (lower-cased) whose values an action of ``cls`` never shows (``***``):
    its fields marked ``secret`` in the spec, and, when it takes headers by name (``Generic``,
    UserEvent), any of ``SECRET_HEADERS`` that is not a field of its own. One rule for
    ``describe``, the session's log and the embedded server's record of what it read."""
    return secret_headers_of(cls)


_INFO: dict[type, dict[str, FieldInfo]] = {}


@attrs.frozen(kw_only=True, init=False)
class Action:
    """Base of every AMI action. Subclasses are generated from ``specs/``."""

    ACTION: ClassVar[str] = ""
    SUMMARY: ClassVar[str] = ""
    SPEC: ClassVar[str] = ""
    MODULE: ClassVar[str] = ""
    PRIVILEGE: ClassVar[str] = ""
    SINCE: ClassVar[str] = ""
    REMOVED_IN: ClassVar[str] = ""
    REPLACED_BY: ClassVar[str] = ""
    AVAILABLE_IN: ClassVar[tuple[str, ...]] = ()
    SUCCESS_MESSAGE: ClassVar[str | None] = None
    LIST_EVENTS: ClassVar[tuple[str, ...]] = ()
    LIST_COMPLETE: ClassVar[str | None] = None
    RULES: ClassVar[tuple[Rule, ...]] = ()  # rules across fields (sdk.model.rules), from the spec

    action_id: str | None = ami_field("ActionID", doc=_ACTION_ID_DOC)
    # The header lines after ActionID, set once the action is valid: the text checked, which
    # to_bytes encodes as it writes.
    _wire: str = attrs.field(init=False, repr=False, eq=False)

    def __init__(self, *, action_id: str | None = None) -> None:
        self._build(action_id=action_id)

    def _build(self, **values: Any) -> None:
        """The full path: attrs' own ``__init__``, whose converters make every value plain,
        then ``__attrs_post_init__`` (``validate``, then ``_encode``). (Any: mypy's attrs
        plugin types ``__attrs_init__`` by the annotations, not seeing the converters of
        ``ami_field``, which take anything.)"""
        self.__attrs_init__(**values)

    def __attrs_post_init__(self) -> None:
        problems = self.validate()
        if problems:
            raise ValidationError(self.ACTION, problems)
        object.__setattr__(self, "_wire", self._encode())

    def validate(self) -> list[FieldProblem]:
        """Every problem of the values, in field order, then the rules across fields and the
        message's length; empty when the action is valid. Nothing is encoded here."""
        found = Found(type(self), self.action_id)
        for name, info in fields_of(type(self)):
            kind_of(info.kind).check(found, name, info, getattr(self, name))
        return found.finish(self)

    def _encode(self) -> str:
        """The header lines after ActionID of the valid action, in wire order."""
        return "".join(
            kind_of(info.kind).encode(info, getattr(self, name))
            for name, info in fields_of(type(self))
        )

    @classmethod
    def fields(cls) -> tuple[tuple[str, FieldInfo], ...]:
        """``(attribute, FieldInfo)`` of each header field in wire order, ActionID excluded."""
        return fields_of(cls)

    @classmethod
    def field_info(cls) -> dict[str, FieldInfo]:
        """``{attribute: FieldInfo}`` of each header field."""
        info = _INFO.get(cls)
        if info is None:
            info = _INFO[cls] = dict(fields_of(cls))
        return info

    def to_bytes(self, action_id: str | None = None) -> bytes:
        """The exact bytes to write: Action, ActionID, the fields in spec order, a blank line.

        ``action_id`` overrides the action's own for this write (checked as the action's own
        was); with neither, no ActionID line is written.
        """
        if action_id is None:
            action_id = self.action_id
            if action_id is None:
                return f"Action: {self.ACTION}\r\n{self._wire}\r\n".encode()
        elif action_id is not self.action_id:
            action_id = plain(action_id)  # checked and written as its plain text
            problems = action_id_problems(action_id)
            if problems:
                raise ValidationError(self.ACTION, problems)
        return f"Action: {self.ACTION}\r\nActionID: {action_id}\r\n{self._wire}\r\n".encode()

    def describe(self, action_id: str | None = None) -> str:
        """The message as it goes on the wire, for people and logs: secrets show as ``***``
        (``secret_headers``)."""
        lines = [f"Action: {self.ACTION}"]
        action_id = self.action_id if action_id is None else plain(action_id)
        if action_id is not None:
            lines.append(f"ActionID: {action_id}")
        secrets = secret_headers(type(self))
        for line in self._wire.split("\r\n")[:-1]:
            name, _, _value = line.partition(": ")
            lines.append(f"{name}: ***" if name.lower() in secrets else line)
        return "\n".join(lines)
