"""The terminal front end: the `hedge` command (batch verbs for scripts) and the Textual app."""
