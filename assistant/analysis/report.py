"""The weekly demand report a product manager would forward: Markdown or a self-contained HTML page.

Everything in it comes from the same functions as the CLI: `rank_demands`, `trends`, `evaluate_effect`.
Charts are inline SVG drawn here, so the HTML needs no outside assets and opens anywhere.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd

from .effect import evaluate_effect
from .priority import rank_demands
from .trends import trends

ACTIONS_KEY = "actions"
COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]


@dataclass
class Section:
    """One titled part of the report: Markdown text, and the same content as HTML."""

    title: str
    markdown: str
    html: str


def build_report(frame: pd.DataFrame, *, since: float | None, until: float | None, actions: list[dict] | None = None,
                 top: int = 8, quotes: int = 2, weights=None) -> list[Section]:
    """The report's sections for the window [since, until) (epoch seconds; None = the whole data)."""
    texts = dict(zip(frame["id"], frame["text"])) if "text" in frame else {}
    dates = dict(zip(frame["id"], frame["date"]))
    sections = []

    ranked = rank_demands(frame, since=since, until=until, **({"weights": weights} if weights else {}))[:top]
    md, hl = [], ["<ol>"]
    for demand in ranked:
        growth = demand.growth
        head = (f"**{demand.label}** ({demand.category}): priority {demand.priority:.0f}/100, {demand.count} items "
                f"({demand.share:.1%}), negative {_pct(demand.negative_share)}, growth {_ratio(growth)}")
        md.append(f"1. {head}")
        hl.append(f"<li><p>{_md_bold(head)}</p><ul>")
        for item_id in demand.evidence[:quotes]:
            quote = _clip(texts.get(item_id, ""))
            md.append(f"   - “{quote}” ({dates.get(item_id, '')}, [#{item_id}])")
            hl.append(f"<li>“{html.escape(quote)}” <small>({dates.get(item_id, '')}, #{item_id})</small></li>")
        hl.append("</ul></li>")
    hl.append("</ol>")
    sections.append(Section("Top demands", "\n".join(md) or "No demands in this window.", "".join(hl)))

    weekly = trends(frame, by="category", interval="week", since=since, until=until)
    chart = _line_chart(weekly.table, "count", "Items per week by category")
    neg = _line_chart(weekly.totals.assign(group="all", label="negative share"), "negative_share",
                      "Negative share per week", percent=True)
    table = ["| week | items | negative | mean sentiment |", "|---|---|---|---|"]
    for row in weekly.totals.itertuples(index=False):
        table.append(f"| {row.period} | {row.count} | {_pct(row.negative_share)} | {_num(row.mean_sentiment)} |")
    sections.append(Section("Trends", "\n".join(table), chart + neg + _table_html(table)))

    daily = trends(frame, by="theme", interval="day", since=since, until=until)
    lines = [f"- {line}" for line in (weekly.summary() + "\n" + daily.summary()).splitlines()
             if line.startswith(("Spike", "Emerging"))]
    sections.append(Section("Spikes and emerging issues", "\n".join(dict.fromkeys(lines)) or "Nothing unusual.",
                            "<ul>" + "".join(f"<li>{html.escape(l[2:])}</li>" for l in dict.fromkeys(lines)) + "</ul>"))

    effects = []
    for action in actions or []:
        try:
            result = evaluate_effect(frame, theme=action.get("theme"), category=action.get("category"),
                                     action_date=action["date"], window_days=int(action.get("window", 28)))
        except Exception as exc:  # an action on a theme that no longer exists: say so, keep the report
            effects.append(f"{action.get('note') or action.get('theme') or action.get('category')}: {exc}")
            continue
        note = f" ({action['note']})" if action.get("note") else ""
        effects.append(f"{result.target}{note}: {result.verdict}")
    sections.append(Section("Effect of actions", "\n".join(f"- {e}" for e in effects) or
                            "No actions recorded (`assistant effect ... --record`).",
                            "<ul>" + "".join(f"<li>{html.escape(e)}</li>" for e in effects) + "</ul>"))
    return sections


def render_markdown(sections: list[Section], title: str) -> str:
    return f"# {title}\n\n" + "\n\n".join(f"## {s.title}\n\n{s.markdown}" for s in sections) + "\n"


def render_html(sections: list[Section], title: str) -> str:
    style = ("body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#111;line-height:1.45}"
             "h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}"
             "small{color:#666}svg{margin:.5em 0}")
    body = "".join(f"<h2>{html.escape(s.title)}</h2>{s.html}" for s in sections)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1><small>generated {stamp}</small>"
            f"{body}</body></html>")


def load_actions(store) -> list[dict]:
    """Actions recorded with `assistant effect --record` (theme or category, date, note)."""
    saved = store.load_state(ACTIONS_KEY)
    return json.loads(saved) if saved else []


def record_action(store, action: dict) -> None:
    """Remember an action so that reports keep measuring its effect (the same action is kept once)."""
    actions = [a for a in load_actions(store) if {**a, "note": None} != {**action, "note": None}]
    store.save_state(ACTIONS_KEY, json.dumps(actions + [action], ensure_ascii=False))


def _line_chart(table: pd.DataFrame, value: str, title: str, *, percent: bool = False, width=900, height=220) -> str:
    """An inline SVG line chart, one line per group, periods on the x axis."""
    if table.empty:
        return ""
    periods = list(dict.fromkeys(table["period"]))
    pivot = table.pivot_table(index="period", columns="label", values=value, aggfunc="sum").reindex(periods)
    top = float(pivot.max().max() or 1)
    left, bottom = 40, 30
    x = lambda i: left + (width - left - 10) * (i / max(1, len(periods) - 1))  # noqa: E731
    y = lambda v: height - bottom - (height - bottom - 20) * (v / top)  # noqa: E731
    parts = [f"<svg width='{width}' height='{height + 20 * ((len(pivot.columns) + 3) // 4)}' role='img'>"
             f"<title>{html.escape(title)}</title><text x='{left}' y='14' font-size='13'>{html.escape(title)}</text>"]
    parts.append(f"<text x='0' y='{y(top) + 4}' font-size='10'>{_fmt(top, percent)}</text>"
                 f"<line x1='{left}' y1='{height - bottom}' x2='{width}' y2='{height - bottom}' stroke='#999'/>")
    for i, period in enumerate(periods):
        if i % max(1, len(periods) // 8) == 0:
            parts.append(f"<text x='{x(i) - 18}' y='{height - bottom + 14}' font-size='10'>{html.escape(period)}</text>")
    for n, label in enumerate(pivot.columns):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(pivot[label].fillna(0)))
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{points}'/>")
        lx, ly = left + 220 * (n % 4), height + 20 * (n // 4)
        parts.append(f"<rect x='{lx}' y='{ly - 9}' width='10' height='10' fill='{colour}'/>"
                     f"<text x='{lx + 14}' y='{ly}' font-size='11'>{html.escape(str(label))}</text>")
    return "".join(parts) + "</svg>"


def _table_html(markdown_rows: list[str]) -> str:
    rows = [r.strip("|").split("|") for r in markdown_rows if not r.startswith("|---")]
    head = "".join(f"<th>{html.escape(c.strip())}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><tr>{head}</tr>{body}</table>"


def _md_bold(text: str) -> str:
    parts = html.escape(text).split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def _clip(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pct(value) -> str:
    return "n/a" if value is None or value != value else f"{value:.0%}"


def _num(value) -> str:
    return "n/a" if value is None or value != value else f"{value:+.2f}"


def _fmt(value: float, percent: bool) -> str:
    return f"{value:.0%}" if percent else f"{value:.0f}"


def _ratio(growth) -> str:
    ratio = getattr(growth, "ratio", None)
    return "new" if ratio is None else f"x{ratio:.1f}"
