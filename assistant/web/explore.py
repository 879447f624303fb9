"""Explore: semantic search (any language) with filters, a sortable table, and selected rows exported as CSV.

Without a query the page lists the matching items by priority, so a support lead can triage without
thinking of words to search for."""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..analysis.filters import filter_frame
from ..analysis.types import plain
from .format import page_filters, shows_errors
from .state import WebState

COLUMNS = ["select", "score", "date", "channel", "lang", "sentiment", "category", "theme", "priority", "customer",
           "text", "id"]
SENTIMENTS = ["negative", "neutral", "positive"]


def search_items(state: WebState, query: str = "", *, k: int = 50, since: str | None = None,
                 until: str | None = None, categories=(), channels=(), langs=(), sentiments=()) -> pd.DataFrame:
    """Items nearest in meaning to `query` (or, without one, the highest-priority items) matching the filters."""
    filters = page_filters(since, until, tz=state.settings.timezone, category=categories, channel=channels,
                           lang=langs, sentiment=sentiments)
    k = max(1, min(int(k or 50), 1000))
    if query and query.strip():
        # a filtered vector search: Chroma's `where`, with each chosen value in its stored spelling(s), so it
        # selects what the dashboard's filters select
        where = filters.where(state.frame() if filters.exact() else None)
        hits = state.store().search(query.strip(), k=k, where=where)
        rows = [{"id": h.id, "text": h.text, "score": h.score, **h.metadata} for h in hits]
        return _table(rows)
    chosen = filter_frame(state.frame(), filters)
    chosen = chosen.sort_values(["priority", "ts"], ascending=False, na_position="last").head(k)
    return _table(chosen.to_dict("records"))


def _table(rows: list[dict]) -> pd.DataFrame:
    def value(row, key, default=""):
        v = row.get(key)
        return default if plain(v) is None else v

    out = [{
        "select": "", "score": value(row, "score", None), "date": value(row, "date"),
        "channel": value(row, "channel"), "lang": value(row, "lang"), "sentiment": value(row, "sentiment"),
        "category": value(row, "category"), "theme": value(row, "theme_label"),
        "priority": value(row, "priority", None), "customer": value(row, "customer_name") or value(row, "customer_id"),
        "text": value(row, "text"), "id": row["id"],
    } for row in rows]
    return pd.DataFrame(out, columns=COLUMNS)


def export_csv(state: WebState, table: pd.DataFrame, folder: Path | None = None) -> tuple[Path, int]:
    """Write the selected rows (every row when none is ticked) with all their stored fields to a CSV file."""
    if table is None or len(table) == 0:
        from ..errors import ConfigError

        raise ConfigError("nothing to export: search first")
    table = pd.DataFrame(table)
    selected = table[table["select"].map(_truthy)] if "select" in table else table
    ids = [str(i) for i in (selected if len(selected) else table)["id"]]
    items = {item.id: item for item in state.store().get(ids)}
    from ..analysis.types import ANALYSIS_FIELDS

    blank = dict.fromkeys(ANALYSIS_FIELDS)
    rows = [{"id": i, "text": items[i].text, **blank, **items[i].metadata} for i in ids if i in items]
    folder = Path(folder or _export_folder())
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = folder / f"feedback-{stamp}-{uuid.uuid4().hex[:6]}.csv"  # sessions may export in the same second
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")  # the BOM lets Excel read Chinese
    return path, len(rows)


_EXPORTS: Path | None = None
EXPORT_MAX_AGE = 3600  # seconds: the browser has downloaded it by then (gradio keeps its own copy)


def _export_folder() -> Path:
    """One private temporary folder per server process; exports older than an hour are deleted, so a
    long-running app does not pile up files of customer feedback."""
    global _EXPORTS
    if _EXPORTS is None or not _EXPORTS.exists():
        _EXPORTS = Path(tempfile.mkdtemp(prefix="assistant-export-"))
    now = time.time()
    for old in _EXPORTS.glob("feedback-*.csv"):
        if now - old.stat().st_mtime > EXPORT_MAX_AGE:
            old.unlink(missing_ok=True)
    return _EXPORTS


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes", "✓")


# ---------------------------------------------------------------------- page
def build(state: WebState, demo) -> None:
    """The Explore tab's components and events (inside an open gr.Tab)."""
    import gradio as gr

    from .dashboard import filter_choices

    with gr.Row():
        query = gr.Textbox(label="Search by meaning (English or Chinese)", scale=4, elem_id="explore-query",
                           placeholder="e.g. the price went up and I want to cancel / 配送太慢了")
        k = gr.Slider(5, 500, value=50, step=5, label="Results", scale=1)
    with gr.Row():
        since = gr.Textbox(label="From", placeholder="YYYY-MM-DD")
        until = gr.Textbox(label="To", placeholder="YYYY-MM-DD")
        category = gr.Dropdown(label="Category", multiselect=True, choices=[], allow_custom_value=True)
        channel = gr.Dropdown(label="Channel", multiselect=True, choices=[], allow_custom_value=True)
        lang = gr.Dropdown(label="Language", multiselect=True, choices=[], allow_custom_value=True)
        sentiment = gr.Dropdown(SENTIMENTS, label="Sentiment", multiselect=True)
    with gr.Row():
        search = gr.Button("Search", variant="primary", elem_id="explore-search")
        export = gr.Button("Export selected (CSV)", elem_id="explore-export")
    status = gr.Markdown(elem_classes="status-line", elem_id="explore-status")
    table = gr.Dataframe(headers=COLUMNS, interactive=False, wrap=True, max_height=700, show_search="filter",
                         elem_id="explore-table", column_widths=["5%", "6%", "8%", "7%", "4%", "7%", "9%", "10%",
                                                                 "6%", "8%", "22%", "8%"])
    file = gr.File(label="Exported CSV", interactive=False, height=90, elem_id="explore-file")

    @shows_errors(2)
    def run(q, k_v, since_v, until_v, cats, chans, langs, sents):
        found = search_items(state, q, k=k_v, since=since_v, until=until_v, categories=cats, channels=chans,
                             langs=langs, sentiments=sents)
        how = f"nearest to “{q.strip()}”" if q and q.strip() else "highest priority first (type a query to search)"
        return found, f"{len(found)} items, {how}. Click rows to tick them for export; click a header to sort."

    @shows_errors(2)
    def do_export(rows):
        path, n = export_csv(state, rows)
        return str(path), f"Exported {n} item{'s' if n != 1 else ''} to {path.name}."

    def toggle(rows, evt: gr.SelectData):
        """A click on a row ticks or unticks it for export."""
        rows = pd.DataFrame(rows)
        if evt is None or not len(rows):
            return rows
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        rows.loc[rows.index[row], "select"] = "" if _truthy(rows.iloc[row]["select"]) else "✓"
        return rows

    toggle.__annotations__["evt"] = gr.SelectData  # a real class: gradio finds event data by annotation

    @shows_errors(5)
    def load():
        if not state.has_store():
            return (gr.update(), gr.update(), gr.update(), gr.update(),
                    "No feedback stored yet: upload files on the Data page.")
        choices = filter_choices(state)
        return (gr.update(choices=choices["category"]), gr.update(choices=choices["channel"]),
                gr.update(choices=choices["lang"]), search_items(state, "", k=50),
                "Highest priority first. Type a query to search by meaning; click rows to tick them for export.")

    inputs = [query, k, since, until, category, channel, lang, sentiment]
    gr.on([search.click, query.submit], run, inputs, [table, status], api_name="search", concurrency_limit=None)
    export.click(do_export, [table], [file, status], api_name="export")
    table.select(toggle, [table], [table], api_name=False)
    demo.load(load, None, [category, channel, lang, table, status], api_name=False)
