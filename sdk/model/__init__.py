"""The request model: what an action's fields are, the rules of the wire, and views of what
was received.

- ``sdk.model.checks``: the wire rules, each once (its full check and the fast path's
  refusals side by side);
- ``sdk.model.kinds``: the table of kinds of field (string, integer, boolean, enum,
  variables, headers, indexed), each one object: annotation, converter, check, encoder,
  decoder, editor, CLI option and its fragment of generated code;
- ``sdk.model.received``: a message read from the wire as a view of an action's fields,
  never validated.

Beside them: ``values`` (the boundary every value crosses, made plain once), ``fields``
(``FieldInfo``, ``Pairs``, ``Records``), ``rules`` (rules across fields), ``action`` (the
base class of the generated actions), ``generic`` (an action without a spec), ``registry``
(the lazy map of wire names to classes) and ``suggest`` (what a mistyped name meant).
"""
