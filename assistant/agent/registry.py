"""The agent's tools, each defined once: name, function, argument model, and the description a model reads.

The router's `Route` takes its tool names from here, free tool calling builds its LangChain tools from
here, and compose.py has one describer per name here (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from .tools import ToolResult, analyze_text, get_customer, measure_effect, search_feedback, top_demands, trend_report

Sentiment = Literal["positive", "neutral", "negative"]
_WINDOW = "YYYY-MM-DD (a bare date is the whole day)"
_CATEGORY = "A demand category of the store, only when the question names that kind of demand."
_PRODUCT = "A product of the store's product column, only when the question names it."
_TOPIC = "What the feedback is about when that is not a category ('lost luggage', '配送'), in the user's words."


class SearchArgs(BaseModel):
    query: str = Field("", description=_TOPIC + " Empty: every item in scope.")
    since: str | None = Field(None, description=_WINDOW)
    until: str | None = Field(None, description=_WINDOW + ", inclusive")
    category: str | None = Field(None, description=_CATEGORY)
    channel: str | None = Field(None, description="Only when the question names a channel.")
    sentiment: Sentiment | None = Field(None, description="negative: complaints; positive: praise; neutral: questions.")
    tier: str | None = Field(None, description="Only when the question names a customer tier.")
    customer_id: str | None = None
    product: str | None = Field(None, description=_PRODUCT)
    k: int = 8


class DemandArgs(BaseModel):
    since: str | None = Field(None, description=_WINDOW)
    until: str | None = Field(None, description=_WINDOW + ", inclusive")
    category: str | None = Field(None, description=_CATEGORY)
    channel: str | None = Field(None, description="Only when the question names a channel.")
    tier: str | None = Field(None, description="Only when the question names a customer tier.")
    sentiment: Sentiment | None = Field(None, description="negative: complaints; positive: praise; neutral: questions.")
    topic: str | None = Field(None, description=_TOPIC)
    product: str | None = Field(None, description=_PRODUCT)
    n: int = 5


class TrendArgs(BaseModel):
    by: Literal["category", "theme", "channel"] = "category"
    interval: Literal["day", "week"] = "week"
    since: str | None = Field(None, description=_WINDOW)
    until: str | None = Field(None, description=_WINDOW + ", inclusive")
    category: str | None = Field(None, description=_CATEGORY)
    channel: str | None = Field(None, description="Only when the question names a channel.")
    sentiment: Sentiment | None = None
    topic: str | None = Field(None, description=_TOPIC)
    product: str | None = Field(None, description=_PRODUCT)


class CustomerArgs(BaseModel):
    customer_id: str


class TextArgs(BaseModel):
    text: str


class EffectArgs(BaseModel):
    query: str | None = Field(None, description="The problem the action addressed, in words.")
    category: str | None = None
    action_date: str | None = Field(None, description="YYYY-MM-DD; omit to use a recorded action.")
    window_days: int = 28


@dataclass(frozen=True)
class ToolSpec:
    """One tool: `run(ctx, analyzer=..., **arguments)` returns a ToolResult."""

    name: str
    run: Callable[..., ToolResult]
    args: type[BaseModel]
    description: str


TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in (
    ToolSpec("search_feedback", lambda ctx, analyzer=None, **a: search_feedback(ctx, **a), SearchArgs,
             "Feedback about a topic (by meaning and by its words), with optional window and filters; says how "
             "many items match."),
    ToolSpec("top_demands", lambda ctx, analyzer=None, **a: top_demands(ctx, **a), DemandArgs,
             "Demands ranked by priority (importance x urgency) for a window, over the items a category, channel, "
             "tier, sentiment or topic selects."),
    ToolSpec("trends", lambda ctx, analyzer=None, **a: trend_report(ctx, **a), TrendArgs,
             "Counts and negative share per week or day, with spikes and emerging issues."),
    ToolSpec("customer_history", lambda ctx, analyzer=None, **a: get_customer(ctx, **a), CustomerArgs,
             "One customer's profile and feedback."),
    ToolSpec("analyze_text", lambda ctx, analyzer=None, **a: analyze_text(ctx, analyzer=analyzer, **a), TextArgs,
             "Sentiment, category, entities and priority of a text."),
    ToolSpec("evaluate_effect", lambda ctx, analyzer=None, **a: measure_effect(ctx, **a), EffectArgs,
             "Did an action work: before/after share and negative rate vs the rest, with tests. Target a "
             "category or describe the problem in `query`."),
)}
DRAFTS = ("draft_reply", "draft_plan")
ROUTABLE = tuple(TOOLS) + DRAFTS  # what a route may name: a data tool, or a draft the service writes
