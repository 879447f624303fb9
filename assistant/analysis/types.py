"""Typed results that the analysis stages return and `analyze` stores as item metadata.

Metadata keys written on each stored item (all scalars; lists are JSON strings):
  sentiment (positive|neutral|negative), sentiment_score (float, -1..1),
  category (primary), categories (JSON list: primary first, then secondary), category_confidence (0..1),
  entities (JSON list of {"kind", "text", "value"}), theme_id (str), theme_label (str),
  priority (0..100, item level), analysis_hash (what the analysis was computed from).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ANALYSIS_FIELDS = ("sentiment", "sentiment_score", "category", "categories", "category_confidence", "entities",
                   "theme_id", "theme_label", "priority")
SentimentLabel = Literal["positive", "neutral", "negative"]
ENTITY_KINDS = ("product", "feature", "money", "date", "order_id", "competitor", "location")


@dataclass(frozen=True)
class Sentiment:
    """Sentiment of one item: a label and a score in [-1, 1] (negative to positive)."""

    label: SentimentLabel
    score: float


@dataclass(frozen=True)
class CategoryResult:
    """Demand category of one item: primary, any secondary ones, and how sure we are (0..1)."""

    primary: str
    secondary: tuple[str, ...] = ()
    confidence: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Entity:
    """Something named in an item: `kind` is one of ENTITY_KINDS; `value` is a normalised form."""

    kind: str
    text: str
    value: str | None = None
