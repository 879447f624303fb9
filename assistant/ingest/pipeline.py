"""Ingest: read files -> map columns -> clean -> redact -> id -> embed -> upsert, in streaming batches.

Every write is an upsert keyed by a stable id that names the record, not the file (identity.py), so
re-running an ingest, resuming one that was killed, or ingesting an export that overlaps an earlier one
adds nothing twice and loses nothing: records already stored with the same content are skipped without
being embedded again, changed ones are updated in place.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import time
from pathlib import Path
from typing import IO, Iterable, Iterator

from tqdm.auto import tqdm

from ..records import Feedback, IngestReport, RawRow, Rejection
from ..settings import Settings
from ..store import FeedbackStore
from ..text.language import detect_language
from ..text.redact import redact
from ..text.timeparse import parse_timestamp
from .clean import RejectedText, clean_text, truncate_for_embedding
from .columns import ColumnMap, map_columns
from .identity import content_hash, item_id, repair_store
from .readers import iter_input_files, read_rows

_SAMPLE_ROWS = 50


class RowError(ValueError):
    """A row that cannot become a feedback item; carries the field at fault."""

    def __init__(self, field: str | None, reason: str, kind: str = "invalid"):
        super().__init__(reason)
        self.field, self.reason, self.kind = field, reason, kind


def ingest_paths(
    paths: list[str],
    settings: Settings,
    *,
    source: str | None = None,
    overrides: dict[str, str | None] | None = None,
    fmt: str | None = None,
    encoding: str | None = None,
    stdin: IO[bytes] | None = None,
    progress: bool = True,
    store: FeedbackStore | None = None,
) -> IngestReport:
    """Ingest every file (folders expanded, "-" is standard input) into the store; returns the summary."""
    started = time.perf_counter()
    report = IngestReport()
    files = iter_input_files(paths)
    store = store or FeedbackStore.open(settings, create=True)
    report.repair = repair_store(store)  # a store built with file names in its ids: merge its copies first
    for path, items in _read_files(files, settings, report, source, overrides, fmt, encoding, stdin):
        bar = tqdm(desc=Path(path).name, unit=" items", disable=not progress, leave=False, mininterval=0.5)
        for batch in _batches(items, settings.batch_size):
            _store_batch(batch, store, report)
            bar.update(len(batch))
        bar.close()
    report.seconds = time.perf_counter() - started
    return report


def prepared_texts(paths: list[str], settings: Settings | None = None) -> list[str]:
    """The texts an ingest of `paths` would embed (one per distinct item): the benchmark's raw workload."""
    settings = settings or Settings(_env_file=None)
    texts: dict[str, str] = {}
    for _, items in _read_files(iter_input_files(paths), settings, IngestReport(), None, None, None, None, None):
        for item, embed_text in items:
            texts.setdefault(item.id, embed_text)
    return list(texts.values())


def _read_files(files, settings, report, source, overrides, fmt, encoding, stdin):
    """(path, lazy stream of (feedback, embed text)) for each file, columns mapped from its first rows."""
    for path in files:
        report.files.append(path)
        result = read_rows(path, fmt=fmt, encoding=encoding, stdin=stdin if path == "-" else None)
        rows = iter(result.rows)
        head = list(itertools.islice(rows, _SAMPLE_ROWS))
        samples = [r.fields for r in head if isinstance(r, RawRow)]
        columns = map_columns(result.columns, overrides or {}, path=path, sample_rows=samples)
        name = source or ("stdin" if path == "-" else Path(path).name)
        yield path, _feedback_items(itertools.chain(head, rows), columns, name, settings, report, scope=source)


def _batches(items: Iterable[tuple[Feedback, str]], size: int) -> Iterator[list[tuple[Feedback, str]]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _store_batch(batch: list[tuple[Feedback, str]], store: FeedbackStore, report: IngestReport) -> None:
    """Embed and upsert what is new or changed; count what is already there."""
    unique: dict[str, tuple[Feedback, str]] = {}
    for item, embed_text in batch:
        if item.id in unique:
            report.duplicates += 1  # the same row twice in one batch: keep the first
        else:
            unique[item.id] = (item, embed_text)
    stored = store.existing(list(unique))
    todo: list[tuple[Feedback, str]] = []
    for item, embed_text in unique.values():
        if item.id not in stored:
            report.added += 1
        elif stored[item.id].get("content_hash") != item.content_hash:
            report.updated += 1
            # a newer export of the same system, or another system that numbers its ids alike (the
            # report says so, since only the user can tell: --source keeps two systems apart)
            report.updated_from_other_source += stored[item.id].get("source") != item.source
        else:
            report.duplicates += 1
            continue
        todo.append((item, embed_text))
    if not todo:
        return
    vectors = store.embedder.embed_documents([embed_text for _, embed_text in todo])
    store.upsert(
        [item.id for item, _ in todo],
        [item.text for item, _ in todo],
        [item.metadata() for item, _ in todo],
        vectors,
    )


def _feedback_items(
    rows: Iterable[RawRow | Rejection], columns: ColumnMap, source: str, settings: Settings, report: IngestReport,
    *, scope: str | None = None,
) -> Iterator[tuple[Feedback, str]]:
    """Turn raw rows into (feedback, text to embed); rejected rows go to the report with their reason."""
    for row in rows:
        report.read += 1
        if isinstance(row, Rejection):
            report.rejected.append(row)
            continue
        try:
            yield to_feedback(row, columns, source, settings, scope=scope)
        except RowError as err:
            report.rejected.append(Rejection(row.path, row.row, err.reason, err.field, err.kind))


def to_feedback(row: RawRow, columns: ColumnMap, source: str, settings: Settings, *,
                scope: str | None = None) -> tuple[Feedback, str]:
    """One raw row -> a cleaned, redacted feedback item and the (truncated) text to embed.

    `source` is where the row came from (the file name, or the --source name); `scope` is the --source name
    the user gave, which alone separates records of two systems whose ids overlap."""
    fields = row.fields
    try:
        cleaned = clean_text(
            fields.get(columns.text),
            min_chars=settings.min_item_chars,
            max_chars=settings.max_item_chars,
            embed_max_chars=settings.embed_max_chars,
        )
    except RejectedText as err:
        kind = "invalid" if "over the limit" in err.reason else "filtered"
        raise RowError(columns.text, err.reason, kind) from None
    text, redactions = cleaned.text, 0
    if settings.redact:
        result = redact(text)
        text, redactions = result.text, sum(result.counts.values())
    embed_text = truncate_for_embedding(text, settings.embed_max_chars)
    lang, langs = detect_language(text)

    ts = None
    if columns.time:
        try:
            ts = parse_timestamp(fields.get(columns.time), tz=settings.timezone)
        except ValueError as err:
            raise RowError(columns.time, str(err)) from None

    try:
        rating = _rating(fields.get(columns.rating)) if columns.rating else None
    except ValueError as err:
        raise RowError(columns.rating, str(err)) from None
    source_id = _scalar(fields.get(columns.id)) if columns.id else None
    customer_id = _scalar(fields.get(columns.customer)) if columns.customer else None
    roles = set(columns.roles().values())
    extra = {}
    for key, value in fields.items():
        if key in roles or key is None:
            continue
        value = _scalar(value)
        if value is not None and settings.redact and isinstance(value, str):
            value = redact(value).text
        extra[_field_name(key)] = value

    channel = _scalar(fields.get(columns.channel)) if columns.channel else None
    draft = Feedback(
        id="",
        content_hash="",
        text=text,
        source=source,
        row=row.row,
        ts=ts,
        source_id=None if source_id is None else str(source_id),
        id_scope=scope,
        channel=None if channel is None else str(channel),  # unknown: the file's name is `source`, not a channel
        customer_id=str(customer_id) if customer_id is not None else None,
        customer_name=_str(fields.get(columns.customer_name)) if columns.customer_name else None,
        rating=rating,
        product=_str(fields.get(columns.product)) if columns.product else None,
        lang=lang,
        langs=",".join(langs),
        redactions=redactions,
        truncated=embed_text != text,
        extra=extra,
    )
    identity = item_id(scope=scope, source_id=draft.source_id, text=text, customer_id=draft.customer_id, ts=ts)
    return dataclasses.replace(draft, id=identity, content_hash=content_hash(text, draft.metadata())), embed_text


def _scalar(value):
    """A metadata-safe value: None for blanks and NaN, str for anything not a plain scalar."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float):
        return value
    value = str(value).strip()
    return value or None


def _str(value) -> str | None:
    value = _scalar(value)
    return None if value is None else str(value)


_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def _rating(value) -> float | None:
    value = _scalar(value)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"rating '{value}' is not a number")
    if isinstance(value, int | float):
        return float(value)
    match = _NUMBER.search(value)
    if not match:
        raise ValueError(f"rating '{value}' is not a number")
    return float(match.group().replace(",", "."))


def _field_name(column: str) -> str:
    """Extra column -> metadata key (letters, digits, CJK and underscores)."""
    name = re.sub(r"[^\w]+", "_", str(column).strip().lower()).strip("_")
    return name or "column"
