"""The parts a ``sdk.Session`` is made of, each readable and testable alone.

Imports flow down this list; ``sdk.client.session`` composes them.

- ``options``: what a session is told (``SessionOptions``), from keywords or an AMI URL.
- ``reconnect``: the ``Reconnect`` policy and the loop that follows it.
- ``auth``: how it logs in, one strategy per way (``MD5Auth``, ``PlainAuth``); the secret.
- ``connection``: how it gets a connection (a connector: sockets by default) and its banner.
- ``memory``: a connector to a handler in memory, for tests without sockets.
- ``router``: each answer to the caller waiting on its ActionID (``PendingResponse``).
- ``hub``: events to callbacks, waiters and a bounded queue; the one name matcher.
- ``keepalive``: a Ping when the line has been quiet, a drop when it goes unanswered.
- ``server``: what the connected server offers (``session.server``).
"""
