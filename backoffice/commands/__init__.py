"""The ``backoffice`` command's sub-commands, one module per area; each exposes ``COMMANDS``."""

COMMAND_MODULES = ["demo", "users", "rules"]
