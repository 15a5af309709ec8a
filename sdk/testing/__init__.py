"""An embedded AMI server for demos and tests: ``AMIServer``.

::

    from sdk import Session
    from sdk.actions import SIPnotify
    from sdk.testing import AMIServer

    with AMIServer() as pbx:
        pbx.add_user("admin", "s3cret")
        pbx.add_sip_peer("phone1", "127.0.0.1", 5070)
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret") as ami:
            ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}))
        print(pbx.notifies[0].text)

It is part of the product: test your own scripts against it, over TLS too (``tls=``), and
with the faults real servers and networks make (``fault()``, ``restart()``; see
``sdk.testing.faults``).

Inside, imports go one way, down this list; a handler imports nothing of the server::

    server        AMIServer, Connection: sockets, requests read as manager.c reads them,
                  faults; each connection gives its handlers a ConnectionContext
    dispatch      manager.c's checks before any action; the handlers of a release
    handlers/     what each action does: manager (login, events, filters, ListCommands),
                  core, chan_sip, res_pjsip, lists (list answers)
    context       Context: all a handler is given besides the request
    known         the actions a release lists (data/: recorded from the real servers, or
                  derived for the releases that releases names: 16, 18, 21, 23)
    releases      PLAYS: what the server answers as for each release (banner, SIP stack)
    request       ReceivedMessage;  sessions: users, event classes, a manager session
    pbx           PBXState: SIP peers, endpoints, dialplan, channels, AstDB
    sip, faults   the NOTIFY text; the faults
"""

from sdk.testing.context import Context
from sdk.testing.faults import Fault
from sdk.testing.pbx import Endpoint, SipPeer
from sdk.testing.releases import PLAYS
from sdk.testing.request import ReceivedMessage
from sdk.testing.server import AMIServer, Connection
from sdk.testing.sessions import User
from sdk.testing.sip import Notify

__all__ = [
    "AMIServer",
    "Connection",
    "Context",
    "Endpoint",
    "Fault",
    "Notify",
    "PLAYS",
    "ReceivedMessage",
    "SipPeer",
    "User",
]
