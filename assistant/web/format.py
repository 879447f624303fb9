"""Small helpers every page uses: errors as messages, dates from text boxes, numbers and feedback cards."""

from __future__ import annotations

import functools
import html
import inspect
import logging
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..analysis.filters import Filters
from ..errors import AssistantError, ConfigError

log = logging.getLogger("assistant.web")

FEEDBACK_FIELDS = ("text", "date", "channel", "customer_id", "customer_name", "tier", "lang", "sentiment",
                   "sentiment_score", "category", "theme_id", "theme_label", "priority")


def error_message(exc: BaseException) -> str:
    """What the page shows for an error: the product's own message, or a short line for a bug."""
    if isinstance(exc, AssistantError):
        return f"⚠️ {exc}"
    log.exception("unexpected error in the web app")
    return f"⚠️ Something went wrong ({type(exc).__name__}: {exc}). The server log has the details."


def shows_errors(n_outputs: int) -> Callable:
    """Wrap an event handler whose LAST output is the page's status line: an error leaves the other outputs
    as they are and puts a readable message in the status line (never a traceback). Works for generators."""

    def decorate(fn: Callable) -> Callable:
        def failed(exc: BaseException):
            import gradio as gr

            return tuple([gr.update()] * (n_outputs - 1) + [error_message(exc)])

        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def stream(*args, **kwargs):
                try:
                    yield from fn(*args, **kwargs)
                except Exception as exc:  # noqa: BLE001  (the UI is where errors become messages)
                    yield failed(exc)

            return stream

        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001
                return failed(exc)

        return call

    return decorate


def parse_day(value: str | None, *, end: bool = False, tz: str = "UTC", name: str = "date") -> int | None:
    """A date typed in a box -> epoch seconds; a date without a time means the whole day (like the CLI)."""
    if value is None or not str(value).strip():
        return None
    from ..text.timeparse import parse_day as day_bound

    try:
        return day_bound(str(value).strip(), end=end, tz=tz)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}; use YYYY-MM-DD") from None


def page_filters(since: str | None, until: str | None, *, tz: str, **chosen) -> Filters:
    """What a page's From/To boxes and multi-selects choose, as the one `Filters` value the CLI and the agent
    select items by (analysis/filters.py: values in any case, To is the whole day)."""
    return Filters(since=parse_day(since, tz=tz, name="From"), until=parse_day(until, end=True, tz=tz, name="To"),
                   **{column: tuple(sorted(values or ())) for column, values in chosen.items()})


def pct(value: Any, digits: int = 0) -> str:
    return "n/a" if not _number(value) else f"{value:.{digits}%}"


def signed(value: Any) -> str:
    return "n/a" if not _number(value) else f"{value:+.2f}"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))


def clip(text: Any, limit: int = 140) -> str:
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_record(record: dict) -> dict:
    """A row or evidence dict with NaN/NA turned into None, so it prints and serialises plainly."""
    out = {}
    for key, value in record.items():
        try:
            missing = value is None or (not isinstance(value, (list, dict, tuple, str)) and bool(pd.isna(value)))
        except (TypeError, ValueError):
            missing = False
        out[key] = None if missing else value
    return out


def feedback_card(item_id: str, record: dict) -> str:
    """One feedback item as an HTML card: its text and every field a reader needs to judge it."""
    r = clean_record(record)
    customer = " · ".join(str(v) for v in (r.get("customer_name"), r.get("customer_id")) if v) or "anonymous"
    if r.get("tier"):
        customer += f" ({r['tier']})"
    sentiment = r.get("sentiment") or "not analysed"
    if _number(r.get("sentiment_score")):
        sentiment += f" ({r['sentiment_score']:+.2f})"
    theme = r.get("theme_label") or "no theme"
    if r.get("theme_id"):
        theme += f" [{r['theme_id']}]"
    rows = [("Date", r.get("date") or "unknown"), ("Channel", r.get("channel") or "unknown"),
            ("Customer", customer), ("Language", r.get("lang") or "unknown"), ("Sentiment", sentiment),
            ("Category", r.get("category") or "not analysed"), ("Theme", theme)]
    if _number(r.get("priority")):
        rows.append(("Priority", f"{r['priority']:.0f}/100"))
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    text = html.escape(str(r.get("text") or "")).replace("\n", "<br>")
    return (f"<div class='feedback-card' data-id='{html.escape(item_id)}'><div class='feedback-id'>#{html.escape(item_id)}</div>"
            f"<blockquote>{text}</blockquote><table>{cells}</table></div>")


CSS = """
.feedback-card {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 14px;}
.feedback-card blockquote {margin: 6px 0 10px 0; padding-left: 10px; border-left: 3px solid var(--color-accent);}
.feedback-card th {text-align: left; padding-right: 12px; font-weight: 600; white-space: nowrap;}
.feedback-id {font-family: monospace; opacity: .7;}
.status-line {min-height: 1.5em;}
"""
