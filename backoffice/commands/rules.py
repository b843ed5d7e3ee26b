"""CLI commands (to be written)."""

COMMANDS = []
