"""Plans: pick a demand, draft a response plan with the agent, record when the action took effect, and later
see its measured effect (`evaluate_effect` on every recorded action, as `assistant report` does)."""

from __future__ import annotations

import json

import pandas as pd

from ..errors import AssistantError, ConfigError
from .format import parse_day, pct, shows_errors
from .state import WebState
from .stream import run_stream

DEMAND_CHOICES = 40
EFFECT_COLUMNS = ["Demand", "Action date", "Window (days)", "Note", "Outcome", "Share before → after",
                  "Negative before → after", "Verdict"]


def demand_choices(state: WebState) -> list[tuple[str, str]]:
    """(label, theme id) of the highest-priority demands over all the data, for the picker."""
    def compute():
        from ..analysis.priority import rank_demands

        ranked = rank_demands(state.frame(), weights=state.settings.priority, limit=DEMAND_CHOICES)
        return [(f"{d.priority:.0f} · {d.label} ({d.category or 'no category'}, {d.count} items)", d.key)
                for d in ranked]

    return state.memo("demand_choices", (), compute)


def record(state: WebState, theme: str | None, action_date: str, window_days: int = 28, note: str = "") -> dict:
    """Remember an action on a demand (the CLI's `effect --record`) so its effect is measured from now on."""
    from ..analysis.report import record_action

    if not theme:
        raise ConfigError("pick a demand first")
    if parse_day(action_date, tz=state.settings.timezone, name="Action date") is None:
        raise ConfigError("give the date the action took effect (YYYY-MM-DD)")
    if int(window_days or 0) < 1:
        raise ConfigError("the window must be at least one day")
    action = {"theme": theme, "category": None, "date": str(action_date).strip(), "window": int(window_days),
              "note": (note or "").strip() or None}
    with state.writing():
        record_action(state.store(), action)
    return action


def effects(state: WebState) -> pd.DataFrame:
    """Every recorded action with its measured effect; one that cannot be measured yet says why."""
    from ..analysis.report import load_actions

    actions = load_actions(state.store())
    return state.memo("effects", (json.dumps(actions, sort_keys=True, ensure_ascii=False),),
                      lambda: _effects(state, actions))


def _effects(state: WebState, actions: list[dict]) -> pd.DataFrame:
    from ..analysis.effect import evaluate_effect

    frame = state.frame()
    labels = frame.dropna(subset=["theme_id"]).groupby("theme_id")["theme_label"].agg(
        lambda s: s.dropna().mode().iloc[0] if s.notna().any() else None)
    rows = []
    for action in reversed(actions):  # newest first
        theme, category = action.get("theme"), action.get("category")
        name = labels.get(theme, theme) if theme else category
        window = int(action.get("window") or 28)
        row = [name or "?", action.get("date"), window, action.get("note") or ""]
        try:
            start = parse_day(action.get("date"), tz=state.settings.timezone, name="action date")
            result = evaluate_effect(frame, theme=theme, category=category, action_date=start, window_days=window)
        except AssistantError as exc:
            rows.append(row + ["not measurable yet", "", "", str(exc)])
            continue
        b, a = result.before, result.after
        rows.append(row + [result.outcome.replace("_", " "), f"{pct(b.share, 1)} → {pct(a.share, 1)}",
                           f"{pct(b.negative_rate)} → {pct(a.negative_rate)}", result.verdict])
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def demand_breakdown(state: WebState, theme: str | None) -> str:
    """The chosen demand's priority breakdown (same text as the dashboard's)."""
    if not theme:
        return ""
    from ..analysis.priority import rank_demands
    from .dashboard import breakdown_markdown

    def compute():
        ranked = rank_demands(state.frame(), weights=state.settings.priority)
        return {d.key: breakdown_markdown(d, compact=True) for d in ranked}

    return state.memo("breakdowns", (), compute).get(theme, "")


# ---------------------------------------------------------------------- page
def build(state: WebState, demo) -> None:
    """The Plans tab's components and events (inside an open gr.Tab)."""
    import gradio as gr

    with gr.Row():
        demand = gr.Dropdown(label="Demand (priority · label)", choices=[], allow_custom_value=True, scale=4, elem_id="plans-demand")
        since = gr.Textbox(label="From", placeholder="YYYY-MM-DD", scale=1)
        until = gr.Textbox(label="To", placeholder="YYYY-MM-DD", scale=1)
    draft_btn = gr.Button("Draft plan", variant="primary", elem_id="plans-draft")
    status = gr.Markdown(elem_classes="status-line", elem_id="plans-status")
    with gr.Row():
        with gr.Column(scale=3):
            plan = gr.Textbox(label="Plan (edit freely, then copy)", lines=16, interactive=True, buttons=["copy"],
                              elem_id="plans-text")
        with gr.Column(scale=2):
            breakdown = gr.Markdown(elem_id="plans-breakdown")
    with gr.Accordion("Feedback the plan rests on", open=False):
        evidence = gr.Dataframe(headers=["#", "id", "date", "channel", "sentiment", "text"], interactive=False,
                                wrap=True)
    gr.Markdown("### Record the action\nWhen the fix, price change or campaign took effect: its effect is then "
                "measured on every later visit (before vs after, against the rest of the feedback).")
    with gr.Row():
        action_date = gr.Textbox(label="Action date", placeholder="YYYY-MM-DD", elem_id="plans-date")
        window = gr.Number(value=28, precision=0, label="Days compared before and after")
        note = gr.Textbox(label="Note", placeholder="what was done", scale=2)
    record_btn = gr.Button("Record action", elem_id="plans-record")
    effect_table = gr.Dataframe(headers=EFFECT_COLUMNS, label="Recorded actions and their measured effect",
                                interactive=False, wrap=True, elem_id="plans-effects",
                                column_widths=["15%", "9%", "6%", "10%", "8%", "10%", "10%", "32%"])

    @shows_errors(4)
    def draft(theme, since_v, until_v):
        if not theme:
            raise ConfigError("pick a demand first")
        tz = state.settings.timezone
        parse_day(since_v, tz=tz, name="From"), parse_day(until_v, end=True, tz=tz, name="To")  # readable errors
        events = state.assistant().stream_plan(theme=theme, since=(since_v or "").strip() or None,
                                                until=(until_v or "").strip() or None)
        for now in run_stream(events):
            rows = gr.update() if now.result is None else _evidence_rows(now.result)
            yield now.text, rows, demand_breakdown(state, theme), now.status

    @shows_errors(3)
    def do_record(theme, date, window_v, note_v):
        action = record(state, theme, date, int(window_v or 28), note_v)
        return effects(state), "", f"Recorded the action of {action['date']} on this demand."

    @shows_errors(4)
    def load():
        if not state.has_store():
            return gr.update(), gr.update(), gr.update(), "No feedback stored yet: upload files on the Data page."
        choices = demand_choices(state)
        first = choices[0][1] if choices else None
        return (gr.update(choices=choices, value=first), demand_breakdown(state, first), effects(state), "")

    draft_btn.click(draft, [demand, since, until], [plan, evidence, breakdown, status], api_name="plan",
             concurrency_limit=state.agent_concurrency, concurrency_id="agent")
    record_btn.click(do_record, [demand, action_date, window, note], [effect_table, note, status],
                     api_name="record_action")
    demand.change(lambda t: demand_breakdown(state, t), [demand], [breakdown], api_name=False)
    demo.load(load, None, [demand, breakdown, effect_table, status], api_name=False)


def _evidence_rows(result) -> pd.DataFrame:
    rows = []
    for n, item_id in enumerate(result.citations or list(result.evidence), 1):
        ev = result.evidence.get(item_id, {})
        rows.append([n, item_id, ev.get("date"), ev.get("channel"), ev.get("sentiment"), ev.get("text")])
    return pd.DataFrame(rows, columns=["#", "id", "date", "channel", "sentiment", "text"])
