"""Data commands: ingest, stats, search, export, sample."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import click

from ..errors import AssistantError
from .group import COLUMN_ROLES, cli, command_settings, emit_json, parse_day_option, store_options


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@store_options
@click.option("--source", help="Source name recorded on every item (default: the file name); it also keeps ids "
                                "apart from other sources' (for systems whose id columns overlap).")
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv", "json", "jsonl", "xlsx", "txt"]),
              help="Input format (default: from the extension; sniffed for standard input).")
@click.option("--encoding", help="Text encoding (default: detected).")
@click.option("--embedder", help="Embedder for a new store: e5 (default), minilm, or a sentence-transformers model.")
@click.option("--no-redact", is_flag=True, help="Store personal data as it is (redaction is on by default).")
@click.option("--text-col", help="Column holding the feedback text.")
@click.option("--time-col", help="Column holding the date/time.")
@click.option("--customer-col", help="Column holding the customer id.")
@click.option("--customer-name-col", help="Column holding the customer's display name.")
@click.option("--channel-col", help="Column holding the channel.")
@click.option("--rating-col", help="Column holding the rating.")
@click.option("--product-col", help="Column holding the product.")
@click.option("--id-col", help="Column holding the source's own id.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def ingest(ctx, paths, store, chroma_url, source, fmt, encoding, embedder, no_redact, as_json, **cols):
    """Clean, redact, embed and store feedback files (CSV, TSV, JSON, JSONL, XLSX, TXT; folders; - for stdin).

    Re-running is safe: unchanged rows are skipped, changed rows updated; a record already stored from an
    overlapping export (same id column, or same text, customer and time) is stored once.
    """
    from ..ingest.pipeline import ingest_paths

    settings = command_settings(ctx, store=store, chroma_url=chroma_url, embedder=embedder, redact=False if no_redact else None)
    overrides = {role: cols.get(f"{role}_col") for role in COLUMN_ROLES}
    report = ingest_paths(list(paths), settings, source=source, overrides=overrides, fmt=fmt, encoding=encoding,
                          stdin=sys.stdin.buffer, progress=sys.stderr.isatty() and not as_json)
    if as_json:
        emit_json(report.as_dict())
    else:
        if report.repair:
            click.echo(str(report.repair))
        click.echo(
            f"read {report.read}, added {report.added}, updated {report.updated}, "
            f"skipped as duplicate {report.duplicates} (already stored, unchanged), rejected {len(report.rejected)} "
            f"({report.seconds:.1f} s, {report.read / max(report.seconds, 1e-9):.0f} items/s)"
        )
        if report.updated_from_other_source:
            click.echo(f"  {report.updated_from_other_source} updated items had been stored from another file with "
                       f"the same id and other content: fine for a newer export of the same system; if the files "
                       f"come from different systems, ingest each with --source NAME to keep their ids apart")
        reasons = Counter(r.reason if r.kind == "filtered" else "invalid" for r in report.rejected)
        for rejection in report.invalid[:20]:
            click.echo(f"  rejected {rejection}")
        if len(report.invalid) > 20:
            click.echo(f"  ... and {len(report.invalid) - 20} more invalid rows (use --json for all)")
        for reason, n in sorted(reasons.items()):
            if reason != "invalid":
                click.echo(f"  skipped {n} rows: {reason}")
    if report.invalid:
        first = report.invalid[0]
        more = f" (and {len(report.invalid) - 1} more rejected rows)" if len(report.invalid) > 1 else ""
        raise AssistantError(f"{first}{more}")


@cli.command()
@store_options
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def stats(ctx, store, chroma_url, as_json):
    """Counts of stored feedback by source, channel, language and week."""
    from ..store import ID_SCHEME, FeedbackStore

    feedback = FeedbackStore.open(command_settings(ctx, store=store, chroma_url=chroma_url))
    counters = {key: Counter() for key in ("source", "channel", "lang", "week")}
    first = last = None
    total = 0
    for _, meta in feedback.metadatas():
        total += 1
        for key, counter in counters.items():
            counter[meta.get(key, "unknown")] += 1
        ts = meta.get("ts")
        if ts is not None:
            first = ts if first is None else min(first, ts)
            last = ts if last is None else max(last, ts)
    data = {
        "store": feedback.location,
        "embedder": feedback.embedder_name,
        "id_scheme": feedback.id_scheme() or 1,
        "items": total,
        "first": _iso(first),
        "last": _iso(last),
        "by_source": dict(counters["source"].most_common()),
        "by_channel": dict(counters["channel"].most_common()),
        "by_language": dict(counters["lang"].most_common()),
        "by_week": dict(sorted(counters["week"].items())),
    }
    if as_json:
        return emit_json(data)
    click.echo(f"{total} items in {data['store']} (embedder {data['embedder']}), {data['first']} .. {data['last']}")
    if total and data["id_scheme"] < ID_SCHEME:
        click.echo("note: built with an older id scheme, so overlapping exports may be counted twice and channels "
                   "may be file names; the next `assistant ingest` or `assistant analyze` repairs it")
    for title, key in (("source", "by_source"), ("channel", "by_channel"), ("language", "by_language")):
        click.echo(f"\nby {title}:")
        for name, n in data[key].items():
            click.echo(f"  {name:<28} {n:>7}")
    click.echo("\nby week:")
    peak = max(data["by_week"].values(), default=1)
    for week, n in data["by_week"].items():
        click.echo(f"  {week:<10} {n:>6}  {'#' * max(1, round(40 * n / peak))}")


def _iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


@cli.command()
@click.argument("query")
@store_options
@click.option("-k", "k", default=10, show_default=True, type=click.IntRange(1, 1000), help="Number of results.")
@click.option("--since", help="Only feedback on or after this date.")
@click.option("--until", help="Only feedback up to this date (inclusive).")
@click.option("--channel", help="Only this channel.")
@click.option("--lang", help="Only this language (en, zh, ...).")
@click.option("--source", help="Only this source file/name.")
@click.option("--customer", help="Only this customer id.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def search(ctx, query, store, chroma_url, k, since, until, channel, lang, source, customer, as_json):
    """Find feedback by meaning (any language), with filters."""
    from ..analysis.filters import Filters
    from ..store import FeedbackStore

    settings = command_settings(ctx, store=store, chroma_url=chroma_url)
    feedback = FeedbackStore.open(settings)
    filters = Filters(since=parse_day_option(since, tz=settings.timezone),
                      until=parse_day_option(until, end=True, tz=settings.timezone),
                      channel=channel, lang=lang, source=source, customer_id=customer)
    # a filtered vector search needs Chroma's `where`; values as typed (their stored spellings would cost
    # reading every item, which a search does not otherwise do)
    hits = feedback.search(query, k=k, where=filters.where())
    if as_json:
        return emit_json([{"id": h.id, "score": h.score, "text": h.text, **h.metadata} for h in hits])
    if not hits:
        click.echo("no matching feedback")
    for hit in hits:
        meta = hit.metadata
        text = hit.text if len(hit.text) <= 160 else hit.text[:157] + "..."
        click.echo(f"{hit.score:.3f}  {meta.get('date', '----------')}  {meta.get('channel', ''):<14} "
                   f"{meta.get('lang', ''):<3} [{hit.id}]  {text}")


@cli.command()
@store_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.pass_context
def export(ctx, store, chroma_url, fmt, out):
    """Write every stored item with every stored field (one row per item)."""
    from ..store import FeedbackStore

    feedback = FeedbackStore.open(command_settings(ctx, store=store, chroma_url=chroma_url))
    from ..analysis.types import ANALYSIS_FIELDS

    # analysis fields on every row, empty until `analyze` has run, so scripts can rely on the columns
    blank = dict.fromkeys(ANALYSIS_FIELDS)
    rows = [{"id": item.id, "text": item.text, **blank, **item.metadata} for item in feedback.iter_items()]
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        import pandas as pd

        pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8")
    click.echo(f"wrote {len(rows)} items to {path}")


@cli.command()
@click.argument("out_dir", default="data/sample", type=click.Path(file_okay=False))
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same files).")
@click.option("--scale", default=1.0, show_default=True, help="Multiply item counts.")
def sample(out_dir, seed, scale):
    """Write the bundled bilingual sample feedback (support tickets, reviews, social posts, NPS)."""
    from ..sample_data import generate_sample

    paths = generate_sample(Path(out_dir), seed=seed, scale=scale)
    for path in paths:
        click.echo(str(path))


