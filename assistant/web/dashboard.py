"""Dashboard: volume by category, negative share and sentiment over time, top demands with their breakdown,
emerging issues, channel and language mix. Everything comes from the functions the CLI calls (`trends`,
`rank_demands`) on the cached frame; one date range and one set of filters apply to every chart."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..analysis.filters import Filters, filter_frame
from .format import clip, page_filters, pct, shows_errors, signed
from .state import WebState

TOP_DEMANDS = 15
DEMAND_COLUMNS = ["#", "Priority", "Demand", "Category", "Items", "Customers", "Negative", "Growth", "Urgent items",
                  "Last seen", "Theme id"]
SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c", "not analysed": "#c7c7c7"}
EMERGING_COLUMNS = ["Kind", "Demand", "When", "Items", "Compared with", "Ratio", "p-value", "Test"]


@dataclass
class DashboardView:
    """Everything one dashboard render shows, as plain tables (what the bench and the tests check)."""

    summary: str
    volume: pd.DataFrame      # start, category, count: stacked bars
    sentiment: pd.DataFrame   # start, negative_share, mean_sentiment
    demands: pd.DataFrame     # DEMAND_COLUMNS
    breakdowns: dict[str, str] = field(default_factory=dict)  # theme id -> Markdown breakdown
    emerging: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EMERGING_COLUMNS))
    channels: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["channel", "lang", "count"]))
    languages: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["lang", "sentiment", "count"]))


def filter_choices(state: WebState) -> dict[str, list[str]]:
    """Values offered in the category, channel and language filters, most frequent first."""
    def values(column: str) -> list[str]:
        return [str(v) for v in frame[column].dropna().astype(str).value_counts().index]

    frame = state.frame()
    return {"category": values("category"), "channel": values("channel"), "lang": values("lang")}


def dashboard_view(state: WebState, since: str | None = None, until: str | None = None, categories=(),
                   channels=(), langs=(), interval: str = "week") -> DashboardView:
    """The dashboard for a window and filters; computed once per store state and filters, shared by sessions."""
    filters = page_filters(since, until, tz=state.settings.timezone, category=categories, channel=channels,
                           lang=langs)
    if filters.since is not None and filters.until is not None and filters.since >= filters.until:
        from ..errors import ConfigError

        raise ConfigError(f"'From' ({since}) must be before 'To' ({until})")
    return state.memo("dashboard", (filters, interval), lambda: _compute(state, filters, interval))


def _compute(state: WebState, filters: Filters, interval: str) -> DashboardView:
    from ..analysis.priority import rank_demands
    from ..analysis.trends import trends

    data = filter_frame(state.frame(), filters, window=False)  # all times: growth and baselines need the past
    window = filter_frame(data, filters)
    if window.empty:
        return _empty("No feedback matches this date range and these filters.")

    since, until = filters.since, filters.inclusive_until()
    by_category = trends(data, by="category", interval=interval, since=since, until=until)
    by_theme = trends(data, by="theme", interval=interval, since=since, until=until)
    ranked = rank_demands(data, since=since, until=until, weights=state.settings.priority, limit=TOP_DEMANDS)

    volume = by_category.table[["start", "label", "count"]].rename(columns={"label": "category"})
    volume = volume[volume["count"] > 0].reset_index(drop=True)
    totals = by_category.totals
    sentiment = pd.DataFrame({"start": pd.to_datetime(totals["start"]),
                              "negative_share": pd.to_numeric(totals["negative_share"], errors="coerce"),
                              "mean_sentiment": pd.to_numeric(totals["mean_sentiment"], errors="coerce")})
    demands = pd.DataFrame([_demand_row(n, d) for n, d in enumerate(ranked, 1)], columns=DEMAND_COLUMNS)
    breakdowns = {d.key: breakdown_markdown(d) for d in ranked}
    emerging = _emerging(by_category, by_theme)
    channels = (window.assign(channel=window["channel"].fillna("unknown"), lang=window["lang"].fillna("und"))
                .groupby(["channel", "lang"]).size().rename("count").reset_index())
    languages = (window.assign(lang=window["lang"].fillna("und"),
                               sentiment=window["sentiment"].astype(object).fillna("not analysed"))
                 .groupby(["lang", "sentiment"]).size().rename("count").reset_index())
    return DashboardView(_summary(window, by_category, ranked, emerging), volume, sentiment, demands, breakdowns,
                         emerging, channels, languages)


def _empty(message: str) -> DashboardView:
    return DashboardView(f"**{message}**", pd.DataFrame(columns=["start", "category", "count"]),
                         pd.DataFrame(columns=["start", "negative_share", "mean_sentiment"]),
                         pd.DataFrame(columns=DEMAND_COLUMNS))


def _summary(window: pd.DataFrame, report, ranked, emerging: pd.DataFrame) -> str:
    from ..analysis.trends import sentiment_signals

    negative, score = sentiment_signals(window)
    customers = window["customer_id"].dropna().nunique()
    first, last = window["date"].dropna().min(), window["date"].dropna().max()
    parts = [f"**{len(window):,}** items", f"**{customers:,}** customers", f"{first} to {last}",
             f"negative **{pct(negative.mean())}**", f"average sentiment **{signed(score.mean())}**",
             f"**{len(ranked)}** demands shown", f"**{len(emerging)}** emerging issues or spikes"]
    notes = "".join(f"\n\n_{n}_" for n in report.notes)
    return " · ".join(parts) + notes


def _demand_row(rank: int, d) -> list:
    growth = "n/a" if d.growth.basis == "none" else f"{d.growth.ratio:.1f}x"
    return [rank, round(d.priority, 1), d.label, d.category or "", d.count, d.customers, pct(d.negative_share),
            growth, d.urgency.items, d.last_seen or "", d.key]


def breakdown_markdown(d, *, compact: bool = False) -> str:
    """A demand's priority as a table of signals: score x weight -> contribution, and what each means
    (`compact`: a list, for a narrow column)."""
    lines = [f"### {d.label}",
             (f"Priority **{d.priority:.0f}**/100 = importance {d.importance:.2f} x urgency {d.urgency_score:.2f} · "
              f"{d.count} items from {d.customers} customers · category {d.category or 'none'}"), ""]
    if not compact:
        lines += ["| signal | part | score | weight | contribution | why |", "|---|---|---:|---:|---:|---|"]
    for name, part in d.breakdown.items():
        if name == "gate" or not isinstance(part, dict) or "score" not in part:
            continue
        if compact:
            lines.append(f"- **{name}** ({part.get('part', '')}) {part['score']:.2f} x {part['weight']:.2f} = "
                         f"{part['contribution']:+.3f}: {clip(part.get('note', ''), 160)}")
            continue
        lines.append(f"| {name} | {part.get('part', '')} | {part['score']:.2f} | {part['weight']:.2f} | "
                     f"{part['contribution']:+.3f} | {clip(part.get('note', ''), 160)} |")
    gate = d.breakdown.get("gate", {})
    if gate.get("factor", 1) < 1:
        lines.append(f"\nImportance x {gate['factor']:.2f}: {gate.get('note', '')}")
    if d.evidence:
        lines.append("\nRead first: " + ", ".join(f"`{e}`" for e in d.evidence))
    return "\n".join(lines)


def _emerging(by_category, by_theme) -> pd.DataFrame:
    rows = []
    for report in (by_theme, by_category):
        for e in report.emerging:
            rows.append(["new" if e.new else "emerging", e.label, f"since {e.first_seen}", e.recent_count,
                         f"{e.earlier_count} before", "new" if e.rate_ratio is None else f"{e.rate_ratio:.1f}x",
                         f"{e.p_value:.2g}", e.test])
        for s in report.spikes:
            if s.group == "(all)" and report is by_theme:
                continue  # total volume is tested in both reports; show it once
            rows.append(["spike", s.label, f"{s.period} ({s.start})", s.count, f"{s.expected:.1f} expected",
                         f"{s.ratio:.1f}x", f"{s.p_value:.2g}", s.test])
    return pd.DataFrame(rows, columns=EMERGING_COLUMNS)


# ---------------------------------------------------------------------- page
def build(state: WebState, demo) -> None:
    """The Dashboard tab's components and events (inside an open gr.Tab)."""
    import gradio as gr

    state.warmers.append(dashboard_view)  # the default view, ready before anyone asks
    with gr.Row():
        since = gr.Textbox(label="From", placeholder="YYYY-MM-DD", scale=1)
        until = gr.Textbox(label="To", placeholder="YYYY-MM-DD", scale=1)
        category = gr.Dropdown(label="Category", multiselect=True, choices=[], allow_custom_value=True, scale=2)
        channel = gr.Dropdown(label="Channel", multiselect=True, choices=[], allow_custom_value=True, scale=2)
        lang = gr.Dropdown(label="Language", multiselect=True, choices=[], allow_custom_value=True, scale=1)
        interval = gr.Radio(["week", "day"], value="week", label="Per", scale=1)
    apply = gr.Button("Apply", variant="primary", elem_id="dashboard-apply")
    status = gr.Markdown(elem_classes="status-line", elem_id="dashboard-status")
    summary = gr.Markdown(elem_id="dashboard-summary")
    volume = gr.BarPlot(x="start", y="count", color="category", title="Volume by category",
                        x_title="period", y_title="items", height=320, elem_id="chart-volume")
    with gr.Row():
        negative = gr.LinePlot(x="start", y="negative_share", title="Negative share", y_lim=[0, 1],
                               x_title="period", y_title="share negative", height=260, elem_id="chart-negative")
        mean = gr.LinePlot(x="start", y="mean_sentiment", title="Average sentiment", y_lim=[-1, 1],
                           x_title="period", y_title="sentiment (-1..1)", height=260, elem_id="chart-sentiment")
    gr.Markdown("### Top demands\nPriority = importance x urgency. Click a row for the signals behind it.")
    demands = gr.Dataframe(headers=DEMAND_COLUMNS, interactive=False, wrap=True, elem_id="dashboard-demands",
                           column_widths=["4%", "7%", "24%", "12%", "6%", "8%", "7%", "6%", "7%", "9%", "10%"])
    breakdown = gr.Markdown(elem_id="dashboard-breakdown")
    breakdowns = gr.State({})
    gr.Markdown("### Emerging issues and spikes")
    emerging = gr.Dataframe(headers=EMERGING_COLUMNS, interactive=False, wrap=True, elem_id="dashboard-emerging")
    with gr.Row():
        channels = gr.BarPlot(x="channel", y="count", color="lang", title="Channel mix", height=260,
                              x_label_angle=-30, elem_id="chart-channels")
        languages = gr.BarPlot(x="lang", y="count", color="sentiment", title="Language mix", height=260,
                               color_map=SENTIMENT_COLORS, elem_id="chart-languages")

    outputs = [summary, volume, negative, mean, demands, breakdown, breakdowns, emerging, channels, languages, status]

    def render(view: DashboardView):
        first = next(iter(view.breakdowns.values()), "")
        return (view.summary, view.volume, view.sentiment, view.sentiment, view.demands, first, view.breakdowns,
                view.emerging, view.channels, view.languages, "")

    @shows_errors(len(outputs))
    def show(since_v, until_v, categories, channels_v, langs, interval_v):
        return render(dashboard_view(state, since_v, until_v, categories, channels_v, langs, interval_v))

    @shows_errors(len(outputs) + 3)
    def first_load():
        choices = filter_choices(state)
        return (gr.update(choices=choices["category"]), gr.update(choices=choices["channel"]),
                gr.update(choices=choices["lang"]), *render(dashboard_view(state)))

    def pick(table_breakdowns, evt: gr.SelectData):
        row = evt.row_value if evt is not None else None
        key = str(row[-1]) if row else ""
        return table_breakdowns.get(key, "")

    pick.__annotations__["evt"] = gr.SelectData  # a real class: gradio finds event data by annotation

    inputs = [since, until, category, channel, lang, interval]
    # two views computed at a time (2 cores, and pandas holds the GIL for much of it): with more, every
    # session's view finishes as late as the last one; cached views return at once either way
    apply.click(show, inputs, outputs, api_name="dashboard", concurrency_limit=2, concurrency_id="views")
    demo.load(first_load, None, [category, channel, lang, *outputs], api_name="dashboard_load",
              concurrency_limit=2, concurrency_id="views")
    demands.select(pick, [breakdowns], breakdown, api_name=False)
