"""What the agent returns: answers and drafts with their evidence, and the events a stream yields."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EVIDENCE_FIELDS = ("text", "date", "channel", "source", "customer_id", "customer_name", "tier", "lang",
                   "sentiment", "sentiment_score", "category", "theme_id", "theme_label", "priority")


@dataclass
class ToolCall:
    """One tool the agent ran, with the arguments it ran it with."""

    name: str
    arguments: dict[str, Any]


@dataclass
class Answer:
    """A grounded answer: every id in `citations` was returned by a tool in `tool_calls`."""

    question: str
    answer: str
    citations: list[str] = field(default_factory=list)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> EVIDENCE_FIELDS
    tool_calls: list[ToolCall] = field(default_factory=list)
    backend: str = "none"
    notices: list[str] = field(default_factory=list)  # fallbacks, "drafting needs a model", ...
    language: str = "en"
    # what the answer was allowed to draw on: per tool run {"tool", "arguments", "text" (with the answer's
    # [n] markers), "data" (counts, shares, windows, names)}, so anyone can check the answer against it
    facts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Draft:
    """A reply to a customer or a demand-response plan, with the feedback it rests on."""

    kind: Literal["reply", "plan"]
    text: str
    citations: list[str] = field(default_factory=list)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)  # customer profile and history, or demand figures
    backend: str = "none"
    notices: list[str] = field(default_factory=list)
    language: str = "en"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Event:
    """One step of a streamed answer: a tool call, a text token, a notice, or the final result."""

    kind: Literal["tool", "token", "notice", "done"]
    data: Any  # ToolCall | str | str | Answer/Draft
