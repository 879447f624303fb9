"""Sentiment quality on real labelled data, our model beside lexicon baselines, written to docs/quality.md.

    .venv/bin/python bench/quality_sentiment.py [--cache-dir DIR] [--refine N]

Data comes from ../shared/data (see its README); without it the bench prints a message and exits 0.
Sets:
  * SemEval-2014 restaurants train, sentences whose aspect categories all carry one polarity (not
    "conflict"): 3-class. Laptops train, same rule on aspect terms (another domain): 3-class.
  * waimai_10k, a fixed sample of 4,000 reviews (random.Random(0)): binary, by the sign of the score.
  * CFPB complaint narratives, a fixed sample of 200 (random.Random(0)): all are complaints, so the
    share labelled negative is a recall figure.
e5 vectors of the texts are cached under the cache folder, so a second run skips embedding.

With a language model available (the packaged local one, or a configured endpoint), each set is also
scored after one `--refine` round (analysis/refine.py): the model labels min(N, a quarter of the set)
sentences chosen by the offline analysis alone (stratified, low confidence first; gold labels are not
looked at), a head over the e5 vectors learns them, and those sentences keep the model's label. This is
transductive, as in a user's store: the labelled sentences are part of the scored set. Model answers are
cached (llm-labels.jsonl in the cache folder), so a rerun costs no model time.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.analysis.refine import LabelCache, refine_sentiment  # noqa: E402
from assistant.analysis.sentiment import LABELS, MAX_CHARS, load_sentiment_model, train_char_nb  # noqa: E402
from assistant.text.language import detect_language  # noqa: E402
from bench._report import write_section  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TARGETS = {"restaurants": 0.80, "waimai": 0.88}
WAIMAI_SAMPLE, CFPB_SAMPLE = 4000, 200


# ----------------------------------------------------------------------------------------------- data
def semeval(name: str, element: str) -> tuple[list[str], list[str]]:
    """Sentences of a SemEval-2014 train file whose `element` polarities are one label (no conflict)."""
    root = ET.parse(DATA / "semeval2014" / f"{name}_Train_v2.xml").getroot()
    texts, labels = [], []
    for sentence in root.findall("sentence"):
        polarities = {e.get("polarity") for e in sentence.iter(element)}
        if len(polarities) == 1 and "conflict" not in polarities:
            texts.append(sentence.find("text").text)
            labels.append(polarities.pop())
    return texts, labels


def waimai() -> tuple[list[str], list[str]]:
    with open(DATA / "chinese" / "waimai_10k.csv", encoding="utf-8") as f:
        rows = [(r["review"], "positive" if r["label"] == "1" else "negative") for r in csv.DictReader(f)]
    rows = [rows[i] for i in sorted(random.Random(0).sample(range(len(rows)), WAIMAI_SAMPLE))]
    return [t for t, _ in rows], [y for _, y in rows]


def cfpb() -> list[str]:
    with open(DATA / "cfpb" / "complaints_sample.csv", encoding="utf-8") as f:
        texts = [r["Consumer complaint narrative"] for r in csv.DictReader(f) if r["Consumer complaint narrative"].strip()]
    return [texts[i] for i in sorted(random.Random(0).sample(range(len(texts)), CFPB_SAMPLE))]


def e5_vectors(model, texts: list[str], cache: Path) -> np.ndarray:
    """e5 passage vectors of `texts` (truncated as the store does), cached by a hash of the texts."""
    texts = [t[:MAX_CHARS] for t in texts]
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = cache / f"bench-e5-{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = np.vstack([model.embedder.embed_documents(texts[i:i + 64]) for i in range(0, len(texts), 64)])
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


# -------------------------------------------------------------------------------------------- metrics
def accuracy_f1(gold: list[str], pred: list[str], classes: tuple[str, ...]) -> tuple[float, float]:
    """Accuracy and macro-F1 over `classes` (a prediction outside them counts as wrong)."""
    g, p = np.array(gold), np.array(pred)
    f1s = []
    for c in classes:
        tp = np.sum((p == c) & (g == c))
        precision = tp / max(np.sum(p == c), 1)
        recall = tp / max(np.sum(g == c), 1)
        f1s.append(0.0 if tp == 0 else 2 * precision * recall / (precision + recall))
    return float(np.mean(g == p)), float(np.mean(f1s))


def band(score: float, width: float = 0.05) -> str:
    return "positive" if score > width else "negative" if score < -width else "neutral"


def baselines() -> dict[str, object]:
    """Lexicon baselines as text -> score in [-1, 1] (None when the package is not installed)."""
    out: dict[str, object] = {}
    try:
        from textblob import TextBlob

        out["TextBlob polarity ±0.05"] = lambda t: TextBlob(t).sentiment.polarity
    except ImportError:
        out["TextBlob polarity ±0.05"] = None
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        vader = SentimentIntensityAnalyzer()
        out["VADER compound ±0.05"] = lambda t: vader.polarity_scores(t)["compound"]
    except ImportError:
        out["VADER compound ±0.05"] = None
    try:
        from snownlp import SnowNLP

        out["SnowNLP > 0.5"] = lambda t: 2 * SnowNLP(t).sentiments - 1
    except ImportError:
        out["SnowNLP > 0.5"] = None
    return out


# ------------------------------------------------------------------------------------------ refinement
def language_model():
    """The first available chat model of the configured chain and its label, or (None, why not)."""
    from assistant.errors import LLMError
    from assistant.llm import get_backends
    from assistant.settings import Settings

    for backend in get_backends(Settings()):
        if backend.name == "none":
            continue
        try:
            return backend.chat_model, backend.label
        except LLMError as exc:
            print(f"no refined rows: {exc}")
    return None, "no language model"


def refined(model, texts, vectors, gold, chat, chat_label, args) -> tuple[list[str], list[float], dict]:
    """One refinement round on the set (sample chosen without gold), then the whole set scored again."""
    cache = LabelCache(args.cache_dir, chat_label)
    n = min(args.refine, len(texts) // 4)
    keys = [str(i) for i in range(len(texts))]
    langs = [detect_language(t)[0] for t in texts]  # as ingest records them
    asked = [0]

    def progress(k):
        asked[0] += k
        if asked[0] % 50 == 0:
            print(f"  labelled {asked[0]} of {n}", flush=True)

    started = time.perf_counter()
    before = len(cache._labels)
    refiner, added = refine_sentiment(model, texts, langs, vectors, keys, chat, n=n, cache=cache, progress=progress)
    seconds, new = time.perf_counter() - started, len(cache._labels) - before
    model.refiner = refiner
    try:
        result = model.predict(texts, langs, vectors, keys)
    finally:
        model.refiner = None
    labelled = [int(k) for k in refiner.labels]
    if gold is not None:
        agree = np.mean([refiner.labels[str(i)] == gold[i] for i in labelled])
        base = model.predict([texts[i] for i in labelled], [langs[i] for i in labelled], vectors[labelled])
        base_agree = np.mean([b.label == gold[i] for b, i in zip(base, labelled)])
        agree_text = f"model labels agree with gold on {agree:.1%} of them (offline analysis {base_agree:.1%})"
    else:
        share = np.mean([refiner.labels[str(i)] == "negative" for i in labelled])
        agree_text = f"model labels {share:.1%} of them negative"
    time_text = (f"{seconds / max(new, 1):.1f} s per new label" if new else
                 "labels read from the cache (asked the first time: 0.9-1.4 s per sentence, 3.2 s per CFPB narrative)")
    return [s.label for s in result], [s.score for s in result], {"n": added, "agree": agree_text, "time": time_text}


# ----------------------------------------------------------------------------------------------- main
def head_sensitivity(model, sets: dict, vectors: dict, cache: Path) -> list[str]:
    """Accuracy of the English head rebuilt with other constants (neutral band, C) than the shipped ones,
    on the English sets (cues included, as in the product). Needs the corpus (fetched from PyPI by the
    build tool's code) and its e5 vectors (cached by tools/build_sentiment_head.py, else embedded here)."""
    import tempfile

    from sklearn.linear_model import LogisticRegression

    sys.path.insert(0, str(ROOT / "tools"))
    import build_sentiment_head as build
    from assistant.analysis.sentiment import NEUTRAL_BAND, SentimentHead

    with tempfile.TemporaryDirectory() as tmp:
        rows = build.read_corpus(build.fetch_sdist(Path(tmp)))
    x = build.embed([t for _, _, t in rows], cache)
    ratings = np.array([r for _, r, _ in rows])
    shipped_head = model.head
    out = ["| neutral band | C | " + " | ".join(n for n in ("restaurants", "laptops")) + " | cfpb negative |",
           "|---|---|---|---|---|"]
    for band_, c in [(0.25, 1.0), (0.5, 0.3), (0.5, 1.0), (0.5, 3.0), (0.75, 1.0), (1.0, 1.0)]:
        y = np.where(ratings > band_, 2, np.where(ratings < -band_, 0, 1))
        fit = LogisticRegression(C=c, max_iter=3000).fit(x, y)
        model.head = SentimentHead(fit.coef_.astype(np.float32), fit.intercept_.astype(np.float32), "sens", {})
        cells = []
        for name in ("restaurants", "laptops", "cfpb"):
            texts, gold = sets[name][0], sets[name][1]
            labels = np.array([r.label for r in model.predict(texts, ["en"] * len(texts), vectors[name])])
            cells.append(f"{np.mean(labels == 'negative'):.1%}" if gold is None else f"{np.mean(labels == np.array(gold)):.3f}")
        shipped = " (shipped)" if (band_, c) == (NEUTRAL_BAND, build.C) else ""
        out.append(f"| {band_:g}{shipped} | {c:g} | " + " | ".join(cells) + " |")
    model.head = shipped_head
    return out


def ceilings(sets: dict, vectors: dict) -> tuple[list[str], str]:
    """What the packaged readers reach when they are *given* labels, as a yardstick for the targets.

    Supervised, with the evaluation set's own gold labels (5-fold, stratified, `random_state=0`), so this is
    an upper reference for any method built on the same readers, not a figure of the product. Also a head
    trained on all of another real domain's labels (laptops -> restaurants and back): what a general
    training corpus of real feedback would give at best. scikit-learn's default logistic regression (C = 1);
    the best of C in {1, 3, 10} is shown beside it and is optimistic (chosen on the test folds).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    def folds(y):
        return StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)

    def head_cv(x, y, c):
        hits = 0
        for tr, te in folds(y):
            hits += int((LogisticRegression(C=c, max_iter=3000).fit(x[tr], y[tr]).predict(x[te]) == y[te]).sum())
        return hits / len(y)

    rows = []
    for name in ("restaurants", "laptops"):
        y = np.array(sets[name][1])
        by_c = {c: head_cv(vectors[name], y, c) for c in (1, 3, 10)}
        rows.append((name, "e5 head, 5-fold on the set's own labels", by_c[1], max(by_c.values())))
    for src, dst in (("laptops", "restaurants"), ("restaurants", "laptops")):
        by_c = {c: float(np.mean(LogisticRegression(C=c, max_iter=3000)
                                 .fit(vectors[src], np.array(sets[src][1])).predict(vectors[dst])
                                 == np.array(sets[dst][1]))) for c in (1, 3, 10)}
        rows.append((dst, f"e5 head trained on all {src} labels (another real domain)", by_c[1], max(by_c.values())))
    texts, gold = sets["waimai"][0], sets["waimai"][1]
    y = np.array([g == "positive" for g in gold], dtype=int)
    by_c = {c: head_cv(vectors["waimai"], y, c) for c in (1, 3, 10)}
    rows.append(("waimai", "e5 head, 5-fold on the set's own labels", by_c[1], max(by_c.values())))
    nb_hits = both_hits = 0
    for tr, te in folds(y):
        nb = train_char_nb([texts[i] for i in tr if y[i]], [texts[i] for i in tr if not y[i]])
        nb_score = nb.score([texts[i] for i in te])
        head = LogisticRegression(max_iter=3000).fit(vectors["waimai"][tr], y[tr])
        head_score = 2 * head.predict_proba(vectors["waimai"][te])[:, 1] - 1
        nb_hits += int(((nb_score > 0) == y[te]).sum())
        both_hits += int((((nb_score + head_score) / 2 > 0) == y[te]).sum())
    rows.append(("waimai", "character NB, 5-fold on the set's own labels", nb_hits / len(y), None))
    rows.append(("waimai", "character NB + e5 head averaged, 5-fold on the set's own labels", both_hits / len(y), None))
    cross = [a for _, m, a, _ in rows if "another real domain" in m]
    return (["| set | supervised reader | accuracy (C = 1) | best C of 1, 3, 10 (optimistic) |", "|---|---|---|---|",
             *[f"| {s} | {m} | {a:.3f} | {'' if b is None else f'{b:.3f}'} |" for s, m, a, b in rows]],
            f"{min(cross):.2f}-{max(cross):.2f}")


def load_model(cache_dir: Path):
    """The product's sentiment model with its Chinese NB loaded; the seconds each took and where the NB came from."""
    t0 = time.perf_counter()
    model = load_sentiment_model(cache_dir=cache_dir)
    setup = time.perf_counter() - t0
    nb_state = "read from the cache" if list(cache_dir.glob("zh-nb-*.npz")) else "trained from snownlp's corpus"
    t0 = time.perf_counter()
    model.zh_nb  # loaded (or trained from snownlp's corpus) here so it is timed apart from scoring
    nb_setup = time.perf_counter() - t0
    return model, setup, nb_setup, nb_state


def load_sets() -> dict[str, tuple[list[str], list[str] | None, str]]:
    """Each set's texts, gold labels (None for CFPB: every narrative is a complaint) and language."""
    return {
        "restaurants": (*semeval("Restaurants", "aspectCategory"), "en"),
        "laptops": (*semeval("Laptop", "aspectTerm"), "en"),
        "waimai": (*waimai(), "zh"),
        "cfpb": (cfpb(), None, "en"),
    }


def score_set(model, set_name: str, texts, gold, lang, vectors, chat, chat_label, args) -> tuple[list, float, str | None]:
    """One set read by ours, by each English reader alone, by ours after one refine round (with a model) and by
    the lexicon baselines: its table rows (set, method, accuracy, macro-F1, note), the milliseconds per item of
    scoring stored vectors, and the refine note (None without a model)."""
    t = time.perf_counter()
    ours = model.predict(texts, vectors=vectors)
    ms_per_item = (time.perf_counter() - t) / len(texts) * 1000
    results = {f"ours ({model.name})": ([s.label for s in ours], [s.score for s in ours])}
    rows, refine_note = [], None
    if lang == "en" or lang is None:  # each English reader on its own
        head, centroids = model.head, model.centroids
        model.head = None
        before = model.predict(texts, vectors=vectors)
        model.head, model.centroids = head, np.zeros_like(centroids)  # flat centroids: the head decides
        alone = model.predict(texts, vectors=vectors)
        model.centroids = centroids
        results["seed centroids alone (the previous method)"] = ([s.label for s in before], [s.score for s in before])
        results["the head alone"] = ([s.label for s in alone], [s.score for s in alone])
    if chat is not None:
        labels, scores, note = refined(model, texts, vectors, gold, chat, chat_label, args)
        results[f"ours + LLM refine ({note['n']} labels)"] = (labels, scores)
        refine_note = f"{set_name}: {note['n']} labels, {note['agree']}; {note['time']}"
    for method, fn in baselines().items():
        applies = (lang == "zh") == method.startswith("SnowNLP")
        if not applies:
            continue
        if fn is None:
            rows.append((set_name, method, "not installed", "", ""))
            continue
        scores = [fn(t[:MAX_CHARS]) for t in texts]
        labels = [band(s) if not method.startswith("SnowNLP") else ("positive" if s > 0 else "negative")
                  for s in scores]
        results[method] = (labels, scores)
    for method, (labels, scores) in results.items():
        if gold is None:  # CFPB: every narrative is a complaint
            share = {c: np.mean(np.array(labels) == c) for c in LABELS}
            rows.append((set_name, method, f"{share['negative']:.1%} negative", "",
                         f"neutral {share['neutral']:.1%}, positive {share['positive']:.1%}"))
        elif lang == "zh":
            binary = ["positive" if s > 0 else "negative" for s in scores]
            acc, f1 = accuracy_f1(gold, binary, ("negative", "positive"))
            note = f"sign of score; {np.mean(np.array(labels) == 'neutral'):.1%} labelled neutral" \
                if method.startswith("ours") else ""
            rows.append((set_name, method, f"{acc:.3f}", f"{f1:.3f}", note))
        else:
            acc, f1 = accuracy_f1(gold, labels, LABELS)
            rows.append((set_name, method, f"{acc:.3f}", f"{f1:.3f}", "3-class"))
    return rows, ms_per_item, refine_note


def full_path_ms(model, texts: list[str]) -> float:
    """Milliseconds per item with embedding included, as for a free text or a non-e5 store."""
    t = time.perf_counter()
    model.predict(texts)
    return (time.perf_counter() - t) / len(texts) * 1000


@dataclass
class Figures:
    """What the docs section reports."""

    sets: dict
    setup: float  # seconds: model start, Chinese NB
    nb_setup: float
    nb_state: str
    chat_label: str
    rows: list = field(default_factory=list)  # (set, method, accuracy, macro-F1, note)
    timing: dict[str, float] = field(default_factory=dict)  # ms per item, stored vectors
    refine_notes: list[str] = field(default_factory=list)
    full: float = 0.0  # ms per item, embedding included
    ceiling: list[str] = field(default_factory=list)
    cross_range: str = ""
    sensitivity: list[str] = field(default_factory=list)


def sentiment_section(figures: Figures, args) -> str:
    """The docs/quality.md section (below its heading) from the figures."""
    sets, rows, timing, full, chat_label = figures.sets, figures.rows, figures.timing, figures.full, figures.chat_label
    setup, nb_setup, nb_state, refine_notes = figures.setup, figures.nb_setup, figures.nb_state, figures.refine_notes
    ceiling, cross_range, sensitivity = figures.ceiling, figures.cross_range, figures.sensitivity
    sizes = {k: f"{len(v[0]):,}" for k, v in sets.items()}
    lines = [
        "| set | n | method | accuracy | macro-F1 | note |", "|---|---|---|---|---|---|",
        *[f"| {s} | {sizes[s]} | {m} | {a} | {f} | {n} |" for s, m, a, f, n in rows],
    ]
    met = []
    for set_name, target in TARGETS.items():
        for m, a in [(m, float(a)) for s, m, a, _, _ in rows if s == set_name and m.startswith("ours")]:
            kind = "with LLM refine" if "refine" in m else "offline"
            met.append(f"- {set_name} ({kind}): accuracy {a:.3f} vs target {target:.2f}: "
                       f"**{'met' if a >= target else 'not met'}**")
    body = "\n".join([
        "Reproduce: `.venv/bin/python bench/quality_sentiment.py` (needs `../shared/data`; TextBlob rows "
        "need `pip install textblob`, which is not a project dependency).",
        "",
        "Sets: SemEval-2014 restaurants and laptops train sentences whose aspects all carry one polarity "
        "(3-class); waimai_10k, fixed sample of 4,000 (`random.Random(0)`), binary by the sign of the score; "
        "CFPB complaint narratives, fixed sample of 200 (all are complaints: higher negative share is better).",
        "",
        *lines,
        "",
        "Targets:",
        *met,
        "",
        (f"LLM refine rows (`assistant analyze --refine`, analysis/refine.py): {chat_label} labelled min({args.refine}, "
         "a quarter of the set) sentences per set, chosen by the offline analysis alone (stratified by its label, "
         "low confidence first; gold labels not used), a head over the e5 vectors learned them, and those sentences "
         "keep the model's label. Transductive, as in a user's store: the labelled sentences are part of the "
         "scored set. " + "; ".join(refine_notes) + "." if refine_notes else
         f"LLM refine rows: not measured ({chat_label or 'switched off with --refine 0'})."),
        "",
        "### The English head",
        "",
        "English items are read by a logistic regression over their e5 vectors, trained on the 23,703 snippets "
        "Hutto & Gilbert had rated by about 20 people each to validate VADER (Amazon reviews, movie reviews, "
        "NYT editorials, tweets; MIT licence, inside vaderSentiment's source distribution on PyPI; built by "
        "`tools/build_sentiment_head.py`, which fetches it). None of the sets above is in it. Three classes from "
        "the mean rating on the -4 .. 4 scale, neutral within +-0.5, and scikit-learn's default C = 1, both fixed "
        "before the first measurement. English probabilities are the normalised product of the head's and the "
        "seed centroids' (the fusion `train-classifier` and `--refine` use too); the rows 'seed centroids alone' "
        "(the method before the head) and 'the head alone' show each reader on its own. The product was chosen "
        "after looking: the head alone reads many feature requests on the product's sample data as complaints "
        "(the corpus has few requests or questions; the hand-written seeds do), which pushed the planted "
        "feature request out of the top 10 demands; on SemEval the product costs it 0-1 point. Chinese is read "
        "by the centroids and the NB, where the head (an English corpus through a cross-lingual embedding) is "
        "weaker. The same head rebuilt with other constants (centroids and cues included, as in the product):",
        "",
        *sensitivity,
        "",
        "It fixes the largest real-data defect of the centroids (long factual complaints read as neutral: CFPB "
        "rows above) and gains 2-3 points on both SemEval domains. It shares the embedding's blind spots: a "
        "sentence about a refund reads as a complaint even when it thanks for one, because refunds are mostly "
        "complained about; a praise cue for thanks given for something done well (\"thanks for the quick "
        "refund\") covers the commonest phrasing.",
        "",
        "### How far the packaged readers go when given labels",
        "",
        "A yardstick, not a product figure: the same readers (the stored e5 vectors, a character NB) trained "
        "with gold labels, scored by 5-fold cross-validation on the evaluation set itself, and a head trained on "
        "all labels of the other English domain. The targets (0.80, 0.88) sit where these readers land when "
        f"trained on the set's own labels; labels from another real domain give {cross_range}. A survey of about 60 "
        "PyPI packages (November 2026) found none that ships a transformer sentiment, NLI or zero-shot model "
        "inside it (those with BERT or ONNX weights fetch them from a model hub at run time), so no stronger "
        "offline reader is at hand.",
        "",
        *ceiling,
        "",
        "### What was tried, and how far to trust these figures",
        "",
        "Measured with the seed centroids as the English reader, before the head (the refine figures in the "
        "table above are current):",
        "",
        "- The refine step's constants were fixed before measuring: the head is scikit-learn's default "
        "logistic regression (C = 1), combined with the offline probabilities by multiplying them (as "
        "`train-classifier` does with few labels), sampling weight 1 - confidence + 0.05, a floor of "
        "n / (2 x strata) per stratum, 300 labels by default. Restaurants were measured first (0.775). Variants "
        "were then compared on laptops as the development set: the head alone 0.789, C = 3 or 10 0.802-0.803, a "
        "stacker over the vectors, the offline log-probabilities, VADER, TextBlob and the cue score 0.799-0.807, "
        "the kept product 0.796. On restaurants (looked at afterwards, not used to choose) the same variants "
        "score 0.758-0.783: none reaches 0.80 with 300 labels, so the a priori choice was kept.",
        "- The refined English rows gain accuracy but lose macro-F1 (restaurants 0.674 -> 0.638): the model "
        "rarely answers neutral, so the head learns to avoid it (restaurants: 139 items predicted neutral, 437 "
        "in gold). Where neutral matters more than polarity, the offline analysis is the better reader.",
        "- More labels help English a little and Chinese not at all: one round of 600 labels (run once during "
        "development) gave restaurants 0.783 (300: 0.775) and waimai 0.875 (300: 0.877); on waimai the model's "
        "labels agree with gold on 75% of the items it was given, barely above the offline analysis there (72.5%).",
        "- The model's labels are better than the offline analysis on the items it was given (the least sure "
        "ones: 75-78% vs 69-70% agreement with gold) but far from gold themselves; on 100 random restaurant "
        "sentences it scored 0.81 (a separate run during development).",
        "- Chinese, without a language model: a logistic head over e5 vectors trained on a fixed sample of "
        "8,000 reviews of snownlp's bundled corpus (5-fold accuracy 0.845 on the corpus) scored 0.841 on waimai "
        "alone (the character NB alone 0.829), but averaged with the NB and the seed centroids it gave 0.866 "
        "(0.867 without it): the two readers of one corpus make the same mistakes, so it was not shipped. "
        "Self-training a head on the store's own items with the offline labels (as categories do) gave "
        "0.870-0.872 for the confidence margins 0-0.4, measured on waimai after the fact: too small a gain to "
        "add a step, not kept. Many waimai errors are mixed reviews whose gold label follows the star rating "
        "(\"好吃,就是太慢,两个小时才送到\" is labelled positive).",
        "",
        f"Runtime (ours): model start {setup:.1f} s, Chinese NB {nb_setup:.1f} s ({nb_state}); "
        f"scoring stored e5 vectors "
        f"{timing['restaurants']:.2f} s per 1,000 English items, {timing['waimai']:.2f} s per 1,000 Chinese "
        f"items; with e5 embedding included (free text, or a store built with another embedder) "
        f"{full:.0f} s per 1,000 short English items. Load average during the run: {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores.",
    ])
    return body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=Path("~/.cache/customer-demand-assistant").expanduser())
    parser.add_argument("--refine", type=int, default=300, metavar="N",
                        help="model labels per set for the refined rows (0: no refined rows)")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"no evaluation data at {DATA}; nothing to measure")
        return 0

    model, setup, nb_setup, nb_state = load_model(args.cache_dir)
    sets = load_sets()
    chat, chat_label = language_model() if args.refine > 0 else (None, "")
    figures = Figures(sets, setup, nb_setup, nb_state, chat_label)
    vectors: dict[str, np.ndarray] = {}
    for set_name, (texts, gold, lang) in sets.items():
        vectors[set_name] = e5_vectors(model, texts, args.cache_dir)
        rows, figures.timing[set_name], refine_note = score_set(model, set_name, texts, gold, lang, vectors[set_name],
                                                                chat, chat_label, args)
        figures.rows += rows
        figures.refine_notes += [refine_note] if refine_note else []
        print(f"{set_name}: done ({len(texts)} items)", flush=True)
    figures.full = full_path_ms(model, sets["restaurants"][0][:200])  # 200 fresh texts
    figures.ceiling, figures.cross_range = ceilings(sets, vectors)
    figures.sensitivity = head_sensitivity(model, sets, vectors, args.cache_dir)

    body = sentiment_section(figures, args)
    print(body)
    path = write_section("quality.md", "sentiment", "## Sentiment\n\n" + body)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
