"""``python -m tui`` runs the ``hedge`` command."""

from tui.cli import main

main()
