"""Which stored item a row is: the id and content hash ingest gives it, and the repair of older stores.

An item's id names the record, not the file it arrived in: the source system's own id (the id column), or,
without one, the cleaned text, the customer and the time. Overlapping exports of one helpdesk therefore
store each ticket once, whatever the files are called. A `--source` name the user gives scopes ids (two
systems whose id columns overlap stay apart); the file name never does, it is kept in `source` only.

The content hash covers what a record says (text and every metadata value), not where it came from
(`source`, `row`): the same record from a second file is unchanged, not updated.

Stores built before this scheme (id scheme 1: the file name in every id, `channel` filled with the file's
name) are repaired once by `repair_store`, which ingest and analyze call first.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..records import StoreRepair
from ..store import ID_SCHEME, FeedbackStore
from .readers import EXTENSIONS

# metadata that is the record's content (besides its text and the extra columns, `x_*`); derived fields
# (date, week), provenance (source, row, id_scope) and analysis results are not
CONTENT_FIELDS = ("ts", "source_id", "channel", "customer_id", "customer_name", "rating", "product", "lang", "langs",
                  "redactions", "truncated")
_REPAIR_BATCH = 500


def item_id(*, scope: str | None, source_id: Any, text: str, customer_id: Any, ts: int | None) -> str:
    """The stable id of a record: its id column within `scope`, else its text, customer and time."""
    if source_id is not None:
        key = f"{scope or ''}\x1fid\x1f{source_id}"
    else:
        key = f"{scope or ''}\x1ftext\x1f{text}\x1f{customer_id if customer_id is not None else ''}\x1f{ts}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def content_hash(text: str, metadata: dict[str, Any]) -> str:
    """Hash of what an item says, from its text and stored metadata (so a stored item's can be recomputed)."""
    content = {k: v for k, v in metadata.items() if k in CONTENT_FIELDS or k.startswith("x_")}
    blob = json.dumps([text, content], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:16]


def repair_store(store: FeedbackStore) -> StoreRepair | None:
    """Bring a store built with an older id scheme to the current one; None when there was nothing to do.

    Scheme 1 -> 2: every item's id is recomputed from its stored metadata (source_id, text, customer_id,
    ts; `source` counts as a scope only when it is not a file name, i.e. it was a `--source` name), copies
    of one record are merged (the one from the source whose name sorts last is kept: dated export names
    sort by date), vectors are carried over, never recomputed; `channel` is cleared for a source whose
    every item has the source file's name as channel (the old fallback); content hashes are recomputed.
    Each batch writes the new item before deleting the old ones, and the scheme is recorded last, so a
    repair that is stopped simply runs again.
    """
    recorded = store.id_scheme()
    if recorded == ID_SCHEME:
        return None
    if recorded is None and store.count() == 0:
        store.record_id_scheme()
        return None
    plan, channel_filled = _plan(store)
    repair = StoreRepair(from_scheme=recorded or 1, to_scheme=ID_SCHEME, items_before=len(plan))
    groups: dict[str, list[tuple[str, str, int]]] = {}
    for old_id, (new_id, source, row) in plan.items():
        groups.setdefault(new_id, []).append((old_id, source, row))
    keepers = {new_id: _keeper(new_id, members) for new_id, members in groups.items()}
    order = sorted(groups)
    for start in range(0, len(order), _REPAIR_BATCH):
        new_ids = order[start : start + _REPAIR_BATCH]
        items = {item.id: (item, vector) for item, vector in store.get_with_vectors([keepers[n] for n in new_ids])}
        moved: list[tuple[str, str, dict, Any]] = []
        rewritten: dict[str, dict] = {}
        for new_id in new_ids:
            if keepers[new_id] not in items:  # removed by a concurrent repair, which put its copy in place
                continue
            item, vector = items[keepers[new_id]]
            meta = _current_metadata(item.text, item.metadata, channel_filled)
            repair.channels_cleared += "channel" in item.metadata and "channel" not in meta
            if item.id != new_id:
                moved.append((new_id, item.text, meta, vector))
            elif meta != item.metadata:  # in place; None removes a key (an update merges metadata)
                rewritten[new_id] = {**dict.fromkeys(item.metadata), **meta}
        if moved:
            store.upsert(*map(list, zip(*moved)))
        store.update_metadata(list(rewritten), list(rewritten.values()))
        # only after the surviving copy is written: a repair stopped here loses nothing and runs again
        store.delete([old for new_id in new_ids for old, _, _ in groups[new_id] if old != new_id])
        repair.rekeyed += len(moved)
        repair.merged += sum(len(groups[new_id]) - 1 for new_id in new_ids)
    store.record_id_scheme()
    repair.items_after = store.count()
    return repair


def _plan(store: FeedbackStore) -> tuple[dict[str, tuple[str, str, int]], set[str]]:
    """old id -> (new id, source, row) for every stored item, and the sources whose channel is the file's name."""
    plan: dict[str, tuple[str, str, int]] = {}
    own_channel: dict[str, bool] = {}
    for item in store.iter_items():
        meta = item.metadata
        source = str(meta.get("source", ""))
        plan[item.id] = (
            item_id(scope=_scope(meta), source_id=meta.get("source_id"), text=item.text,
                    customer_id=meta.get("customer_id"), ts=meta.get("ts")),
            source,
            int(meta.get("row") or 0),
        )
        filled = meta.get("channel") in (None, "", Path(source).stem)
        own_channel[source] = own_channel.get(source, True) and filled
    return plan, {source for source, filled in own_channel.items() if filled}


def _scope(meta: dict[str, Any]) -> str | None:
    """The id scope of a stored item: its recorded one, else its source when that was a name, not a file."""
    if "id_scope" in meta:
        return meta["id_scope"] or None
    source = str(meta.get("source", ""))
    return None if source == "stdin" or Path(source).suffix.lower() in EXTENSIONS else source or None


def _keeper(new_id: str, members: list[tuple[str, str, int]]) -> str:
    """Which copy of a record survives: one already under the new id, else the latest-named source's."""
    if any(old == new_id for old, _, _ in members):
        return new_id
    return max(members, key=lambda m: (m[1], -m[2], m[0]))[0]


def _current_metadata(text: str, meta: dict[str, Any], channel_filled: set[str]) -> dict[str, Any]:
    """An item's metadata as the current scheme writes it: scope recorded, file-name channel cleared, new hash."""
    meta = dict(meta)
    scope = _scope(meta)
    if scope is not None:
        meta["id_scope"] = scope
    if str(meta.get("source", "")) in channel_filled:
        meta.pop("channel", None)
    meta["content_hash"] = content_hash(text, meta)
    return meta
