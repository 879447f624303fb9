"""What the tools work on: the store, its analysis frame (cached while the store is unchanged), and 'now'."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pandas as pd

from ..settings import Settings
from ..store import FeedbackStore
from .types import EVIDENCE_FIELDS

_FRAMES: dict[tuple[str, str], tuple[tuple, pd.DataFrame]] = {}
_LOCK = threading.Lock()


@dataclass
class DataContext:
    """One store plus the clock the questions are asked against."""

    settings: Settings
    store: FeedbackStore
    now: datetime | None = None
    _taxonomy: object = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, store: FeedbackStore | None = None, now: datetime | None = None) -> "DataContext":
        return cls(settings, store or FeedbackStore.open(settings), now or settings.now)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def clock(self) -> datetime:
        """'Now' for time expressions: --as-of / ASSISTANT_NOW, else the wall clock, in the settings' zone."""
        now = self.now or datetime.now(timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=self.tz)
        return now.astimezone(self.tz)

    def frame(self) -> pd.DataFrame:
        """Every stored item with its analysis, reloaded only when the store changed (from the item snapshot
        that `analyze` leaves, analysis/snapshot.py, when it is current)."""
        key = (self.store.location, self.settings.collection)
        version = self.version()
        with _LOCK:
            cached = _FRAMES.get(key)
            if cached and cached[0] == version:
                return cached[1]
        from ..analysis.frame import load_frame

        frame = load_frame(self.store)
        with _LOCK:
            _FRAMES[key] = (version, frame)
        return frame

    def version(self) -> tuple:
        """Changes when items are written (the store's revision, rewritten after every write from any process;
        cheap: no item is read). The frame holds items only: theme and action documents are read where used."""
        return (self.store.count(), self.store.revision())

    def categories(self) -> list[str]:
        """Category names of the taxonomy in use (the one `analyze` wrote), plus any found in the data."""
        if self._taxonomy is None:
            from ..analysis.taxonomy import load_taxonomy

            self._taxonomy = load_taxonomy(self.settings.taxonomy)
        names = [c.name for c in self._taxonomy.categories]
        found = self.frame()["category"].dropna().unique().tolist()
        return names + sorted(set(found) - set(names))

    def evidence(self, ids: list[str]) -> dict[str, dict]:
        """EVIDENCE_FIELDS of each id (in the order given), from the frame."""
        frame = self.frame()
        if not len(frame):
            return {}
        rows = frame.set_index("id", drop=False).reindex([i for i in ids if i in set(frame["id"])])
        out = {}
        for item_id, row in rows.iterrows():
            out[item_id] = {name: _plain(row.get(name)) for name in EVIDENCE_FIELDS}
        return out


def _plain(value):
    """JSON-friendly scalars: NA -> None, numpy -> python."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value.item() if hasattr(value, "item") else value
