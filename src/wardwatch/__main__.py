"""``python -m wardwatch``: the same as the ``wardwatch`` command."""

from wardwatch.cli.main import app

app()
