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

The map, bottom to top; a module imports only from its own layer or those below it, and
``tests/test_layers.py`` reads every import and holds them to this and to the rules beside
it: no import cycle; imports at the top of a module, inside a function only a lazy import of
an optional or costly module (for start-up), commented there and listed in that test; no
module importing or reading another's private names; no class name defined twice::

    applications     notify (one NOTIFY), bulk + ratelimit (many), cli + pipes + __main__ (``ami``),
                     demo (``make demo``), widgets/ (notebook forms)
    public API       sdk (this module: Session, the errors, Action, the field types)
    embedded server  testing/ (AMIServer: requests read as manager.c reads them, handlers)
    client           client/: session (composes the rest), options + url, auth, connection,
                     memory, router, hub, keepalive, reconnect, capabilities, server
    actions          actions/ (generated from specs/ by codegen; imported on first use)
    model            model/: values (the boundary), checks (wire rules), fields, kinds (the
                     table of kinds), rules, action, generic, registry, suggest, received,
                     releases (what each Asterisk release has)
    wire             wire/: parser, message, transport, answers (what a server writes)
    leaves           errors, display, extras, version (import nothing of sdk)
"""

from typing import TYPE_CHECKING

from sdk.client.session import PendingResponse, Reconnect, Session, connect
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
from sdk.model.action import Action
from sdk.model.fields import ExtraHeaders, FieldInfo, Records, Variables
from sdk.wire.message import Event, Headers, Message, Response

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


if TYPE_CHECKING:  # which then sees no __getattr__: a misspelt name is their error
    __version__: str
else:

    def __getattr__(name: str) -> str:
        if name == "__version__":  # read on first use: metadata is slow to import
            from sdk.version import version

            return version()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
