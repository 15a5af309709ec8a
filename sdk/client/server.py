"""What the connected server offers (``session.server``), learned through a send function.

The banner gives the AMI version, and with it the release (``sdk.model.releases``);
``asterisk_version()`` asks ``CoreSettings`` once, and its version then tells the release;
an override (``Session(release="20")``) wins over both. ``actions()`` asks ``ListCommands``
once per connection. ``check(action)`` runs before each action is written: it refuses what
this server cannot run (``sdk.client.capabilities``), and logs what a lenient check lets by.
What was learned is forgotten when the connection is lost and when a new one begins: a
reconnect may reach a server with other modules loaded, or another server.
"""

from __future__ import annotations

import logging
from typing import Protocol, TypedDict

from sdk import actions
from sdk.client.capabilities import ServerAction, check_offered, parse_list_commands
from sdk.model.action import Action
from sdk.model.releases import UNKNOWN, Release, from_banner, from_version, has_field_checks
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
    release: Release  # what CoreSettings' version tells
    warned: set[str]  # the lenient warnings logged so far
    # the action names that passed the check with nothing to check of their fields, and the
    # "offered" and release they passed against
    passed: tuple[frozenset[str] | None, Release, set[tuple[type[Action], str]]]


class ServerInfo:
    """What the server behind one session offers; ``send`` is the session's.

    ``release``: an override, the release to assume whatever the server says (a major such
    as ``"20"``); ``lenient``: what the docs say of the release is logged, not refused.
    """

    def __init__(
        self,
        send: Send,
        *,
        where: str = "the server",
        release: Release | None = None,
        lenient: bool = False,
    ) -> None:
        self._send = send
        self._where = where
        self._override = release
        self.lenient = lenient
        self.banner: str | None = None  # the last connection's, e.g. Asterisk Call Manager/9.0.0
        self.ami_version: str | None = None  # from the banner: 9.0.0
        self._banner_release = UNKNOWN
        self._learned: _Learned = {}  # replaced, never cleared: see actions()
        self.release = self._release()

    def connected(self, banner: str) -> None:
        """A new connection said ``banner``: forget what the last one told."""
        version = banner.rpartition("/")[2].strip() or None
        if self.ami_version is not None and version != self.ami_version:
            log.warning("%s now speaks AMI %s (was %s)", self._where, version, self.ami_version)
        self.banner = banner
        self.ami_version = version
        self._banner_release = from_banner(version)
        self._learned = {}
        self.release = self._release()

    def forget(self) -> None:
        """The connection is gone: what it told no longer holds."""
        self._learned = {}
        self.release = self._release()

    def _release(self) -> Release:
        """The override, else what CoreSettings said (when asked), else the banner."""
        if self._override is not None:
            return self._override
        told: Release | None = self._learned.get("release")
        return told if told is not None else self._banner_release

    @property
    def asterisk_major(self) -> int | None:
        """Asterisk's major version (20 for AMI 9.0.0), or None when it is not known."""
        return int(self.release.major) if self.release.major else None

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
            version = response.get("AsteriskVersion")
            learned["asterisk_version"] = version
            learned.pop("release", None)
            if version:
                self._told(learned, version)
            self.release = self._release()
        said: str | None = learned["asterisk_version"]
        return said

    def _told(self, learned: _Learned, version: str) -> None:
        """CoreSettings said ``version``: its release is the server's from now on (for the
        connection that ``learned`` is of)."""
        try:
            told = from_version(version, "CoreSettings")
        except ValueError:
            log.warning("%s: CoreSettings gave no Asterisk version: %r", self._where, version)
            return
        banner = self._banner_release
        if banner.major is not None and told.major != banner.major:
            log.warning(
                "%s: the banner says %s, CoreSettings %s: checked as %s",
                self._where,
                banner,
                version,
                told,
            )
        learned["release"] = told

    def check(self, action: Action, *, quiet: bool = False) -> list[str]:
        """Raise ``sdk.ActionUnavailable`` or ``sdk.ValidationError`` if this server cannot
        run ``action`` (``sdk.client.capabilities``, with what is known of it now); return
        and log what a lenient check lets by (``quiet``: return it only, as a form that
        checks while the user types does).

        Run before every action sent: an action that passed once, with no field its release
        takes otherwise, passes again until the list, the release or the connection changes
        (each makes a new ``_learned``, "offered" or release)."""
        learned = self._learned
        offered = learned.get("offered")
        release = self.release
        passed = learned.get("passed")
        if passed is None or passed[0] is not offered or passed[1] is not release:
            passed = learned["passed"] = (offered, release, set())
        key = (type(action), action.ACTION)  # Generic("PJSIPNotify") is not PJSIPNotify
        if key in passed[2]:
            return []
        warnings = check_offered(action, offered, release, lenient=self.lenient)
        if not warnings:
            if release.docs is None or not has_field_checks(key[0], release.docs):
                passed[2].add(key)
            return warnings
        if not quiet:
            said = learned.setdefault("warned", set())
            for warning in warnings:  # once a connection; then at debug level
                level = logging.DEBUG if warning in said else logging.WARNING
                log.log(level, "%s: %s", self._where, warning)
                said.add(warning)
        return warnings

    def __repr__(self) -> str:
        known = "actions known" if "actions" in self._learned else "actions not asked"
        return f"<ServerInfo {self.banner or 'not connected'}, {self.release}, {known}>"
