"""The `assistant` command. The only place (with the web app) where errors become messages.

The group and the options every command shares are in group.py; commands live beside it by concern:
data.py (ingest, stats, search, export, sample), analysis.py (analyze, demands, trends, effect, report,
train-classifier), agent.py (ask, chat, reply, plan), doctor.py (doctor), web.py (ui).
"""

from __future__ import annotations

import sys

import click

from ..errors import AssistantError
from ..settings import load_settings
from .group import cli


def _debug() -> bool:
    try:
        return load_settings().debug
    except Exception:
        return False


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors and exit code 2, tracebacks only with ASSISTANT_DEBUG=1."""
    try:
        cli.main(args=argv, prog_name="assistant", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AssistantError as exc:
        if _debug():
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: everything written so far is kept; run the same command again to resume", err=True)
        sys.exit(130)


from . import agent, analysis, data, doctor, web  # noqa: E402,F401  (registers the commands on `cli`)
