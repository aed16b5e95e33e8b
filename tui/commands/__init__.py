"""Verbs of the `hedge` command, one module per area; each exposes ``register(app)``."""
