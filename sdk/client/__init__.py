"""The parts a ``sdk.Session`` is made of, each readable and testable alone.

Each imports only from those above it in this list; ``sdk.client.session`` composes them.

- ``url``: AMI URLs (``ami://user@host:port?...``), read in one place (``parse_url``).
- ``reconnect``: the ``Reconnect`` policy and the loop that follows it.
- ``auth``: how it logs in, one strategy per way (``MD5Auth``, ``PlainAuth``); the secret.
- ``router``: each answer to the caller waiting on its ActionID (``PendingResponse``).
- ``capabilities``: the rules of what a server's release and ListCommands let it send.
- ``options``: what a session is told (``SessionOptions``), from keywords or an AMI URL.
- ``connection``: how it gets a connection (a connector: sockets by default) and its banner.
- ``memory``: a connector to a handler in memory, for tests without sockets.
- ``hub``: events to callbacks, waiters and a bounded queue; the one name matcher.
- ``keepalive``: a Ping when the line has been quiet, a drop when it goes unanswered.
- ``server``: what the connected server offers (``session.server``).
"""
