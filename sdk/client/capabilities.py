"""What the connected server offers: its versions and the actions it lets this user send.

The rules, as functions of what is known; ``sdk.client.server`` (``session.server``) learns
it. The banner carries the AMI version (``Session.ami_version``), and with it Asterisk's
major version (AMI 9 is Asterisk 20, 11 is 22: the AMI major plus 11, since Asterisk 14). On
request, ``ListCommands`` gives the actions the server has *and* lets this user send (Asterisk
lists only those whose write class the user holds), and ``CoreSettings`` the exact Asterisk
version.

Before each action is written, the session asks ``check_available``: when the server's list
is known, an action missing from it fails at once; otherwise an action that left Asterisk
before the server's version (SIPnotify from 21 on: chan_sip was removed) fails, naming the
action to use instead. Either way it is ``sdk.ActionUnavailable``, a ``ValidationError``:
bad input found before anything was sent. The list is forgotten when the connection
changes (a reconnect may reach a server with other modules loaded).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from sdk.errors import ActionUnavailable

if TYPE_CHECKING:
    from sdk.model.action import Action
    from sdk.wire.message import Response

__all__ = [
    "ServerAction",
    "asterisk_major",
    "check_available",
    "check_offered",
    "parse_list_commands",
]

# Accepted before login and answered by every Asterisk: never checked.
ALWAYS = frozenset({"login", "logoff", "challenge"})
_PRIV = re.compile(r"\s*\(Priv: (?P<priv>[^)]*)\)\s*$")


@attrs.frozen
class ServerAction:
    """One line of the server's ``ListCommands`` answer."""

    name: str
    synopsis: str  # the server's own one-line description
    privilege: tuple[str, ...]  # the write classes that allow it (``()``: anyone)


def asterisk_major(ami_version: str | None) -> int | None:
    """Asterisk's major version from the banner's AMI version (``9.0.0`` → 20), or None.

    From Asterisk 14 (AMI 3.x) on, each major bumps the AMI major by one; older banners do
    not say enough.
    """
    if not ami_version:
        return None
    head = ami_version.split(".")[0]
    if not head.isdigit() or int(head) < 3:
        return None
    return int(head) + 11


def parse_list_commands(response: Response) -> dict[str, ServerAction]:
    """``{name: ServerAction}`` from a ``ListCommands`` answer, in the server's order.

    Each line is ``Name: synopsis  (Priv: class,class,all)``, or ``(Priv: <none>)``.
    """
    out: dict[str, ServerAction] = {}
    for name, value in response.headers:
        match = _PRIV.search(value)
        if match is None:
            continue  # Response, ActionID, or anything that is no action line
        classes = match["priv"].strip()
        privilege = (
            ()
            if classes in ("<none>", "")
            else tuple(c for c in classes.split(",") if c and c != "all")
        )
        out[name] = ServerAction(name, value[: match.start()].strip(), privilege)
    return out


def _removal_note(cls: type[Action], major: int) -> str | None:
    removed = getattr(cls, "REMOVED_IN", "") or ""
    if not removed or int(removed.split(".")[0]) > major:
        return None
    module = getattr(cls, "MODULE", "") or "its module"
    return f"Asterisk {major} has no {cls.ACTION}: {module} was removed in Asterisk {removed}"


def check_available(
    action: Action, actions: Mapping[str, ServerAction] | None, ami_version: str | None
) -> None:
    """Raise ``ActionUnavailable`` if the server cannot run ``action``; None when it can or
    when nothing says it cannot.

    ``actions`` is the server's ListCommands answer when known (it decides); else the
    server's version decides for actions that left Asterisk.
    """
    offered = None if actions is None else frozenset(n.lower() for n in actions)
    check_offered(action, offered, ami_version)


def check_offered(action: Action, offered: frozenset[str] | None, ami_version: str | None) -> None:
    """``check_available`` with the server's action names already lowercased (or None): what
    runs before each action is written."""
    name = action.ACTION
    lowered = name.lower()
    if lowered in ALWAYS or (offered is not None and lowered in offered):
        return
    cls = type(action)
    if offered is None and not getattr(cls, "REMOVED_IN", ""):
        return  # the usual case, checked before every action: nothing says it cannot
    major = asterisk_major(ami_version)
    removal = _removal_note(cls, major) if major is not None else None
    if offered is None and removal is None:
        return
    replacement = getattr(cls, "REPLACED_BY", "") or None
    instead = f"; use {replacement} instead" if replacement else ""
    if offered is not None:
        if removal is not None:
            raise ActionUnavailable(name, removal + instead, replacement)
        privilege = getattr(cls, "PRIVILEGE", "")
        needs = f" (it needs write class {privilege.replace(',', ' or ')})" if privilege else ""
        module = getattr(cls, "MODULE", "")
        if module == "builtin":
            why = f"this user may not send it{needs}"
        else:
            why = f"{module or 'its module'} is not loaded, or this user may not send it{needs}"
        raise ActionUnavailable(
            name,
            f"the server does not offer {name}: it is not in the server's ListCommands"
            f" answer, so {why}{instead}",
            replacement,
        )
    assert removal is not None  # offered is None: only a removal gets here
    raise ActionUnavailable(name, removal + instead, replacement).advise(
        "if this server has it from a module of its own, call server_actions() first:"
        " the server's list then decides"
    )
