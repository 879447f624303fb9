"""The agent graphs (LangGraph).

routed (the default for every backend, and no model): route -> act -> respond. The route is one
schema-checked step (or the rules), the tool runs in code, and the model only phrases the facts the tool
returned. Small local and remote models alike pick tools badly, or not at all, when left free.

free (opt-in, ASSISTANT_AGENT_MODE=free): LangChain's `create_agent` with the same tools; the model may
call several. Its answer passes the same grounding check (grounding.py) or is redone routed (service.py).
Both stream through LangGraph's custom stream: ("tool", ToolCall), ("token", str), ("notice", str).
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

from ..errors import ConfigError
from .compose import Citations, describe, language_of
from .context import DataContext
from .grounding import Grounds, GroundedStream
from .grounding import problems as grounding_problems
from .guard import DATA_BLOCK_RULE
from .registry import DRAFTS, TOOLS
from .router import Resolved, Route, implied_category, resolve, vet_filters
from .tools import ToolResult
from .types import ToolCall


# tools whose result is a statistical verdict: their facts are the answer (a small model rephrasing
# "fell from 4.6% to 1.5% while the rest fell 7.7%" swapped the figures in our examples)
VERBATIM_TOOLS = frozenset({"evaluate_effect"})
# tools whose answer is a ranked list: after the model's summary, the list itself (label, count, share, direction,
# a quote) as the facts state it, so every demand named has its figures and evidence whatever the model wrote
LISTED_TOOLS = frozenset({"top_demands"})


class AgentState(TypedDict, total=False):
    question: str
    draft_args: dict  # tone, theme, window, language of a reply or plan asked for directly
    draft: Any  # the Draft a reply / plan node wrote
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
    """Run the data tool a route names (from the registry), with its time window and filters."""
    since = window["since"] if window else None
    until = window["until"] if window else None
    now = ctx.clock().isoformat()  # nothing after 'now' exists yet (matters with --as-of on historical data)
    if until is None or until > now:
        until = now
    name = route.tool
    filters = {"category": route.category, "channel": route.channel, "product": route.product}
    if name == "top_demands":
        args = dict(since=since, until=until, **filters, tier=route.tier, sentiment=route.sentiment, topic=route.topic)
    elif name == "trends":
        args = dict(by=route.by or "category", interval="week", since=since, until=until, **filters,
                    sentiment=route.sentiment, topic=route.topic)
    elif name == "customer_history" and route.customer_id:
        args = dict(customer_id=route.customer_id)
    elif name == "analyze_text" and route.query:
        args = dict(text=route.query)
    elif name == "evaluate_effect":
        topic = route.topic or route.query
        query = None if route.category and not topic else topic
        # a date in the question is the action's date, not a window: compare up to 'now'
        args = dict(query=query, category=route.category if not query else None, action_date=route.action_date,
                    until=now)
    else:
        name = "search_feedback"
        args = dict(query=route.topic or "", since=since, until=until, **filters, tier=route.tier,
                    sentiment=route.sentiment)
    return TOOLS[name].run(ctx, analyzer=analyzer, **args)


def scope_text(route: Route, window: dict | None, lang: str) -> str:
    bits = []
    if window:
        bits.append(window["label"].replace(" (", ", ").rstrip(")"))
    for value in (route.category, route.channel, route.tier, route.product):
        if value:
            bits.append(str(value))
    if route.sentiment and route.tool in ("top_demands", "search_feedback", "trends"):
        bits.append({"negative": "仅负面", "positive": "仅正面", "neutral": "仅中性"}[route.sentiment] if lang == "zh"
                    else {"negative": "complaints only", "positive": "praise only",
                          "neutral": "neutral only"}[route.sentiment])
    if not bits:
        return ""
    return (",范围:" + "、".join(bits)) if lang == "zh" else f" ({', '.join(bits)})"


def build_routed_graph(ctx: DataContext, chat_model=None, prompts_dir=None, analyzer=None, backend_label: str = "none"):
    """route -> act -> respond, or route -> draft (a reply or a plan), compiled. `chat_model` None = the no-LLM
    backend (rules and templates)."""

    def route_node(state: AgentState) -> dict:
        if state.get("resolved") is not None:  # a reply or plan asked for directly: its route is given
            return {"lang": language_of(state.get("question") or "")}
        resolved = resolve(state["question"], ctx, chat_model, prompts_dir, state.get("history"))
        for note in resolved.notes:
            _emit("notice", note)
        return {"resolved": resolved, "lang": language_of(state["question"]),
                "notices": list(state.get("notices", [])) + resolved.notes}

    def act_node(state: AgentState) -> dict:
        resolved = state["resolved"]
        route = resolved.route
        notes: list[str] = []
        if route.topic and route.tool in ("search_feedback", "top_demands", "trends", "evaluate_effect"):
            route = _bilingual(route)
        try:
            result = run_route(ctx, route, resolved.window, analyzer=analyzer)
            implied = implied_category(state["question"], ctx) if state.get("question") else None
            matched = (result.data.get("topic") or {}).get("matched")
            if route.topic and not route.category and implied and matched == 0:
                # nothing at any time is about the topic's words or meaning (e.g. the other language of a
                # bilingual store): the category its words name is the next best scope, and the answer says so
                # (nothing in the window alone is said as such)
                note = f"nothing matched “{route.topic}” by meaning or words; showing {implied} feedback"
                _emit("notice", note)
                notes.append(note)
                route = route.model_copy(update={"topic": None, "query": None, "category": implied})
                result = run_route(ctx, route, resolved.window, analyzer=analyzer)
        except ConfigError as exc:  # the data cannot answer as asked (no action date, no analysis): say so
            result = ToolResult(route.tool, {k: v for k, v in route.model_dump().items()
                                             if v not in (None, False) and k != "tool"}, [], {"error": str(exc)})
        if resolved.window and result.name not in ("customer_history", "analyze_text", "evaluate_effect"):
            result.arguments.setdefault("window", resolved.window["label"])
        _emit("tool", ToolCall(result.name, result.arguments))
        lang = state["lang"]
        evidence = ctx.evidence(result.ids)
        scope = scope_text(route, resolved.window, lang)
        cites = Citations()
        facts = describe(result, evidence, cites, lang, scope)
        brief = describe(result, evidence, Citations(), lang, scope, brief=True) if chat_model is not None else facts
        return {"results": [result], "cites": cites, "facts": facts, "brief": brief,
                "notices": list(state.get("notices", [])) + notes}

    def _bilingual(route: Route) -> Route:
        """A topic in another language than most of the store's feedback, said in both (topic.PHRASINGS):
        e5 matches a short query across languages too loosely to trust, so a model translates it."""
        from .topic import PHRASINGS, store_language, topic_language, translate_topic

        target = store_language(ctx.frame())
        if target is None or topic_language(route.topic) == target:
            return route
        if chat_model is None:
            _emit("notice", "the topic is in another language than most of the feedback; without a language model "
                            "it matches across languages only where the meaning is unmistakable")
            return route
        try:
            translated = translate_topic(chat_model, route.topic, target, prompts_dir)
        except Exception as exc:  # noqa: BLE001 - a failed translation only narrows the match
            _emit("notice", f"could not translate the topic ({str(exc).splitlines()[0][:100]})")
            return route
        if not translated:
            return route
        _emit("notice", f"matched “{route.topic}” also as “{translated}” (the language of most of the feedback)")
        return route.model_copy(update={"topic": f"{route.topic}{PHRASINGS}{translated}"})

    def respond_node(state: AgentState) -> dict:
        if not state.get("results"):
            return {"answer": ""}
        if chat_model is None or state["results"][0].name in VERBATIM_TOOLS or not state["cites"].ids:
            # no model; a verdict; or nothing found (a plain "nothing matched" needs no rewording)
            _emit("token", state["facts"])
            return {"answer": state["facts"]}
        from .prompts import load_prompt, to_langchain

        lang = state["lang"]
        messages = load_prompt("answer", prompts_dir).render(
            question=state["question"], language="Chinese (简体中文)" if lang == "zh" else "English",
            facts=state["brief"], data_rule=DATA_BLOCK_RULE)
        grounds = Grounds([state["brief"], state["facts"]], state["question"],
                          [str(ev.get("text") or "") for ev in ctx.evidence(state["cites"].ids).values()])
        # code states the scope first (what was counted, over which items): the user reads it at once, whatever
        # the model is and however long its first token takes
        lead = lead_line(state["facts"], lang == "zh")
        _emit("token", lead + "\n")
        answer, problems = phrase(chat_model, to_langchain(messages), grounds, len(state["cites"].ids))
        if problems:  # the model's wording is not grounded: the facts themselves are the answer
            note = "the model's wording had " + "; ".join(problems) + "; the answer is the tools' facts"
            _emit("notice", note)
            _emit("token", "\n\n" + state["facts"])
            return {"answer": state["facts"], "notices": list(state.get("notices", [])) + [note]}
        answer = lead + "\n" + answer
        if state["results"][0].name in LISTED_TOOLS:  # the list itself, with counts, shares and quotes
            listed = "\n".join(state["brief"].strip().splitlines()[1:])
            if listed:
                _emit("token", "\n" + listed)
                answer += "\n" + listed
        return {"answer": answer}

    def draft_node(state: AgentState) -> dict:
        """reply / plan: write the draft the route names (writing.py), streaming its events."""
        from .writing import category_for, write_plan, write_reply

        route, extra = state["resolved"].route, dict(state.get("draft_args") or {})
        notices = list(state.get("notices", []))
        if route.tool == "draft_reply":
            events = write_reply(ctx, chat_model, backend_label, feedback_id=route.feedback_id,
                                 customer_id=route.customer_id, tone=extra.get("tone", "friendly"),
                                 notices=notices, question=state.get("question") or None)
        else:
            category = route.category or (None if extra.get("theme") else
                                          category_for(ctx, route.topic or route.query))
            events = write_plan(ctx, chat_model, backend_label, theme=extra.get("theme"), category=category,
                                window=extra.get("window", state["resolved"].window), notices=notices,
                                question=state.get("question") or None, language=extra.get("language", "en"))
        draft = None
        for event in events:
            if event.kind == "done":
                draft = event.data
            else:
                _emit(event.kind, event.data)
        return {"draft": draft}

    graph = StateGraph(AgentState)
    graph.add_node("route", route_node)
    graph.add_node("act", act_node)
    graph.add_node("respond", respond_node)
    graph.add_node("draft", draft_node)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", lambda s: "draft" if s["resolved"].route.tool in DRAFTS else "act",
                                ["draft", "act"])
    graph.add_edge("act", "respond")
    graph.add_edge("respond", END)
    graph.add_edge("draft", END)
    return graph.compile()


def lead_line(facts: str, zh: bool) -> str:
    """The facts' first sentence (scope and count), as the line an answer opens with."""
    first = facts.strip().splitlines()[0] if facts.strip() else ""
    first = re.split(r";|;", first)[0].rstrip(" :：,,")
    return first + ("。" if zh else ".") if first and first[-1] not in ".。!?！？" else first


def phrase(chat_model, messages, grounds: Grounds, markers: int) -> tuple[str, list[str]]:
    """Stream a model's wording of the facts through the grounding check; (text, problems).

    Text is released as it is checked (grounding.GroundedStream): a figure, quote or marker is held back
    until it is known to be in the facts, so nothing ungrounded reaches the user even mid-stream; the
    model is stopped at the first thing that is not, and the whole answer is checked once more at the end."""
    gate = GroundedStream(grounds, markers)
    parts = []
    for chunk in chat_model.stream(messages):
        text = chunk.content if isinstance(chunk.content, str) else ""
        parts.append(text)
        shown = gate.feed(text)
        if shown:
            _emit("token", shown)
        if gate.failed:
            return "".join(parts), [gate.failed]
    tail = gate.flush()
    if gate.failed:
        return "".join(parts), [gate.failed]
    if tail:
        _emit("token", tail)
    answer = "".join(parts)
    return answer, grounding_problems(answer, grounds)


# --------------------------------------------------------------------------- free mode
def build_free_agent(ctx: DataContext, chat_model, cites: Citations, results: list[ToolResult], described: list[str],
                     lang: str, prompts_dir=None, analyzer=None, question: str = "", history=None):
    """create_agent over the registry's tools; every tool output is described with [n] markers in `cites`.

    Filter values the model proposes are vetted against the data and the question first (router.vet_filters):
    an unknown or unasked-for category, channel or tier is dropped, and the tool's output says so."""
    from langchain.agents import create_agent
    from langchain_core.tools import StructuredTool

    def wrap(spec):
        def run(**kwargs):
            vetted, notes = vet_filters(question, kwargs, ctx, history=history)
            for note in notes:
                _emit("notice", note)
            result = spec.run(ctx, analyzer=analyzer, **vetted)
            results.append(result)
            _emit("tool", ToolCall(result.name, result.arguments))
            text = describe(result, ctx.evidence(result.ids), cites, lang)
            described.append(text)
            return "\n".join(notes + [text])
        return StructuredTool.from_function(run, name=spec.name, description=spec.description, args_schema=spec.args)

    from .prompts import load_prompt

    system = load_prompt("agent", prompts_dir).render(
        categories=", ".join(ctx.categories()), today=ctx.clock().date().isoformat(), data_rule=DATA_BLOCK_RULE,
        language="Chinese (简体中文)" if lang == "zh" else "English")[0][1]
    return create_agent(chat_model, tools=[wrap(spec) for spec in TOOLS.values()], system_prompt=system)
