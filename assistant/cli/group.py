"""The `assistant` command group and what every command shares: settings from the options, --store, JSON
output, typed days. Commands live beside this file by concern and register on `cli` here; __init__.py is
the entry point that turns errors into one-line messages."""

from __future__ import annotations

import json

import click

from .. import __version__
from ..errors import ConfigError
from ..settings import Settings, load_settings

COLUMN_ROLES = ("text", "time", "customer", "customer_name", "channel", "rating", "product", "id")


def command_settings(ctx: click.Context, **overrides) -> Settings:
    """Settings from the environment, the group options, then the command's own options."""
    merged = dict(ctx.find_root().obj or {})
    merged.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return load_settings(**merged)
    except Exception as exc:  # pydantic ValidationError: name the setting
        raise ConfigError(f"invalid setting: {exc}".splitlines()[0] + " " + str(exc).splitlines()[-1].strip()) from exc


def store_options(func):
    """--store / --chroma-url on every command (also accepted before the command name)."""
    func = click.option("--chroma-url", default=None, help="Chroma server http://host:port (ASSISTANT_CHROMA_URL).")(func)
    func = click.option("--store", type=click.Path(file_okay=False), default=None,
                        help="Folder of the local store (ASSISTANT_STORE, default vectorstore/).")(func)
    return func


def emit_json(payload) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def parse_day_option(value: str | None, *, end: bool = False, tz: str = "UTC") -> int | None:
    """--since/--until value -> epoch seconds; a date without time means the whole day."""
    if not value:
        return None
    from ..text.timeparse import parse_day

    try:
        return parse_day(value, end=end, tz=tz)
    except ValueError as exc:
        raise ConfigError(f"--{'until' if end else 'since'}: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="assistant")
@store_options
@click.pass_context
def cli(ctx: click.Context, store: str | None, chroma_url: str | None) -> None:
    """Customer Demand Assistant: turn customer feedback into ranked, cited demands.

    \b
    Start here:
      assistant sample data/sample        # write the bundled sample feedback
      assistant ingest data/sample        # clean, redact, embed and store it
      assistant search "price went up"    # find feedback by meaning
    """
    ctx.obj = {"store": store, "chroma_url": chroma_url}
