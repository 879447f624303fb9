"""`Assistant`: the one entry point the CLI, the web app and the Python API use.

It walks the backend chain (`llm.get_backends`: remote endpoint, local model, none). When a backend
fails mid-answer it falls back to the next one and says so in a notice; the no-LLM backend always
answers the data questions from the tools with templated text. Every answer is grounded: its citations
are ids the tools returned, filtered to those the text actually marks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ..errors import AssistantError, ConfigError
from ..settings import Settings
from ..store import FeedbackStore
from .compose import Citations, finalize, language_of
from .context import DataContext
from .guard import injection_notes
from .router import Resolved, Route
from .types import Answer, Draft, Event, ToolCall


class Assistant:
    """Answers, replies and plans over one store."""

    def __init__(self, settings: Settings, *, store: FeedbackStore | None = None, backend: str | None = None,
                 now: datetime | None = None, backends=None):
        if backend:
            settings = settings.model_copy(update={"llm_backend": backend})
        self.settings = settings
        self.ctx = DataContext.open(settings, store, now)
        if backends is None:
            from ..llm import get_backends

            backends = get_backends(settings)
        self.backends = list(backends)
        self._analyzer = None

    @property
    def backend(self) -> str:
        """Label of the first backend in the chain (the one that will be tried first)."""
        return self.backends[0].label if self.backends else "none"

    # ------------------------------------------------------------------ questions
    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        return _last(self.stream(question, history))

    def stream(self, question: str, history: list[tuple[str, str]] | None = None) -> Iterator[Event]:
        question = (question or "").strip()
        if not question:
            raise ConfigError("ask a question")
        yield from self._with_fallback(lambda b, c, notes: self._answer(question, history, b, c, notes))

    def _answer(self, question, history, backend, chat, notices) -> Iterator[Event]:
        if chat is not None and self.settings.agent_mode == "free":
            yield from self._answer_free(question, history, backend, chat, notices)
            return
        yield from self._answer_routed(question, history, backend, chat, notices)

    def _answer_routed(self, question, history, backend, chat, notices, *, resolved=None,
                       draft_args=None) -> Iterator[Event]:
        """Run the routed graph: a data question is answered from its tool's facts; a reply or plan (named
        in the question, or asked for directly with `resolved`) is written by the graph's draft node."""
        from .graph import build_routed_graph

        graph = build_routed_graph(self.ctx, chat, self.settings.prompts_dir, self._get_analyzer(), backend.label)
        state: dict = {}
        start = {"question": question, "history": list(history or []), "notices": list(notices),
                 "resolved": resolved, "draft_args": draft_args or {}}
        for mode, payload in graph.stream(start, stream_mode=["custom", "values"]):
            if mode == "custom":
                kind, data = payload
                yield Event(kind, data)
            else:
                state = payload
        if state.get("draft") is not None:
            yield Event("done", state["draft"])
            return
        result = state["results"][0]
        cites: Citations = state["cites"]
        text, used = finalize(state["answer"], cites)
        if chat is not None and not used and cites.ids:
            marks = " ".join(f"[{i + 1}]" for i in range(min(3, len(cites.ids))))
            text += ("\n来源:" if language_of(question) == "zh" else "\nSources: ") + marks
            used = cites.ids[:3]
        if chat is None:
            used = list(cites.ids)
        facts = [_facts(result, state["facts"])]
        yield Event("done", self._answer_obj(question, text, used, cites, [result], backend, state.get(
            "notices", []) + injection_notes(self.ctx.evidence(cites.ids)), language_of(question), facts))

    def _answer_free(self, question, history, backend, chat, notices) -> Iterator[Event]:
        """Free tool calling (opt-in). Text is held back until a tool has answered, then released through
        the grounding check; an answer with no tool call behind it, or one that fails the check, is redone
        routed with a notice, never shown as is."""
        from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

        from .graph import build_free_agent
        from .grounding import Grounds, GroundedStream, problems

        cites, results, described = Citations(), [], []
        lang = language_of(question)
        agent = build_free_agent(self.ctx, chat, cites, results, described, lang, self.settings.prompts_dir,
                                 self._get_analyzer(), question=question, history=history)
        messages = []
        for role, text in history or []:
            messages.append(HumanMessage(text) if role == "user" else AIMessage(text))
        messages.append(HumanMessage(question))
        final, held, failed, gate = "", [], None, None
        free_notices: list[str] = []

        def grounds() -> Grounds:
            texts = [str(ev.get("text") or "") for ev in self.ctx.evidence(cites.ids).values()]
            return Grounds(list(described), question, texts)
        try:
            for mode, payload in agent.stream({"messages": messages}, stream_mode=["custom", "messages", "values"]):
                if mode == "custom":
                    kind, data = payload
                    if kind == "notice":
                        free_notices.append(data)
                    yield Event(kind, data)
                    if kind == "tool":
                        gate = None  # new facts: the next text is checked against all of them
                elif mode == "messages":
                    chunk, meta = payload
                    if isinstance(chunk, AIMessageChunk) and isinstance(chunk.content, str) and chunk.content \
                            and not chunk.tool_call_chunks and meta.get("langgraph_node") == "model" and not failed:
                        if not results:  # no tool has answered: nothing the model says can be grounded yet
                            held.append(chunk.content)
                            continue
                        if gate is None:
                            gate = GroundedStream(grounds(), len(cites.ids))
                        shown = gate.feed(chunk.content)
                        failed = gate.failed
                        if shown:
                            yield Event("token", shown)
                else:
                    last = payload["messages"][-1]
                    if isinstance(last, AIMessage) and not last.tool_calls:
                        final = last.content if isinstance(last.content, str) else str(last.content)
        except AssistantError:
            raise
        except Exception as exc:  # transport errors surface from inside the graph
            from ..llm import LLMError

            raise LLMError(f"{backend.label}: {_first_line(exc)}") from exc
        if gate is not None and not failed:
            tail = gate.flush()
            failed = gate.failed
            if tail and not failed:
                yield Event("token", tail)
        wrong = ["no tool call behind it"] if not results else ([failed] if failed else problems(final, grounds()))
        if wrong:
            notice = (f"{backend.label}'s free answer had " + "; ".join(wrong) +
                      "; answered again with the routed tools")
            yield Event("notice", notice)
            yield from self._answer_routed(question, history, backend, chat, notices + [notice])
            return
        text, used = finalize(final, cites)
        if not used and cites.ids:
            used = cites.ids[:3]
            text += ("\n来源:" if lang == "zh" else "\nSources: ") + " ".join(f"[{cites.ids.index(i) + 1}]" for i in used)
        facts = [_facts(r, t) for r, t in zip(results, described)]
        yield Event("done", self._answer_obj(question, text, used, cites, results, backend,
                                             notices + free_notices + injection_notes(self.ctx.evidence(cites.ids)),
                                             lang, facts))

    def _answer_obj(self, question, text, used, cites, results, backend, notices, lang, facts=None) -> Answer:
        evidence = self.ctx.evidence(cites.ids)
        for n, item in enumerate(cites.ids, 1):
            if item in evidence:
                evidence[item]["marker"] = n
        return Answer(question=question, answer=text, citations=[i for i in used if i in evidence],
                      evidence={i: evidence[i] for i in used if i in evidence},
                      tool_calls=[ToolCall(r.name, r.arguments) for r in results], backend=backend.label,
                      notices=list(dict.fromkeys(notices)), language=lang, facts=list(facts or []))

    # ------------------------------------------------------------------ replies and plans
    def reply(self, feedback_id: str | None = None, customer_id: str | None = None, tone: str = "friendly") -> Draft:
        return _last(self.stream_reply(feedback_id, customer_id, tone))

    def stream_reply(self, feedback_id=None, customer_id=None, tone: str = "friendly") -> Iterator[Event]:
        route = Resolved(route=Route(tool="draft_reply", feedback_id=feedback_id, customer_id=customer_id),
                         decided_by="request")
        yield from self._with_fallback(lambda b, c, notes: self._answer_routed(
            "", None, b, c, notes, resolved=route, draft_args={"tone": tone}))

    def plan(self, theme=None, category=None, since=None, until=None, language: str = "en") -> Draft:
        return _last(self.stream_plan(theme, category, since, until, language))

    def stream_plan(self, theme=None, category=None, since=None, until=None, language: str = "en") -> Iterator[Event]:
        if not theme and not category:
            raise ConfigError("say which demand to plan for: a theme (see `assistant demands`) or a category")
        window = {"since": since, "until": until} if since or until else None
        route = Resolved(route=Route(tool="draft_plan", category=category), decided_by="request")
        yield from self._with_fallback(lambda b, c, notes: self._answer_routed(
            "", None, b, c, notes, resolved=route,
            draft_args={"theme": theme, "window": window, "language": language}))

    # ------------------------------------------------------------------ helpers
    def _with_fallback(self, make) -> Iterator[Event]:
        """The one backend-fallback loop (answers, replies, plans): a backend whose model fails hands over to
        the next one in the chain, with a notice; other errors (bad input, no data) are not retried."""
        notices: list[str] = []
        for n, backend in enumerate(self.backends):
            try:
                yield from make(backend, backend.chat_model, notices)
                return
            except AssistantError as exc:
                if n == len(self.backends) - 1 or not _is_model_failure(exc):
                    raise
                notice = f"{backend.label} failed ({_first_line(exc)}); answering with {self.backends[n + 1].label}"
                notices.append(notice)
                yield Event("notice", notice)

    def _get_analyzer(self):
        if self._analyzer is None:
            from ..analysis.run import Analyzer

            class Lazy:  # the analysis models load only when analyze_text is really asked for
                def __init__(self, outer):
                    self.outer, self.real = outer, None

                def analyse(self, *args, **kwargs):
                    if self.real is None:
                        self.real = Analyzer(self.outer.ctx.store, self.outer.settings)
                    return self.real.analyse(*args, **kwargs)
            self._analyzer = Lazy(self)
        return self._analyzer


def _facts(result, text: str) -> dict:
    """One tool run as the facts an answer may draw on (JSON-ready)."""
    import json

    return {"tool": result.name, "arguments": dict(result.arguments), "text": text,
            "data": json.loads(json.dumps(result.data, ensure_ascii=False, default=str))}


def _is_model_failure(exc: Exception) -> bool:
    from ..llm import LLMError

    return isinstance(exc, LLMError)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]


def _last(events: Iterator[Event]):
    result = None
    for event in events:
        if event.kind == "done":
            result = event.data
    if result is None:
        raise AssistantError("the assistant produced no answer")
    return result
