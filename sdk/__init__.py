"""A Python SDK for the Asterisk Manager Interface (AMI).

::

    from sdk import Session
    from sdk.actions import SIPnotify

    with Session("pbx.example.net", username="admin", secret="...") as ami:
        ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}), check=True)

Actions are generated from YAML specs (``specs/``) into ``sdk.actions``; each validates
itself on construction and serializes to the exact bytes AMI expects. ``sdk.testing``
holds an embedded AMI server for demos and tests. ``sdk.__version__`` is the package's
version (``sdk.version``).
"""

from typing import Any

from sdk.action import Action
from sdk.errors import (
    ActionError,
    ActionUnavailable,
    AMIError,
    AuthenticationError,
    ConnectionError,
    FieldProblem,
    OutcomeUnknown,
    ProtocolError,
    TimeoutError,
    ValidationError,
)
from sdk.fields import ExtraHeaders, FieldInfo, Records, Variables
from sdk.message import Event, Headers, Message, Response
from sdk.session import PendingResponse, Reconnect, Session, connect

__all__ = [
    "AMIError",
    "Action",
    "ActionError",
    "ActionUnavailable",
    "AuthenticationError",
    "ConnectionError",
    "Event",
    "ExtraHeaders",
    "FieldInfo",
    "FieldProblem",
    "Headers",
    "Message",
    "OutcomeUnknown",
    "PendingResponse",
    "ProtocolError",
    "Reconnect",
    "Records",
    "Response",
    "Session",
    "TimeoutError",
    "ValidationError",
    "Variables",
    "connect",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on first use: metadata is slow to import
        from sdk.version import version

        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
