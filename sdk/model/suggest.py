"""What a mistyped name probably meant: one rule for action names and option names alike.

``suggest("PJSIPNotfy", names)`` gives ``["PJSIPNotify", "SIPnotify"]``: case is ignored; the
names that contain what was typed come first, then those a few edits away (a letter left
out, added, changed, or two swapped), each group closest first. The command line uses it
for unknown actions and options, ``sdk.actions`` for unknown names.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["did_you_mean", "distance", "suggest"]


def distance(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: letters inserted, deleted, replaced, or two neighbours
    swapped (each counts one; the optimal string alignment distance)."""
    if len(a) < len(b):
        a, b = b, a
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            cost = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (ca != cb),
            )
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]


def suggest(typed: str, names: Iterable[str], *, limit: int = 5) -> list[str]:
    """The names ``typed`` may have meant, best first (at most ``limit``).

    Case is ignored. A name that contains ``typed`` comes before any other; the others
    count only when they are at most a third of ``typed``'s length in edits away (at least
    two). Ties go to the shorter name, then in alphabetical order.
    """
    folded = typed.lower()
    if not folded:
        return []
    most = max(2, len(folded) // 3)
    ranked: list[tuple[int, int, int, str]] = []
    for name in dict.fromkeys(names):
        if name == typed:
            continue  # the name itself is no suggestion (another case of it is)
        low = name.lower()
        edits = distance(folded, low)
        if folded in low:
            ranked.append((0, edits, len(name), name))
        elif edits <= most:
            ranked.append((1, edits, len(name), name))
    ranked.sort(key=lambda item: (item[0], item[1], item[2], item[3].lower()))
    return [name for *_, name in ranked[:limit]]


def did_you_mean(typed: str, names: Iterable[str]) -> str:
    """``"; did you mean A or B?"`` for the suggestions, or ``""`` when there are none."""
    found = suggest(typed, names)
    if not found:
        return ""
    shown = found[0] if len(found) == 1 else f"{', '.join(found[:-1])} or {found[-1]}"
    return f"; did you mean {shown}?"
