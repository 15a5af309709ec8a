"""The request model: what an action's fields are, the rules of the wire, and views of what
was received.

- ``sdk.model.checks``: the wire rules, each once (its full check and the fast path's
  refusals side by side);
- ``sdk.model.kinds``: the table of kinds of field (string, integer, boolean, enum,
  variables, headers, indexed), each one object: annotation, converter, check, encoder,
  decoder, editor, CLI option and its fragment of generated code;
- ``sdk.model.received``: a message read from the wire as a view of an action's fields,
  never validated.

``sdk.fields`` (``FieldInfo``, ``Pairs``, ``Records``) and ``sdk.action`` (the base class)
sit beside them until the package layout groups them here.
"""
