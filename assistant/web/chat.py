"""Chat: questions about the feedback answered by the agent, streamed; every cited item can be opened to read
the feedback itself; the backend in use is shown; example questions in English and Chinese."""

from __future__ import annotations

from typing import Any

from ..errors import AssistantError, ConfigError
from .format import clip, error_message, feedback_card, shows_errors
from .state import WebState
from .stream import run_stream

EXAMPLES_EN = [
    "What are the top customer demands right now?",
    "What do customers say about the price increase?",
    "Which issues are emerging in the last two weeks?",
    "What are the most urgent complaints?",
]
EXAMPLES_ZH = [
    "客户最近最关心什么问题？",
    "用户对涨价有什么反馈？",
    "配送方面有哪些投诉？",
]


def citation_choices(result) -> list[tuple[str, str]]:
    """(label, id) per citation, numbered like the markers [1], [2] in the answer."""
    out = []
    for n, item_id in enumerate(getattr(result, "citations", None) or [], 1):
        ev = (getattr(result, "evidence", None) or {}).get(item_id, {})
        bits = " · ".join(str(b) for b in (ev.get("date"), ev.get("channel"), ev.get("sentiment")) if b)
        out.append((f"[{n}] {bits} — {clip(ev.get('text'), 90)}", item_id))
    return out


def prior_turns(messages: list[dict]) -> list[tuple[str, str]]:
    """The conversation so far as (role, text) turns for the agent, tool-call notes left out."""
    turns = []
    for m in messages or []:
        meta = m.get("metadata") if isinstance(m, dict) else None
        content = m.get("content") if isinstance(m, dict) else None
        if meta or not isinstance(content, str) or not content.strip():
            continue
        turns.append((m.get("role", "user"), content))
    return turns


def backend_line(state: WebState) -> str:
    try:
        return f"Answering with backend **{state.assistant().backend}**."
    except Exception as exc:  # noqa: BLE001  (shown as the line itself)
        from .format import error_message

        return error_message(exc)


# ---------------------------------------------------------------------- page
def build(state: WebState, demo) -> None:
    """The Chat tab's components and events (inside an open gr.Tab)."""
    import gradio as gr

    backend = gr.Markdown(elem_id="chat-backend")
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="Assistant", height=560, elem_id="chat-bot", buttons=["copy"],
                                 feedback_options=None, placeholder="Ask about your customers' feedback, in "
                                 "English or Chinese. Answers cite the feedback they rest on.")
            question = gr.Textbox(placeholder="Ask a question… / 请输入问题…", show_label=False, submit_btn="Ask",
                                  elem_id="chat-question", autofocus=True)
            with gr.Row():
                gr.Examples([[q] for q in EXAMPLES_EN], inputs=[question], label="Try (English)")
                gr.Examples([[q] for q in EXAMPLES_ZH], inputs=[question], label="试试 (中文)")
            clear = gr.Button("New conversation", size="sm")
        with gr.Column(scale=2):
            sources = gr.Radio(choices=[], label="Sources: click one to read it", elem_id="chat-sources")
            card = gr.HTML(elem_id="chat-card")
    status = gr.Markdown(elem_classes="status-line", elem_id="chat-status")
    evidence = gr.State({})

    outputs = [chatbot, question, sources, evidence, card, backend, status]

    @shows_errors(len(outputs))
    def ask(text: str, messages: list[dict], known: dict):
        text = (text or "").strip()
        if not text:
            raise ConfigError("type a question first")
        history = prior_turns(messages)
        messages = list(messages or []) + [{"role": "user", "content": text}]
        shown_tools = 0

        def say(content: str) -> None:
            reply = {"role": "assistant", "content": content}
            if messages[-1]["role"] == "assistant" and not messages[-1].get("metadata"):
                messages[-1] = reply
            else:
                messages.append(reply)

        try:
            for now in run_stream(state.assistant().stream(text, history=history or None)):
                while shown_tools < len(now.tools):
                    call = now.tools[shown_tools]
                    messages.append({"role": "assistant", "content": f"`{call}`",
                                     "metadata": {"title": f"Looked up {call.split('(', 1)[0]}",
                                                  "status": "done"}})
                    shown_tools += 1
                say(now.text or "…")
                yield update(now, messages, known)
        except AssistantError as exc:  # the question could not be answered: say why, in the conversation
            say(error_message(exc))
            yield messages, "", gr.update(), known, gr.update(), gr.update(), error_message(exc)

    def update(now, messages, known):
        """The page after one step of the stream; with the final answer, its sources and the first card."""
        if now.result is None:
            return messages, "", gr.update(), known, gr.update(), gr.update(), now.status
        result = now.result
        known = {**known, **{k: dict(v) for k, v in (result.evidence or {}).items()}}
        choices = citation_choices(result)
        first = choices[0][1] if choices else None
        return (messages, "", gr.update(choices=choices, value=first), known,
                feedback_card(first, known[first]) if first in known else "",
                f"Answering with backend **{result.backend}**.", now.status)

    def open_source(item_id: str | None, known: dict[str, Any]):
        if not item_id or item_id not in known:
            return ""
        return feedback_card(item_id, known[item_id])

    def reset():
        return [], "", gr.update(choices=[], value=None), {}, "", gr.update(), ""

    gr.on([question.submit], ask, [question, chatbot, evidence], outputs, api_name="ask",
             concurrency_limit=state.agent_concurrency, concurrency_id="agent")
    sources.change(open_source, [sources, evidence], [card], api_name="open_source")
    clear.click(reset, None, outputs, api_name=False)
    demo.load(lambda: backend_line(state), None, [backend], api_name=False)
