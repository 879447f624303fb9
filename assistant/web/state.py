"""What every page of the web app shares: the open store, the analysis frame cached per store state, and the
assistant, one of each per app (not per browser session), guarded by locks so sessions can run side by side.

The frame of 100,000 items takes seconds to read from Chroma; every dashboard view computes on it, so it is
read once and kept until the store changes. A change is noticed from the item count, from the app's own
writes (ingest, analyze, which call `invalidate`), and for a local store from the modification time of its
files (a CLI `analyze` in another process); a Chroma server offers no such signal, so there the frame is
also re-read after `SERVER_MAX_AGE` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..settings import Settings

log = logging.getLogger("assistant.web")
SERVER_MAX_AGE = 300.0
MEMO_SIZE = 64


class WebState:
    """Shared, thread-safe access to the store, its frame and derived views, and the assistant."""

    def __init__(self, settings: Settings, *, store=None, analyzer_factory: Callable | None = None,
                 assistant_factory: Callable | None = None):
        self.settings = settings
        self._store = store
        self._analyzer_factory = analyzer_factory  # store -> Analyzer; tests pass one with a fake sentiment model
        self._assistant_factory = assistant_factory
        self._assistant = None
        # three locks, always taken in this order: reading the store can take half a minute, and must not
        # hold up pages that only need the open store or the assistant (chat, replies)
        self._frame_lock = threading.RLock()  # reading / replacing the frame
        self._lock = threading.RLock()  # short sections: the open store, the views cache
        self._assistant_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one ingest or analysis at a time
        self._generation = 0
        self._frame = None
        self._demand_frame = None
        self._frame_key: tuple | None = None
        self._frame_loaded_at = 0.0
        self._memo: OrderedDict[tuple, Any] = OrderedDict()
        self._gates: dict[tuple, threading.Lock] = {}
        self._rows: list[dict] = []
        self._cues: dict[str, bool] = {}  # text -> has an urgency cue (kept across reloads)
        self.loads = 0  # full reads of the store, for the tests and the benchmark
        self.warmers: list[Callable[[WebState], Any]] = []  # default views worth computing ahead (pages add theirs)
        self.last_load_seconds: float | None = None

    # ------------------------------------------------------------------ store
    def store(self, *, create: bool = False):
        """The feedback store, opened once; StoreError (with what to do) while there is none."""
        with self._lock:
            if self._store is None:
                from ..store import FeedbackStore

                try:
                    self._store = FeedbackStore.open(self.settings, create=create)
                except StoreError as exc:
                    raise StoreError(f"{exc} (or upload files on the Data page)") from None
            return self._store

    def has_store(self) -> bool:
        try:
            self.store()
            return True
        except StoreError:
            return False

    # ------------------------------------------------------------------ cache
    def invalidate(self) -> None:
        """Forget the frame and every view computed from it (after this app wrote to the store)."""
        with self._frame_lock, self._lock:
            self._generation += 1
            self._frame = self._demand_frame = self._frame_key = None
            self._rows = []
            self._memo.clear()

    def _key(self) -> tuple:
        store = self.store()
        files = ()
        if not self.settings.chroma_url:
            folder = Path(self.settings.store)
            files = tuple(p.stat().st_mtime_ns for p in sorted(folder.glob("chroma.sqlite3*")) if p.exists())
        return (self._generation, store.count(), files)

    def _fresh(self, key: tuple) -> bool:
        if self._frame is None or key != self._frame_key:
            return False
        return not self.settings.chroma_url or time.monotonic() - self._frame_loaded_at < SERVER_MAX_AGE

    def frame(self):
        """Every stored item as the analysis frame (analysis/frame.py), read again only when the store changed."""
        with self._frame_lock:
            key = self._key()
            if not self._fresh(key):
                started = time.perf_counter()
                # what load_frame does, keeping the rows so that an upload can be merged in (`refresh_sources`)
                self._rows = [{"id": item.id, "text": item.text, **item.metadata} for item in self.store().iter_items()]
                self._set_frame(self._rows)
                self._frame_key, self._frame_loaded_at = key, time.monotonic()
                self.loads += 1
                self.last_load_seconds = time.perf_counter() - started
            return self._frame

    def _set_frame(self, rows: list[dict]) -> None:
        from ..analysis.frame import frame_from_rows

        frame = frame_from_rows(rows)
        with self._lock:
            self._frame, self._demand_frame = frame, None
            self._memo.clear()

    def refresh_sources(self, sources: list[str]) -> None:
        """Merge the items of these sources (just ingested through the app) into the cached frame.

        Reading 100,000 items back from Chroma takes 20-40 s; an upload touches only its own source, so
        only that source's items are read again (new and changed ones alike)."""
        from ..store import build_where

        with self._frame_lock:
            if self._frame is None or not sources:
                self.invalidate()
                return
            fresh = [{"id": item.id, "text": item.text, **item.metadata}
                     for item in self.store().iter_items(where=build_where(source=sorted(set(sources))))]
            ids = {row["id"] for row in fresh}
            self._rows = [row for row in self._rows if row["id"] not in ids] + fresh
            self._generation += 1
            self._set_frame(self._rows)
            self._frame_key, self._frame_loaded_at = self._key(), time.monotonic()

    def demand_frame(self):
        """The frame as `rank_demands` needs it, with texts that carry no urgency cue blanked.

        rank_demands reads the text only to find urgency cues, through a cache of 65,536 texts; over a
        larger store every call would scan every text again (about 0.15 ms each). Blanking the texts with
        no cue gives the same ranking while the cue-bearing texts stay in that cache. Whether a text has a
        cue is remembered across reloads, so after an upload only the new texts are scanned.
        """
        with self._frame_lock:
            frame = self.frame()
            if self._demand_frame is None:
                from ..analysis.cues import find_cues

                cues = self._cues
                has_cue = []
                for text in frame["text"]:
                    if not isinstance(text, str):
                        has_cue.append(False)
                        continue
                    flag = cues.get(text)
                    if flag is None:
                        flag = cues[text] = bool(find_cues(text))
                    has_cue.append(flag)
                slim = frame.copy()
                slim["text"] = slim["text"].where(has_cue, None)
                self._demand_frame = slim
            return self._demand_frame

    def memo(self, name: str, params: tuple, compute: Callable[[], Any]) -> Any:
        """`compute()` once per store state and parameters, shared by every session; sessions asking for the
        same view at the same time wait for one computation instead of each running it."""
        self.frame()  # validates the cache key first
        key = (name, params)
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            gate = self._gates.setdefault(key, threading.Lock())
            version = self._frame_key
        with gate:
            with self._lock:
                if key in self._memo:
                    return self._memo[key]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._gates.pop(key, None)
            with self._lock:
                if self._frame_key == version:  # not computed from a frame that was replaced meanwhile
                    self._memo[key] = value
                    while len(self._memo) > MEMO_SIZE:
                        self._memo.popitem(last=False)
        return value

    def warm(self) -> None:
        """Read the frame and compute the default views (`warmers`) ahead of the next visitor."""
        if self.has_store():
            self.demand_frame()
            for warmer in list(self.warmers):
                warmer(self)

    def prefetch(self) -> threading.Thread:
        """`warm` in the background, e.g. right after an upload: the page that asked returns at once, and a
        session that opens the dashboard meanwhile waits for this same computation (see `memo`)."""
        def run():
            try:
                self.warm()
            except Exception:
                log.warning("could not prepare the default views", exc_info=True)

        thread = threading.Thread(target=run, daemon=True, name="web-prefetch")
        thread.start()
        return thread

    # ------------------------------------------------------------------ writes
    def writing(self):
        """Lock held while ingesting or analysing: two uploads at once would only slow each other down."""
        return self._write_lock

    def analyzer(self, store):
        if self._analyzer_factory is not None:
            return self._analyzer_factory(store)
        from ..analysis.run import Analyzer

        return Analyzer(store, self.settings)

    # ------------------------------------------------------------------ assistant
    @property
    def agent_concurrency(self) -> int:
        """Agent calls run at once: one for a local model (a single llama.cpp context), a few otherwise."""
        return 4 if self.settings.llm_backend in ("none", "openai") else 1

    def assistant(self):
        """The agent (assistant/agent), created on first use and shared by every session."""
        with self._assistant_lock:
            if self._assistant is None:
                if self._assistant_factory is not None:
                    self._assistant = self._assistant_factory(self)
                else:
                    from ..agent import Assistant

                    self._assistant = Assistant(self.settings, store=self.store(), now=self.settings.now)
            return self._assistant
