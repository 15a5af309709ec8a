"""The wire: AMI as bytes and what they become, below any notion of an action.

- ``sdk.wire.parser``: server bytes into messages, incrementally, with bounded memory;
- ``sdk.wire.message``: ``Headers``, ``Message``, ``Response``, ``Event`` (what was read);
- ``sdk.wire.transport``: one socket (TCP or TLS) driven by a single I/O thread;
- ``sdk.wire.answers``: a response and an event as a server writes them (the SDK's test
  servers write theirs with it).
"""
