"""An action without a spec: any action name, any headers, the same wire checks.

For actions of an Asterisk newer than the specs, of a third-party module, or of your own::

    Generic("MyModuleReload", headers={"Module": "res_mine"})
    Generic("Originate", headers=[("Channel", "PJSIP/100"), ("Exten", "200")],
            variables={"CALLERID(name)": "Ops"})

The name and every header are checked like a generated action's fields, by the same kinds
(``sdk.model.kinds``) and wire rules (``sdk.model.checks``): no CR, LF or NUL, no leading
blank, header names of printable ASCII without blanks or ``:``, no line over 1024 bytes, at
most 128 lines. Variables are escaped as for ``Originate``. All problems are
reported at once in one ``ValidationError``. The name, like every value, is made plain
first (``sdk.model.values``). Headers named Secret or Key (``sdk.model.fields.SECRET_HEADERS``) are
shown as ``***`` wherever the action is shown or logged, as ``Login``'s are.
"""

from __future__ import annotations

import re
from typing import ClassVar

import attrs

from sdk.errors import FieldProblem, ValidationError
from sdk.model.action import Action
from sdk.model.checks import encode_line
from sdk.model.fields import ExtraHeaders, Variables
from sdk.model.kinds import HEADERS, VARIABLES, PairsInput, ami_field
from sdk.model.values import plain

__all__ = ["Generic"]

# AMI action names are words: Asterisk's own are letters and digits; allow - _ . too.
_ACTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@attrs.frozen(kw_only=True, init=False)
class Generic(Action):
    """Any AMI action, by name, with headers and variables given as pairs.

    ``headers`` takes a dict, ``(name, value)`` pairs or ``"Name: value"`` strings; a name may
    repeat. ``variables`` takes what a ``Variable`` field takes and writes one escaped
    ``Variable: name=value`` line per pair, after the headers.
    """

    SUMMARY: ClassVar[str] = "Any AMI action, by name, with headers given as pairs."

    name: str = attrs.field(default="", repr=True, metadata={})
    headers: ExtraHeaders = ami_field(
        "Header", kind="headers", doc="The action's headers as name/value pairs, in order."
    )
    variables: Variables = ami_field(
        "Variable", kind="variables", doc="Variable lines (name=value), escaped, in order."
    )

    def __init__(
        self,
        name: str,
        headers: PairsInput = None,
        *,
        variables: PairsInput = None,
        action_id: str | None = None,
    ) -> None:
        name = plain(name)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "headers", HEADERS.convert(headers))
        object.__setattr__(self, "variables", VARIABLES.convert(variables))
        object.__setattr__(self, "action_id", plain(action_id))
        problem = _name_problem(name)
        try:
            self.__attrs_post_init__()
        except ValidationError as exc:
            if problem is None:
                raise
            raise ValidationError(
                "Generic", [FieldProblem("name", "Action", problem), *exc.errors]
            ) from None
        if problem is not None:  # named "Generic": a bad name must not reach a log line as is
            raise ValidationError("Generic", [FieldProblem("name", "Action", problem)])

    # A property where Action has a ClassVar (the ignore): a generic action's name is its
    # own, per instance, which no annotation of Action's can say.
    @property
    def ACTION(self) -> str:  # type: ignore[override]  # noqa: N802 - every action's name
        """The action's name, as given."""
        return self.name if type(self.name) is str else ""


def _name_problem(name: object) -> str | None:
    if type(name) is not str:
        return f"must be a string, not {type(name).__name__}"
    if not _ACTION_NAME.fullmatch(name):
        return (
            f"{name!r} is not an action name: letters, digits and - _ . only,"
            " starting with a letter or digit"
        )
    return encode_line("Action", name)[1]  # the line's room, as for every header
