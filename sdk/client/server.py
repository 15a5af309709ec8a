"""What the connected server offers (``session.server``), learned through a send function.

The banner gives the AMI version, and with it Asterisk's major (``sdk.client.capabilities``);
``actions()`` asks ``ListCommands`` once per connection, ``asterisk_version()`` asks
``CoreSettings`` once. ``check(action)`` runs before each action is written: it refuses what
this server cannot run (``sdk.ActionUnavailable``). What was learned is forgotten when the
connection is lost and when a new one begins: a reconnect may reach a server with other
modules loaded, or another server.
"""

from __future__ import annotations

import logging
from typing import Protocol, TypedDict

from sdk import actions
from sdk.client.capabilities import ServerAction, asterisk_major, check_offered, parse_list_commands
from sdk.model.action import Action
from sdk.wire.message import Response

__all__ = ["ServerInfo"]

log = logging.getLogger("sdk.client.session")


class Send(Protocol):
    def __call__(self, action: Action, *, timeout: float | None, check: bool) -> Response: ...


class _Learned(TypedDict, total=False):
    """What one connection's server told: each key once asked."""

    actions: dict[str, ServerAction]  # ListCommands
    offered: frozenset[str]  # their names, lowercased
    asterisk_version: str | None  # CoreSettings
    # the action names that passed the check, and the "offered" they passed against
    passed: tuple[frozenset[str] | None, set[str]]


class ServerInfo:
    """What the server behind one session offers; ``send`` is the session's."""

    def __init__(self, send: Send, *, where: str = "the server") -> None:
        self._send = send
        self._where = where
        self.banner: str | None = None  # the last connection's, e.g. Asterisk Call Manager/9.0.0
        self.ami_version: str | None = None  # from the banner: 9.0.0
        self._learned: _Learned = {}  # replaced, never cleared: see actions()

    def connected(self, banner: str) -> None:
        """A new connection said ``banner``: forget what the last one told."""
        version = banner.rpartition("/")[2].strip() or None
        if self.ami_version is not None and version != self.ami_version:
            log.warning("%s now speaks AMI %s (was %s)", self._where, version, self.ami_version)
        self.banner = banner
        self.ami_version = version
        self._learned = {}

    def forget(self) -> None:
        """The connection is gone: what it told no longer holds."""
        self._learned = {}

    @property
    def asterisk_major(self) -> int | None:
        """Asterisk's major version as the banner tells it (20 for AMI 9.0.0), or None."""
        return asterisk_major(self.ami_version)

    def actions(
        self, *, refresh: bool = False, timeout: float | None = None
    ) -> dict[str, ServerAction]:
        """The actions the server has and lets this user send (``ListCommands``), by name.

        Asked once per connection, then kept; from then on every action sent is checked
        against this list before it is written.
        """
        learned = self._learned  # an answer that comes after a reconnect lands in the old one
        if refresh or "actions" not in learned:
            response = self._send(actions.ListCommands(), timeout=timeout, check=True)
            offered = parse_list_commands(response)
            learned["actions"] = offered
            # Looked up before every action sent: lowercased once here, not per action.
            learned["offered"] = frozenset(n.lower() for n in offered)
        return dict(learned["actions"])

    def asterisk_version(
        self, *, refresh: bool = False, timeout: float | None = None
    ) -> str | None:
        """The server's Asterisk version (``20.20.1``) from ``CoreSettings``, asked once."""
        learned = self._learned
        if refresh or "asterisk_version" not in learned:
            response = self._send(actions.CoreSettings(), timeout=timeout, check=True)
            learned["asterisk_version"] = response.get("AsteriskVersion")
        return learned["asterisk_version"]

    def check(self, action: Action) -> None:
        """Raise ``sdk.ActionUnavailable`` if this server cannot run ``action``
        (``sdk.client.capabilities.check_available``, with what is known of it now).

        Run before every action sent: a name that passed once passes again until the list
        or the connection changes (either makes a new ``_learned``, or a new "offered")."""
        learned = self._learned
        offered = learned.get("offered")
        passed = learned.get("passed")
        if passed is None or passed[0] is not offered:
            passed = learned["passed"] = (offered, set())
        name = action.ACTION
        if name in passed[1]:
            return
        check_offered(action, offered, self.ami_version)
        passed[1].add(name)

    def __repr__(self) -> str:
        known = "actions known" if "actions" in self._learned else "actions not asked"
        return f"<ServerInfo {self.banner or 'not connected'}, {known}>"
