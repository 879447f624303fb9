"""Data: upload feedback files (every format `assistant ingest` reads) with progress, see what was stored and
which rows were rejected and why, run the analysis, and see what the store holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import AssistantError
from ..records import IngestReport
from .format import shows_errors
from .state import WebState

EXTENSIONS = [".csv", ".tsv", ".tab", ".json", ".jsonl", ".ndjson", ".xlsx", ".xlsm", ".txt"]
REJECTED_COLUMNS = ["file", "row", "field", "reason", "kind"]


@dataclass
class UploadResult:
    """The ingest summary of one upload: the merged report and files that could not be read at all."""

    report: IngestReport
    failed: dict[str, str] = field(default_factory=dict)  # file name -> message

    def summary(self) -> str:
        r = self.report
        head = (f"Read **{r.read}** rows from {len(r.files) - len(self.failed)} file(s): added **{r.added}**, "
                f"updated {r.updated}, skipped as duplicate {r.duplicates}, rejected **{len(r.invalid)}**, "
                f"filtered {len(r.rejected) - len(r.invalid)} (empty or too short/long) in {r.seconds:.1f} s.")
        fails = "".join(f"\n\n⚠️ {name}: {message}" for name, message in self.failed.items())
        return head + fails

    def rejected(self) -> pd.DataFrame:
        rows = [[Path(x.path).name, x.row, x.field or "", x.reason, x.kind] for x in self.report.rejected]
        return pd.DataFrame(rows, columns=REJECTED_COLUMNS)


def ingest_files(state: WebState, paths: list[str], *, source: str | None = None, redact: bool = True,
                 progress=None) -> UploadResult:
    """Ingest uploaded files one by one (a file that cannot be read is reported, the others still go in)."""
    from ..ingest.pipeline import ingest_paths

    paths = [str(p) for p in paths or [] if p]
    if not paths:
        from ..errors import ConfigError

        raise ConfigError("choose one or more files first (" + ", ".join(EXTENSIONS) + ")")
    settings = state.settings if redact == state.settings.redact else state.settings.model_copy(update={"redact": redact})
    total, result = IngestReport(), UploadResult(IngestReport())
    sources, finished = [], False
    with state.writing():
        store = state.store(create=True)
        try:
            for n, path in enumerate(paths):
                name = Path(path).name
                sources.append(source or name)
                if progress is not None:
                    progress((n, len(paths)), desc=f"ingesting {name}", unit="files")
                try:
                    report = ingest_paths([path], settings, source=source or None, store=store,
                                          progress=progress is not None)  # tqdm bars feed gr.Progress
                except AssistantError as exc:
                    result.failed[name] = str(exc).replace(path, name)
                    total.files.append(path)
                    continue
                total.read += report.read
                total.added += report.added
                total.updated += report.updated
                total.duplicates += report.duplicates
                total.rejected += report.rejected
                total.files += report.files
                total.seconds += report.seconds
            finished = True
        finally:
            if finished:
                state.refresh_sources(sources)  # only the uploaded sources are read back
            else:
                state.invalidate()
    state.prefetch()
    result.report = total
    return result


def run_analysis(state: WebState, *, full: bool = False, progress=None):
    """`assistant analyze` on the store: only new or changed items unless `full`."""
    from ..analysis.run import analyze_store

    with state.writing():
        store = state.store()
        try:
            report = analyze_store(store, state.settings, full=full, progress=progress is not None,
                                   analyzer=state.analyzer(store))
        finally:
            state.invalidate()
    state.prefetch()
    return report


def store_stats(state: WebState) -> tuple[str, pd.DataFrame]:
    """What the store holds: a summary line and counts by source, channel and language."""
    from ..analysis.report import load_actions

    store = state.store()
    frame = state.frame()
    if frame.empty:
        return f"The store at {store.location} is empty.", pd.DataFrame(columns=["by", "value", "items"])
    analysed = int(frame["sentiment"].notna().sum())
    themes = frame["theme_id"].dropna().nunique()
    summary = (f"**{len(frame):,}** items in `{store.location}` (embedder {store.embedder_name}), "
               f"{frame['date'].dropna().min()} to {frame['date'].dropna().max()} · analysed {analysed:,} "
               f"({analysed / len(frame):.0%}) · {themes} themes · {len(load_actions(store))} recorded actions")
    if analysed < len(frame):
        summary += f"\n\n{len(frame) - analysed:,} items are not analysed yet: press **Run analysis**."
    parts = []
    for column in ("source", "channel", "lang"):
        counts = frame[column].fillna("unknown").astype(str).value_counts()
        parts += [[column, value, int(n)] for value, n in counts.items()]
    return summary, pd.DataFrame(parts, columns=["by", "value", "items"])


# ---------------------------------------------------------------------- page
def build(state: WebState, demo) -> None:
    """The Data tab's components and events (inside an open gr.Tab)."""
    import gradio as gr

    gr.Markdown("Upload feedback exports: " + ", ".join(EXTENSIONS) + ". Columns are recognised by their "
                "English or Chinese names. Uploading the same file again only adds what changed.")
    files = gr.File(label="Feedback files", file_count="multiple", file_types=EXTENSIONS, elem_id="data-files")
    with gr.Row():
        source = gr.Textbox(label="Source name (default: the file name)", scale=3)
        redact = gr.Checkbox(value=state.settings.redact, label="Redact personal data", scale=1)
    with gr.Row():
        ingest = gr.Button("Ingest", variant="primary", elem_id="data-ingest")
        analyse = gr.Button("Run analysis", elem_id="data-analyze")
        refresh = gr.Button("Refresh stats", elem_id="data-refresh")
    status = gr.Markdown(elem_classes="status-line", elem_id="data-status")
    summary = gr.Markdown(elem_id="data-summary")
    rejected = gr.Dataframe(headers=REJECTED_COLUMNS, label="Rejected rows", interactive=False, wrap=True,
                            elem_id="data-rejected")
    gr.Markdown("### Store")
    stats_md = gr.Markdown(elem_id="data-stats")
    stats_table = gr.Dataframe(headers=["by", "value", "items"], interactive=False, elem_id="data-stats-table")

    def stats_or_hint():
        if not state.has_store():
            return "No feedback stored yet: upload files above.", pd.DataFrame(columns=["by", "value", "items"])
        return store_stats(state)

    @shows_errors(5)
    def do_ingest(paths, source_v, redact_v, progress=gr.Progress(track_tqdm=True)):  # noqa: B008  (gradio's idiom)
        result = ingest_files(state, paths or [], source=source_v, redact=redact_v, progress=progress)
        return (result.summary(), result.rejected(), *stats_or_hint(),
                "Ingested. Press **Run analysis** to analyse the new items.")

    @shows_errors(3)
    def do_analyze(progress=gr.Progress(track_tqdm=True)):  # noqa: B008  (gradio's idiom)
        progress(0, desc="loading the analysis models")
        report = run_analysis(state, progress=progress)
        return (*stats_or_hint(),
                (f"Analysed {report.analysed} items ({report.unchanged} unchanged); {report.themes} themes "
                 f"({report.new_themes} new), {report.unassigned} items without a theme, {report.seconds:.1f} s."))

    @shows_errors(3)
    def do_refresh():
        return (*stats_or_hint(), "")

    ingest.click(do_ingest, [files, source, redact], [summary, rejected, stats_md, stats_table, status],
                 api_name="ingest")
    analyse.click(do_analyze, None, [stats_md, stats_table, status], api_name="analyze")
    refresh.click(do_refresh, None, [stats_md, stats_table, status], api_name="stats")
    demo.load(do_refresh, None, [stats_md, stats_table, status], api_name=False)
