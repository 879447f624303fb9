"""Item-level priority for triage, and the per-item signals that demand priority (priority.py) reuses.

An item's priority (0..100) is a weighted mean of its negative-sentiment intensity, urgency cues, customer
value (tier or revenue), how low its rating is on its source's scale, and recency (halving every
half_life_days). A signal an item lacks (a ticket has no rating) is left out and the rest re-weighted.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..priority_weights import PriorityWeights
from .cues import combine, find_cues
from .trends import DAY, sentiment_signals, to_epoch

# extra columns (as ingest names them) that carry a customer's revenue or spend
REVENUE_COLUMNS = ("x_revenue", "x_arr", "x_mrr", "x_ltv", "x_annual_revenue", "x_spend", "x_contract_value",
                   "x_营收", "x_收入", "x_年费", "x_消费金额", "x_合同金额")


def item_priority(frame: pd.DataFrame, weights: PriorityWeights = PriorityWeights(), now=None) -> pd.Series:
    """0..100 per item for triage, from sentiment, urgency cues, customer value, rating and recency.

    An item lacking a signal (a ticket has no rating) is scored on the others, re-weighted, so tickets and
    reviews compare fairly. `now` defaults to the newest item, not the wall clock: data is historical.
    """
    if frame.empty:
        return pd.Series(dtype=float, index=frame.index)
    negative, score = sentiment_signals(frame)
    cue = item_cue_scores(frame, negative, score)[0]
    return pd.Series(item_priority_scores(frame, weights, now, negative, score, cue), index=frame.index)


def item_priority_scores(frame, weights, now, negative, score, cue) -> np.ndarray:
    """`item_priority` from signals already computed (demand priority has them): 0..100 per item."""
    parts = {
        "item_sentiment": negative_intensity(negative, score),
        "item_cues": cue,
        "item_value": customer_values(frame, weights).fillna(weights.unknown_value).to_numpy(),
        "item_rating": _rating_badness(frame),
        "item_recency": _item_recency(frame, weights, now),
    }
    table = np.column_stack([np.asarray(v, dtype=float) for v in parts.values()])
    w = np.array([getattr(weights, k) for k in parts])
    present = ~np.isnan(table)
    total = (present * w).sum(axis=1)
    value = np.where(present, table, 0) @ w / np.where(total > 0, total, np.nan)
    return np.round(100 * np.nan_to_num(value), 1)


def customer_ids(frame: pd.DataFrame) -> np.ndarray:
    """Customer id per item; items without one stand for a customer of their own."""
    ids = frame["customer_id"].astype(object) if "customer_id" in frame else pd.Series(None, index=frame.index)
    return np.array([str(v) if isinstance(v, str) and v else f"item:{i}" for i, v in enumerate(ids)], dtype=object)


def negative_intensity(negative: pd.Series, score: pd.Series) -> np.ndarray:
    """Negative intensity per item: max(0, -score); 1.0 for a negative label without a score; NaN if unknown."""
    return (-score).clip(lower=0, upper=1).where(score.notna(), negative).to_numpy(dtype=float)


def positive_mask(negative: pd.Series, score: pd.Series, labels: np.ndarray) -> np.ndarray:
    """True for praise: a positive label, or a score above 0.25 without a negative label."""
    from_score = ((negative == 0) & (score > 0.25)).to_numpy()
    return from_score | np.array([isinstance(label, str) and label == "positive" for label in labels], dtype=bool)


def item_cue_scores(frame: pd.DataFrame, negative: pd.Series, score: pd.Series) -> tuple[np.ndarray, list]:
    """Cue score and hits per item. A cue in praise ("refund was fast", "退款挺快") is not urgent: scored 0."""
    labels = frame["sentiment"].astype(object).to_numpy() if "sentiment" in frame else np.full(len(frame), None)
    positive = positive_mask(negative, score, labels)
    texts = frame["text"].tolist() if "text" in frame else [None] * len(frame)
    # has_cue (from the item snapshot, snapshot.py) says which texts are worth scanning at all
    scan = frame["has_cue"].fillna(True).astype(bool).to_numpy() if "has_cue" in frame else np.ones(len(frame), bool)
    hits = [find_cues(t) if scan[i] and not positive[i] and isinstance(t, str) else () for i, t in enumerate(texts)]
    return np.array([combine(h) for h in hits], dtype=float), hits


def customer_values(frame: pd.DataFrame, weights: PriorityWeights) -> pd.Series:
    """Customer value per item, 0..1 (NaN when unknown): revenue percentile when a revenue column exists, else tier."""
    tiers = {k.lower(): v for k, v in weights.tier_values.items()}
    value = pd.Series(np.nan, index=frame.index, dtype=float)
    if "tier" in frame:
        tier = frame["tier"].astype(object)
        named = tier.map(type).eq(str)  # vectorised below: a per-item lambda cost 0.1 s per 100,000 items
        cleaned = tier[named].astype(str).str.strip().str.lower()
        cleaned = cleaned[cleaned != ""]
        value.loc[cleaned.index] = cleaned.map(tiers).astype(float).fillna(weights.unknown_value)
    for column in REVENUE_COLUMNS:
        if column in frame:
            revenue = pd.to_numeric(frame[column], errors="coerce")
            if revenue.notna().sum() >= 2:
                # a percentile rank is scale-free (dollars, yuan, seats) and one whale does not flatten the rest
                value = revenue.rank(pct=True).where(revenue.notna(), value)
            break
    return value


def _rating_badness(frame: pd.DataFrame) -> np.ndarray:
    """1 for the worst rating, 0 for the best. Scale per source: up to 5 means 1-5 stars, otherwise 0-10 (NPS)."""
    if "rating" not in frame:
        return np.full(len(frame), np.nan)
    rating = pd.to_numeric(frame["rating"], errors="coerce")
    if rating.isna().all():
        return rating.to_numpy(dtype=float)
    column = "source" if "source" in frame and frame["source"].notna().any() else "channel"
    source = frame[column].astype(object).fillna("").astype(str) if column in frame else pd.Series("", frame.index)
    top = rating.groupby(source).transform("max").to_numpy(dtype=float)
    low, high = np.where(top <= 5, 1.0, 0.0), np.where(top <= 5, 5.0, 10.0)
    return np.clip((high - rating.to_numpy(dtype=float)) / (high - low), 0, 1)


def _item_recency(frame: pd.DataFrame, weights: PriorityWeights, now) -> np.ndarray:
    ts = pd.to_numeric(frame["ts"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(ts).all():
        return ts
    now = to_epoch(now) if now is not None else float(np.nanmax(ts))
    age_days = np.clip((now - ts) / DAY, 0, None)
    return np.exp(-math.log(2) * age_days / weights.half_life_days)
