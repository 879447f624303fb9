"""The Gradio Blocks of the web app, and serving it (with a login whenever it listens beyond loopback)."""

from __future__ import annotations

import ipaddress
import os

from ..errors import ConfigError
from ..settings import Settings
from .format import CSS
from .state import WebState

TITLE = "Customer Demand Assistant"
PAGES = ("chat", "dashboard", "explore", "replies", "plans", "data")


def build_app(settings: Settings, *, state: WebState | None = None):
    """The whole app as a gr.Blocks: one tab per page, all sharing one WebState."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio as gr

    from . import chat, dashboard, data, explore, plans, replies

    state = state or WebState(settings)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}")
        with gr.Tabs():
            for name, module in zip(PAGES, (chat, dashboard, explore, replies, plans, data)):
                with gr.Tab(name.title(), id=name, elem_id=f"tab-{name}"):
                    module.build(state, demo)
    demo.state = state  # the benchmark and tests reach the shared cache through it
    return demo


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def login_for(settings: Settings, host: str) -> tuple[str, str] | None:
    """The (username, password) the app asks for, or None on loopback without them; off loopback both are required."""
    username = settings.ui_username
    password = settings.ui_password.get_secret_value() if settings.ui_password else None
    if username and password:
        return username, password
    if not is_loopback(host):
        raise ConfigError(f"--host {host} makes the app reachable from other machines: set ASSISTANT_UI_USERNAME "
                          f"and ASSISTANT_UI_PASSWORD first, or serve on 127.0.0.1")
    if username or password:
        raise ConfigError("set both ASSISTANT_UI_USERNAME and ASSISTANT_UI_PASSWORD, or neither")
    return None


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, *, state: WebState | None = None,
          block: bool = True):
    """Build and launch the app; the store is read and the default views computed in the background, so the
    first visitor waits less."""
    auth = login_for(settings, host)
    demo = build_app(settings, state=state)
    demo.state.prefetch()
    demo.queue(default_concurrency_limit=4)
    demo.launch(server_name=host, server_port=port, auth=auth, auth_message=TITLE if auth else None,
                show_error=False, quiet=True, prevent_thread_lock=not block, css=CSS,
                footer_links=["api"], favicon_path=None)
    return demo
