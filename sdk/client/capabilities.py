"""What the connected server offers: its release, and the actions it lets this user send.

The rules, as functions of what is known; ``sdk.client.server`` (``session.server``) learns
it. The release (``sdk.model.releases``) comes from the banner's AMI version (9.0.0 is
Asterisk 20), from ``CoreSettings`` when asked, or from an override; ``ListCommands``, on
request, gives the actions the server has *and* lets this user send (Asterisk lists only
those whose write class the user holds).

Before each action is written, the session asks ``check_offered``:

- when the server's list is known, it decides: an action missing from it fails at once,
  one in it passes whatever the docs say of the release (it is what the server offers);
- otherwise the release decides: an action its documentation lacks fails, naming the
  releases that have it and what to use instead;
- then, if the release has the action, its fields: one the release lacks, one it requires
  that is missing, a value it does not take fails as a ``ValidationError`` naming the field
  and the releases that have it.

``Session(lenient=True)`` turns what the docs say of the fields into warnings: the action is
sent, and the session logs them. A release not documented here is checked as the nearest
one below it, leniently for its fields and its actions alike, except an action that left
Asterisk at or before that release (SIPnotify on a 24), which is refused all the same.
Login, Logoff and Challenge are never checked. Refusals are ``sdk.ActionUnavailable`` (a ``ValidationError``) or ``ValidationError``:
bad input found before anything was sent. What was learned is forgotten when the
connection changes (a reconnect may reach a server with other modules loaded).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from sdk.errors import ActionUnavailable, ValidationError
from sdk.model.releases import Release, field_problems, from_banner, has_action, majors_text

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
    """Asterisk's major version from the banner's AMI version (``9.0.0`` → 20), or None
    when that AMI version is not one of a release documented here (``sdk.model.releases``)."""
    major = from_banner(ami_version).major
    return int(major) if major else None


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


def _removal_note(cls: Any, release: Release) -> str | None:
    """Why ``cls`` cannot run on ``release``: it left Asterisk at or before it; None if not."""
    removed = getattr(cls, "REMOVED_IN", "") or ""
    if not removed or release.docs is None or int(removed.split(".")[0]) > int(release.docs):
        return None
    module = getattr(cls, "MODULE", "") or "its module"
    name = f"Asterisk {release.major}" if release.major else str(release)
    return f"{name} has no {cls.ACTION}: {module} was removed in Asterisk {removed}"


def check_available(
    action: Action,
    actions: Mapping[str, ServerAction] | None,
    release: Release | str | None,
    *,
    lenient: bool = False,
) -> list[str]:
    """Raise ``ActionUnavailable`` (or ``ValidationError``) if the server cannot run
    ``action``; else return the warnings of a lenient check (see the module doc).

    ``actions`` is the server's ListCommands answer when known (it decides on the action);
    ``release`` what is known of the server's release, or the banner's AMI version.
    """
    offered = None if actions is None else frozenset(n.lower() for n in actions)
    if not isinstance(release, Release):
        release = from_banner(release)
    return check_offered(action, offered, release, lenient=lenient)


def check_offered(
    action: Action, offered: frozenset[str] | None, release: Release, *, lenient: bool = False
) -> list[str]:
    """``check_available`` with the server's action names already lowercased (or None) and
    its release known: what runs before each action is written."""
    name = action.ACTION
    lowered = name.lower()
    if lowered in ALWAYS:
        return []
    cls = type(action)
    docs = release.docs
    has = None if docs is None else has_action(cls, docs)
    warnings: list[str] = []
    if offered is not None:
        if lowered not in offered:
            _refuse_unoffered(cls, name, release)
    elif has is False:
        removal = _removal_note(cls, release)
        if removal is not None or not release.lenient:
            _refuse_by_release(cls, name, release, removal)
        warnings.append(f"{_lacks(cls, name, release)}; sent all the same")
    if has and docs is not None:
        problems = field_problems(action, docs)
        if problems and not (lenient or release.lenient):
            raise ValidationError(name, problems).advise(
                f"the server runs {release}; Session(lenient=True) sends such an action"
                " anyway, with a warning",
                f"the server runs {release}; ?lenient=true in the URL sends such an action"
                " anyway, with a warning",
            )
        warnings.extend(f"{name}: {problem}; sent all the same" for problem in problems)
    return warnings


def _instead(cls: Any) -> tuple[str, str | None]:
    replacement = getattr(cls, "REPLACED_BY", "") or None
    return (f"; use {replacement} instead" if replacement else ""), replacement


def _lacks(cls: Any, name: str, release: Release) -> str:
    having = majors_text(getattr(cls, "AVAILABLE_IN", ()))
    if release.exact:
        return f"Asterisk {release.docs} has no {name} ({having} have it)"
    return f"{release}: Asterisk {release.docs} has no {name} ({having} have it)"


def _refuse_by_release(cls: Any, name: str, release: Release, removal: str | None) -> None:
    instead, replacement = _instead(cls)
    having = majors_text(getattr(cls, "AVAILABLE_IN", ()))
    why = f"{removal} ({having} have it)" if removal else _lacks(cls, name, release)
    raise ActionUnavailable(name, why + instead, replacement).advise(
        "if this server has it from a module of its own, call server_actions() first: the"
        " server's list then decides; if it reports its release oddly, give"
        ' Session(release="20") (its major)',
        "if this server has it from a module of its own, its ListCommands answer decides"
        " (ami list --url ...); if it reports its release oddly, add ?release=20 (its major)"
        " to the URL",
    )


def _refuse_unoffered(cls: Any, name: str, release: Release) -> None:
    instead, replacement = _instead(cls)
    removal = _removal_note(cls, release)
    if removal is not None:
        raise ActionUnavailable(name, removal + instead, replacement)
    if release.docs is not None and has_action(cls, release.docs) is False:
        raise ActionUnavailable(
            name,
            f"the server does not offer {name}: it is not in the server's ListCommands"
            f" answer, and {_lacks(cls, name, release)}{instead}",
            replacement,
        )
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
