"""What a release knows: the actions its ListCommands lists, with their write classes.

For 20 and 22 it is the ListCommands answer recorded from the real servers (``data/``); for a
combination no server was recorded with (Asterisk 20 with res_pjsip; 16, 18, 21 and 23, see
``sdk.testing.releases``) it is derived from the specs, and ``origin`` says so. ``sdk.testing.dispatch`` refuses what a release does not know, and ListCommands lists it.
``data_lines`` reads every recording in ``data/`` (ListCommands, and for the CLI handlers
``core show help`` and the dialplan functions).
"""

from __future__ import annotations

from pathlib import Path

import attrs

from sdk.actions import ACTIONS
from sdk.testing.releases import LAB

__all__ = ["KnownAction", "KnownActions", "data_lines"]

_DATA = Path(__file__).parent / "data"


def data_lines(name: str) -> list[str]:
    """The lines of ``data/<name>`` (what a real server answered), less blanks and ``#`` notes."""
    text = (_DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


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
        for line in data_lines(f"listcommands-{version}.txt"):
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
        kept = [a for a in self._order if getattr(ACTIONS.get(a.name), "MODULE", "") != removed]
        ordered = sorted([*kept, *added._order], key=lambda a: a.name.lower())
        return KnownActions(ordered, f"{self.origin}, {removed} swapped for actions {added.origin}")

    @classmethod
    def derived(cls, release: str, sip: str) -> KnownActions:
        """For a release without a recording (``sdk.testing.releases``): what the recorded
        lab server with the same SIP stack lists (the lab's module set: 20 for chan_sip, 22
        for res_pjsip), kept to what the release's documentation has (the specs'
        ``AVAILABLE_IN``). Derived, not recorded: ``origin`` says so."""

        def has(name: str) -> bool:
            return release in getattr(ACTIONS.get(name), "AVAILABLE_IN", ())

        lab = cls.recorded(LAB[sip])
        origin = f"derived from the documentation of Asterisk {release} for the lab's modules"
        return cls([a for a in lab._order if has(a.name)], f"{origin}, not recorded")

    @classmethod
    def from_specs(cls, module_prefix: str) -> KnownActions:
        """The actions of the modules starting with ``module_prefix``, as the specs describe
        them (for a combination no server was recorded with: Asterisk 20 with res_pjsip)."""
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
