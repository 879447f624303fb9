"""Entity extraction: speed on 10,000 items and how much of what the sample generator planted is found.

    python bench/quality_entities.py [--items 10000] [--no-write]

Each configuration (with spaCy, without) runs in a fresh process: "cold" includes importing spaCy, loading
en_core_web_sm and jieba's dictionary; "warm" is a second pass over the same texts. Quality uses the sample
data as a closed world: every city, competitor, price and order number the generator put into a text is a
planted entity (recall); a place or competitor outside those lists is counted as a false positive.
Prints a table and writes it to docs/benchmarks.md unless --no-write.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import write_section  # noqa: E402

DICTIONARY = Path(__file__).resolve().parent.parent / "assistant" / "taxonomies" / "products.example.yaml"


def _items(n: int):
    from assistant.text.redact import redact
    from assistant.sample_data import build_records

    base = len(build_records())
    records = build_records(scale=n / base * 1.06)[:n]  # counts round down per day: ask for a little more
    return [redact(r.text).text for r in records], [r.lang for r in records]


def _planted(text: str, slots: dict) -> list[tuple[str, str]]:
    """(kind, text) pairs the generator put into this text; casefolded, as some texts are lower-cased typos."""
    text = text.casefold()
    out = [("location", c.casefold()) for lang in ("en", "zh") for c in slots[lang]["city"] if c.casefold() in text]
    out += [("competitor", c.casefold()) for lang in ("en", "zh") for c in slots[lang]["competitor"]
            if c.casefold() in text]
    out += [("order_id", o) for o in re.findall(r"#A\d{5}|(?:订单号|订单|单号)\d{13}", text)]
    out += [("money", m) for m in re.findall(r"\$\d+(?:\.\d\d)?|\d+(?:元|块)", text)]
    return out


def child(items: int, use_spacy: bool) -> None:
    """Measure one configuration in this (fresh) process and print it as JSON."""
    from assistant.analysis.entities import EntityExtractor, load_dictionary
    from assistant.sample_texts import SLOT_VALUES

    texts, langs = _items(items)
    start = time.perf_counter()
    extractor = EntityExtractor(load_dictionary(DICTIONARY), use_spacy=use_spacy)
    results = extractor.extract_many(texts, langs)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    extractor.extract_many(texts, langs)
    warm = time.perf_counter() - start

    known_places = {c.casefold() for lang in ("en", "zh") for c in SLOT_VALUES[lang]["city"]}
    known_rivals = {c.casefold() for lang in ("en", "zh") for c in SLOT_VALUES[lang]["competitor"]}
    hits, planted, unexpected, counts = {}, {}, {"location": 0, "competitor": 0}, {}
    for text, ents in zip(texts, results, strict=True):
        for ent in ents:
            counts[ent.kind] = counts.get(ent.kind, 0) + 1
            if ent.kind == "location" and ent.text.casefold() not in known_places:
                unexpected["location"] += 1
            if ent.kind == "competitor" and ent.text.casefold() not in known_rivals:
                unexpected["competitor"] += 1
        for kind, what in _planted(text, SLOT_VALUES):
            planted[kind] = planted.get(kind, 0) + 1
            hits[kind] = hits.get(kind, 0) + any(e.kind == kind and what in e.text.casefold() for e in ents)
    print(json.dumps({"items": len(texts), "spacy": extractor.spacy_available, "cold": cold, "warm": warm,
                      "planted": planted, "hits": hits, "unexpected": unexpected, "counts": counts}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--child", choices=["spacy", "nospacy"])
    args = parser.parse_args()
    if args.child:
        return child(args.items, args.child == "spacy")

    rows = []
    for mode in ("spacy", "nospacy"):
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--items", str(args.items)],
                             capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(rows[-1], ensure_ascii=False))
    kinds = ("location", "competitor", "order_id", "money")
    table = ["| configuration | items | cold (incl. model loads) | warm | "
             + " | ".join(f"{k} recall" for k in kinds) + " | unexpected places / competitors |",
             "|---|---|---|---|" + "---|" * len(kinds) + "---|"]
    for r in rows:
        recall = " | ".join(f"{r['hits'].get(k, 0) / max(1, r['planted'].get(k, 0)):.1%}" for k in kinds)
        table.append(f"| {'spaCy + gazetteer + jieba' if r['spacy'] else 'gazetteer + jieba'} | {r['items']:,} | "
                     f"{r['cold']:.1f} s | {r['warm']:.1f} s | {recall} | "
                     f"{r['unexpected']['location']} / {r['unexpected']['competitor']} |")
    body = (f"Command: `python bench/quality_entities.py --items {args.items}`. Sample data (redacted), the example "
            "product dictionary. Recall = planted cities, competitors, order numbers and prices found; a place or "
            "competitor outside the generator's lists counts as unexpected. Target: well under the ~200 s that "
            "embedding the same items with e5 takes.\n\n") + "\n".join(table)
    print(body)
    if not args.no_write:
        print("wrote", write_section("benchmarks.md", "entities", body))


if __name__ == "__main__":
    main()
