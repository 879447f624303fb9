"""Which items a question, a command or a page is about: one `Filters` value and one `filter_frame`.

The CLI's `demands --category`, the agent's tools and the web app's pages all select items this way, so
"Pricing" and "pricing" select the same items everywhere, and a window means the same thing everywhere
(epoch seconds, `until` exclusive; ingest/timeparse.parse_day turns a typed day into them).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

EXACT = ("category", "channel", "tier", "sentiment", "lang", "customer_id")


@dataclass(frozen=True)
class Filters:
    """A selection of items: a time window [since, until) in epoch seconds, exact values (any case), and
    optionally an explicit set of ids (the items a topic matched)."""

    since: float | None = None
    until: float | None = None
    category: str | None = None
    channel: str | None = None
    tier: str | None = None
    sentiment: str | None = None
    lang: str | None = None
    customer_id: str | None = None
    ids: frozenset[str] | None = None

    def exact(self) -> dict[str, str]:
        """The exact-match filters that are set (for a Chroma `where` or a description)."""
        return {name: getattr(self, name) for name in EXACT if getattr(self, name)}

    def without_window(self) -> "Filters":
        return Filters(**{f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("since", "until")})


def filter_frame(frame: pd.DataFrame, filters: Filters, *, window: bool = True) -> pd.DataFrame:
    """The rows of `frame` that `filters` select (the window only when `window`)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in filters.exact().items():
        if column in frame:
            mask &= frame[column].astype("string").str.lower() == str(value).lower()
        else:
            mask &= False
    if filters.ids is not None:
        mask &= frame["id"].isin(filters.ids)
    if window and (filters.since is not None or filters.until is not None):
        ts = pd.to_numeric(frame["ts"], errors="coerce")
        if filters.since is not None:
            mask &= ts >= filters.since
        if filters.until is not None:
            mask &= ts < filters.until
    return frame[mask.fillna(False)]
