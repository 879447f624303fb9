"""`analyze` time against `ingest` time for the same 10,000 items, in one run.

    python bench/analyze.py [--items 10000] [--embedder e5]

Target (analysis issue): analysing the stored items, without an LLM, takes no longer than ingesting them
did, because it reuses the stored vectors. Each step runs in a fresh process with a fresh model cache
(cold: seed centroids and the Chinese lexicon model are built inside the measured time). Also measures a
re-run over the unchanged store (should do nothing). Writes the table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import run_child, write_section  # noqa: E402
from bench.ingest import _cpu_seconds, _peak_mb, prepare  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def child(step: str, embedder: str, data: str, store: str, cache: str) -> None:
    from assistant.settings import Settings
    from assistant.store import FeedbackStore

    settings = Settings(_env_file=None, store=Path(store), embedder=embedder, cache_dir=Path(cache))
    start, cpu = time.perf_counter(), _cpu_seconds()
    if step == "ingest":
        from assistant.ingest.pipeline import ingest_paths

        n = ingest_paths([str(Path(data, "files"))], settings, progress=False).read
        extra = {}
    else:
        from assistant.analysis.run import analyze_store

        report = analyze_store(FeedbackStore.open(settings), settings, progress=False)
        n, extra = report.analysed, {"themes": report.themes, "unassigned": report.unassigned}
    print(json.dumps({"items": n, "seconds": time.perf_counter() - start, "cpu": _cpu_seconds() - cpu,
                      "peak_mb": _peak_mb(), **extra}))


def _run(step: str, embedder: str, tmp: Path) -> dict:
    return run_child(__file__, "--child", step, "--embedder", embedder, "--data", str(tmp),
                     "--store-dir", str(tmp / "store"), "--cache", str(tmp / "cache"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--embedder", default="e5")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--data")
    parser.add_argument("--store-dir")
    parser.add_argument("--cache")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.embedder, args.data, args.store_dir, args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n = prepare(args.items, tmp)
        print(f"{n} items prepared")
        ingest = _run("ingest", args.embedder, tmp)
        print("ingest", ingest)
        analyze = _run("analyze", args.embedder, tmp)
        print("analyze", analyze)
        again = _run("analyze", args.embedder, tmp)
        print("re-analyze", again)
    body = (
        f"Command: `python bench/analyze.py --items {args.items} --embedder {args.embedder}`. Each step in a fresh "
        "process; `analyze` starts with an empty model cache.\n\n"
        "| step | items | wall time | CPU time | peak RSS | notes |\n|---|---|---|---|---|---|\n"
        f"| ingest | {ingest['items']:,} | {ingest['seconds']:.0f} s | {ingest['cpu']:.0f} s | {ingest['peak_mb']:.0f} MB | |\n"
        f"| analyze (cold) | {analyze['items']:,} | {analyze['seconds']:.0f} s | {analyze['cpu']:.0f} s | "
        f"{analyze['peak_mb']:.0f} MB | {analyze['themes']} themes, {analyze['unassigned']} items unassigned |\n"
        f"| analyze again (nothing changed) | {again['items']:,} | {again['seconds']:.1f} s | {again['cpu']:.1f} s | "
        f"{again['peak_mb']:.0f} MB | |\n\n"
        f"analyze / ingest: {analyze['seconds'] / ingest['seconds']:.0%} of the wall time, "
        f"{analyze['cpu'] / ingest['cpu']:.0%} of the CPU time (target: at most 100%)."
    )
    print(body)
    if not args.no_write:
        print("wrote", write_section("benchmarks.md", "analyze", body))


if __name__ == "__main__":
    main()
