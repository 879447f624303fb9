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

import pandas as pd

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


def plain(value):
    """A stored or frame value as plain Python: None for None, NA and NaN; numpy scalars as Python numbers;
    the rest as is (the one NA-to-None conversion: JSON for the agent, comparisons in `analyze`, tables)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # a list or an array: not a scalar, not NA
        return value
    return value.item() if hasattr(value, "item") else value
