"""The ``wardwatch`` command: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from wardwatch import __version__
from wardwatch.cli.audit import audit_app
from wardwatch.cli.demo import demo
from wardwatch.cli.evaluate import evaluate
from wardwatch.cli.features import features_app
from wardwatch.cli.ingest import ingest, quarantine_app
from wardwatch.cli.llm import llm_app
from wardwatch.cli.monitor import monitor_app
from wardwatch.cli.quality import quality_app
from wardwatch.cli.registry import registry_app
from wardwatch.cli.serve import serve
from wardwatch.cli.synth import synth
from wardwatch.cli.train import train
from wardwatch.cli.workspace import init

__all__ = ["app"]

app = typer.Typer(
    name="wardwatch",
    help="Keep clinical ML and LLM systems trustworthy in production.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wardwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Keep clinical ML and LLM systems trustworthy in production."""


app.command("init")(init)
app.command("synth")(synth)
app.command("ingest")(ingest)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(quality_app, name="quality")
app.add_typer(features_app, name="features")
app.command("train")(train)
app.command("evaluate")(evaluate)
app.add_typer(registry_app, name="registry")
app.add_typer(audit_app, name="audit")
app.add_typer(llm_app, name="llm")
app.add_typer(monitor_app, name="monitor")
app.command("serve")(serve)
app.command("demo")(demo)

if __name__ == "__main__":  # pragma: no cover
    app()
