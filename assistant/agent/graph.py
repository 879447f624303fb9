"""The agent graphs (LangGraph).

routed (any model, and no model): route -> act -> respond. The route is one schema-checked step (or the
rules), the tool runs in code, and the model only phrases the facts the tool returned. Used for small
local models, which pick tools badly when left free, and for the no-LLM backend.

free (strong remote models): LangChain's `create_agent` with the same tools; the model may call several.
Both stream through LangGraph's custom stream: ("tool", ToolCall), ("token", str), ("notice", str).
"""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

from .compose import Citations, describe, language_of, unsupported_numbers
from .context import DataContext
from .guard import DATA_BLOCK_RULE
from .router import Resolved, Route, resolve
from .tools import (ToolResult, analyze_text, get_customer, measure_effect, search_feedback, top_demands,
                    trend_report)
from .types import ToolCall


# tools whose result is a statistical verdict: their facts are the answer (a small model rephrasing
# "fell from 4.6% to 1.5% while the rest fell 7.7%" swapped the figures in our examples)
VERBATIM_TOOLS = frozenset({"evaluate_effect"})


class AgentState(TypedDict, total=False):
    question: str
    history: list
    lang: str
    resolved: Resolved
    results: list[ToolResult]
    cites: Citations
    facts: str
    brief: str
    answer: str
    notices: list[str]


def _emit(kind: str, data: Any) -> None:
    try:
        get_stream_writer()((kind, data))
    except RuntimeError:  # invoked outside a streaming run
        pass


def run_route(ctx: DataContext, route: Route, window: dict | None, *, analyzer=None) -> ToolResult:
    """Run the data tool a route names, with its time window (draft_* are handled by the drafting code)."""
    since = window["since"] if window else None
    until = window["until"] if window else None
    now = ctx.clock().isoformat()  # nothing after 'now' exists yet (matters with --as-of on historical data)
    if until is None or until > now:
        until = now
    if route.tool == "top_demands":
        return top_demands(ctx, since=since, until=until, category=route.category, channel=route.channel,
                           tier=route.tier, complaints=route.complaints)
    if route.tool == "trends":
        return trend_report(ctx, by=route.by or "category", interval="week", since=since, until=until,
                            category=route.category, channel=route.channel)
    if route.tool == "customer_history" and route.customer_id:
        return get_customer(ctx, route.customer_id)
    if route.tool == "analyze_text" and route.query:
        return analyze_text(ctx, route.query, analyzer=analyzer)
    if route.tool == "evaluate_effect":
        query = None if route.category and not route.query else route.query
        # a date in the question is the action's date, not a window: compare up to 'now'
        return measure_effect(ctx, query=query, category=route.category if not query else None,
                              action_date=route.action_date, until=now)
    return search_feedback(ctx, route.query or "", since=since, until=until, channel=route.channel, tier=route.tier,
                           category=route.category if route.tool == "search_feedback" else None,
                           sentiment="negative" if route.complaints else None)


def scope_text(route: Route, window: dict | None, lang: str) -> str:
    bits = []
    if window:
        bits.append(window["label"].replace(" (", ", ").rstrip(")"))
    for value in (route.category, route.channel, route.tier):
        if value:
            bits.append(str(value))
    if route.complaints and route.tool in ("top_demands", "search_feedback"):
        bits.append("仅负面" if lang == "zh" else "complaints only")
    if not bits:
        return ""
    return (",范围:" + "、".join(bits)) if lang == "zh" else f" ({', '.join(bits)})"


def build_routed_graph(ctx: DataContext, chat_model=None, prompts_dir=None, analyzer=None):
    """route -> act -> respond, compiled. `chat_model` None = the no-LLM backend (rules and templates)."""

    def route_node(state: AgentState) -> dict:
        resolved = resolve(state["question"], ctx, chat_model, prompts_dir, state.get("history"))
        for note in resolved.notes:
            _emit("notice", note)
        return {"resolved": resolved, "lang": language_of(state["question"]),
                "notices": list(state.get("notices", [])) + resolved.notes}

    def act_node(state: AgentState) -> dict:
        resolved = state["resolved"]
        route = resolved.route
        if route.tool in ("draft_reply", "draft_plan"):
            return {"results": []}  # the caller drafts (it needs the ids the route named)
        result = run_route(ctx, route, resolved.window, analyzer=analyzer)
        if resolved.window and result.name not in ("customer_history", "analyze_text", "evaluate_effect"):
            result.arguments.setdefault("window", resolved.window["label"])
        _emit("tool", ToolCall(result.name, result.arguments))
        lang = state["lang"]
        evidence = ctx.evidence(result.ids)
        scope = scope_text(route, resolved.window, lang)
        cites = Citations()
        facts = describe(result, evidence, cites, lang, scope)
        brief = describe(result, evidence, Citations(), lang, scope, brief=True) if chat_model is not None else facts
        return {"results": [result], "cites": cites, "facts": facts, "brief": brief}

    def respond_node(state: AgentState) -> dict:
        if not state.get("results"):
            return {"answer": ""}
        if chat_model is None or state["results"][0].name in VERBATIM_TOOLS:
            _emit("token", state["facts"])
            return {"answer": state["facts"]}
        from .prompts import load_prompt, to_langchain

        lang = state["lang"]
        messages = load_prompt("answer", prompts_dir).render(
            question=state["question"], language="Chinese (简体中文)" if lang == "zh" else "English",
            facts=state["brief"], data_rule=DATA_BLOCK_RULE)
        parts = []
        guard = MarkerFilter(len(state["cites"].ids))
        for chunk in chat_model.stream(to_langchain(messages)):
            text = chunk.content if isinstance(chunk.content, str) else ""
            shown = guard.feed(text)
            parts.append(text)
            if shown:
                _emit("token", shown)
        tail = guard.flush()
        if tail:
            _emit("token", tail)
        answer = "".join(parts)
        wrong = unsupported_numbers(answer, state["brief"], state["question"])  # what the model was shown
        if wrong:  # the model changed a figure: the facts themselves are the answer
            note = ("the model's wording had figures that are not in the data (" + ", ".join(wrong[:4]) +
                    "); the answer is the tools' facts")
            _emit("notice", note)
            _emit("token", "\n\n" + state["facts"])
            return {"answer": state["facts"], "notices": list(state.get("notices", [])) + [note], "checked": False}
        return {"answer": answer}

    graph = StateGraph(AgentState)
    graph.add_node("route", route_node)
    graph.add_node("act", act_node)
    graph.add_node("respond", respond_node)
    graph.add_edge(START, "route")
    graph.add_edge("route", "act")
    graph.add_edge("act", "respond")
    graph.add_edge("respond", END)
    return graph.compile()


class MarkerFilter:
    """Streams text but holds back a '[...' until it is known to be a valid [n] marker (else drops it)."""

    def __init__(self, count: int):
        self.count = count
        self.buffer = ""

    def feed(self, text: str) -> str:
        out = []
        for ch in text:
            if self.buffer:
                self.buffer += ch
                if ch == "]":
                    inner = self.buffer[1:-1]
                    if inner.isdigit() and 1 <= int(inner) <= self.count:
                        out.append(self.buffer)
                    self.buffer = ""
                elif len(self.buffer) > 5 or not (ch.isdigit()):
                    out.append(self.buffer)  # not a marker: ordinary bracketed text
                    self.buffer = ""
            elif ch == "[":
                self.buffer = ch
            else:
                out.append(ch)
        return "".join(out)

    def flush(self) -> str:
        text, self.buffer = self.buffer, ""
        return text


# --------------------------------------------------------------------------- free mode
def build_free_agent(ctx: DataContext, chat_model, cites: Citations, results: list[ToolResult], lang: str,
                     prompts_dir=None, analyzer=None):
    """create_agent over the same tools; every tool output is described with [n] markers in `cites`."""
    from langchain.agents import create_agent
    from langchain_core.tools import StructuredTool

    def wrap(fn, name: str, doc: str):
        def run(**kwargs):
            result = fn(**kwargs)
            results.append(result)
            _emit("tool", ToolCall(result.name, result.arguments))
            return describe(result, ctx.evidence(result.ids), cites, lang)
        return StructuredTool.from_function(run, name=name, description=doc, args_schema=_schemas()[name])

    tools = [
        wrap(lambda **k: search_feedback(ctx, **k), "search_feedback",
             "Semantic search of customer feedback with optional filters (since/until YYYY-MM-DD, category, "
             "channel, sentiment, tier, customer_id)."),
        wrap(lambda **k: top_demands(ctx, **k), "top_demands",
             "Demands ranked by priority (importance x urgency) for a window, category, channel or tier."),
        wrap(lambda **k: trend_report(ctx, **k), "trends",
             "Counts and negative share per week or day, with spikes and emerging issues."),
        wrap(lambda **k: get_customer(ctx, **k), "customer_history", "One customer's profile and feedback."),
        wrap(lambda **k: analyze_text(ctx, analyzer=analyzer, **k), "analyze_text",
             "Sentiment, category, entities and priority of a text."),
        wrap(lambda **k: measure_effect(ctx, **k), "evaluate_effect",
             "Did an action work: before/after share and negative rate vs the rest, with tests. Target a "
             "category or describe the problem in `query`."),
    ]
    from .prompts import load_prompt

    system = load_prompt("agent", prompts_dir).render(
        categories=", ".join(ctx.categories()), today=ctx.clock().date().isoformat(), data_rule=DATA_BLOCK_RULE,
        language="Chinese (简体中文)" if lang == "zh" else "English")[0][1]
    return create_agent(chat_model, tools=tools, system_prompt=system)


def _schemas() -> dict:
    from typing import Literal

    from pydantic import BaseModel, Field

    class Search(BaseModel):
        query: str = Field(description="What the feedback is about.")
        since: str | None = None
        until: str | None = None
        category: str | None = None
        channel: str | None = None
        sentiment: Literal["positive", "neutral", "negative"] | None = None
        tier: str | None = None
        customer_id: str | None = None
        k: int = 8

    class Demands(BaseModel):
        since: str | None = None
        until: str | None = None
        category: str | None = None
        channel: str | None = None
        tier: str | None = None
        complaints: bool = False
        n: int = 5

    class Trends(BaseModel):
        by: Literal["category", "theme", "channel"] = "category"
        interval: Literal["day", "week"] = "week"
        since: str | None = None
        until: str | None = None
        category: str | None = None

    class Customer(BaseModel):
        customer_id: str

    class Text(BaseModel):
        text: str

    class Effect(BaseModel):
        query: str | None = Field(None, description="The problem the action addressed, in words.")
        category: str | None = None
        action_date: str | None = Field(None, description="YYYY-MM-DD; omit to use a recorded action.")
        window_days: int = 28

    return {"search_feedback": Search, "top_demands": Demands, "trends": Trends, "customer_history": Customer,
            "analyze_text": Text, "evaluate_effect": Effect}
