"""The values that vary from run to run, in one place: what a comparison of two servers'
answers (a recording against the embedded server, ``test_replay``; a real server against
the embedded one, ``tests/asterisk/test_fidelity.py``) may ignore. Nothing else is ignored.

Each entry is a value that no server can reproduce: a clock, a counter of the server's life,
a random token, a port the kernel chose, the build's date.
"""

from __future__ import annotations

import re

# AMI headers whose whole value varies (also under the prefixes events give Uniqueid and
# Linkedid: DestUniqueid, LocalOneLinkedid).
VARYING_HEADERS = (
    "Timestamp",  # Ping, events: the clock
    "Uptime",  # FullyBooted, CoreStatus-like answers: seconds since start
    "LastReload",
    "SessionID",  # security events: random per connection
    "EventTV",
    "SessionTV",
    "Challenge",  # MD5 login: random
    "CoreStartupDate",  # CoreStatus: when the server started, and last reloaded
    "CoreStartupTime",
    "CoreReloadDate",
    "CoreReloadTime",
    "Seconds",  # Status: how long a channel has been up
    "Duration",  # CoreShowChannel: the same, as h:mm:ss
)
_HEADER_RE = re.compile(
    rf"^({'|'.join(VARYING_HEADERS)}|\w*Uniqueid|\w*Linkedid): [^\r\n]*",
    re.MULTILINE | re.IGNORECASE,
)
# LocalAddress / RemoteAddress of security events: the client's port is the kernel's choice.
_ADDRESS_RE = re.compile(r"^((?:Local|Remote)Address: IPV4/TCP/[0-9.]+)/\d+", re.MULTILINE)
# Channel names' sequence numbers: Local/100@default-00000003;1, PJSIP/phone1-0000000a.
_CHANNEL_RE = re.compile(r"\b((?:Local|PJSIP|SIP)/[^\s;,]*?-)[0-9a-f]{8}\b")
# The build line of "core show version" and "core show settings": who built it, and when.
_BUILT_RE = re.compile(
    r"built by \S+ @ \S+ on a \S+ running \S+ on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
)
# In SIP: the Via branch, From/To tags, Call-ID, the CSeq number, the Date.
_SIP_RES = (
    (re.compile(r"branch=z9hG4bK[\w.-]+"), "branch=<varies>"),
    (re.compile(r"tag=[\w.-]+"), "tag=<varies>"),
    (re.compile(r"^Call-ID: [^\r\n]*", re.MULTILINE | re.IGNORECASE), "Call-ID: <varies>"),
    (re.compile(r"^CSeq: \d+", re.MULTILINE | re.IGNORECASE), "CSeq: <n>"),
    (re.compile(r"^Date: [^\r\n]*", re.MULTILINE | re.IGNORECASE), "Date: <varies>"),
)


def normalize(text: str) -> str:
    """AMI text with every varying value replaced by a placeholder."""
    text = _HEADER_RE.sub(r"\1: <varies>", text)
    text = _ADDRESS_RE.sub(r"\1/<port>", text)
    text = _CHANNEL_RE.sub(r"\1<n>", text)
    return _BUILT_RE.sub("built by <who> on <when>", text)


def normalize_sip(text: str) -> str:
    """A SIP request with its per-request tokens replaced by placeholders."""
    for pattern, placeholder in _SIP_RES:
        text = pattern.sub(placeholder, text)
    return text
