"""How well a question's topic selects the items about it (assistant/agent/topic.py), on labelled real data.

    python bench/topic_scope.py [--stores DIR] [--data ../shared/data]

A topic is a label's own name in plain words, as a user would type it ("card arrival", "exchange rate",
"incorrect information on your report"); the items about it are those the data set files under that
label. For each cut-off (robust z above the background similarity) it prints the precision, recall and F1
of the items chosen by meaning alone, by the topic's words alone, and by both (what the product uses),
macro-averaged over the labels. The z the product uses (topic.Z_MEANING) is chosen from these figures;
disclosed as chosen after looking. Stores (e5, the default embedder) are kept under --stores.
Writes docs/quality.md, section "topic-scope".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GRID = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5)
SETS = {
    # name: (file under data, text column, label column, rows, how a label becomes a topic)
    "banking77": ("banking77/test.csv", "text", "category", 3080, lambda label: label.replace("_", " ")),
    "cfpb": ("cfpb/complaints_sample.csv", "Consumer complaint narrative", "Issue", None, lambda label: label.lower()),
}
MIN_ITEMS = 15  # labels with fewer items are left out (too few to measure recall)
# topics none of these sets is about: every item they match is a false positive
ABSENT = ("dark mode", "parking spaces", "wifi password", "zeppelin mooring", "sushi rolls", "hotel breakfast",
          "停车位", "深色模式")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=Path, help="Folder for the stores (kept; re-runs reuse the ingest).")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    stores = args.stores or Path(tempfile.mkdtemp(prefix="bench-topic-"))
    lines = ["| set | labels | cut-off z | meaning P / R / F1 | words P / R / F1 | both P / R / F1 |",
             "|---|---|---|---|---|---|"]
    absent_lines = []
    for name in SETS:
        measured = measure(name, args.data, stores / name)
        if measured is None:
            continue
        rows, absent = measured
        absent_lines.append(f"- {name}: " + ", ".join(absent))
        for z, labels, meaning, words, both in rows:
            lines.append(f"| {name} | {labels} | {z:.1f} | {_prf(meaning)} | {_prf(words)} | {_prf(both)} |")
            print(lines[-1], flush=True)
    body = ("A topic (a label's name in plain words) against the items the data set files under that label, "
            "macro-averaged over labels with at least 15 items. `meaning`: similarity at least z robust standard "
            "deviations above a fixed random sample of the store; `words`: the item names every content word of "
            "the topic; `both`: either (what the product uses, with z = "
            f"{_z()}, chosen after looking at these figures: the best F1 of `both` on banking77, whose short "
            "queries are like most feedback; CFPB's long narratives against its bureaucratic issue names score low "
            "at every cut-off). An item in the topic's language counts by meaning at z when it also names one of "
            f"the topic's words, or alone at z >= {_strong()}; an item in another language at z >= {_cross()}."
            "\n\n" + "\n".join(lines) + "\n\nItems matched (at the product's z) by topics the data is not about "
            "(each one a false positive):\n\n" + "\n".join(absent_lines) +
            "\n\nReproduce: `python bench/topic_scope.py`.")
    write_section("quality.md", "topic-scope", body)


def _z() -> float:
    from assistant.agent.topic import Z_MEANING

    return Z_MEANING


def _strong() -> float:
    from assistant.agent.topic import Z_STRONG

    return Z_STRONG


def _cross() -> float:
    from assistant.agent.topic import Z_CROSS

    return Z_CROSS


def _prf(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def measure(name: str, data: Path, folder: Path):
    import pandas as pd

    from assistant.agent import topic as topic_mod
    from assistant.agent.context import DataContext
    from assistant.ingest.pipeline import ingest_paths
    from assistant.settings import Settings
    from assistant.store import FeedbackStore

    rel, text_col, label_col, rows, to_topic = SETS[name]
    source = data / rel
    if not source.exists():
        print(f"{name}: skipped, {source} not found (the shared development data is not in the repository)")
        return None
    raw = pd.read_csv(source, dtype=str)
    raw = raw[raw[text_col].fillna("").str.strip() != ""]
    if rows:
        raw = raw.head(rows)
    raw = raw.reset_index(drop=True)
    raw["rid"] = [f"r{i}" for i in range(len(raw))]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder.parent / f"{name}_topic_input.csv"
    raw[["rid", text_col]].rename(columns={text_col: "text", "rid": "id"}).to_csv(path, index=False)
    settings = Settings(_env_file=None, store=folder)
    ingest_paths([str(path)], settings, progress=False)
    store = FeedbackStore.open(settings)
    ctx = DataContext.open(settings, store)
    frame = ctx.frame()
    gold_of = dict(zip(raw["rid"], raw[label_col]))
    sources = {item_id: meta.get("source_id") for item_id, meta in store.metadatas()}
    frame["gold"] = frame["id"].map(lambda i: gold_of.get(str(sources.get(i))))
    counts = frame["gold"].value_counts()
    labels = [label for label, n in counts.items() if n >= MIN_ITEMS]
    results = {z: ([], [], []) for z in GRID}
    for label in labels:
        topic = to_topic(label)
        gold = set(frame.loc[frame["gold"] == label, "id"])
        for z in GRID:
            match = topic_mod.match_topic(ctx, topic, frame, z=z)
            for n, picked in enumerate((match.meaning_ids, match.word_ids, set(match.ids))):
                results[z][n].append(_scores(picked, gold))
    absent = []
    for topic in ABSENT:
        match = topic_mod.match_topic(ctx, topic, frame)
        absent.append(f"{topic}: {len(match.ids)}")
    print(f"{name}: items matched by topics the data is not about: " + ", ".join(absent), flush=True)
    out = []
    for z in GRID:
        out.append((z, len(labels), *[tuple(np.mean(np.array(v), axis=0)) if v else (0, 0, 0) for v in results[z]]))
    return out, absent


def _scores(picked: set, gold: set) -> tuple[float, float, float]:
    hit = len(picked & gold)
    p = hit / len(picked) if picked else 0.0
    r = hit / len(gold) if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


if __name__ == "__main__":
    main()
