"""Typed records passed between stages: rows read from files, cleaned feedback, ingest reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class RawRow:
    """One row as read from an input file, before any cleaning. `row` is 1-based as a user counts it."""

    path: str
    row: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    """A row that was not stored, and why; `kind` separates bad input from content filtered on purpose."""

    path: str
    row: int
    reason: str
    field: str | None = None
    kind: str = "invalid"  # "invalid" (bad input) | "filtered" (empty, near-empty, too long)

    def __str__(self) -> str:
        where = f"{self.path}: row {self.row}"
        if self.field:
            where += f": field '{self.field}'"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Feedback:
    """One cleaned, redacted feedback item, ready to embed and store."""

    id: str
    text: str
    source: str
    row: int
    content_hash: str
    ts: int | None = None
    source_id: str | None = None
    id_scope: str | None = None  # the --source name that scopes `source_id` (None: ids are the system's own)
    channel: str | None = None  # None: unknown (never the file's name; that is `source`)
    customer_id: str | None = None
    customer_name: str | None = None
    rating: float | None = None
    product: str | None = None
    lang: str = "und"
    langs: str = ""
    redactions: int = 0
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def date(self) -> str | None:
        if self.ts is None:
            return None
        return datetime.fromtimestamp(self.ts, tz=timezone.utc).strftime("%Y-%m-%d")

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for the vector store: scalars only, no None values (Chroma rejects them)."""
        meta: dict[str, Any] = {
            "source": self.source,
            "row": self.row,
            "content_hash": self.content_hash,
            "lang": self.lang,
            "langs": self.langs,
            "redactions": self.redactions,
            "truncated": self.truncated,
        }
        optional = {
            "ts": self.ts,
            "source_id": self.source_id,
            "id_scope": self.id_scope,
            "date": self.date,
            "week": _iso_week(self.ts),
            "channel": self.channel,
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "rating": self.rating,
            "product": self.product,
        }
        meta.update({k: v for k, v in optional.items() if v is not None})
        for key, value in self.extra.items():
            if value is None or value == "":
                continue
            meta[f"x_{key}"] = value if isinstance(value, (str, int, float, bool)) else json.dumps(value, ensure_ascii=False)
        return meta


def _iso_week(ts: int | None) -> str | None:
    if ts is None:
        return None
    year, week, _ = datetime.fromtimestamp(ts, tz=timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class StoreRepair:
    """What bringing a store to the current id scheme did (ingest/identity.py: repair_store)."""

    from_scheme: int
    to_scheme: int
    items_before: int = 0
    items_after: int = 0
    merged: int = 0  # copies of one record removed
    rekeyed: int = 0  # items moved to their new id (vector carried over)
    channels_cleared: int = 0  # items whose channel was only their file's name

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def __str__(self) -> str:
        return (f"repaired the store (id scheme {self.from_scheme} -> {self.to_scheme}): {self.merged} copies of "
                f"records stored twice removed, {self.rekeyed} items moved to their new id, channel cleared on "
                f"{self.channels_cleared} items where it was the file's name; {self.items_before} -> "
                f"{self.items_after} items")


@dataclass
class IngestReport:
    """What an ingest did: the summary the CLI prints and `--json` returns."""

    read: int = 0
    added: int = 0
    updated: int = 0
    duplicates: int = 0  # already stored with the same content (from this or another file), or twice in a batch
    updated_from_other_source: int = 0  # of `updated`: the stored item had come from another file or --source
    rejected: list[Rejection] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    repair: StoreRepair | None = None  # set when this ingest first repaired a store built with older ids

    @property
    def invalid(self) -> list[Rejection]:
        return [r for r in self.rejected if r.kind == "invalid"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "skipped_duplicate": self.duplicates,
            "updated_from_other_source": self.updated_from_other_source,
            "rejected": len(self.rejected),
            "rejections": [
                {"file": r.path, "row": r.row, "field": r.field, "reason": r.reason, "kind": r.kind}
                for r in self.rejected
            ],
            "seconds": round(self.seconds, 3),
            "repair": self.repair.as_dict() if self.repair else None,
        }
