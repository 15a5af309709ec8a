"""What the embedded server plays for each Asterisk release: one row a release.

20 and 22 answer as the lab's servers that the fixtures were recorded from (their banners
and ListCommands as recorded). 16, 18, 21 and 23 have no recording: the server gives the
release's banner and version, runs the SIP stack the lab would run there, and derives its
ListCommands (``KnownActions.derived``) from that release's documentation (the specs'
``AVAILABLE_IN``) for the lab's module set (what the recorded lab server with that SIP stack
lists: 20 for chan_sip, 22 for res_pjsip). That listing is derived, not recorded:
``AMIServer.known_actions.origin`` says so.

The SIP stack: chan_sip on 16 and 18, as on the lab's 20 (those releases had res_pjsip too:
``AMIServer("16", sip="pjsip")`` plays that instead), res_pjsip on 21 and 23, as on the
lab's 22 (chan_sip left Asterisk in 21). A banner's AMI minor and patch are not recorded for
16, 18, 21 and 23 (``x.0.0`` stands in): only its major tells the release.
"""

from __future__ import annotations

import attrs

__all__ = ["LAB", "PLAYS", "Plays", "recording_for"]

# The release whose recorded lab server runs each SIP stack: its ListCommands shows the lab's
# module set, from which the listings of the other releases are derived.
LAB = {"chan_sip": "20", "pjsip": "22"}


@attrs.frozen
class Plays:
    """What the embedded server answers as for one release."""

    asterisk: str  # the version CoreSettings and the CLI give
    ami: str  # the banner's AMI version
    sip: str  # the SIP stack it runs by default: chan_sip or pjsip
    sips: tuple[str, ...]  # the SIP stacks it can run
    recorded: bool  # whether its ListCommands is the recorded one (else derived)

    @property
    def banner(self) -> str:
        return f"Asterisk Call Manager/{self.ami}"


PLAYS = {
    "16": Plays("16.30.1", "5.0.0", "chan_sip", ("chan_sip", "pjsip"), recorded=False),
    "18": Plays("18.26.4", "7.0.0", "chan_sip", ("chan_sip", "pjsip"), recorded=False),
    "20": Plays("20.20.1", "9.0.0", "chan_sip", ("chan_sip", "pjsip"), recorded=True),
    "21": Plays("21.12.3", "10.0.0", "pjsip", ("pjsip",), recorded=False),
    "22": Plays("22.10.1", "11.0.0", "pjsip", ("pjsip",), recorded=True),
    "23": Plays("23.4.1", "12.0.0", "pjsip", ("pjsip",), recorded=False),
}


def recording_for(release: str) -> str:
    """The recorded release whose other answers (its CLI commands, its dialplan functions:
    ``data/``) stand for ``release``: itself for 20 and 22; for the others, the lab server
    with the release's own SIP stack, as their ListCommands is derived from it."""
    return release if PLAYS[release].recorded else LAB[PLAYS[release].sip]
