"""Stored items as a pandas DataFrame: the table that demands, trends, effect and reports compute on, and the
one copy of it that the web app and the agent share (`shared_frame`)."""

from __future__ import annotations

import json
import threading
import time
import weakref
from dataclasses import dataclass

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


# ---------------------------------------------------------------------- the frame in use, shared
@dataclass(eq=False)
class StoreFrame:
    """The analysis frame of one store version, with the rows it was built from (an upload merges into them)."""

    version: tuple  # store_version() when it was read
    items: pd.DataFrame
    frame: pd.DataFrame
    seconds: float = 0.0  # how long the read took (0 for a merge)


# Held weakly: whoever works on a store's frame (the web app's pages, the agent) keeps its StoreFrame, and
# anyone else asking for the same store version gets that same object instead of reading a second copy (a
# 100k frame is about a gigabyte). A frame nobody holds any more is freed, so a new app reads afresh.
_IN_USE: weakref.WeakValueDictionary[tuple, StoreFrame] = weakref.WeakValueDictionary()
_IN_USE_LOCK = threading.Lock()


def store_version(store: FeedbackStore) -> tuple:
    """(count, revision): changes after every write to the items, from any process (cheap: no item is read)."""
    return (store.count(), store.revision())


def shared_frame(store: FeedbackStore, collection: str, version: tuple | None = None) -> StoreFrame:
    """The frame of the store's current version (or `version`) that someone in this process already holds,
    else read (from the snapshot when current) and offered to the others.

    No lock is held while reading: a caller never waits for another's read (the chat answers while the
    dashboard reads); two callers asking at the very same moment may both read once."""
    version = version or store_version(store)
    entry = held_frame(store, collection, version)
    if entry is None:
        entry = read_frame(store, version)
        share_frame(store, collection, entry)
    return entry


def held_frame(store: FeedbackStore, collection: str, version: tuple) -> StoreFrame | None:
    """The frame of this store version someone in this process holds, if any."""
    with _IN_USE_LOCK:
        entry = _IN_USE.get((store.location, collection))
    return entry if entry is not None and entry.version == version else None


def read_frame(store: FeedbackStore, version: tuple) -> StoreFrame:
    """Read every item (what `load_frame` does), keeping the rows so that an upload can be merged in."""
    from .snapshot import read_items

    started = time.perf_counter()
    items = read_items(store)
    return StoreFrame(version, items, frame_from_rows(items), time.perf_counter() - started)


def share_frame(store: FeedbackStore, collection: str, entry: StoreFrame) -> None:
    """Offer `entry` to everyone asking for its store version (a frame read, or one an upload was merged into)."""
    with _IN_USE_LOCK:
        _IN_USE[(store.location, collection)] = entry
