"""Which items a question, a command or a page is about: one `Filters` value and one `filter_frame`.

The CLI's `demands --category`, the agent's tools and the web app's pages all select items this way, so
"Pricing" and "pricing" select the same items everywhere, and a window means the same thing everywhere
(epoch seconds, `until` exclusive; text/timeparse.parse_day turns a typed day into them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

import pandas as pd

EXACT = ("category", "channel", "tier", "sentiment", "lang", "customer_id", "source", "product")

Values = str | tuple[str, ...] | None  # one value, or any of several (a page's multi-select)


@dataclass(frozen=True)
class Filters:
    """A selection of items: a time window [since, until) in epoch seconds, exact values (any case; a tuple
    means any of them), and optionally an explicit set of ids (the items a topic matched)."""

    since: float | None = None
    until: float | None = None
    category: Values = None
    channel: Values = None
    tier: Values = None
    sentiment: Values = None
    lang: Values = None
    customer_id: Values = None
    source: Values = None
    product: Values = None
    ids: frozenset[str] | None = None

    def __post_init__(self):
        for name in EXACT:  # a list from a page becomes a tuple (hashable); nothing chosen means no filter
            value = getattr(self, name)
            if isinstance(value, Iterable) and not isinstance(value, str):
                value = tuple(str(v) for v in value if v is not None and str(v) != "") or None
            object.__setattr__(self, name, value or None)

    def exact(self) -> dict[str, str | tuple[str, ...]]:
        """The exact-match filters that are set (for a Chroma `where` or a description)."""
        return {name: getattr(self, name) for name in EXACT if getattr(self, name)}

    def without_window(self) -> "Filters":
        return Filters(**{f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("since", "until")})

    def inclusive_until(self) -> float | None:
        """`until` as the analysis functions read it (rank_demands, trends, build_report take an epoch `until`
        as the last second inside): one second before the exclusive bound."""
        return None if self.until is None else self.until - 1

    def where(self, stored: pd.DataFrame | None = None) -> dict | None:
        """The Chroma `where` that selects what `filter_frame` selects (window and exact values; not `ids`),
        for a filtered vector search. Chroma matches exactly, so with `stored` (the frame of the stored items)
        each value becomes every stored spelling of it ("Pricing" -> "pricing"); without it values are taken
        as typed. `tier` is worked out in the frame (analysis/frame.py), so filter it there, not here."""
        from ..store import build_where

        exact = {}
        for column, value in self.exact().items():
            wanted = _values(value)
            if stored is not None and column in stored:
                seen = pd.Series(stored[column].dropna().astype(str).unique())
                wanted = sorted(seen[seen.str.lower().isin({v.lower() for v in wanted})]) or wanted
            exact[column] = wanted[0] if len(wanted) == 1 else wanted
        return build_where(since=self.since, until=self.until, **exact)


def filter_frame(frame: pd.DataFrame, filters: Filters, *, window: bool = True) -> pd.DataFrame:
    """The rows of `frame` that `filters` select (the window only when `window`)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in filters.exact().items():
        if column in frame:
            mask &= frame[column].astype("string").str.lower().isin([v.lower() for v in _values(value)])
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


def _values(value: str | tuple[str, ...]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
