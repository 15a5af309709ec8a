"""How a session logs in: one strategy per way of proving the secret, chosen by ``auth=``.

A strategy is an object with a ``name`` and one method, ``login(send, username, secret,
events)``, which sends what its way needs through ``send`` and returns the answer to the
``Login`` (the session decides what a refusal means). ``MD5Auth`` (the default) asks for a
challenge and sends only the MD5 of it and the secret; ``PlainAuth`` sends the secret itself.

The secret travels as a ``Secret``, whose repr is ``'***'``; a strategy reveals it only to
build the ``Login`` (whose own repr masks it in turn).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import NoReturn, Protocol, TypeGuard

from sdk import actions
from sdk.errors import AuthenticationError
from sdk.model.action import Action
from sdk.model.values import plain
from sdk.wire.message import Response

__all__ = ["Auth", "MD5Auth", "PlainAuth", "Secret", "auth_strategy"]

Send = Callable[[Action], Response]


class Secret:
    """Holds the secret; any repr of it, so any dump of a session, shows ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a session's secret cannot be pickled")


class Auth(Protocol):
    """A way of logging in (``auth=`` takes one, or the name of a built-in one)."""

    @property
    def name(self) -> str:
        """What the log and ``Session.auth`` call it: ``md5``, ``plain``."""
        ...

    def login(self, send: Send, username: str, secret: Secret, events: str) -> Response:
        """Log in through ``send``; return the answer to the Login (raise when the way
        itself fails, such as a refused challenge)."""
        ...


class PlainAuth:
    """The secret itself in the Login (``Secret:``): use it over TLS, or where MD5 is off."""

    name = "plain"

    def login(self, send: Send, username: str, secret: Secret, events: str) -> Response:
        return send(actions.Login(username=username, secret=secret.reveal(), events=events))

    def __repr__(self) -> str:
        return "PlainAuth()"


class MD5Auth:
    """A Challenge first, then the MD5 of the challenge followed by the secret (``Key:``):
    the secret never crosses the line."""

    name = "md5"

    def login(self, send: Send, username: str, secret: Secret, events: str) -> Response:
        answer = send(actions.Challenge(auth_type="MD5"))
        challenge = answer.get("Challenge")
        if not answer.ok or not challenge:
            raise AuthenticationError(f"MD5 challenge refused: {answer.message or 'no challenge'}")
        key = hashlib.md5((challenge + secret.reveal()).encode()).hexdigest()
        return send(actions.Login(username=username, auth_type="MD5", key=key, events=events))

    def __repr__(self) -> str:
        return "MD5Auth()"


BUILT_IN: dict[str, Auth] = {"md5": MD5Auth(), "plain": PlainAuth()}


def _is_strategy(value: object) -> TypeGuard[Auth]:
    """Whether ``value`` is a strategy: a ``login`` method and a ``name`` text."""
    return callable(getattr(value, "login", None)) and isinstance(getattr(value, "name", None), str)


def auth_strategy(value: str | Auth) -> Auth:
    """The strategy ``auth=`` names (``"md5"``, ``"plain"``), or ``value`` when it is one."""
    given = plain(value)
    if isinstance(given, str):
        strategy = BUILT_IN.get(given)
        if strategy is None:
            raise ValueError(f"auth must be 'md5' or 'plain', not {given!r}")
        return strategy
    if _is_strategy(given):
        return given
    raise ValueError(f"auth must be 'md5', 'plain' or a strategy with login(), not {given!r}")
