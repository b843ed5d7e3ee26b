"""The back-office's own rule plugins: the charter's standard behaviour, registered
``trylast`` through the same hooks as everyone else's, so any plugin that answers wins."""
