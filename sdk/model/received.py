"""A message read from the wire, seen through an action class's fields: never validated.

Asterisk accepts messages that the client classes refuse (a SIPnotify without Variable, a
Channel with a leading blank it strips), so what a server reads must not be turned into an
action that skipped its checks. ``Received(SIPnotify, message)`` is a view instead: each
field's value as its kind decodes it from the message (``sdk.model.kinds``: headers matched
without regard to case, the first one winning; ``Variable`` values split the way Asterisk
splits them), read-only, with no encoded form to send. The embedded server
(``sdk.testing``) reads requests this way.
"""

from __future__ import annotations

from typing import Any

from sdk.model.fields import FieldInfo
from sdk.model.kinds import fields_of, kind_of, taken_headers
from sdk.wire.message import Message

__all__ = ["Received"]


class Received:
    """What ``message`` says for each field of ``action_class`` (``action_id`` included),
    as attributes: ``Received(SIPnotify, request).channel``. Its own names start with ``_``
    (``fields()`` aside, which no field may be called), so they never hide a field."""

    __slots__ = ("_action_class", "_message", "_values")

    def __init__(self, action_class: type, message: Message) -> None:
        self._action_class = action_class
        self._message = message
        taken = taken_headers(action_class)
        values: dict[str, object] = {"action_id": message.get("ActionID")}
        for name, info in fields_of(action_class):
            values[name] = kind_of(info.kind).decode(info, message, taken)
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"{self._action_class.__name__} has no field {name!r}", name=name, obj=self
            ) from None

    def fields(self) -> tuple[tuple[str, FieldInfo], ...]:
        """``(attribute, FieldInfo)`` of each field, as ``Action.fields()`` gives them."""
        return fields_of(self._action_class)

    def __repr__(self) -> str:
        secret = {name for name, info in self.fields() if info.secret}
        shown = ", ".join(
            f"{name}={'***' if name in secret and value is not None else repr(value)}"
            for name, value in self._values.items()
        )
        return f"Received({self._action_class.__name__}: {shown})"
