"""The graph's drafting steps: a reply to a customer and a demand-response plan, as streams of events.

drafting.py builds what a draft rests on (the customer's history, a demand's figures and quotes, the
policy); these functions run the model over it (or, without one, show what the draft should address)
and end with a `done` event carrying the `Draft`. graph.py runs them as its `reply` and `plan` nodes, so
answers, replies and plans share one graph and one backend-fallback loop (service.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import AssistantError, ConfigError
from .compose import finalize, language_of
from .context import DataContext
from .drafting import (guard_reply, load_policy, plan_context, plan_head, plan_tail, plan_without_model,
                       quotes_block, reply_context, reply_variables, reply_without_model)
from .guard import DATA_BLOCK_RULE, injection_notes
from .types import Draft, Event, ToolCall


def write_reply(ctx: DataContext, chat, backend_label: str, *, feedback_id=None, customer_id=None,
                tone: str = "friendly", notices=(), question: str | None = None) -> Iterator[Event]:
    """A reply from the customer's own history, in their language, within the reply policy."""
    settings = ctx.settings
    target, customer, cites, evidence = reply_context(ctx, feedback_id=feedback_id, customer_id=customer_id)
    lang = reply_language(target)
    yield Event("tool", ToolCall("customer_history", {"customer_id": customer_id or target.get("customer_id"),
                                                      "feedback_id": target["id"]}))
    policy = load_policy(settings.reply_policy)
    context = {"target": target["id"], "customer": customer.data["profile"] if customer else None,
               "history": customer.data["history"] if customer else []}
    notes = list(notices) + injection_notes(evidence)
    if chat is None:
        text = reply_without_model(target, customer, lang)
        notes.append("drafting needs a language model: showing what the reply should address")
        yield Event("token", text)
    else:
        from .prompts import load_prompt, to_langchain

        messages = load_prompt("reply", settings.prompts_dir).render(
            **reply_variables(target, customer, evidence, tone, lang, policy, DATA_BLOCK_RULE))
        text = _collect(stream_text(chat, to_langchain(messages)))  # checked before anyone reads it
        text, broken = policy.enforce(text.strip(), lang)
        if broken:
            notes.append(f"removed promises the reply policy does not allow: {', '.join(broken)}")
        name = (customer.data["profile"].get("name") if customer else None) or target.get("customer_name")
        text, hazards = guard_reply(text, target.get("text") or "", lang, name)
        if hazards:
            notes.append("removed from the draft: " + ", ".join(hazards))
        yield Event("token", text)
    yield Event("done", Draft("reply", text, citations=[target["id"]], evidence=evidence, context=context,
                              backend=backend_label, notices=list(dict.fromkeys(notes)), language=lang))


def write_plan(ctx: DataContext, chat, backend_label: str, *, theme=None, category=None, window=None, notices=(),
               question: str | None = None, language: str = "en") -> Iterator[Event]:
    """A plan for a demand: problem, KPI and evidence written by code around the model's hypotheses and
    actions (without a model: the evidence and KPI)."""
    if not theme and not category:
        raise ConfigError("say which demand to plan for: a theme (see `assistant demands`) or a category")
    since, until = (window or {}).get("since"), (window or {}).get("until")
    facts, cites, evidence = plan_context(ctx, theme=theme, category=category, since=since, until=until)
    yield Event("tool", ToolCall("top_demands", {k: v for k, v in {"theme": theme, "category": category,
                                                                  "since": since, "until": until}.items() if v}))
    lang = language_of(question) if question else ("zh" if language == "zh" else "en")
    notes = list(notices) + injection_notes(evidence)
    used = list(cites.ids)
    if chat is None:
        text = plan_without_model(facts, cites, evidence, lang)
        notes.append("drafting actions needs a language model: showing the evidence and KPI")
        yield Event("token", text)
    else:
        from .prompts import load_prompt, to_langchain

        head = plan_head(facts, lang)
        yield Event("token", head)
        messages = load_prompt("plan", ctx.settings.prompts_dir).render(
            demand=facts["demand"], numbers=facts["numbers"], quotes=quotes_block(cites, evidence),
            language="Chinese (简体中文)" if lang == "zh" else "English", data_rule=DATA_BLOCK_RULE)
        raw = yield from stream_text(chat, to_langchain(messages))
        middle, _ = finalize(_drop_sections(raw, ("problem", "kpi", "evidence", "问题", "证据")), cites)
        tail = plan_tail(facts, cites, evidence, lang)
        yield Event("token", tail)
        text = head + middle + tail
    for n, item in enumerate(cites.ids, 1):
        if item in evidence:
            evidence[item]["marker"] = n
    yield Event("done", Draft("plan", text, citations=used, evidence=evidence,
                              context={k: v for k, v in facts.items() if k != "breakdown"}, backend=backend_label,
                              notices=list(dict.fromkeys(notes)), language=lang))


def _collect(events: Iterator[Event]) -> str:
    """Run a text stream to its end without showing it; its whole text."""
    while True:
        try:
            next(events)
        except StopIteration as stop:
            return stop.value


def category_for(ctx: DataContext, query: str | None) -> str | None:
    """The category most of the feedback matching a phrase falls in (for 'plan for <problem>')."""
    if not query:
        return None
    hits = ctx.store.search(query, k=30)
    cats = [h.metadata.get("category") for h in hits if h.metadata.get("category")]
    return max(set(cats), key=cats.count) if cats else None


def stream_text(chat, messages) -> Iterator[Event]:
    """Stream a model's text as token events; returns the whole text. Transport errors become LLMError."""
    parts = []
    try:
        for chunk in chat.stream(messages):
            text = chunk.content if isinstance(chunk.content, str) else ""
            if text:
                parts.append(text)
                yield Event("token", text)
    except AssistantError:
        raise
    except Exception as exc:
        from ..llm import LLMError

        raise LLMError((str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]) from exc
    return "".join(parts)


def reply_language(target: dict) -> str:
    lang = target.get("lang")
    if lang in ("zh", "en"):
        return lang
    return "zh" if re.search(r"[\u4e00-\u9fff]", target.get("text") or "") else "en"


def _drop_sections(text: str, names: tuple[str, ...]) -> str:
    """The model's text without the sections code writes itself (a model adds them anyway)."""
    parts = re.split(r"(?m)^(?=#{1,3} )", text.strip())
    kept = [p for p in parts if not any(p.lstrip("# ").lower().startswith(n) for n in names)]
    return "".join(kept).strip()
