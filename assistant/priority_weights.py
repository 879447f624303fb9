"""The weights of the priority score: a group of settings (`Settings.priority`) that the analysis reads.

Defined here, below both, so that settings never imports an analysis stage.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PriorityWeights(BaseModel):
    """Weights and knobs of the priority score; nested in Settings as ASSISTANT_PRIORITY__<FIELD>."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # importance
    volume: float = Field(0.40, ge=0, description="Items and distinct customers, relative to the largest group.")
    persistence: float = Field(0.15, ge=0, description="Share of weeks (days in short windows) with an item.")
    negativity: float = Field(0.25, ge=0, description="Mean negative-sentiment intensity of its items.")
    customer_value: float = Field(0.20, ge=0, description="Mean value of the customers affected (tier or revenue).")
    # urgency
    growth: float = Field(0.30, ge=0, description="Growth against the previous window of equal length.")
    cues: float = Field(0.40, ge=0, description="Urgency words: cancel, refund, legal, safety, outage, 退款, 投诉 ...")
    recency: float = Field(0.30, ge=0, description="Recent rate relative to the window's average rate.")
    urgency_floor: float = Field(0.5, ge=0, le=1, description="Urgency of a demand with no urgency signal at all.")
    # gates and shapes
    praise_discount: float = Field(0.7, ge=0, le=1, description="Importance lost by a group that is all praise.")
    other_factor: float = Field(0.5, ge=0, le=1, description="Importance multiplier for the catch-all 'other'.")
    growth_cap: float = Field(4.0, gt=1, description="Growth ratio that scores 1.0 (log scale below it).")
    growth_min_items: int = Field(10, ge=1, description="Items in both windows before growth counts in full.")
    recent_days: float = Field(14, gt=0, description="Days counted as 'recent' for recency.")
    value_prior: float = Field(3, ge=0, description="Pseudo-customers at the average value (shrinks tiny groups).")
    # item-level triage
    item_sentiment: float = Field(0.35, ge=0, description="Item: negative intensity, max(0, -score).")
    item_cues: float = Field(0.30, ge=0, description="Item: urgency cue score.")
    item_value: float = Field(0.15, ge=0, description="Item: the customer's tier or revenue value.")
    item_rating: float = Field(0.10, ge=0, description="Item: how low its rating is on its source's scale.")
    item_recency: float = Field(0.10, ge=0, description="Item: halves every half_life_days.")
    half_life_days: float = Field(14, gt=0, description="Item recency halves every this many days.")
    tier_values: dict[str, float] = Field(default_factory=lambda: {
        "enterprise": 1.0, "business": 0.8, "team": 0.7, "premium": 0.6, "pro": 0.5, "plus": 0.5, "paid": 0.5,
        "standard": 0.35, "basic": 0.3, "free": 0.15, "trial": 0.15, "企业版": 1.0, "专业版": 0.5, "免费版": 0.15})
    unknown_value: float = Field(0.25, ge=0, le=1, description="Item value when the customer's tier is unknown.")
