"""Stored items as a pandas DataFrame: the table that demands, trends, effect and reports compute on."""

from __future__ import annotations

import json

import pandas as pd

from ..store import FeedbackStore

# columns every frame has, whatever the store holds (missing values are NA)
COLUMNS = [
    "id", "text", "ts", "date", "week", "source", "channel", "lang", "customer_id", "customer_name", "tier",
    "rating", "product", "sentiment", "sentiment_score", "category", "categories", "category_confidence",
    "entities", "theme_id", "theme_label", "priority",
]

# extra columns that name a customer's tier or value, in English and Chinese exports
TIER_COLUMNS = ("x_tier", "x_plan", "x_segment", "x_customer_tier", "x_客户类型", "x_会员等级", "x_客户等级")
_TIER_NAMES = {"企业版": "enterprise", "专业版": "pro", "免费版": "free", "企业": "enterprise", "免费": "free"}


def load_frame(store: FeedbackStore, where: dict | None = None, *, text: bool = True) -> pd.DataFrame:
    """Every stored item matching `where` with its metadata; JSON list fields decoded, tier normalised.

    The whole store (no `where`) comes from its snapshot when that is current (snapshot.py): a second for
    100,000 items instead of half a minute."""
    if where is None and text:
        from .snapshot import read_items

        return frame_from_rows(read_items(store))
    rows = (
        [{"id": item.id, "text": item.text, **item.metadata} for item in store.iter_items(where=where)]
        if text
        else [{"id": i, **meta} for i, meta in store.metadatas(where=where)]
    )
    return frame_from_rows(rows)


def frame_from_rows(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """The analysis frame from plain dicts (store metadata, or rows built by tests) or a table of them."""
    frame = pd.DataFrame(rows)
    if "tier" not in frame:
        frame["tier"] = pd.NA
        for column in TIER_COLUMNS:
            if column in frame:
                frame["tier"] = frame["tier"].fillna(frame[column].map(lambda v: _TIER_NAMES.get(v, v) if isinstance(v, str) else v))
    for column in COLUMNS:
        if column not in frame:
            frame[column] = pd.NA
    if frame["tier"].notna().any():
        # a customer's tier is known from any of their items (tickets carry it, reviews do not)
        known = frame.dropna(subset=["customer_id", "tier"]).groupby("customer_id")["tier"].last()
        frame["tier"] = frame["tier"].fillna(frame["customer_id"].map(known))
    for column in ("theme_id", "theme_label"):
        frame[column] = frame[column].replace("", pd.NA)  # "" marks a theme taken away (see analysis/run.py)
    for column in ("categories", "entities"):
        frame[column] = frame[column].map(_decode_list)
    if len(frame):
        frame["time"] = pd.to_datetime(frame["ts"], unit="s", utc=True)
    else:
        frame["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    return frame


def _decode_list(value) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return []
    return []
