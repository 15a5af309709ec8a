"""What the embedded server does for each action, by the Asterisk module that answers it.

``manager`` (manager.c's own actions: Login, Challenge, Logoff, Ping, UserEvent, Events,
Filter, ListCommands), ``core`` (channels, variables, AstDB, the CLI, Originate),
``chan_sip`` and ``res_pjsip`` (their actions and the NOTIFY each sends). Each module's
``HANDLERS`` maps action names to handlers; ``sdk.testing.dispatch`` puts the tables of a
release together.
"""
