"""Ingest throughput against the raw speed of the same embedder, measured in the same run.

    python bench/ingest.py [--items 10000] [--embedders e5,minilm,hashing]

For each embedder it runs, each in a fresh process: raw embedding of the same texts, the full ingest
(read, clean, redact, embed, upsert into a new Chroma store), the raw embedding again (the machine is
noisy; the raw figure is the mean of the two), and a re-ingest of the same files (all duplicates).
Prints a table and writes it to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import run_child, write_section  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process (all threads): far less sensitive than wall time to other load on the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(mode: str, embedder: str, data: str, store: str) -> None:
    """Run one measurement in this (fresh) process and print it as JSON."""
    from assistant.embeddings import load_embedder
    from assistant.ingest.pipeline import ingest_paths
    from assistant.settings import Settings

    settings = Settings(_env_file=None, store=Path(store), embedder=embedder)
    model = load_embedder(embedder)
    model.embed_documents(["warm up"])  # model load is not throughput
    if mode == "raw":
        texts = json.loads(Path(data, "texts.json").read_text(encoding="utf-8"))
        start, cpu = time.perf_counter(), _cpu_seconds()
        for i in range(0, len(texts), settings.batch_size):
            model.embed_documents(texts[i : i + settings.batch_size])
        seconds, cpu, n = time.perf_counter() - start, _cpu_seconds() - cpu, len(texts)
    else:
        from assistant.store import FeedbackStore

        store_obj = FeedbackStore.open(settings, create=True, embedder=model)
        start, cpu = time.perf_counter(), _cpu_seconds()
        report = ingest_paths([str(Path(data, "files"))], settings, progress=False, store=store_obj)
        seconds, cpu, n = time.perf_counter() - start, _cpu_seconds() - cpu, report.read
    print(json.dumps({"items": n, "seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb()}))


def _run(mode: str, embedder: str, data: Path, store: Path) -> dict:
    return run_child(__file__, "--child", mode, "--embedder-one", embedder, "--data", str(data), "--store-dir", str(store))


def prepare(items: int, folder: Path) -> int:
    """Write sample files with at least `items` items, and the cleaned texts the ingest will embed."""
    from assistant.ingest.pipeline import prepared_texts
    from assistant.sample_data import build_records, generate_sample

    base = len(build_records(scale=1.0))
    generate_sample(folder / "files", scale=items / base * 1.1)  # counts round down per day: ask for more
    texts = prepared_texts([str(folder / "files")])
    (folder / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    return len(texts)


def measure(name: str, folder: Path) -> dict:
    """One embedder: raw speed before and after, ingest into a new store, and the re-ingest of the same files."""
    raw1 = _run("raw", name, folder, folder / "unused")
    ingest = _run("ingest", name, folder, folder / f"store-{name}")
    raw2 = _run("raw", name, folder, folder / "unused")
    again = _run("ingest", name, folder, folder / f"store-{name}")
    raw_rate = (raw1["items"] / raw1["seconds"] + raw2["items"] / raw2["seconds"]) / 2
    rate = ingest["items"] / ingest["seconds"]
    raw_cpu = (raw1["cpu"] + raw2["cpu"]) / 2
    return {
        "embedder": name, "items": ingest["items"], "raw": raw_rate, "ingest": rate,
        "ratio": rate / raw_rate, "cpu_ratio": raw_cpu / ingest["cpu"],
        "ingest_s": ingest["seconds"], "reingest_s": again["seconds"],
        "raw_mb": max(raw1["peak_mb"], raw2["peak_mb"]), "ingest_mb": ingest["peak_mb"],
    }


def ingest_section(rows: list[dict], args) -> str:
    """The docs/benchmarks.md section from each embedder's figures."""
    table = [
        "| embedder | items | raw embedder (items/s) | ingest (items/s) | ingest / raw, wall | ingest / raw, CPU time | ingest time | re-ingest (all duplicates) | peak RSS raw / ingest |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        table.append(
            f"| {r['embedder']} | {r['items']:,} | {r['raw']:.0f} | {r['ingest']:.0f} | {r['ratio']:.0%} | {r['cpu_ratio']:.0%} | "
            f"{r['ingest_s']:.1f} s | {r['reingest_s']:.1f} s | {r['raw_mb']:.0f} / {r['ingest_mb']:.0f} MB |"
        )
    return (
        "Command: `python bench/ingest.py --items {items}`. Raw = the embedder alone on the same cleaned texts in "
        "batches of the same size (mean of a run before and after the ingest); ingest = read, clean, redact, "
        "detect language, embed and upsert into a new local Chroma store. Target: ingest >= 80% of raw. "
        "The CPU-time ratio (raw CPU seconds / ingest CPU seconds, all threads) is the check that other load on "
        "the machine cannot skew; the wall-clock ratio is shown beside it (above 100% when other load eased during the "
        "ingest). The hashing embedder has no model: its row is the pipeline's own cost per item (reading, cleaning, "
        "redaction, language, upsert).\n\n"
    ).format(items=args.items) + "\n".join(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--embedders", default="e5,minilm,hashing")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--child")
    parser.add_argument("--embedder-one")
    parser.add_argument("--data")
    parser.add_argument("--store-dir")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.embedder_one, args.data, args.store_dir)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n = prepare(args.items, tmp)
        print(f"{n} items prepared")
        for name in args.embedders.split(","):
            rows.append(measure(name, tmp))
            print(json.dumps(rows[-1]))
    body = ingest_section(rows, args)
    print(body)
    if not args.no_write:
        print("wrote", write_section("benchmarks.md", "ingest", body))


if __name__ == "__main__":
    main()
