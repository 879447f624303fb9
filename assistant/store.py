"""The feedback store: one Chroma collection, embedded on disk or on a Chroma server.

Vectors are always computed by our own embedders and passed in (Chroma's default embedding function
downloads a model, which cannot work offline). The collection records which embedder built it, and the
store refuses to mix vectors from another one.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import numpy as np

from .embeddings import DEFAULT_EMBEDDER, Embedder, canonical_name, load_embedder
from .errors import ConfigError, StoreError
from .settings import Settings

SCHEMA_VERSION = 1
REVISION_KEY = "revision"
# how ingest derives item ids and content hashes (ingest/identity.py); 1: the file name was part of every id.
# Recorded in the state when a store is made; an older store is repaired by the next ingest or analyze.
ID_SCHEME = 2
ID_SCHEME_KEY = "id_scheme"


@dataclass(frozen=True)
class StoredItem:
    """A feedback item as read back from the store."""

    id: str
    text: str
    metadata: dict[str, Any]
    score: float | None = None  # cosine similarity to the query, for search hits


def _client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"ASSISTANT_CHROMA_URL must look like http://host:port, not '{settings.chroma_url}'")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from exc
    # absolute: chromadb caches clients by the path string, and a relative one would outlive a chdir
    return chromadb.PersistentClient(path=str(Path(settings.store).resolve()), settings=chroma_settings)


def _derived_dir(settings: Settings) -> Path:
    if not settings.chroma_url:
        return Path(settings.store).resolve()
    server = hashlib.sha1(settings.chroma_url.rstrip("/").encode()).hexdigest()[:16]
    return Path(settings.cache_dir).expanduser() / "servers" / server


def describe_location(settings: Settings) -> str:
    """Where the store lives, for messages."""
    return settings.chroma_url or str(settings.store)


class FeedbackStore:
    """Reads and writes feedback items and their vectors; every write is an idempotent upsert by id."""

    def __init__(self, client, collection, embedder_name: str, location: str, embedder: Embedder | None = None,
                 derived_dir: Path | None = None):
        self._client = client
        self._collection = collection
        self.embedder_name = embedder_name
        self.location = location
        self._embedder = embedder
        self.derived_dir = derived_dir  # where files derived from this store live (see `derived_path`)

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, settings: Settings, *, create: bool = False, embedder: Embedder | None = None) -> "FeedbackStore":
        """Open the store; with `create`, make it (recording the embedder) when it does not exist yet."""
        location = describe_location(settings)
        if not settings.chroma_url and not create and not Path(settings.store).exists():
            raise StoreError(f"no feedback store at {location}; ingest some first: assistant ingest FILE")
        client = _client(settings)
        try:
            collection = client.get_collection(settings.collection, embedding_function=None)
        except Exception as exc:  # chroma raises NotFoundError / ValueError depending on mode
            if "does not exist" not in str(exc) and "not found" not in str(exc).lower():
                raise StoreError(f"cannot open the store at {location}: {exc}") from exc
            collection = None
        requested = canonical_name(settings.embedder) if settings.embedder else None
        if collection is None:
            if not create:
                raise StoreError(f"no feedback stored at {location} yet; ingest some first: assistant ingest FILE")
            embedder = embedder or load_embedder(requested or DEFAULT_EMBEDDER)
            collection = client.create_collection(
                settings.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": embedder.name, "embed_dim": embedder.dim, "schema": SCHEMA_VERSION},
            )
            store = cls(client, collection, embedder.name, location, embedder, _derived_dir(settings))
            store.record_id_scheme()  # before any item is written: no one may take this new store for an old one
            return store
        recorded = (collection.metadata or {}).get("embedder")
        if not recorded:
            raise StoreError(f"collection '{settings.collection}' at {location} was not made by this product")
        wanted = embedder.name if embedder else requested
        if wanted and wanted != recorded:
            raise StoreError(
                f"the store at {location} was built with embedder '{recorded}', not '{wanted}'; "
                f"use --embedder {recorded}, or build a new store with --store NEWDIR "
                f"and ingest again"
            )
        return cls(client, collection, recorded, location, embedder, _derived_dir(settings))

    @property
    def embedder(self) -> Embedder:
        """The embedder that built this store, loaded on first use."""
        if self._embedder is None:
            self._embedder = load_embedder(self.embedder_name)
        return self._embedder

    # ------------------------------------------------------------------ writing
    def existing(self, ids: list[str]) -> dict[str, dict]:
        """Metadata (content_hash, source ...) of each id already stored (ids not stored are absent)."""
        if not ids:
            return {}
        got = self._collection.get(ids=ids, include=["metadatas"])
        return {i: m or {} for i, m in zip(got["ids"], got["metadatas"])}

    def upsert(self, ids: list[str], texts: list[str], metadatas: list[dict], vectors: np.ndarray) -> None:
        """Insert or replace items by id: re-running the same write changes nothing."""
        if not ids:
            return
        step = self.max_batch_size()
        for start in range(0, len(ids), step):
            end = start + step
            self._collection.upsert(
                ids=ids[start:end],
                documents=texts[start:end],
                metadatas=metadatas[start:end],
                embeddings=np.asarray(vectors[start:end], dtype=np.float32),
            )
        self._touch()

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        """Merge new metadata fields into stored items (analysis results), leaving vectors as they are."""
        if not ids:
            return
        step = self.max_batch_size()
        for start in range(0, len(ids), step):
            self._collection.update(ids=ids[start : start + step], metadatas=metadatas[start : start + step])
        self._touch()

    def delete(self, ids: list[str]) -> None:
        """Remove items by id (ids not stored are ignored)."""
        if not ids:
            return
        step = self.max_batch_size()
        for start in range(0, len(ids), step):
            self._collection.delete(ids=ids[start : start + step])
        self._touch()

    def _touch(self) -> None:
        # after the write, never before: a reader that saw the old revision then read the new items
        # would otherwise label a copy with the new revision that lacks part of this write
        self.save_state(REVISION_KEY, uuid.uuid4().hex)

    def revision(self) -> str:
        """Changes after every write to the items (from any process or machine); "" for a store never written
        by this version. Copies derived from the items (analysis/snapshot.py) are valid while it stays the same."""
        return self.load_state(REVISION_KEY) or ""

    def id_scheme(self) -> int | None:
        """The id scheme the stored items were written with (None: never recorded, i.e. scheme 1 or empty)."""
        recorded = self.load_state(ID_SCHEME_KEY)
        return int(recorded) if recorded else None

    def record_id_scheme(self) -> None:
        """Record that every stored item follows the current id scheme (after a repair, or on a new store)."""
        self.save_state(ID_SCHEME_KEY, str(ID_SCHEME))

    def derived_path(self, name: str) -> Path | None:
        """Path of a file derived from this collection's items: beside the store's files for a local store, in
        the cache folder for a Chroma server (None when there is nowhere to put it)."""
        if self.derived_dir is None:
            return None
        return self.derived_dir / f"{self._collection.name}.{name}"

    # ------------------------------------------------------------------ analysis state
    def save_state(self, key: str, text: str) -> None:
        """Keep a named JSON document (theme model, trained classifier) beside the items, in the same store."""
        self._state().upsert(ids=[key], documents=[text], embeddings=[[0.0]])

    def load_state(self, key: str) -> str | None:
        """The named document saved with `save_state`, or None."""
        got = self._state().get(ids=[key], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def _state(self):
        # a side collection, so state lives wherever the items live (folder or server) and is shared with them
        return self._client.get_or_create_collection(f"{self._collection.name}__state", embedding_function=None)

    def max_batch_size(self) -> int:
        try:
            return int(self._client.get_max_batch_size())
        except Exception:  # older servers: Chroma's documented floor
            return 5000

    # ------------------------------------------------------------------ reading
    def count(self) -> int:
        return self._collection.count()

    def search(self, query: str, *, k: int = 10, where: dict | None = None) -> list[StoredItem]:
        """Items nearest in meaning to `query`, restricted by a Chroma `where` filter."""
        vector = self.embedder.embed_query(query)
        result = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            StoredItem(i, d, m or {}, round(1.0 - float(dist), 4))
            for i, d, m, dist in zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])
        ]

    def nearest(self, vector: np.ndarray, *, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the `k` items nearest to a query vector: ids and scores only (no
        documents), so a few thousand of them cost milliseconds."""
        k = min(int(k), self.count())
        if k <= 0:
            return []
        result = self._collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k,
                                        where=where or None, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0])]

    def get(self, ids: list[str]) -> list[StoredItem]:
        got = self._collection.get(ids=ids, include=["documents", "metadatas"])
        return [StoredItem(i, d, m or {}) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]

    def get_with_vectors(self, ids: list[str]) -> list[tuple[StoredItem, np.ndarray]]:
        """Items with their stored vectors, in the order of `ids` (missing ids are left out)."""
        by_id = {}
        step = self.max_batch_size()  # the same bound as writes: a server may take fewer ids per call
        for start in range(0, len(ids), step):
            got = self._collection.get(ids=ids[start : start + step], include=["documents", "metadatas", "embeddings"])
            for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
                by_id[i] = (StoredItem(i, d, m or {}), np.asarray(e, dtype=np.float32))
        return [by_id[i] for i in ids if i in by_id]

    def iter_items(self, *, where: dict | None = None, batch: int = 2000, embeddings: bool = False) -> Iterator[StoredItem | tuple[StoredItem, np.ndarray]]:
        """Every stored item (optionally filtered), paged so that memory stays flat."""
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        offset = 0
        while True:
            got = self._collection.get(where=where or None, include=include, limit=batch, offset=offset)
            if not got["ids"]:
                return
            for n, (i, d, m) in enumerate(zip(got["ids"], got["documents"], got["metadatas"])):
                item = StoredItem(i, d, m or {})
                yield (item, np.asarray(got["embeddings"][n])) if embeddings else item
            offset += len(got["ids"])

    def metadatas(self, *, where: dict | None = None, batch: int = 5000) -> Iterator[tuple[str, dict]]:
        """(id, metadata) of every item, without documents: the cheap read that statistics need."""
        offset = 0
        while True:
            got = self._collection.get(where=where or None, include=["metadatas"], limit=batch, offset=offset)
            if not got["ids"]:
                return
            yield from zip(got["ids"], (m or {} for m in got["metadatas"]))
            offset += len(got["ids"])


def build_where(**filters: Any) -> dict | None:
    """A Chroma `where` from simple filters: since/until are epoch seconds, the rest match exactly."""
    clauses: list[dict] = []
    since, until = filters.pop("since", None), filters.pop("until", None)
    if since is not None:
        clauses.append({"ts": {"$gte": int(since)}})
    if until is not None:
        clauses.append({"ts": {"$lt": int(until)}})
    for key, value in filters.items():
        if value is None or value == "":
            continue
        clauses.append({key: {"$in": list(value)}} if isinstance(value, (list, tuple)) else {key: value})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
