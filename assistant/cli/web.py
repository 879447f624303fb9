"""The web app command: `assistant ui`."""

from __future__ import annotations

import click

from .group import cli, command_settings, store_options


@cli.command()
@store_options
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; anything but loopback needs ASSISTANT_UI_USERNAME/_PASSWORD.")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.pass_context
def ui(ctx, store, chroma_url, host, port):
    """Serve the web app: chat, dashboard, explore, replies, plans and data, in the browser."""
    from ..web.app import login_for, serve

    settings = command_settings(ctx, store=store, chroma_url=chroma_url)
    auth = login_for(settings, host)  # fails before gradio is imported
    where = f"http://{host}:{port}" if host not in ("0.0.0.0", "::") else f"every interface, port {port}"
    click.echo(f"serving on {where}" + (" (login required)" if auth else "") + "  (Ctrl+C stops)", err=True)
    serve(settings, host, port)
