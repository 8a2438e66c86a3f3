"""``python -m flowmine`` runs the command-line interface."""

from flowmine.cli import run

run()
