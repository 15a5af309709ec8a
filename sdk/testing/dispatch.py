"""Dispatching requests to handlers: manager.c's ``process_message``.

``Handlers.process`` refuses what Asterisk refuses before any action runs (no Action, not
logged in, an action the release does not know, a user without its write class) and hands
the rest to the handlers of ``sdk.testing.handlers``. ``handlers_for`` puts together the
handlers and the known actions (``sdk.testing.known``) of one release.
"""

from __future__ import annotations

from sdk.testing.context import Context, Handler
from sdk.testing.handlers import chan_sip, core, manager, res_pjsip
from sdk.testing.known import KnownAction, KnownActions
from sdk.testing.releases import PLAYS
from sdk.testing.request import ReceivedMessage

__all__ = ["Handlers", "handlers_for"]


class Handlers:
    """The actions one server version knows and what it does for each.

    ``process`` is manager.c's ``process_message``: a missing Action, anything but Login,
    Challenge and Logoff before login, an action the version does not have, and a user
    without the action's write class each get Asterisk's own error. An action the version has
    but the embedded server does not emulate gets an error saying so, never a made-up success.
    """

    def __init__(self, known: KnownActions, table: dict[str, Handler]) -> None:
        self.known = known
        self._table = {name.lower(): func for name, func in table.items()}

    @property
    def names(self) -> list[str]:
        return sorted(name for name, _ in self.known.listing() if name.lower() in self._table)

    def set(self, name: str, func: Handler) -> None:
        """Answer ``name`` with ``func`` from now on (an action the version lacks becomes known,
        with no write class needed)."""
        if self.known.get(name) is None:
            self.known = self.known.with_action(KnownAction(name, name, "<none>"))
        self._table[name.lower()] = func

    def process(self, ctx: Context, request: ReceivedMessage) -> None:
        action = request.get("Action")
        if not action:
            ctx.error(request, "Missing action in request")
            _refused(ctx, "RequestBadFormat", "NONE")
            return
        folded = action.lower()
        if not ctx.session.authenticated and folded not in ("login", "logoff", "challenge"):
            ctx.error(request, "Permission denied")
            _refused(ctx, "RequestNotAllowed", action)
            return
        known = self.known.get(action)
        if known is None:
            ctx.error(
                request,
                f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands.",
            )
            _refused(ctx, "RequestBadFormat", action)
            return
        if known.authority:
            user = ctx.session.user
            if user is None or not (known.authority & user.write):
                ctx.error(request, "Permission denied")
                _refused(ctx, "RequestNotAllowed", action)
                return
        func = self._table.get(folded)
        if func is None:
            ctx.error(request, f"The embedded AMI server does not implement {known.name}")
            return
        func(ctx, request)


def _refused(ctx: Context, event: str, action: str) -> None:
    """The security event manager.c reports for a request it refuses (sessions that read
    the security class see it, the refused one too once logged in). Asterisk queues it
    through Stasis, so it reaches the refused session after the error answer."""
    ctx.security_event(
        event,
        "Error",
        [("RequestType", f"Action: {action}")],
        account_optional=event == "RequestBadFormat",
    )


def handlers_for(version: str, sip: str = "chan_sip") -> Handlers:
    """The actions the embedded server knows when it plays Asterisk ``version`` with the SIP
    channel driver ``sip`` ("chan_sip", which 16, 18 and 20 have, or "pjsip")."""
    driver = chan_sip.HANDLERS if sip == "chan_sip" else res_pjsip.HANDLERS
    table = {**manager.HANDLERS, **core.HANDLERS, **driver}
    if not PLAYS[version].recorded:  # 16, 18, 21, 23: sdk.testing.releases
        known = KnownActions.derived(version, sip)
    elif version == "20" and sip != "chan_sip":  # an Asterisk 20 that runs res_pjsip instead
        pjsip = KnownActions.from_specs("res_pjsip")
        known = KnownActions.recorded("20").swap_module("chan_sip", pjsip)
    else:
        known = KnownActions.recorded(version)
    return Handlers(known, table)
