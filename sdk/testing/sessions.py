"""Who may log in and what each connection reads: manager.conf's users, the event classes,
and one connection's manager session.

``User`` is a user as manager.conf declares it (its read and write classes). A connection's
``ManagerSession`` is what manager.c keeps of it: who logged in, the MD5 challenge it was
given, the classes of event it asked for (``Events:`` at login, the Events action) and its
filters (the Filter action).
"""

from __future__ import annotations

import re

import attrs

from sdk.model.fields import FALSE_WORDS, TRUE_WORDS

__all__ = ["EVENT_CLASSES", "ManagerSession", "User", "event_mask", "parse_classes"]

EVENT_CLASSES = (
    "system",
    "call",
    "log",
    "verbose",
    "command",
    "agent",
    "user",
    "config",
    "dtmf",
    "reporting",
    "cdr",
    "dialplan",
    "originate",
    "agi",
    "cc",
    "aoc",
    "test",
    "security",
    "message",
)


def parse_classes(text: str) -> frozenset[str]:
    """A class list as manager.conf and the Events header write it: ``all``, ``system,call``."""
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    if "all" in names:
        return frozenset(EVENT_CLASSES)
    return frozenset(names & set(EVENT_CLASSES))


def event_mask(text: str, readable: frozenset[str]) -> frozenset[str]:
    """What an ``Events:`` header selects: on/off, or a class list (limited to ``readable``)."""
    low = text.strip().lower()
    if low in TRUE_WORDS:
        return readable
    if not low or low in FALSE_WORDS:
        return frozenset()
    return parse_classes(text) & readable


@attrs.define
class User:
    """A manager user as manager.conf declares it."""

    name: str
    secret: str = attrs.field(repr=False)
    read: frozenset[str] = frozenset(EVENT_CLASSES)
    write: frozenset[str] = frozenset(EVENT_CLASSES)


@attrs.define
class ManagerSession:
    """One connection's manager session (manager.c's ``mansession_session``)."""

    authenticated: bool = False
    user: User | None = None
    username: str = ""  # as the client wrote it in Login (manager.c keeps it so)
    challenge: str = ""
    event_mask: frozenset[str] = frozenset()
    include_filters: list[re.Pattern[str]] = attrs.field(factory=list)
    exclude_filters: list[re.Pattern[str]] = attrs.field(factory=list)

    def reads(self, category: str) -> bool:
        """Whether a broadcast of ``category`` reaches this session: logged in, a user who
        may read the class, and asked for it."""
        return (
            self.authenticated
            and self.user is not None
            and category in self.user.read
            and category in self.event_mask
        )

    def passes_filters(self, event: str) -> bool:
        """manager.c's ``should_send_event``: with include filters, only an event one of them
        finds; then none that an exclude filter finds."""
        if self.include_filters and not any(f.search(event) for f in self.include_filters):
            return False
        return not any(f.search(event) for f in self.exclude_filters)
