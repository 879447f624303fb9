"""What every page of the web app shares: the open store, the analysis frame cached per store state, and the
assistant, one of each per app (not per browser session), guarded by locks so sessions can run side by side.

Every dashboard view computes on the frame of all items. It is read once (from the item snapshot that
`analyze` leaves, analysis/snapshot.py: about a second for 100,000 items; from Chroma when there is none,
half a minute) and kept while the store's revision and item count stay the same; the revision changes
after every write, from this app, a CLI in another process, or another machine writing to the same server.
The frame is the one the agent answers from too (analysis/frame.py `shared_frame`): one copy in memory.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..errors import StoreError
from ..settings import Settings

log = logging.getLogger("assistant.web")
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
        # locks taken in this order: reading the store without a snapshot takes ~20 s per 100k items, and must not
        # hold up pages that only need the open store or the assistant (chat, replies)
        self._frame_lock = threading.RLock()  # reading / replacing the frame
        self._lock = threading.RLock()  # short sections: the open store, the views cache
        self._assistant_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one ingest or analysis at a time
        self._generation = 0
        self._current = None  # analysis.frame.StoreFrame: the frame, and the raw rows an upload is merged into
        self._frame_key: tuple | None = None
        self._memo: OrderedDict[tuple, Any] = OrderedDict()
        self._gates: dict[tuple, threading.Lock] = {}
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
            self._current = self._frame_key = None
            self._memo.clear()

    def _key(self, version: tuple) -> tuple:
        return (self._generation, *version)

    def frame(self):
        """Every stored item as the analysis frame (analysis/frame.py), read again only when the store changed;
        the agent's frame when it already read this store version (and the agent gets this one otherwise)."""
        from ..analysis.frame import held_frame, read_frame, share_frame, store_version

        with self._frame_lock:
            store = self.store()
            version = store_version(store)  # milliseconds: no item is read
            if self._current is None or self._key(version) != self._frame_key:
                held = held_frame(store, self.settings.collection, version)
                if held is None:
                    held = read_frame(store, version)
                    share_frame(store, self.settings.collection, held)
                    self.loads += 1
                    self.last_load_seconds = held.seconds
                if held is not self._current:
                    self._set_frame(held)
                self._frame_key = self._key(version)
            return self._current.frame

    def _set_frame(self, held) -> None:
        with self._lock:
            self._current = held
            self._memo.clear()

    def refresh_sources(self, sources: list[str]) -> None:
        """Merge the items of these sources (just ingested through the app) into the cached frame.

        Reading the whole store again would take a second from the snapshot, but the upload made the snapshot
        stale, and from Chroma it takes half a minute; an upload touches only its own source, so only that
        source's items are read again (new and changed ones alike)."""
        from ..analysis.frame import StoreFrame, frame_from_rows, share_frame, store_version
        from ..analysis.snapshot import CUE_COLUMN, cue_flags
        from ..store import build_where

        with self._frame_lock:
            if self._current is None or not sources:
                self.invalidate()
                return
            store = self.store()
            fresh = pd.DataFrame([{"id": item.id, "text": item.text, **item.metadata}
                                  for item in store.iter_items(where=build_where(source=sorted(set(sources))))])
            items = self._current.items
            if len(fresh):
                fresh[CUE_COLUMN] = cue_flags(fresh["text"])
                kept = items[~items["id"].isin(set(fresh["id"]))]
                items = pd.concat([kept, fresh], ignore_index=True) if len(kept) else fresh
            # a new StoreFrame, not the old one changed: the agent may be answering from the old one right now
            merged = StoreFrame(store_version(store), items, frame_from_rows(items))
            share_frame(store, self.settings.collection, merged)  # the agent answers from it too, unread
            self._generation += 1
            self._set_frame(merged)
            self._frame_key = self._key(merged.version)

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
            self.frame()
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
