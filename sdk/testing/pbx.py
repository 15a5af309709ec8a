"""The PBX behind the embedded server: its SIP configuration and its state.

Enough of a PBX to answer the recorded actions truthfully: chan_sip's peers, res_pjsip's
endpoints and NOTIFY templates (pjsip_notify.conf), the SIP dialogs an in-dialog NOTIFY
finds; Local channels that an Originate creates (and that hang up when their Wait ends), a
dialplan of a few extensions, global variables and the AstDB. Handlers read and change it
through their context (``sdk.testing.context``).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from datetime import datetime

import attrs

__all__ = ["PBXState", "STATE_NAMES", "Channel", "Endpoint", "SipPeer"]

STATE_NAMES = {
    0: "Down",
    1: "Rsrvd",
    2: "OffHook",
    3: "Dialing",
    4: "Ring",
    5: "Ringing",
    6: "Up",
    7: "Busy",
}


@attrs.define
class SipPeer:
    """A chan_sip peer: static (``host`` given) or dynamic and not registered (``host`` None)."""

    name: str
    host: str | None = None
    port: int = 5060

    @property
    def address(self) -> tuple[str, int] | None:
        return None if self.host is None else (self.host, self.port)


@attrs.define
class Endpoint:
    """A PJSIP endpoint with one AOR of the same name and its contacts (SIP URIs)."""

    name: str
    contacts: list[str] = attrs.field(factory=list)

    @property
    def aor(self) -> str:
        return self.name


@attrs.define(eq=False)
class Channel:
    """One channel as Asterisk's snapshot describes it."""

    name: str
    uniqueid: str
    linkedid: str
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    state: int = 0
    application: str = ""
    data: str = ""
    caller_num: str = "<unknown>"
    caller_name: str = "<unknown>"
    language: str = "en"
    account_code: str = ""
    created: float = attrs.field(factory=time.monotonic)
    variables: dict[str, str] = attrs.field(factory=dict)

    @property
    def state_desc(self) -> str:
        return STATE_NAMES.get(self.state, "Unknown")

    def snapshot(self, prefix: str = "") -> list[tuple[str, str]]:
        """The standard channel fields events carry (``ast_manager_build_channel_state_string``)."""
        return [
            (f"{prefix}Channel", self.name),
            (f"{prefix}ChannelState", str(self.state)),
            (f"{prefix}ChannelStateDesc", self.state_desc),
            (f"{prefix}CallerIDNum", self.caller_num),
            (f"{prefix}CallerIDName", self.caller_name),
            (f"{prefix}ConnectedLineNum", "<unknown>"),
            (f"{prefix}ConnectedLineName", "<unknown>"),
            (f"{prefix}Language", self.language),
            (f"{prefix}AccountCode", self.account_code),
            (f"{prefix}Context", self.context),
            (f"{prefix}Exten", self.exten),
            (f"{prefix}Priority", str(self.priority)),
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Linkedid", self.linkedid),
        ]

    @property
    def seconds(self) -> int:
        return int(time.monotonic() - self.created)


class PBXState:
    """The SIP configuration, channels, dialplan, globals and AstDB of one embedded server
    (its channels thread-safe). ``sip_address`` is where its SIP requests say they come
    from (Via, Contact)."""

    def __init__(
        self,
        *,
        started: datetime | None = None,
        sip_address: tuple[str, int] = ("127.0.0.1", 5060),
    ) -> None:
        self.sip_address = sip_address
        self.sip_peers: dict[str, SipPeer] = {}
        self.pjsip_endpoints: dict[str, Endpoint] = {}
        self.notify_options: dict[str, list[tuple[str, str]]] = {}
        self.dialogs: set[str] = set()
        self._cseq = itertools.count(1)
        self.started = started or datetime.now()
        self.reloaded = self.started
        self.lock = threading.RLock()
        self.channels: list[Channel] = []
        self.globals: dict[str, str] = {}
        self.astdb: dict[tuple[str, str], str] = {}
        # context -> exten -> list of (application, data), priority 1 first
        self.dialplan: dict[str, dict[str, list[tuple[str, str]]]] = {
            "default": {"100": [("Answer", ""), ("Wait", "1"), ("Hangup", "")]}
        }
        self.hints: dict[tuple[str, str], str] = {}
        self.processed_calls = 0
        self._local_ids = itertools.count()
        self._unique_ids = itertools.count()
        self._epoch = int(time.time())

    # --- SIP ---

    def notify_option(self, name: str) -> list[tuple[str, str]] | None:
        """The headers of pjsip_notify.conf's section ``name`` (found without regard to
        case, as res_pjsip_notify finds it), or None."""
        folded = name.lower()
        return next((v for n, v in self.notify_options.items() if n.lower() == folded), None)

    def next_cseq(self) -> int:
        return next(self._cseq)

    # --- channels ---

    def next_uniqueid(self) -> str:
        return f"{self._epoch}.{next(self._unique_ids)}"

    def find_channel(self, name: str) -> Channel | None:
        with self.lock:
            for channel in self.channels:
                if channel.name.lower() == name.lower():
                    return channel
        return None

    def has_extension(self, context: str, exten: str) -> bool:
        return exten in self.dialplan.get(context, {})

    def new_local_pair(
        self, exten: str, context: str, application: str, data: str
    ) -> tuple[Channel, Channel]:
        """The two halves of ``Local/exten@context``: ;1 runs ``application``, ;2 the dialplan."""
        base = f"Local/{exten}@{context}-{next(self._local_ids):08x}"
        one_id = self.next_uniqueid()
        two_id = self.next_uniqueid()
        one = Channel(
            f"{base};1",
            one_id,
            one_id,
            context=context,
            exten=exten,
            application=application,
            data=data,
        )
        two = Channel(f"{base};2", two_id, one_id, context=context, exten=exten, state=4)
        steps = self.dialplan.get(context, {}).get(exten, [])
        if steps:
            two.application, two.data = steps[0]
        with self.lock:
            self.channels.extend([one, two])
            self.processed_calls += 1
        return one, two

    def remove(self, channels: Iterable[Channel]) -> list[Channel]:
        removed = []
        with self.lock:
            for channel in channels:
                if channel in self.channels:
                    self.channels.remove(channel)
                    removed.append(channel)
        return removed

    def listing(self) -> list[Channel]:
        """Channels as Asterisk lists them: the newest first."""
        with self.lock:
            return list(reversed(self.channels))

    @property
    def current_calls(self) -> int:
        with self.lock:
            return len({c.linkedid for c in self.channels})
