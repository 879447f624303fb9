"""Replies: pick a feedback item or a customer, see their history, draft a reply with the agent, edit, copy."""

from __future__ import annotations

import pandas as pd

from ..errors import ConfigError
from .format import clean_record, clip, feedback_card, shows_errors
from .state import WebState
from .stream import run_stream

TONES = ["friendly", "formal", "apologetic", "concise"]
HISTORY_COLUMNS = ["date", "channel", "sentiment", "category", "theme", "text", "id"]
PICKER_SIZE = 200


def item_choices(state: WebState) -> list[tuple[str, str]]:
    """(label, id) of the items most in need of a reply: negative first, by item priority."""
    def compute():
        frame = state.frame()
        if frame.empty:
            return []
        ranked = frame.assign(neg=(frame["sentiment"] == "negative").fillna(False).astype(int))
        ranked = ranked.sort_values(["neg", "priority", "ts"], ascending=False, na_position="last").head(PICKER_SIZE)
        rows = (clean_record(r) for r in ranked[["id", "date", "channel", "customer_name", "customer_id", "text"]]
                .to_dict("records"))
        return [((f"{r['date'] or '?'} · {r['channel'] or '?'} · "
                  f"{r['customer_name'] or r['customer_id'] or 'anonymous'} · {clip(r['text'], 80)}"), r["id"])
                for r in rows]

    return state.memo("reply_items", (), compute)


def customer_choices(state: WebState) -> list[tuple[str, str]]:
    """(label, id) of the customers with the most feedback."""
    def compute():
        frame = state.frame()
        known = frame.dropna(subset=["customer_id"])
        if known.empty:
            return []
        counts = known.groupby("customer_id").agg(n=("id", "size"), name=("customer_name", "last"))
        counts = counts.sort_values("n", ascending=False).head(PICKER_SIZE)
        return [(f"{row.name if isinstance(row.name, str) else cid} ({cid}) · {row.n} items", str(cid))
                for cid, row in zip(counts.index, counts.itertuples(index=False))]

    return state.memo("reply_customers", (), compute)


def item_card(state: WebState, item_id: str | None) -> tuple[str, str | None]:
    """The chosen item as a card, and its customer id."""
    if not item_id:
        return "", None
    found = state.store().get([str(item_id)])
    if not found:
        raise ConfigError(f"no feedback item with id {item_id!r}")
    item = found[0]
    return feedback_card(item.id, {"text": item.text, **item.metadata}), item.metadata.get("customer_id")


def history(state: WebState, customer_id: str | None) -> pd.DataFrame:
    """The customer's feedback, newest first (the agent's `customer_history`)."""
    if not customer_id:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    from ..agent.tools import customer_history

    rows = customer_history(state.store(), str(customer_id), limit=50)
    if not rows:
        raise ConfigError(f"no feedback from customer {customer_id!r}")
    return pd.DataFrame([[r.get("date"), r.get("channel"), r.get("sentiment"), r.get("category"),
                          r.get("theme_label"), r.get("text"), r.get("id")] for r in map(clean_record, rows)],
                        columns=HISTORY_COLUMNS)


# ---------------------------------------------------------------------- page
def build(state: WebState, demo) -> None:
    """The Replies tab's components and events (inside an open gr.Tab)."""
    import gradio as gr

    with gr.Row():
        item = gr.Dropdown(label="Feedback item (most urgent first; or paste an id)", choices=[],
                           allow_custom_value=True, scale=3, elem_id="replies-item")
        customer = gr.Dropdown(label="…or a customer", choices=[], allow_custom_value=True, scale=2,
                               elem_id="replies-customer")
        tone = gr.Radio(TONES, value="friendly", label="Tone", scale=2)
    draft_btn = gr.Button("Draft reply", variant="primary", elem_id="replies-draft")
    status = gr.Markdown(elem_classes="status-line", elem_id="replies-status")
    with gr.Row():
        with gr.Column(scale=3):
            reply = gr.Textbox(label="Reply (edit freely, then copy)", lines=12, interactive=True, buttons=["copy"],
                               elem_id="replies-text")
        with gr.Column(scale=2):
            card = gr.HTML(elem_id="replies-card")
    history_table = gr.Dataframe(headers=HISTORY_COLUMNS, label="Customer history (newest first)",
                                 interactive=False, wrap=True, elem_id="replies-history")

    @shows_errors(4)
    def pick_item(item_id):
        html, customer_id = item_card(state, item_id)
        return html, gr.update(value=customer_id), history(state, customer_id), ""

    @shows_errors(2)
    def pick_customer(customer_id):
        return history(state, customer_id), ""

    @shows_errors(3)
    def draft(item_id, customer_id, tone_v):
        if not item_id and not customer_id:
            raise ConfigError("pick a feedback item or a customer first")
        events = state.assistant().stream_reply(feedback_id=item_id or None, customer_id=customer_id or None,
                                                tone=tone_v or "friendly")
        for now in run_stream(events):
            context = "" if now.result is None else _context_card(now.result)
            yield now.text, context or gr.update(), now.status

    @shows_errors(3)
    def load():
        if not state.has_store():
            return gr.update(), gr.update(), "No feedback stored yet: upload files on the Data page."
        return gr.update(choices=item_choices(state)), gr.update(choices=customer_choices(state)), ""

    item.input(pick_item, [item], [card, customer, history_table, status], api_name="reply_item")
    customer.input(pick_customer, [customer], [history_table, status], api_name="customer_history")
    draft_btn.click(draft, [item, customer, tone], [reply, card, status], api_name="reply",
             concurrency_limit=state.agent_concurrency, concurrency_id="agent")
    demo.load(load, None, [item, customer, status], api_name=False)


def _context_card(result) -> str:
    """The feedback a drafted reply answers, as cards (what the agent cited)."""
    cards = [feedback_card(i, result.evidence[i]) for i in (result.citations or list(result.evidence))[:3]
             if i in result.evidence]
    return "".join(cards)
