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
"""

from sdk.testing.context import Context
from sdk.testing.faults import Fault
from sdk.testing.pbx import Endpoint, SipPeer
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
    "ReceivedMessage",
    "SipPeer",
    "User",
]
