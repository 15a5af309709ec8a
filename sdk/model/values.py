"""The boundary every value crosses on its way to the wire: made plain once, then trusted.

A value a user passes may be a subclass of ``str`` (or ``int``, ``float``) whose methods say
one thing and whose formatting writes another: a ``__format__`` or ``encode`` that returns
``"x\\r\\n\\r\\nAction: Originate..."`` would be checked on its characters and written as a
second action. An ordinary ``class Peer(str, Enum)`` member formats as ``Peer.PHONE1``, not
as its value. So every value is turned, once and where it enters (attrs converters,
``Pairs``, ``Records``, ``Generic``, the session's login and ActionIDs, forms, bulk rows),
into an exact built-in by ``plain``, and only that plain value is checked and written. The
kind of its field then decides its text (``sdk.model.kinds``, and the fast path each
generated action module holds, which takes exact built-ins only): an exact ``int`` by its
digits, an exact ``bool`` as ``true``/``false`` where a boolean is wanted.

``plain`` reads no method the value's class could override: an ``Enum`` member gives its
``.value``, a ``str`` subclass its characters (``str.__str__``), an ``int`` or ``float``
subclass its number. The common case, an exact ``str``, costs one ``type(x) is`` test.
"""

from __future__ import annotations

import enum
from typing import cast, overload

__all__ = ["plain", "plain_text"]

_EXACT = (str, int, bool, type(None))


@overload
def plain(value: str) -> str: ...
@overload
def plain(value: bool) -> bool: ...
@overload
def plain(value: int) -> int: ...
@overload
def plain(value: float) -> float: ...
@overload
def plain(value: None) -> None: ...
@overload
def plain(value: object) -> object: ...
def plain(value: object) -> object:
    """``value`` as an exact ``str``, ``int``, ``bool`` or ``float`` when it stands for one,
    else unchanged (the field's check then refuses its type).

    An ``Enum`` member stands for its ``.value`` (made plain in turn, one level only); a
    ``str``, ``int`` or ``float`` subclass for its characters or its number.
    """
    cls = type(value)
    if cls in _EXACT:  # the usual case, at once (bool cannot be subclassed)
        return value
    # by its type, never isinstance (which reads a __class__ the value may fake): mypy
    # narrows the value itself only through isinstance, hence the casts
    if issubclass(cls, enum.Enum):
        value = cast(enum.Enum, value).value
        cls = type(value)
        if cls in _EXACT or issubclass(cls, enum.Enum):  # an Enum of Enums: refused by type
            return value
    if issubclass(cls, str):
        return str.__str__(value)
    if issubclass(cls, int):
        return int.__int__(cast(int, value))
    if issubclass(cls, float):
        return float.__float__(cast(float, value))
    return value


def plain_text(value: object) -> str:
    """``value`` as an exact ``str`` whatever it is, for places that take anything as text
    (a CSV or DataFrame cell, a form's text box): ``plain``, then the text of a number, or
    ``str()`` made plain for anything else."""
    value = plain(value)
    return value if type(value) is str else plain(str(value))
