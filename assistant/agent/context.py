"""What the tools work on: the store, its analysis frame (cached while the store is unchanged), and 'now'."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..analysis.types import plain
from ..settings import Settings
from ..store import FeedbackStore
from .types import EVIDENCE_FIELDS

_FRAMES: dict[tuple, tuple[tuple, object]] = {}  # this process's agent frames and background samples, per store version
_BACKGROUNDS: dict[tuple, tuple[tuple, tuple]] = {}  # background samples per store version (topic.py)
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
        """Every stored item with its analysis, reloaded only when the store changed: the very frame the web
        app holds for this store version when it holds one (analysis/frame.py `shared_frame`), else read once
        (from the item snapshot that `analyze` leaves, analysis/snapshot.py, when it is current)."""
        from ..analysis.frame import shared_frame

        key = (self.store.location, self.settings.collection)
        version = self.version()
        with _LOCK:
            cached = _FRAMES.get(key)
            if cached and cached[0] == version:
                return cached[1].frame
        entry = shared_frame(self.store, self.settings.collection, version)
        with _LOCK:
            _FRAMES[key] = (version, entry)  # the agent's hold on it (the shared cache holds frames weakly)
        return entry.frame

    def background_vectors(self, size: int = 512) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors of a fixed random sample of the store, up to `size` per language (seeded, so a
        question gets the same answer twice), and their languages: the background a topic's similarities
        are calibrated against (topic.py)."""
        key = (self.store.location, self.settings.collection, "background")
        version = self.version()
        with _LOCK:
            cached = _BACKGROUNDS.get(key)
            if cached and cached[0] == version:
                return cached[1]
        frame = self.frame()
        rng = np.random.default_rng(0)
        ids: list[str] = []
        for _, group in sorted(frame.groupby(frame["lang"].astype("string").fillna(""), dropna=False),
                               key=lambda kv: str(kv[0])):
            members = sorted(group["id"].astype(str))
            if len(members) > size:
                members = [members[i] for i in sorted(rng.choice(len(members), size, replace=False))]
            ids += members
        pairs = self.store.get_with_vectors(ids) if ids else []
        vectors = np.stack([v for _, v in pairs]).astype(np.float32) if pairs else np.zeros((0, 1), np.float32)
        if len(vectors):
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        langs = np.array([str(item.metadata.get("lang") or "") for item, _ in pairs])
        with _LOCK:
            _BACKGROUNDS[key] = (version, (vectors, langs))
        return vectors, langs

    def version(self) -> tuple:
        """Changes when items are written (the store's revision, rewritten after every write from any process;
        cheap: no item is read). The frame holds items only: theme and action documents are read where used."""
        from ..analysis.frame import store_version

        return store_version(self.store)

    def categories(self) -> list[str]:
        """Category names of the taxonomy in use (the one `analyze` wrote), plus any found in the data."""
        if self._taxonomy is None:
            from ..analysis.taxonomy import load_taxonomy, stored_taxonomy

            self._taxonomy = stored_taxonomy(self.store) or load_taxonomy(self.settings.taxonomy)
        names = [c.name for c in self._taxonomy.categories]
        found = self.frame()["category"].dropna().unique().tolist()
        return names + sorted(set(found) - set(names))

    def category_keywords(self, name: str) -> tuple[str, ...]:
        """The keywords the taxonomy in use gives a category (empty for a category only found in the data)."""
        self.categories()
        return next((c.keywords for c in self._taxonomy.categories if c.name == name), ())

    def evidence(self, ids: list[str]) -> dict[str, dict]:
        """EVIDENCE_FIELDS of each id (in the order given), from the frame."""
        frame = self.frame()
        if not len(frame):
            return {}
        rows = frame.set_index("id", drop=False).reindex([i for i in ids if i in set(frame["id"])])
        out = {}
        for item_id, row in rows.iterrows():
            out[item_id] = {name: plain(row.get(name)) for name in EVIDENCE_FIELDS}
        return out
