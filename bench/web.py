"""Is the web app's dashboard responsive over 100,000 stored items (target: under 3 s)?

    python bench/web.py [--items 100000] [--store DIR]

Builds a store of synthetic analysed feedback quickly: the bundled sample's texts and ground truth (category,
theme, sentiment, customer, channel) repeated with distinct ids and reference numbers, embedded with the
hashing embedder and written through the store API with analysis fields as metadata (no `analyze` run).
With --store DIR an existing store of the right size is reused. Then it times, in one process:

- reading every item from Chroma (the baseline: what every first view paid before the snapshot);
- the first dashboard view with no snapshot, writing the snapshot as `analyze` does, reading it back;
- the dashboard callback cold (a new app state: frame from the snapshot, views computed);
- the same view again (cached), a view with new filters (frame cached, views computed), a daily view;
- the dashboard through the served app (gradio_client over HTTP) with filters it has not seen, alone and
  from four sessions asking for four different new views at the same moment;
- a 200-row upload through the Data page's function, and the dashboard right after it (the upload's
  items are merged into the cached frame instead of reading the whole store again).

Writes the table to docs/benchmarks.md (section "web").
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import write_section

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SENTIMENT = {"neg": ("negative", -0.65), "neu": ("neutral", 0.0), "pos": ("positive", 0.6)}
EMBED_DIM = 64


def build_store(folder: Path, items: int):
    """A store of `items` analysed feedback items written through FeedbackStore (reused when complete)."""
    from assistant.embeddings import HashingEmbedder
    from assistant.sample_data import build_records
    from assistant.settings import Settings
    from assistant.store import FeedbackStore

    settings = Settings(_env_file=None, store=folder, embedder=f"hashing-{EMBED_DIM}")
    embedder = HashingEmbedder(EMBED_DIM)
    store = FeedbackStore.open(settings, create=True, embedder=embedder)
    if store.count() >= items:
        return settings, 0.0
    started = time.perf_counter()
    base = build_records(scale=2.0)
    ids, texts, metas = [], [], []
    for n in range(items):
        r = base[n % len(base)]
        copy = n // len(base)
        text = r.text if copy == 0 else f"{r.text} (ref {copy:03d}-{n % 997:03d})"
        label, score = SENTIMENT.get(r.sentiment, ("neutral", 0.0))
        ts = int(r.ts.timestamp()) + copy * 37  # copies spread over the same weeks, not the same second
        theme = f"{r.category}/{r.theme}"
        meta = {"source": f"{r.kind}.csv", "row": n + 2, "lang": r.lang, "ts": ts,
                "date": time.strftime("%Y-%m-%d", time.gmtime(ts)),
                "week": time.strftime("%G-W%V", time.gmtime(ts)),
                "channel": r.ticket_channel or r.platform or r.kind, "content_hash": hashlib.sha1(text.encode()).hexdigest(),
                "sentiment": label, "sentiment_score": score, "category": r.category,
                "categories": f'["{r.category}"]', "category_confidence": 0.8, "entities": "[]",
                "theme_id": theme, "theme_label": r.theme.replace("_", " "),
                "priority": round(50 - 40 * score + (n % 13), 1), "analysis_hash": "bench"}
        if r.customer is not None:
            meta.update(customer_id=r.customer.id, customer_name=r.customer.name, x_tier=r.customer.tier)
        if r.rating is not None:
            meta["rating"] = float(r.rating)
        ids.append(f"bench-{n:07d}")
        texts.append(text)
        metas.append(meta)
    step = 5000
    for start in range(0, items, step):
        chunk = slice(start, start + step)
        store.upsert(ids[chunk], texts[chunk], metas[chunk], embedder.embed_documents(texts[chunk]))
    return settings, time.perf_counter() - started


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--store", type=Path, help="Folder for the store (kept; reused when it is complete).")
    args = parser.parse_args()

    folder = args.store or Path(tempfile.mkdtemp(prefix="bench-web-")) / "store"
    settings, build_seconds = build_store(folder, args.items)
    print(f"store: {args.items} items in {folder} (built in {build_seconds:.1f} s)" if build_seconds
          else f"store: reused {folder}", flush=True)
    stored, view, load_before, rows = measure(settings)
    for name, seconds in rows:
        print(f"{name:<70} {seconds:7.2f} s", flush=True)
    load_after = os.getloadavg()[0]
    body = web_section(stored, view, load_before, load_after, rows)
    print(f"wrote {write_section('benchmarks.md', 'web', body)}")


def measure(settings) -> tuple[int, object, float, list[tuple[str, float]]]:
    """Each step of showing the dashboard over the store, in seconds: the items stored, the last view, the load
    average at the start, and (step, seconds) rows."""
    from assistant.analysis import snapshot
    from assistant.analysis.frame import frame_from_rows, load_frame
    from assistant.store import FeedbackStore
    from assistant.web.dashboard import dashboard_view
    from assistant.web.state import WebState

    store = FeedbackStore.open(settings)
    stored = store.count()
    load_before = os.getloadavg()[0]
    path = store.derived_path(snapshot.FILE_NAME)
    path.unlink(missing_ok=True)
    baseline, frame = timed(lambda: frame_from_rows([{"id": i.id, "text": i.text, **i.metadata} for i in store.iter_items()]))
    last_day = frame["date"].max()
    month_ago = (frame["time"].max() - __import__("pandas").Timedelta(days=28)).strftime("%Y-%m-%d")
    del frame

    cold_chroma, _ = timed(lambda: dashboard_view(WebState(settings)))  # no snapshot: reads Chroma, writes one
    path.unlink()
    write_snapshot, _ = timed(lambda: snapshot.refresh(store))  # what the end of `analyze` does
    snap_read, _ = timed(lambda: load_frame(store))

    state = WebState(settings)
    cold, view = timed(lambda: dashboard_view(state))
    frame_seconds = state.last_load_seconds
    warm_same = statistics.median(timed(lambda: dashboard_view(state))[0] for _ in range(5))
    filters = [{"since": month_ago, "until": last_day}, {"categories": ["pricing"]}, {"langs": ["zh"]},
               {"channels": ["email", "iOS"], "since": month_ago}]
    warm_new = [timed(lambda f=f: dashboard_view(state, **f))[0] for f in filters]
    daily, _ = timed(lambda: dashboard_view(state, interval="day", since=month_ago))

    served, sessions = _served(settings, state, month_ago)
    upload, after_upload, reads = _upload(state, last_day)
    rows = [
        ("reading every item from Chroma into the frame (no snapshot; the baseline)", baseline),
        ("dashboard, first view with no snapshot (reads Chroma, writes the snapshot)", cold_chroma),
        ("writing the snapshot from Chroma (the last step of `analyze`)", write_snapshot),
        ("reading the frame from the snapshot", snap_read),
        ("dashboard, first view of a new app (frame from the snapshot, views computed)", cold),
        ("  of which reading the frame", frame_seconds),
        ("dashboard, same view again (cached)", warm_same),
        ("dashboard, new filters (median of 4; frame cached)", statistics.median(warm_new)),
        ("dashboard, new filters (slowest of 4)", max(warm_new)),
        ("dashboard, daily view of the last 28 days", daily),
        ("served app over HTTP (gradio_client), new filters", served),
        ("served app, 4 sessions asking for 4 different new views at once: mean wait", statistics.mean(sessions)),
        ("served app, 4 sessions at once: longest wait", max(sessions)),
        ("upload of a 200-row CSV through the Data page (ingest + merge into the cache)", upload),
        ("dashboard right after that upload" + ("" if reads == 0 else " (store read again!)"), after_upload),
    ]
    return stored, view, load_before, rows


def web_section(stored: int, view, load_before: float, load_after: float, rows: list[tuple[str, float]]) -> str:
    """The docs/benchmarks.md section from the figures."""
    return (f"Dashboard of the web app over **{stored:,}** stored items (synthetic analysed feedback, "
            f"`python bench/web.py`; {view.demands.shape[0]} demands and "
            f"{len(view.volume)} volume cells per view). Target: under 3 s. Load average {load_before:.1f} at "
            f"the start of the run, {load_after:.1f} at the end.\n\n"
            "| step | seconds |\n|---|---:|\n" + "\n".join(f"| {n.strip()} | {s:.2f} |" for n, s in rows) +
            "\n\n`analyze` ends by writing the item snapshot (analysis/snapshot.py), so a new app, or the first "
            "view after a change made elsewhere, reads the frame from it instead of from Chroma. Without a "
            "current snapshot (a store written by another tool) the first view pays the Chroma read once and "
            "leaves a snapshot for the next start. Every session shares the cached frame and views.")


def _upload(state, day: str) -> tuple[float, float, int]:
    """Seconds to ingest a small CSV through the Data page and to show the dashboard after it."""
    from assistant.web.dashboard import dashboard_view
    from assistant.web.data import ingest_files

    folder = Path(tempfile.mkdtemp(prefix="bench-web-upload-"))
    stamp = time.strftime('%Y%m%d_%H%M%S')
    path = folder / f"weekly_export_{stamp}.csv"
    # new records each run (an item is its id column's record, whatever the file is called)
    lines = ["id,date,customer,text"] + [f"u{stamp}-{n},{day},C{n % 40:04d},Order {n} arrived late and the box was "
                                         "warm again" for n in range(200)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reads = state.loads
    upload, result = timed(lambda: ingest_files(state, [str(path)]))
    assert result.report.added == 200, result.summary()
    after, _ = timed(lambda: dashboard_view(state))
    return upload, after, state.loads - reads


def _served(settings, state, month_ago: str) -> tuple[float, list[float]]:
    """Seconds for one /dashboard call through the served app with filters not computed before, and for each
    of four sessions calling it at the same moment with four other new filters."""
    from gradio_client import Client

    from assistant.web.app import build_app

    demo = build_app(settings, state=state)
    demo.queue()
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        seconds, out = timed(lambda: client.predict(month_ago, "", [], [], ["en"], "week",
                                                    api_name="/dashboard"))
        assert "items" in out[0], out[-1]
        views = [(month_ago, "", ["user_experience"], [], [], "week"), ("", "", [], [], ["en"], "day"),
                 ("", "", ["product_feature", "pricing"], [], [], "week"), ("", month_ago, [], [], [], "week")]
        clients = [Client(f"http://127.0.0.1:{port}/", verbose=False) for _ in views]
        waits = [0.0] * len(views)

        def session(n: int) -> None:
            waits[n] = timed(lambda: clients[n].predict(*views[n], api_name="/dashboard"))[0]

        threads = [threading.Thread(target=session, args=(n,)) for n in range(len(views))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return seconds, waits
    finally:
        demo.close()


if __name__ == "__main__":
    main()
