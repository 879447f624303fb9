"""A columnar copy of every stored item (text + metadata) that reads a whole store in about a second.

Chroma reads items back at about 6,000 per second (most of it assembling metadata rows), so every view of a
100,000-item store would first wait 17 s, and scanning every text for urgency cues (cues.py) adds another
7 s. The snapshot keeps the same rows as a Parquet file, plus one derived column, `has_cue` (does the text
carry any urgency cue), so `demands` only scans the texts that do.

It is a cache, never the source of truth:
- it is labelled with the store's revision (store.py changes it after every write, from any process or
  machine) and its item count, and used only while both match; otherwise the items are read from Chroma
  again and the snapshot rewritten;
- `analyze` rewrites it at the end, so the first view after an analysis (CLI or web app) is fast;
- a missing, unreadable or unwritable file only costs the slow read; nothing fails because of it.

Where it lives: beside the store's files for a local store, in the cache folder for a Chroma server
(`FeedbackStore.derived_path`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .cues import find_cues
from .types import plain

log = logging.getLogger("assistant.snapshot")

FORMAT = 1
FILE_NAME = "items.parquet"
CUE_COLUMN = "has_cue"
_META_KEY = b"assistant"


@lru_cache(maxsize=1)
def cue_version() -> str:
    """Changes whenever the cue lexicon or its rules change, so stale `has_cue` flags are never reused."""
    from . import cues

    return hashlib.sha1(Path(cues.__file__).read_bytes()).hexdigest()[:12]


def read_items(store) -> pd.DataFrame:
    """Every stored item as one row (id, text, metadata fields, has_cue): from the snapshot when it is current,
    else from the store, writing a new snapshot for the next reader."""
    revision, count = store.revision(), store.count()
    path = store.derived_path(FILE_NAME)
    cached = _read(path, revision, count)
    if cached is not None:
        return cached
    rows = pd.DataFrame([{"id": item.id, "text": item.text, **item.metadata} for item in store.iter_items()])
    if "id" not in rows:
        rows = pd.DataFrame(columns=["id", "text"])
    rows[CUE_COLUMN] = cue_flags(rows["text"], _previous_flags(path))
    # labelled with the revision read BEFORE the items: a write that lands meanwhile makes this copy stale
    _write(path, rows, revision, count)
    return rows


def refresh(store) -> None:
    """Rewrite the snapshot if the store changed since it was written (after `analyze`)."""
    read_items(store)


def cue_flags(texts: pd.Series, known: dict[str, bool] | None = None) -> list[bool]:
    """Whether each text carries an urgency cue; flags already computed for the same text are reused."""
    known = known or {}
    flags = []
    for text in texts:
        flag = known.get(text) if isinstance(text, str) else False
        if flag is None:
            flag = bool(find_cues(text))
        flags.append(bool(flag))
    return flags


def _read(path: Path | None, revision: str, count: int) -> pd.DataFrame | None:
    if path is None or not path.exists():
        return None
    try:
        label = _label(path)
        if {key: label.get(key) for key in ("format", "revision", "count", "cues")} != _expected(revision, count):
            return None
        frame = pd.read_parquet(path)
        for column in label.get("json_columns", []):
            frame[column] = frame[column].map(lambda v: json.loads(v) if isinstance(v, str) else None)
        return frame if len(frame) == count else None
    except Exception as exc:  # a damaged or foreign file: read the store instead
        log.warning("ignoring the item snapshot %s: %s", path, exc)
        return None


def _expected(revision: str, count: int) -> dict:
    return {"format": FORMAT, "revision": revision, "count": count, "cues": cue_version()}


def _label(path: Path) -> dict:
    """What a snapshot was made from (format, revision, count, cues) and its `json_columns` (see `_write`)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(_META_KEY, b"{}"))


def _previous_flags(path: Path | None) -> dict[str, bool]:
    """text -> has_cue from the last snapshot, when it was made with the same cue lexicon."""
    if path is None or not path.exists():
        return {}
    try:
        label = _label(path)
        if label.get("cues") != cue_version() or label.get("format") != FORMAT:
            return {}
        old = pd.read_parquet(path, columns=["text", CUE_COLUMN])
        return dict(zip(old["text"], old[CUE_COLUMN]))
    except Exception:
        return {}


def _write(path: Path | None, rows: pd.DataFrame, revision: str, count: int) -> None:
    if path is None:
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame = rows.copy()
        mixed = []
        for column in frame.columns:
            # a metadata field can hold a number in one item and text in another (extra columns of different
            # files); Parquet wants one type per column, so such a column is kept as JSON text
            if frame[column].dtype == object:
                kinds = {type(v) for v in frame[column] if plain(v) is not None}
                if len(kinds) > 1:
                    mixed.append(column)
                    frame[column] = frame[column].map(
                        lambda v: None if plain(v) is None else json.dumps(v, ensure_ascii=False))
        table = pa.Table.from_pandas(frame, preserve_index=False)
        label = {**_expected(revision, count), "json_columns": mixed}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: json.dumps(label).encode()})
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, partial)
        os.replace(partial, path)  # readers see the old file or the new one, never half of one
    except Exception as exc:  # read-only folder, full disk: the next reader reads the store again
        log.warning("could not write the item snapshot %s: %s", path, exc)
        try:
            partial.unlink(missing_ok=True)  # a half-written file must not stay behind
        except OSError:
            pass
