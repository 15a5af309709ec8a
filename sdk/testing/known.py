"""What a release knows: the actions its ListCommands lists, with their write classes.

For 20 and 22 it is the ListCommands answer recorded from the real servers (``data/``); for a
combination no server was recorded with (Asterisk 20 with res_pjsip) it is derived from the
specs. ``sdk.testing.dispatch`` refuses what a release does not know, and ListCommands lists it.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from sdk.actions import ACTIONS

__all__ = ["KnownAction", "KnownActions"]

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
    """What a server version lists in ListCommands, and so what it knows at all."""

    def __init__(self, actions: list[KnownAction]) -> None:
        self._actions = {a.name.lower(): a for a in actions}
        self._order = list(actions)

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
        return KnownActions(sorted([*self._order, action], key=lambda a: a.name.lower()))

    def swap_module(self, removed: str, added: KnownActions) -> KnownActions:
        """Without the actions of module ``removed`` (per the specs), with ``added``'s: an
        Asterisk that loads another channel driver. Kept in ListCommands' sorted order."""
        kept = [a for a in self._order if getattr(ACTIONS.get(a.name), "MODULE", "") != removed]
        return KnownActions(sorted([*kept, *added._order], key=lambda a: a.name.lower()))

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
        return cls(actions)
