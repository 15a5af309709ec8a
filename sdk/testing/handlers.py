"""Dispatching requests to handlers, and manager.c's own actions (login and the connection).

``Handlers.process`` is ``manager.c``'s ``process_message``. Which actions a version knows
comes from its recorded ListCommands answer (``data/``); what each does lives here (Login,
Challenge, Logoff, Ping, UserEvent), in ``core.py`` and in ``chan_sip.py``. Each handler
writes the answer Asterisk writes; the texts come from the recordings in ``tests/fixtures``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from sdk.testing.releases import LAB, PLAYS

if TYPE_CHECKING:
    from sdk.testing.server import Connection, ReceivedMessage, User

__all__ = ["Handlers", "KnownAction", "KnownActions", "handlers_for"]

log = logging.getLogger("sdk.testing.handlers")

HandlerFunc = Callable[["Connection", "ReceivedMessage"], None]


# --- login and the connection ---------------------------------------------------------------


def challenge(conn: Connection, request: ReceivedMessage) -> None:
    if (request.get("AuthType") or "").lower() != "md5":
        conn.error(request, "Must specify AuthType")
        return
    if not conn.challenge:
        conn.challenge = conn.server.challenge or str(secrets.randbelow(2**31))
    conn.respond(request, "Success", headers=[("Challenge", conn.challenge)])


def _authenticate(conn: Connection, request: ReceivedMessage) -> User | None:
    """The user the request logs in as, if its secret (or MD5 key) is right; else None."""
    user = conn.server.find_user(request.get("Username") or "")
    if user is None:
        return None
    if (request.get("AuthType") or "").lower() == "md5":
        key = request.get("Key") or ""
        if not key or not conn.challenge:
            return None
        expected = hashlib.md5((conn.challenge + user.secret).encode()).hexdigest()
        return user if key.lower() == expected else None
    return user if request.get("Secret") == user.secret else None


def login(conn: Connection, request: ReceivedMessage) -> None:
    from sdk.testing.server import event_mask

    if conn.authenticated:
        conn.ack(request, "Already authenticated")
        return
    user = _authenticate(conn, request)
    if user is None:
        time.sleep(conn.server.auth_fail_delay)  # Asterisk waits a second before refusing
        conn.error(request, "Authentication failed")
        conn.close()
        return
    conn.user = user
    conn.username = request.get("Username") or ""
    events = request.get("Events") or ""
    # an empty or absent Events header leaves the default: every class the user reads
    conn.event_mask = event_mask(events, user.read) if events.strip() else user.read
    conn.authenticated = True
    conn.ack(request, "Authentication accepted")
    if "system" in conn.event_mask:
        uptime = str(conn.server.uptime)
        conn.event(
            "FullyBooted",
            [("Uptime", uptime), ("LastReload", uptime), ("Status", "Fully Booted")],
            privilege="system,all",
        )
    conn.server.security_event(conn, "SuccessfulAuth", "Informational", [("UsingPassword", "0")])


def logoff(conn: Connection, request: ReceivedMessage) -> None:
    conn.respond(request, "Goodbye", "Thanks for all the fish.")
    conn.close()


def ping(conn: Connection, request: ReceivedMessage) -> None:
    conn.respond(
        request, "Success", headers=[("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")]
    )


def user_event(conn: Connection, request: ReceivedMessage) -> None:
    name = request.get("UserEvent") or ""
    body = "".join(
        f"{line}\r\n"
        for line in request.lines
        if not line.lower().startswith("userevent:") and not line.lower().startswith("action:")
    )
    conn.ack(request, "Event Sent")
    conn.server.broadcast("UserEvent", "user", f"UserEvent: {name}\r\n{body}")


BUILTIN: dict[str, HandlerFunc] = {
    "Challenge": challenge,
    "Login": login,
    "Logoff": logoff,
    "Ping": ping,
    "UserEvent": user_event,
}

_DATA = Path(__file__).parent / "data"


@attrs.frozen
class KnownAction:
    """An action a server version has: its name, ListCommands text and write classes."""

    name: str
    synopsis: str
    privilege: str  # as ListCommands shows it: "system,all" or "<none>"

    @property
    def authority(self) -> frozenset[str]:
        return frozenset(p for p in self.privilege.split(",") if p not in ("all", "<none>", ""))


class KnownActions:
    """What a server version lists in ListCommands, and so what it knows at all; ``origin``
    says where that list comes from (recorded from a real server, or derived)."""

    def __init__(self, actions: list[KnownAction], origin: str = "recorded") -> None:
        self._actions = {a.name.lower(): a for a in actions}
        self._order = list(actions)
        self.origin = origin

    def get(self, name: str) -> KnownAction | None:
        return self._actions.get(name.lower())

    def listing(self, write: frozenset[str] | None = None) -> list[tuple[str, str]]:
        """``ListCommands`` lines; with ``write``, only the actions those classes allow
        (Asterisk lists only what the user may send)."""
        return [
            (a.name, f"{a.synopsis}  (Priv: {a.privilege})")
            for a in self._order
            if write is None or not a.authority or a.authority & write
        ]

    @classmethod
    def recorded(cls, version: str) -> KnownActions:
        """The ListCommands answer recorded from Asterisk ``version`` (data/listcommands-*.txt)."""
        actions = []
        for line in (
            (_DATA / f"listcommands-{version}.txt").read_text(encoding="utf-8").splitlines()
        ):
            if not line or line.startswith("#"):
                continue
            name, _, rest = line.partition(": ")
            synopsis, _, privilege = rest.rpartition("  (Priv: ")
            actions.append(KnownAction(name, synopsis, privilege.removesuffix(")")))
        return cls(actions)

    def with_action(self, action: KnownAction) -> KnownActions:
        ordered = sorted([*self._order, action], key=lambda a: a.name.lower())
        return KnownActions(ordered, self.origin)

    def swap_module(self, removed: str, added: KnownActions) -> KnownActions:
        """Without the actions of module ``removed`` (per the specs), with ``added``'s: an
        Asterisk that loads another channel driver. Kept in ListCommands' sorted order."""
        from sdk.actions import ACTIONS

        kept = [a for a in self._order if getattr(ACTIONS.get(a.name), "MODULE", "") != removed]
        ordered = sorted([*kept, *added._order], key=lambda a: a.name.lower())
        return KnownActions(ordered, f"{self.origin}, {removed} swapped for actions {added.origin}")

    @classmethod
    def derived(cls, release: str, sip: str) -> KnownActions:
        """For a release without a recording (``sdk.testing.releases``): what the recorded
        lab server with the same SIP stack lists (the lab's module set: 20 for chan_sip, 22
        for res_pjsip), kept to what the release's documentation has (the specs'
        ``AVAILABLE_IN``). Derived, not recorded: ``origin`` says so."""
        from sdk.actions import ACTIONS

        def has(name: str) -> bool:
            return release in getattr(ACTIONS.get(name), "AVAILABLE_IN", ())

        lab = cls.recorded(LAB[sip])
        origin = f"derived from the documentation of Asterisk {release} for the lab's modules"
        return cls([a for a in lab._order if has(a.name)], f"{origin}, not recorded")

    @classmethod
    def from_specs(cls, module_prefix: str) -> KnownActions:
        """The actions of the modules starting with ``module_prefix``, as the specs describe
        them (for a combination no server was recorded with: Asterisk 20 with res_pjsip)."""
        from sdk.actions import ACTIONS

        actions = []
        for name in sorted(ACTIONS, key=str.lower):
            cls_ = ACTIONS[name]
            if not getattr(cls_, "MODULE", "").startswith(module_prefix):
                continue
            privilege = getattr(cls_, "PRIVILEGE", "")
            actions.append(
                KnownAction(
                    name, cls_.SUMMARY or name, f"{privilege},all" if privilege else "<none>"
                )
            )
        return cls(actions, "derived from the specs")


class Handlers:
    """The actions one server version knows and what it does for each.

    ``process`` is manager.c's ``process_message``: a missing Action, anything but Login,
    Challenge and Logoff before login, an action the version does not have, and a user
    without the action's write class each get Asterisk's own error. An action the version has
    but the embedded server does not emulate gets an error saying so, never a made-up success.
    """

    def __init__(self, known: KnownActions, table: dict[str, HandlerFunc]) -> None:
        self.known = known
        self._table = {name.lower(): func for name, func in table.items()}

    @property
    def names(self) -> list[str]:
        return sorted(name for name, _ in self.known.listing() if name.lower() in self._table)

    def set(self, name: str, func: HandlerFunc) -> None:
        """Answer ``name`` with ``func`` from now on (an action the version lacks becomes known,
        with no write class needed)."""
        if self.known.get(name) is None:
            self.known = self.known.with_action(KnownAction(name, name, "<none>"))
        self._table[name.lower()] = func

    def process(self, conn: Connection, request: ReceivedMessage) -> None:
        action = request.get("Action")
        if not action:
            conn.error(request, "Missing action in request")
            _refused(conn, "RequestBadFormat", "NONE")
            return
        folded = action.lower()
        if not conn.authenticated and folded not in ("login", "logoff", "challenge"):
            conn.error(request, "Permission denied")
            _refused(conn, "RequestNotAllowed", action)
            return
        known = self.known.get(action)
        if known is None:
            conn.error(
                request,
                f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands.",
            )
            _refused(conn, "RequestBadFormat", action)
            return
        if known.authority:
            user = conn.user
            if user is None or not (known.authority & user.write):
                conn.error(request, "Permission denied")
                _refused(conn, "RequestNotAllowed", action)
                return
        func = self._table.get(folded)
        if func is None:
            conn.error(request, f"The embedded AMI server does not implement {known.name}")
            return
        func(conn, request)


def _refused(conn: Connection, event: str, action: str) -> None:
    """The security event manager.c reports for a request it refuses (sessions that read
    the security class see it, the refused one too once logged in). Asterisk queues it
    through Stasis, so it reaches the refused session after the error answer."""
    conn.server.security_event(
        conn,
        event,
        "Error",
        [("RequestType", f"Action: {action}")],
        account_optional=event == "RequestBadFormat",
    )


def handlers_for(version: str, sip: str = "chan_sip") -> Handlers:
    """The actions the embedded server knows when it plays Asterisk ``version`` with the SIP
    channel driver ``sip`` ("chan_sip", which 16, 18 and 20 have, or "pjsip")."""
    from sdk.testing import chan_sip, core, res_pjsip

    if version == "20" and sip == "chan_sip":
        table = {**BUILTIN, **core.HANDLERS, **chan_sip.HANDLERS}
        return Handlers(KnownActions.recorded("20"), table)
    if not PLAYS[version].recorded:  # 16, 18, 21, 23: sdk.testing.releases
        driver = chan_sip.HANDLERS if sip == "chan_sip" else res_pjsip.HANDLERS
        table = {**BUILTIN, **core.HANDLERS, **driver}
        return Handlers(KnownActions.derived(version, sip), table)
    table = {**BUILTIN, **core.HANDLERS, **res_pjsip.HANDLERS}
    if version == "20":  # an Asterisk 20 that runs res_pjsip instead of chan_sip
        pjsip = KnownActions.from_specs("res_pjsip")
        return Handlers(KnownActions.recorded("20").swap_module("chan_sip", pjsip), table)
    return Handlers(KnownActions.recorded(version), table)
