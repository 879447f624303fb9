"""Theme discovery: quality against the sample's ground truth, stability, extension, and cost at 100k items.

    python bench/themes.py [--synthetic 100000] [--no-write]

The sample items (`build_records()`) are cleaned and redacted as ingest stores them, their language is
detected as ingest does, and they are embedded with e5 (cached in /tmp between runs, never in the repo).
The default clusters across categories; clustering within categories is measured with the generator's
categories and with the default taxonomy's zero-shot ones. Reported: themes, unassigned share, purity /
NMI / ARI against the ground-truth themes, cross-language merge rate (bilingual ground-truth themes whose
English and Chinese items land mostly in the same theme), the same with language centring switched off,
determinism, extension (weeks 1-11 then 12-14; weeks 1-8 then the outage week 9), and time and peak memory
of one process clustering N synthetic vectors (the sample's vectors resampled with noise, with their texts). Writes docs/benchmarks.md (section "themes").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import write_section  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "cda-bench-themes"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample_items() -> list[dict]:
    """The sample records as the store holds them (cleaned, redacted, detected language), with ground truth."""
    from assistant.ingest.clean import clean_text
    from assistant.text.language import detect_language
    from assistant.text.redact import redact
    from assistant.sample_data import DEFAULT_START, build_records

    items = []
    for r in build_records():
        text = redact(clean_text(r.text).text).text
        items.append(dict(id=r.id, text=text, lang=detect_language(text)[0], gt_lang=r.lang, category=r.category,
                          theme=r.theme, event=r.event, week=(r.ts.date() - DEFAULT_START).days // 7 + 1))
    return items


def embed_cached(texts: list[str]) -> Path:
    """e5 passage vectors of `texts`, computed once and kept in /tmp (keyed by the texts)."""
    key = hashlib.sha1("\x1f".join(texts).encode("utf-8")).hexdigest()[:16]
    path = CACHE / f"e5-{key}.npy"
    if not path.exists():
        from assistant.embeddings import load_embedder

        CACHE.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        vectors = load_embedder("e5").embed_documents(texts)
        np.save(path, vectors.astype(np.float32))
        print(f"embedded {len(texts)} texts in {time.perf_counter() - started:.0f} s -> {path}")
    return path


def scores(mapping: dict[str, str], items: list[dict]) -> dict:
    """Themes, unassigned share, purity / NMI / ARI vs ground-truth themes, cross-language merge rate."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    pred = [mapping.get(it["id"], "-") for it in items]
    truth = [it["theme"] for it in items]
    assigned = [(p, t) for p, t in zip(pred, truth) if p != "-"]
    by_theme: dict[str, Counter] = {}
    for p, t in assigned:
        by_theme.setdefault(p, Counter())[t] += 1
    purity = sum(c.most_common(1)[0][1] for c in by_theme.values()) / max(len(assigned), 1)
    merged = []
    for theme in sorted(set(truth)):
        sides = [Counter(p for p, it in zip(pred, items) if p != "-" and it["theme"] == theme and it["gt_lang"] == lang)
                 for lang in ("en", "zh")]
        if all(sum(s.values()) >= 3 for s in sides):
            merged.append(sides[0].most_common(1)[0][0] == sides[1].most_common(1)[0][0])
    return dict(themes=len(by_theme), unassigned=1 - len(assigned) / len(items), purity=purity,
                nmi=normalized_mutual_info_score([t for _, t in assigned], [p for p, _ in assigned]),
                ari=adjusted_rand_score(truth, pred), cross=sum(merged) / max(len(merged), 1))


def fit(items, vectors, state=None, *, langs_key="lang", now="2026-11-09", categories_key="category", within=None):
    from assistant.analysis.themes import update_themes

    idx = [it["_row"] for it in items]
    return update_themes(state, [it["id"] for it in items], vectors[idx], [it["text"] for it in items],
                         [it[categories_key] for it in items], [it.get(langs_key) or "und" for it in items],
                         embedder="multilingual-e5-small", now=now, within_categories=within)


def zero_shot_categories(items: list[dict], vectors: np.ndarray) -> float:
    """Give each item the default taxonomy's zero-shot category, as `analyze` does (fit on all, then batches);
    returns the share that agrees with the generator's category."""
    from assistant.analysis.categorize import CategoryClassifier
    from assistant.analysis.taxonomy import load_taxonomy
    from assistant.embeddings import load_embedder

    texts = [it["text"] for it in items]
    clf = CategoryClassifier(load_taxonomy(), load_embedder("e5")).fit(vectors, texts)
    for start in range(0, len(items), 256):
        for it, result in zip(items[start:start + 256], clf.classify(vectors[start:start + 256], texts[start:start + 256])):
            it["zero_shot"] = result.primary
    return sum(it["zero_shot"] == it["category"] for it in items) / len(items)


def quality(items: list[dict], vectors: np.ndarray) -> list[tuple[str, dict, float]]:
    """The default run (across categories), clustering within categories given perfect (ground-truth) and
    zero-shot categories, and the ablation without centring at its best threshold (by NMI) on a small grid."""
    from assistant.analysis import themes

    started = time.perf_counter()
    _, mapping = fit(items, vectors)
    rows = [(f"across categories, centred per language, threshold {themes.LINK_DISTANCE} [default]",
             scores(mapping, items), time.perf_counter() - started)]
    for name, key in (("ground-truth", "category"), ("zero-shot (default taxonomy)", "zero_shot")):
        started = time.perf_counter()
        _, mapping = fit(items, vectors, categories_key=key, within=True)
        rows.append((f"within {name} categories, centred per (category, language), threshold "
                     f"{themes.LINK_DISTANCE_WITHIN}", scores(mapping, items), time.perf_counter() - started))
    saved = themes.LINK_DISTANCE, themes.MIN_MEAN_ITEMS
    try:
        best = None
        for threshold in (0.06, 0.08, 0.1, 0.12, 0.15):
            themes.LINK_DISTANCE, themes.MIN_MEAN_ITEMS = threshold, 10**12
            s = scores(fit(items, vectors)[1], items)
            if best is None or s["nmi"] > best[1]["nmi"]:
                best = (f"across categories, not centred (raw e5 vectors), best threshold {threshold}", s, 0.0)
        rows.append(best)
    finally:
        themes.LINK_DISTANCE, themes.MIN_MEAN_ITEMS = saved
    return rows


def stability(items: list[dict], vectors: np.ndarray) -> dict:
    """Two runs, and a run on shuffled input, give identical themes; extensions keep ids and add only new content."""
    s1, m1 = fit(items, vectors)
    s2, m2 = fit(items, vectors)
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)
    s3, m3 = fit(shuffled, vectors)
    out = dict(identical=m1 == m2 and s1.to_json() == s2.to_json(), shuffled=m1 == m3 and s1.to_json() == s3.to_json())

    # weeks 1-11, then 12-14 plus the residue (what `analyze` passes: new items and items without a theme)
    first = [it for it in items if it["week"] <= 11]
    state, mapping = fit(first, vectors)
    before = dict(mapping)
    later = [it for it in items if it["week"] > 11 or it["id"] not in before]
    state2, more = fit(later, vectors, state)
    mapping = {**before, **more}
    kept = sum(mapping[i] == t for i, t in before.items()) / len(before)
    out.update(ext_ids_kept=set(state.themes) <= set(state2.themes), ext_kept=kept,
               ext_new=len(set(state2.themes) - set(state.themes)), ext_first=len(state.themes),
               ext_scores=scores(mapping, items), ext_joined=sum(v in state.themes for v in more.values()) / max(len(more), 1))
    from sklearn.metrics import normalized_mutual_info_score

    common = [i for i in m1 if i in mapping]
    out["ext_vs_scratch_nmi"] = normalized_mutual_info_score([m1[i] for i in common], [mapping[i] for i in common])

    # weeks 1-4, then one week at a time, as a weekly `analyze` would
    state, mapping = fit([it for it in items if it["week"] <= 4], vectors)
    added = []
    for week in range(5, max(it["week"] for it in items) + 1):
        batch = [it for it in items if it["week"] == week or (it["week"] < week and it["id"] not in mapping)]
        bigger, more = fit(batch, vectors, state)
        added.append(len(set(bigger.themes) - set(state.themes)))
        state, mapping = bigger, {**mapping, **more}
    out.update(weekly_added=added, weekly_scores=scores(mapping, items))

    # weeks 1-8, then week 9 (the outage) plus the residue
    first = [it for it in items if it["week"] <= 8]
    state, before = fit(first, vectors)
    week9 = [it for it in items if it["week"] == 9 or (it["week"] < 9 and it["id"] not in before)]
    state2, more = fit(week9, vectors, state)
    new = set(state2.themes) - set(state.themes)
    outage = [it for it in week9 if it["event"] == "outage"]
    in_new = Counter(more.get(it["id"], "-") for it in outage if more.get(it["id"]) in new)
    out.update(outage_items=len(outage), outage_in_new=sum(in_new.values()) / max(len(outage), 1),
               outage_new=[(t, n, state2.themes[t].label) for t, n in in_new.most_common()],
               week9_new=len(new))
    return out


def child(n: int, vectors_path: str) -> None:
    """Cluster n synthetic items in this (fresh) process and print time and memory as JSON."""
    from assistant.analysis.themes import update_themes

    items = sample_items()
    base = np.load(vectors_path)
    if n < 0:  # the sample itself
        src, vectors, ids = np.arange(len(items)), base, [it["id"] for it in items]
    else:
        rng = np.random.default_rng(0)
        src = rng.integers(0, len(items), n)
        # each synthetic item is a sample item's vector plus noise (about 0.1 in norm), with that item's text
        vectors = base[src] + rng.normal(0.0, 0.005, (n, base.shape[1])).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = [f"syn{i:07d}" for i in range(n)]
    n = len(ids)
    texts = [items[j]["text"] for j in src]
    cats = [items[j]["category"] for j in src]
    langs = [items[j]["lang"] for j in src]
    del base, items
    before = _peak_mb()
    started = time.perf_counter()
    state, mapping = update_themes(None, ids, vectors, texts, cats, langs, embedder="multilingual-e5-small", now="x")
    seconds = time.perf_counter() - started
    print(json.dumps(dict(items=n, seconds=seconds, peak_mb=_peak_mb(), before_mb=before, themes=len(state.themes),
                          unassigned=1 - len(mapping) / n, state_kb=len(state.to_json()) / 1024)))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def cost_runs(vectors_path: Path, synthetic: int) -> list[dict]:
    """Time and peak memory of clustering the sample, and `synthetic` resampled items, each in a fresh process."""
    return [json.loads(subprocess.run([sys.executable, __file__, "--child", str(n), "--vectors", str(vectors_path)],
                                      capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
            for n in (-1, synthetic)]


def themes_section(args, items: list[dict], agreement: float, quality_runs, st: dict, runs: list[dict]) -> str:
    """The docs/benchmarks.md section from the figures."""
    table = ["| run | themes | unassigned | purity | NMI | ARI | cross-language merged | time |", "|---|---|---|---|---|---|---|---|"]
    for name, s, seconds in quality_runs:
        table.append(f"| {name} | {s['themes']} | {_pct(s['unassigned'])} | {s['purity']:.3f} | {s['nmi']:.3f} | "
                     f"{s['ari']:.3f} | {_pct(s['cross'])} | {f'{seconds:.1f} s' if seconds else ''} |")
    es, ws = st["ext_scores"], st["weekly_scores"]
    outage = "; ".join(f"`{t}` {n} items, label \"{label}\"" for t, n, label in st["outage_new"])
    return "\n".join([
        f"Command: `python bench/themes.py --synthetic {args.synthetic}`. Sample data ({len(items):,} items, seed 7), "
        "texts as stored (cleaned, redacted), languages as detected at ingest, e5 vectors. The default clusters "
        "across categories (they only name the themes); the `within` runs cluster inside each category, given the "
        "generator's own categories (perfect) or the default taxonomy's zero-shot ones as `analyze` computes them "
        f"({_pct(agreement)} agree with the generator's). Purity and NMI over assigned items, ARI over all "
        "(unassigned as one group). Cross-language "
        "merged: of the ground-truth themes with 3+ English and 3+ Chinese items, the share whose English and "
        "Chinese items land mostly in the same theme.",
        "",
        *table,
        "",
        f"- Determinism: two runs identical (assignments and saved state): **{st['identical']}**; "
        f"shuffled input identical: **{st['shuffled']}**.",
        f"- Extension, weeks 1-11 then weeks 12-14 plus the residue: {st['ext_first']} themes, all ids kept: "
        f"**{st['ext_ids_kept']}**; items keeping their theme: **{_pct(st['ext_kept'])}**; new themes: "
        f"**{st['ext_new']}**; new items joining existing themes: {_pct(st['ext_joined'])}. After the extension: "
        f"{es['themes']} themes, unassigned {_pct(es['unassigned'])}, purity {es['purity']:.3f}, NMI {es['nmi']:.3f}, "
        f"cross-language {_pct(es['cross'])}; agreement with a from-scratch run on all 14 weeks: NMI "
        f"{st['ext_vs_scratch_nmi']:.3f}.",
        (f"- Weekly: fitted on weeks 1-4, then each later week added with the residue: new themes per week "
         f"{', '.join(map(str, st['weekly_added']))}; at the end {ws['themes']} themes, unassigned "
         f"{_pct(ws['unassigned'])}, purity {ws['purity']:.3f}, NMI {ws['nmi']:.3f}, cross-language {_pct(ws['cross'])}."),
        f"- The outage: fitted on weeks 1-8, then week 9 added: {st['week9_new']} new themes; "
        f"{_pct(st['outage_in_new'])} of the {st['outage_items']} outage items are in new themes ({outage}).",
        "",
        "| clustering run | items | time | peak RSS (process) | peak RSS before the call | themes | unassigned | saved state |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {'sample' if r['items'] == len(items) else 'synthetic'} | {r['items']:,} | {r['seconds']:.1f} s | "
          f"{r['peak_mb']:.0f} MB | {r['before_mb']:.0f} MB | {r['themes']} | {_pct(r['unassigned'])} | "
          f"{r['state_kb']:.0f} KB |" for r in runs],
        "",
        "Synthetic items are the sample's vectors resampled with noise (about 0.1 in norm), with the same texts, "
        "so the time includes tokenizing 100k texts (jieba for Chinese) for the keywords.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=int, default=100_000, help="synthetic items for the time/memory run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--child", type=int, help="internal: run one clustering in this process (-1: the sample)")
    parser.add_argument("--vectors")
    args = parser.parse_args()
    if args.child is not None:
        return child(args.child, args.vectors)

    items = sample_items()
    for row, it in enumerate(items):
        it["_row"] = row
    path = embed_cached([it["text"] for it in items])
    vectors = np.load(path)

    agreement = zero_shot_categories(items, vectors)
    quality_runs = quality(items, vectors)
    st = stability(items, vectors)
    print(json.dumps(st, default=str, ensure_ascii=False))
    runs = cost_runs(path, args.synthetic)
    body = themes_section(args, items, agreement, quality_runs, st, runs)
    print(body)
    if not args.no_write:
        print("wrote", write_section("benchmarks.md", "themes", body))


if __name__ == "__main__":
    main()
