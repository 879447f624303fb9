"""Demand-category quality on real labelled data: zero-shot from written taxonomies, and the supervised head.

    .venv/bin/python bench/quality_category.py [--cache-dir DIR] [--quick] [--llm N]

Data comes from ../shared/data (see its README); without it the bench prints a message and exits 0.
  * SemEval-2014 restaurants train (3,041 sentences; 2,724 whose aspects carry one polarity): the five
    SemEval categories as the taxonomy, written from the category names and one-line descriptions only
    (TAXONOMY_SEMEVAL below; no keywords, no examples). An item counts as right when its primary
    category is one of its gold categories. A second set of descriptions by another writer
    (TAXONOMY_SEMEVAL_B, from the research notes) shows how much the wording matters.
  * banking77 test split (3,080 queries) mapped to a 7-group user taxonomy written from group
    descriptions only (BANKING_GROUPS; the intent -> group mapping is BANKING_MAP): domain shift.
  * The product's own synthetic sample data (assistant/sample_data.py, English and Chinese) with the
    built-in taxonomy, against the generator's categories (e5 only).
  * Supervised: train_classifier on banking77's train split (77 intents), scored on its test split:
    minilm on all 10,003 training queries; e5 on a fixed sample of 3,000 (numpy seed 0), because e5
    embeds ~50 texts/s on 2 cores. SemEval with 10/25/50 labelled sentences per category (5 seeds).
Item vectors and word vectors are cached under the cache folder (a rerun skips embedding); the word
embedding cost is timed separately on uncached words. --quick skips e5 and the supervised e5 run.
With a language model available, --llm N (default 100) has it label N SemEval sentences (e5 only; chosen
by the zero-shot analysis alone, stratified by its category, low confidence first) to measure it as a
category labeller and the classifier refined with a head trained on its labels; answers are cached.
"""

from __future__ import annotations

import argparse
import csv
import os
import pickle
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import assistant.analysis.categorize as cz  # noqa: E402
from assistant.analysis.supervised import train_classifier  # noqa: E402
from assistant.analysis.taxonomy import load_taxonomy, taxonomy_from_data  # noqa: E402
from assistant.analysis.vectors import as_matrix, normalise  # noqa: E402
from assistant.embeddings import embed_queries, load_embedder  # noqa: E402
from assistant.sample_data import build_records  # noqa: E402
from bench._report import write_section  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TARGET = 0.80
SAMPLE_SCALE = 0.3  # about 770 items
OTHER = "anecdotes/miscellaneous"

# Written from the SemEval category names before any measurement; one line each, no keywords.
TAXONOMY_SEMEVAL = {
    "food": "The food and drinks: the dishes, their taste, quality, freshness, portions and the menu.",
    "service": "The service: how the staff and waiters treat guests, their friendliness, attentiveness and speed.",
    "price": "The prices: how much it costs, the bill, and whether it is worth the money.",
    "ambience": "The atmosphere of the place: decor, music, noise, lighting, seating and the crowd.",
    OTHER: "Anything else: stories about the visit, general opinions about the restaurant, recommendations.",
}
# Another writer's one-liners for the same names (from the research notes).
TAXONOMY_SEMEVAL_B = {
    "food": "the dishes, their taste, quality, freshness and the menu",
    "service": "how staff and waiters treat customers, their speed and attentiveness",
    "price": "how much things cost and whether it is good value for money",
    "ambience": "the atmosphere, decor, music, noise level and comfort of the place",
    OTHER: "general opinions, personal stories and anything not covered above",
}
# The README's mapping of SemEval categories onto the built-in taxonomy.
DEFAULT_MAP = {"food": "product_feature", "service": "service_quality", "price": "pricing",
               "ambience": "user_experience", OTHER: "other"}

BANKING_GROUPS = {
    "cards": "Getting and using a bank card: ordering, delivery and activation, PIN, cards that do not work, "
             "lost, stolen or expiring cards, virtual and disposable cards, Visa or Mastercard.",
    "payments_and_refunds": "Card payments and refunds: pending, reverted, declined or unrecognised payments, "
                            "being charged twice, direct debits, Apple Pay or Google Pay, asking for a refund.",
    "transfers": "Sending and receiving money by bank transfer: pending, failed or declined transfers, "
                 "beneficiaries, how long a transfer takes, money that has not arrived.",
    "top_ups": "Adding money to the account: topping up by card, bank transfer, cash or cheque, automatic "
               "top-ups, pending, failed or reverted top-ups, top-up limits.",
    "fees_and_exchange": "Fees, charges and exchange rates: extra charges on the statement, fees for "
                         "transfers, withdrawals or top-ups, currency exchange and wrong exchange rates.",
    "cash_withdrawals": "Cash from ATMs: withdrawing cash, declined or pending withdrawals, the wrong amount "
                        "of cash, an ATM that kept the card, withdrawals I do not recognise.",
    "account_and_identity": "The account and identity: verifying identity, personal details, passcode, "
                            "lost phone, closing the account, age limit, supported countries and currencies.",
}
# Each intent's group(s); an intent that is about two groups by its name lists both (either counts).
BANKING_MAP = {
    "cards": """activate_my_card card_about_to_expire card_acceptance card_arrival card_delivery_estimate card_linking
        card_not_working change_pin compromised_card contactless_not_working disposable_card_limits
        get_disposable_virtual_card get_physical_card getting_spare_card getting_virtual_card lost_or_stolen_card
        order_physical_card pin_blocked virtual_card_not_working visa_or_mastercard""",
    "payments_and_refunds": """card_payment_not_recognised pending_card_payment reverted_card_payment?
        transaction_charged_twice direct_debit_payment_not_recognised request_refund Refund_not_showing_up""",
    "transfers": """balance_not_updated_after_bank_transfer beneficiary_not_allowed cancel_transfer declined_transfer
        failed_transfer pending_transfer receiving_money transfer_into_account transfer_not_received_by_recipient
        transfer_timing""",
    "top_ups": """automatic_top_up pending_top_up top_up_by_cash_or_cheque top_up_failed top_up_limits top_up_reverted
        topping_up_by_card verify_top_up balance_not_updated_after_cheque_or_cash_deposit""",
    "fees_and_exchange": """card_payment_fee_charged exchange_charge exchange_rate exchange_via_app
        extra_charge_on_statement fiat_currency_support""",
    "cash_withdrawals": """atm_support cash_withdrawal_not_recognised declined_cash_withdrawal pending_cash_withdrawal
        wrong_amount_of_cash_received""",
    "account_and_identity": """age_limit country_support edit_personal_details lost_or_stolen_phone passcode_forgotten
        terminate_account unable_to_verify_identity verify_my_identity verify_source_of_funds why_verify_identity
        supported_cards_and_currencies""",
}
BANKING_DUAL = {  # intents whose name spans two groups
    "card_swallowed": ("cards", "cash_withdrawals"), "declined_card_payment": ("cards", "payments_and_refunds"),
    "apple_pay_or_google_pay": ("cards", "payments_and_refunds"),
    "cash_withdrawal_charge": ("fees_and_exchange", "cash_withdrawals"),
    "top_up_by_bank_transfer_charge": ("fees_and_exchange", "top_ups"),
    "top_up_by_card_charge": ("fees_and_exchange", "top_ups"),
    "transfer_fee_charged": ("fees_and_exchange", "transfers"),
    "card_payment_wrong_exchange_rate": ("fees_and_exchange", "payments_and_refunds"),
    "wrong_exchange_rate_for_cash_withdrawal": ("fees_and_exchange", "cash_withdrawals"),
}


# ----------------------------------------------------------------------------------------------- data
def semeval() -> tuple[list[str], list[set[str]], np.ndarray]:
    """Restaurant sentences, their gold category sets, and the indices of single-polarity sentences."""
    root = ET.parse(DATA / "semeval2014" / "Restaurants_Train_v2.xml").getroot()
    texts, gold, single = [], [], []
    for n, sentence in enumerate(root.findall("sentence")):
        aspects = list(sentence.iter("aspectCategory"))
        texts.append(sentence.find("text").text)
        gold.append({a.get("category") for a in aspects})
        polarities = {a.get("polarity") for a in aspects}
        if len(polarities) == 1 and "conflict" not in polarities:
            single.append(n)
    return texts, gold, np.array(single)


def banking(split: str) -> tuple[list[str], list[str]]:
    with open(DATA / "banking77" / f"{split}.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def banking_groups() -> dict[str, set[str]]:
    groups = {intent: {group} for group, names in BANKING_MAP.items() for intent in names.split()}
    groups.update({intent: set(pair) for intent, pair in BANKING_DUAL.items()})
    return groups


class CachedEmbedder:
    """The real embedder behind a disk cache of document vectors (item and word vectors survive reruns)."""

    def __init__(self, name: str, cache: Path):
        self.real = load_embedder(name)
        self.name, self.dim = self.real.name, self.real.dim
        self.path = cache / f"bench-category-{self.name.replace('/', '_')}.pkl"
        self.docs: dict[str, np.ndarray] = pickle.loads(self.path.read_bytes()) if self.path.exists() else {}
        self.seconds, self.embedded = 0.0, 0
        self.queries: dict[str, np.ndarray] = {}

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.docs]
        started = time.perf_counter()
        for i in range(0, len(missing), 256):
            self.docs.update(zip(missing[i:i + 256], self.real.embed_documents(missing[i:i + 256])))
        self.seconds += time.perf_counter() - started
        self.embedded += len(missing)
        if missing:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(pickle.dumps(self.docs, protocol=4))
        return np.stack([self.docs[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self.queries:  # kept for this run only, so the first taxonomy's set-up is timed for real
            self.queries[text] = self.real.embed_query(text)
        return self.queries[text]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.queries]
        if missing:  # one batched call, as the product's embedders make it
            self.queries.update(zip(missing, embed_queries(self.real, missing)))
        return np.stack([self.queries[t] for t in texts])


# -------------------------------------------------------------------------------------------- methods
@contextmanager
def settings(**values):
    """Temporarily change categorize's module constants (for the ablation and sensitivity rows)."""
    saved = {k: getattr(cz, k) for k in values}
    for k, v in values.items():
        setattr(cz, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(cz, k, v)


def taxonomy(descriptions: dict[str, str], name: str):
    return taxonomy_from_data({"name": name, "categories": [{"name": k, "description": v} for k, v in descriptions.items()]})


def one_phrase(embedder, tax, vectors) -> list[str]:
    """The research baseline: one "name: description" query vector per category, argmax cosine."""
    protos = normalise(np.stack([embedder.embed_query(f"{c.name}: {c.description}") for c in tax.categories]))
    return [tax.names[j] for j in (vectors @ protos.T).argmax(axis=1)]


def phrases_only(embedder, tax, vectors) -> list[str]:
    """All phrasings, argmax cosine, no word evidence or fallback rule."""
    protos = cz.CategoryClassifier(tax, embedder).prototypes()
    return [tax.names[j] for j in (vectors @ protos.T).argmax(axis=1)]


def hit_rate(primary: list[str], gold: list[set[str]], index=None) -> float:
    index = range(len(gold)) if index is None else index
    return float(np.mean([primary[i] in gold[i] for i in index]))


def calibration(results, gold) -> tuple[float, list[tuple[str, int, float]]]:
    """Expected calibration error over 10 bins, and hit rate by confidence band."""
    conf = np.array([r.confidence for r in results])
    hit = np.array([r.primary in g for r, g in zip(results, gold)])
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(abs(conf[bins == b].mean() - hit[bins == b].mean()) * np.mean(bins == b) for b in range(10) if np.any(bins == b))
    bands = [(">= 0.8", conf >= 0.8), ("0.5-0.8", (conf >= 0.5) & (conf < 0.8)), ("< 0.5", conf < 0.5)]
    return float(ece), [(name, int(mask.sum()), float(hit[mask].mean()) if mask.any() else float("nan")) for name, mask in bands]


def label_sets(results, gold) -> tuple[float, float, float]:
    """Precision and recall of primary+secondary labels against the gold sets, and labels per item."""
    predicted = [{r.primary, *r.secondary} for r in results]
    tp = sum(len(p & g) for p, g in zip(predicted, gold))
    return tp / sum(map(len, predicted)), tp / sum(map(len, gold)), float(np.mean([len(p) for p in predicted]))


def supervised_k_shot(embedder, tax, vectors, texts, gold, k: int, seeds=range(5)) -> tuple[float, float]:
    """Mean hit rate on the rest with k labelled single-category sentences per category: the head alone,
    and the classifier with that head (which also uses the taxonomy below FEW_LABELS per category)."""
    names = list(tax.names)
    single = [i for i, g in enumerate(gold) if len(g) == 1]
    alone, combined = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        train = [int(i) for c in names for i in rng.choice([i for i in single if c in gold[i]], k, replace=False)]
        head, _ = train_classifier(vectors[train], [next(iter(gold[i])) for i in train], test_size=0)
        rest = np.setdiff1d(np.arange(len(gold)), train)
        rest_gold = [gold[i] for i in rest]
        predicted = np.array(head.classes)[head.predict_proba(vectors[rest]).argmax(axis=1)]
        alone.append(hit_rate(list(predicted), rest_gold))
        results = cz.CategoryClassifier(tax, embedder, supervised=head).classify(vectors[rest], [texts[i] for i in rest])
        combined.append(hit_rate([r.primary for r in results], rest_gold))
    return float(np.mean(alone)), float(np.mean(combined))


def supervised_all(vectors, gold) -> tuple[float, int]:
    """Hit rate of a head trained on *all* other labels (5-fold, stratified by first gold category,
    `random_state=0`; trained on the training folds' single-category sentences, scored on every sentence of
    the test fold): what the embedder can reach with every label the set has, a yardstick for zero-shot.
    Returns (hit rate, mean training sentences per fold)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    x = as_matrix(vectors)
    first = [sorted(g)[0] for g in gold]
    hits, sizes = 0, []
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(x, first):
        train = [i for i in tr if len(gold[i]) == 1]
        sizes.append(len(train))
        head = LogisticRegression(max_iter=3000).fit(x[train], [first[i] for i in train])
        hits += sum(p in gold[i] for p, i in zip(head.predict(x[te]), te))
    return hits / len(gold), int(np.mean(sizes))


def llm_category_rows(emb, tax, x, texts, gold, results, n: int, cache_dir: Path) -> dict | None:
    """The language model as a category labeller on n sampled sentences, and the classifier refined with a
    head trained on its labels (combined with zero-shot, as train-classifier does with few labels)."""
    from typing import Literal

    from pydantic import create_model

    from assistant.analysis.refine import LabelCache, choose_sample
    from assistant.errors import LLMError
    from assistant.llm import get_backends, structured_call
    from assistant.settings import Settings

    backends = [b for b in get_backends(Settings()) if b.name != "none"]
    if not backends or n <= 0:
        return None
    try:
        chat, label = backends[0].chat_model, backends[0].label
    except LLMError as exc:
        print(f"no LLM rows: {exc}")
        return None
    names = list(tax.names)
    answer = create_model("CategoryAnswer", category=(Literal[tuple(names)], ...))
    system = ("Which category is this customer feedback about? Categories:\n"
              + "\n".join(f"- {c.name}: {c.description}" for c in tax.categories))
    cache = LabelCache(cache_dir, label, task=f"category-v1:{tax.fingerprint()}")
    confidence = np.array([r.confidence for r in results])
    chosen = choose_sample(confidence, [r.primary for r in results], n)
    labels, seconds, asked = [], 0.0, 0
    for i in chosen:
        got = cache.get(texts[i])
        if got is None:
            started = time.perf_counter()
            try:
                got = structured_call(chat, answer, [("system", system), ("human", texts[i])]).category
                cache.put(texts[i], got)
            except LLMError:
                got = None
            seconds += time.perf_counter() - started
            asked += 1
        labels.append(got)
    keep = [(int(i), c) for i, c in zip(chosen, labels) if c is not None]
    idx = np.array([i for i, _ in keep])
    llm_hit = hit_rate([c for _, c in keep], [gold[i] for i in idx])
    zs_hit = hit_rate([results[i].primary for i in idx], [gold[i] for i in idx])
    head, _ = train_classifier(x[idx], [c for _, c in keep], test_size=0)
    refined = [r.primary for r in cz.CategoryClassifier(tax, emb, supervised=head).classify(x, texts)]
    for i, c in keep:
        refined[i] = c  # a labelled sentence keeps the model's label
    return {"n": len(keep), "model": label, "llm": llm_hit, "zero_shot": zs_hit, "refined": hit_rate(refined, gold),
            "counts": dict(Counter(c for _, c in keep)), "seconds": seconds / asked if asked else None}


VOTE_SIZES = (3, 5, 10, 20, 10**9)  # words per vote in a long text's word evidence; 10**9: the strongest word alone


def _vote_name(k: int) -> str:
    return "strongest word" if k >= 10**9 else f"1 in {k}"


def fmt(x: float) -> str:
    return f"{x:.3f}"


# ------------------------------------------------------------------------------------------- data sets
@dataclass
class Data:
    """The labelled sets and their taxonomies, loaded once for every embedder."""

    texts: list[str]  # SemEval-2014 restaurant sentences
    gold: list[set[str]]
    single: np.ndarray  # indices of the single-polarity sentences
    tax_a: object  # the SemEval taxonomy, and the same names described by another writer
    tax_b: object
    default: object  # the built-in taxonomy
    b_texts: list[str]  # banking77 test queries, their intents, intent groups and the group taxonomy
    b_intents: list[str]
    b_gold: list[set[str]]
    b_tax: object
    records: list  # the product's sample data
    s_texts: list[str]
    s_gold: list[set[str]]


def load_data() -> Data:
    texts, gold, single = semeval()
    tax_a, tax_b = taxonomy(TAXONOMY_SEMEVAL, "semeval"), taxonomy(TAXONOMY_SEMEVAL_B, "semeval-b")
    default = load_taxonomy()
    b_texts, b_intents = banking("test")
    groups = banking_groups()
    b_gold = [groups[i] for i in b_intents]
    b_tax = taxonomy(BANKING_GROUPS, "banking-groups")
    records = build_records(scale=SAMPLE_SCALE)
    return Data(texts, gold, single, tax_a, tax_b, default, b_texts, b_intents, b_gold, b_tax, records,
                [r.text for r in records], [{r.category} for r in records])


@dataclass
class Figures:
    """Every figure the docs section reports; each data-set function returns its part (`add`)."""

    embedders: list[str]
    food_all: float  # the majority baseline (always `food`) on all sentences and on the single-polarity ones
    food_single: float
    rows: list = field(default_factory=list)  # (embedder, method, all, single-polarity)
    sens: list = field(default_factory=list)  # (embedder, fallback z, hit rate)
    modes: list = field(default_factory=list)  # (embedder, batches, fit + batches, one at a time, same 500 whole)
    extras: list = field(default_factory=list)  # (embedder, ECE, bands, precision, recall, labels/item, counts)
    timing: list = field(default_factory=list)  # (embedder, set-up s, phrasings, scoring s, words, words/s)
    split_rows: list = field(default_factory=list)  # (embedder, now named, now catch-all, before named,
    #                                                  before catch-all, n named, n catch-all)
    votes: list = field(default_factory=list)  # (embedder, words per vote, SemEval, banking77)
    bank_rows: list = field(default_factory=list)  # (embedder, one phrase, all phrasings, the method, ECE)
    kshot: list = field(default_factory=list)  # (embedder, k, head alone, classifier with the head)
    full_cv: dict[str, tuple[float, int]] = field(default_factory=dict)
    sup_rows: list = field(default_factory=list)  # banking77, 77 intents (see banking_supervised)
    sample: tuple | None = None  # the sample data (e5 only)
    llm: dict | None = None  # the language model as labeller (e5 only)

    def add(self, part: dict) -> None:
        """Take one data set's figures: lists are extended, dicts updated, anything else set."""
        for key, value in part.items():
            current = getattr(self, key)
            if isinstance(current, list):
                current.extend(value)
            elif isinstance(current, dict):
                current.update(value)
            else:
                setattr(self, key, value)


def primaries(emb, tax, vectors, items) -> list[str]:
    """The method's primary category of each item."""
    return [r.primary for r in cz.CategoryClassifier(tax, emb).classify(vectors, items)]


def semeval_zero_shot(name: str, emb, x, data: Data, llm_n: int, cache_dir: Path) -> dict:
    """SemEval restaurants, zero-shot: the method beside baselines and variants, its sensitivity to the fallback
    threshold, how it is run, its labels and confidence, its cost; with e5 also a language model as labeller."""
    texts, gold, single, tax_a = data.texts, data.gold, data.single, data.tax_a
    started = time.perf_counter()
    n_phrases = len(cz.CategoryClassifier(tax_a, emb).prototypes()) and len(emb.queries)
    setup = time.perf_counter() - started

    def both(predicted: list[str], truth=gold) -> tuple[float, float]:
        return hit_rate(predicted, truth), hit_rate(predicted, truth, single)

    rows, sens, part = [], [], {}
    rows.append((name, "one phrase per category, argmax (research baseline)", *both(one_phrase(emb, tax_a, x))))
    rows.append((name, "all phrasings of name + description, argmax", *both(phrases_only(emb, tax_a, x))))
    with settings(MIN_SELF_TRAIN=10**9):
        rows.append((name, "+ word evidence, 'other' unless a category reaches z=3", *both(primaries(emb, tax_a, x, texts))))
    clf = cz.CategoryClassifier(tax_a, emb)
    started = time.perf_counter()
    full = clf.classify(x, texts)  # phrasings and words cached by now: the scoring cost alone
    scoring = time.perf_counter() - started
    word_sample = sorted(clf._words)[:300]
    started = time.perf_counter()
    emb.real.embed_documents(word_sample)
    word_rate = len(word_sample) / (time.perf_counter() - started)
    primary = [r.primary for r in full]
    rows.append((name, "**+ self-training on the store (the method)**", *both(primary)))
    if name == "e5":
        part["llm"] = llm_category_rows(emb, tax_a, x, texts, gold, full, llm_n, cache_dir)
    with settings(_background_stats=cz._robust_stats):
        before = primaries(emb, tax_a, x, texts)
        rows.append((name, "the method with sentence statistics against all items (before zs6)", *both(before)))
    # where the two differ: sentences about a named aspect, and those whose only gold is the catch-all
    named = [i for i, g in enumerate(gold) if OTHER not in g]
    catch_all = [i for i, g in enumerate(gold) if g == {OTHER}]
    part["split_rows"] = [(name, *(hit_rate([p[i] for i in idx], [gold[i] for i in idx])
                                   for p in (primary, before) for idx in (named, catch_all)), len(named), len(catch_all))]
    rows.append((name, "the method, descriptions by another writer", *both(primaries(emb, data.tax_b, x, texts))))
    mapped = [{DEFAULT_MAP[c] for c in g} for g in gold]
    rows.append((name, "the method, built-in default taxonomy (README mapping)",
                 *both(primaries(emb, data.default, x, texts), mapped)))
    for tau in (2.0, 2.5, 3.0, 3.5, 4.0):
        with settings(FALLBACK_EVIDENCE=tau):
            sens.append((name, tau, hit_rate(primaries(emb, tax_a, x, texts), gold)))
    batched = cz.CategoryClassifier(tax_a, emb)
    in_batches = [r for i in range(0, len(x), 256) for r in batched.classify(x[i:i + 256], texts[i:i + 256])]
    fitted = cz.CategoryClassifier(tax_a, emb).fit(x, texts)
    fitted_batches = [r for i in range(0, len(x), 256) for r in fitted.classify(x[i:i + 256], texts[i:i + 256])]
    alone = cz.CategoryClassifier(tax_a, emb)
    singles = [alone.classify(x[i:i + 1], texts[i:i + 1])[0] for i in range(500)]
    counts = Counter(primary)
    return {**part, "rows": rows, "sens": sens,
            "modes": [(name, hit_rate([r.primary for r in in_batches], gold),
                       hit_rate([r.primary for r in fitted_batches], gold),
                       hit_rate([r.primary for r in singles], gold[:500]), hit_rate(primary[:500], gold[:500]))],
            "extras": [(name, *calibration(full, gold), *label_sets(full, gold),
                        {c: counts[c] for c in TAXONOMY_SEMEVAL})],
            "timing": [(name, setup, n_phrases, scoring, len(clf._words), word_rate)]}


def banking_zero_shot(name: str, emb, x, bx, data: Data) -> dict:
    """banking77 test queries, zero-shot: domain shift with a user taxonomy, no fallback category; and the word
    evidence's vote size on both SemEval and banking77."""
    bres = cz.CategoryClassifier(data.b_tax, emb).classify(bx, data.b_texts)
    votes = []
    for k in VOTE_SIZES:
        with settings(WORDS_PER_VOTE=k):
            votes.append((name, k, hit_rate(primaries(emb, data.tax_a, x, data.texts), data.gold),
                          hit_rate(primaries(emb, data.b_tax, bx, data.b_texts), data.b_gold)))
    b_tax, b_gold = data.b_tax, data.b_gold
    return {"votes": votes,
            "bank_rows": [(name, hit_rate(one_phrase(emb, b_tax, bx), b_gold), hit_rate(phrases_only(emb, b_tax, bx), b_gold),
                           hit_rate([r.primary for r in bres], b_gold), calibration(bres, b_gold)[0])]}


def sample_data(emb, data: Data) -> dict:
    """The product's own bilingual sample data with the built-in taxonomy, and a supervised head's 5-fold figure."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    records, s_gold = data.records, data.s_gold
    sx = emb.embed_documents(data.s_texts)
    sres = primaries(emb, data.default, sx, data.s_texts)
    by_lang = {lang: hit_rate(sres, s_gold, [i for i, r in enumerate(records) if r.lang == lang])
               for lang in ("en", "zh")}
    ceiling = cross_val_score(LogisticRegression(C=10, max_iter=3000), as_matrix(sx),
                              [r.category for r in records], cv=5).mean()
    return {"sample": (len(records), hit_rate(sres, s_gold), by_lang, hit_rate(phrases_only(emb, data.default, sx), s_gold),
                       float(ceiling))}


def semeval_supervised(name: str, emb, x, data: Data) -> dict:
    """SemEval restaurants with k labelled sentences per category, and with every label (5-fold)."""
    return {"kshot": [(name, k, *supervised_k_shot(emb, data.tax_a, x, data.texts, data.gold, k)) for k in (10, 25, 50)],
            "full_cv": {name: supervised_all(x, data.gold)}}


def banking_supervised(name: str, emb, bx, data: Data) -> dict:
    """banking77, 77 intents: train_classifier on the train split (a fixed sample of 3,000 for e5), scored on test."""
    from sklearn.metrics import f1_score

    tr_texts, tr_labels = banking("train")
    if name == "e5":
        pick = np.sort(np.random.default_rng(0).choice(len(tr_texts), 3000, replace=False))
        tr_texts, tr_labels = [tr_texts[i] for i in pick], [tr_labels[i] for i in pick]
    tx = emb.embed_documents(tr_texts)
    started = time.perf_counter()
    head, report = train_classifier(tx, tr_labels)
    train_seconds = time.perf_counter() - started
    predicted = np.array(head.classes)[head.predict_proba(bx).argmax(axis=1)]
    b_intents = data.b_intents
    return {"sup_rows": [(name, len(tr_texts), report["accuracy"], report["macro_f1"], report["n_test"],
                          float(np.mean(predicted == np.array(b_intents))),
                          float(f1_score(b_intents, predicted, average="macro")), report["C"], train_seconds)]}


# ---------------------------------------------------------------------------------------------- report
def category_section(figures: Figures) -> str:
    """The docs/quality.md section from the figures."""
    embedders, food_all, food_single, sample, llm = (figures.embedders, figures.food_all, figures.food_single,
                                                     figures.sample, figures.llm)
    rows, sens, modes, extras, timing = figures.rows, figures.sens, figures.modes, figures.extras, figures.timing
    split_rows, votes, bank_rows = figures.split_rows, figures.votes, figures.bank_rows
    kshot, full_cv, sup_rows = figures.kshot, figures.full_cv, figures.sup_rows
    best = max(r[2] for r in rows if "(the method)" in r[1])
    body = [
        "## Demand category",
        "",
        "Reproduce: `.venv/bin/python bench/quality_category.py` (needs `../shared/data`; vectors are cached under "
        "`~/.cache/customer-demand-assistant`). The taxonomies, their descriptions and the banking77 intent -> group "
        "mapping are written out in the script.",
        "",
        "### Zero-shot on SemEval-2014 restaurants (taxonomy from names + one-line descriptions only)",
        "",
        "An item is right when its primary category is one of its gold categories (19% of sentences have 2+). "
        f"Majority baseline (always `food`): {fmt(food_all)} on all 3,041 sentences, {fmt(food_single)} on the "
        "2,724 single-polarity ones.",
        "",
        "| embedder | method | all 3,041 | single-polarity 2,724 |",
        "|---|---|---|---|",
        *[f"| {e} | {m} | {fmt(a)} | {fmt(s)} |" for e, m, a, s in rows],
        "",
        f"Target: primary in gold >= {TARGET:.2f}: best {fmt(best)}: **{'met' if best >= TARGET else 'not met'}**.",
        "",
        "Sensitivity to the fallback threshold (fixed at z = 3 before measuring; all 3,041): "
        + "; ".join(f"{e} " + ", ".join(f"{t:g}: {fmt(a)}" for e2, t, a in sens if e2 == e) for e in embedders) + ".",
        "",
        "How it is run (all 3,041): one call over the whole store vs batches of 256 without `fit` (each batch "
        "calibrates and self-trains on itself) vs `fit` on the store then batches; and the first 500 items "
        "classified one at a time (reference-vocabulary statistics, no self-training) vs the same 500 in the full run:",
        "",
        "| embedder | batches of 256 | fit + batches | one at a time (500) | same 500, whole store |",
        "|---|---|---|---|---|",
        *[f"| {e} | {fmt(a)} | {fmt(b)} | {fmt(c)} | {fmt(d)} |" for e, a, b, c, d in modes],
        "",
        "Secondary categories and confidence (the method, all 3,041):",
        "",
        "| embedder | label precision | label recall | labels/item (gold 1.21) | ECE | hit rate by confidence "
        "| predicted counts (gold: food 1,232, anecdotes 1,130, service 597, ambience 431, price 321) |",
        "|---|---|---|---|---|---|---|",
        *[f"| {e} | {fmt(p)} | {fmt(r)} | {n:.2f} | {fmt(ece)} | "
          + "; ".join(f"{b}: {fmt(h)} (n={c})" for b, c, h in bands) + " | "
          + ", ".join(f"{k.split('/')[0]} {v}" for k, v in counts.items()) + " |"
          for e, ece, bands, p, r, n, counts in extras],
        "",
        *([
            "### The built-in taxonomy on the product's sample data (synthetic, bilingual)",
            "",
            f"`build_records(scale={SAMPLE_SCALE})` from `assistant/sample_data.py` ({sample[0]} items, English and "
            "Chinese), classified with `default.yaml` and e5, against the generator's own category of each item: "
            f"{fmt(sample[1])} agree (English {fmt(sample[2]['en'])}, Chinese {fmt(sample[2]['zh'])}); all phrasings "
            f"by sentence vector alone {fmt(sample[3])}; a supervised head on the same vectors (5-fold) {fmt(sample[4])}. "
            "The generator files some cross-cutting themes one way (a checkout crash is user_experience, a request "
            "for delivery slots is product_feature) that zero-shot reads the other way (pricing, service_quality); "
            "`assistant train-classifier` with the sample labels learns the convention.",
            "",
        ] if sample else []),
        "### Domain shift: banking77 test queries, 7 intent groups (no fallback category)",
        "",
        "| embedder | one phrase, argmax | all phrasings, argmax | the method | ECE |",
        "|---|---|---|---|---|",
        *[f"| {e} | {fmt(a)} | {fmt(b)} | {fmt(c)} | {fmt(d)} |" for e, a, b, c, d in bank_rows],
        "",
        "### Supervised head (`train_classifier`)",
        "",
        "banking77, 77 intents: trained on the train split (its own stratified 20% held out for the reported "
        "figure, C chosen on a validation share), then refit on all of it and scored on the test split (3,080).",
        "",
        "| embedder | training queries | held-out accuracy | held-out macro-F1 | n held out | test accuracy "
        "| test macro-F1 | C | training s |",
        "|---|---|---|---|---|---|---|---|---|",
        *[f"| {e} | {n:,} | {fmt(a)} | {fmt(f)} | {nt} | {fmt(ta)} | {fmt(tf)} | {c:g} | {s:.1f} |"
          for e, n, a, f, nt, ta, tf, c, s in sup_rows],
        "",
        "SemEval restaurants with k labelled single-category sentences per category (mean of 5 draws, scored on "
        f"the rest): the head alone / the classifier with the head (below {cz.FEW_LABELS} labels per category it "
        "multiplies the head's probabilities with the zero-shot ones):",
        "",
        "| embedder | zero-shot | k=10 | k=25 | k=50 | every label (5-fold, head alone) |",
        "|---|---|---|---|---|---|",
        *[f"| {e} | {fmt(next(r[2] for r in rows if r[0] == e and '(the method)' in r[1]))} | "
          + " | ".join(f"{fmt(a)} / {fmt(c)}" for e2, k, a, c in kshot if e2 == e)
          + f" | {fmt(full_cv[e][0])} |" for e in embedders],
        "",
        "The last column is a yardstick, not a product figure: a logistic head (C = 1) trained on the "
        f"single-category sentences of four folds (~{next(iter(full_cv.values()))[1]:,} sentences, about "
        f"{next(iter(full_cv.values()))[1] // 5} per category) and scored on the fifth, "
        "all sentences, stratified by first gold category, `random_state=0`. It is what the same vectors reach "
        "with every label this set has, against the 0.80 zero-shot target: "
        + ", ".join(f"{e} {fmt(full_cv[e][0])}" for e in embedders) + ".",
        "",
        *([
            "### A language model as category labeller (idea: refine categories as `--refine` does sentiment)",
            "",
            f"{llm['model']} labelled {llm['n']} SemEval sentences chosen by the zero-shot analysis alone (stratified "
            "by its category, low confidence first), prompted with the same names and one-line descriptions. Its "
            f"primary was in gold for {fmt(llm['llm'])} of them, against {fmt(llm['zero_shot'])} for zero-shot on the same "
            f"sentences (its answers: {', '.join(f'{k} {v}' for k, v in sorted(llm['counts'].items()))}). A head trained "
            f"on its labels and combined with zero-shot, with the labelled sentences keeping the model's label: "
            f"{fmt(llm['refined'])} on all 3,041 (zero-shot alone {fmt(best)}; a category the model never answered "
            "gets no probability from the head, and the model answers `service` for most sentences). "
            + (f"{llm['seconds']:.1f} s per label. " if llm["seconds"] else "Labels read from the cache. ")
            + "So the product does not refine categories with the packaged model; `assistant train-classifier` "
            "with a user's own labels is the way up (table above).",
            "",
        ] if llm else []),
        "### How far to trust these figures",
        "",
        "- Sentence evidence is a robust z-score against each category's *background* (the items nearest "
        "another category) since zs6; before, against all items. The change came from real data "
        "(docs/real-data.md): measured against all items, a category that half a store is about is measured "
        "against itself and its items fall to the catch-all (CFPB credit-report complaints were 49% right; "
        "food-delivery reviews about the food went to 'other'). On SemEval it costs accuracy overall, all of "
        "it on the sentences whose only gold category is the catch-all anecdotes/miscellaneous, which fewer "
        "sentences now fall to (sentences with a named aspect / catch-all-only sentences):",
        "",
        "| embedder | zs6: named aspect | zs6: catch-all only | before: named aspect | before: catch-all only | n |",
        "|---|---|---|---|---|---|",
        *[f"| {e} | {fmt(a)} | {fmt(b)} | {fmt(c)} | {fmt(d)} | {n1:,} / {n2:,} |" for e, a, b, c, d, n1, n2 in split_rows],
        "",
        "- The SemEval taxonomy was written from the category names before any measurement and has no keywords "
        "or examples. The method's constants were set by reasoning (z = 3 is the usual outlier cut) and then "
        "checked on SemEval, banking77 and the sample data; two were changed after looking: the sentence weight "
        "went from 0.5 to 1.0 because of the sample data (SemEval e5 was 0.771 with 0.5), and the temperature 2 "
        "was chosen for calibration on banking77. So SemEval is not a clean held-out set; the row with another "
        "writer's descriptions shows how much the wording alone moves the result.",
        "- Keyword evidence (a taxonomy keyword or cue found in the text adds 3, the outlier cut; 2 and 4 "
        "were also tried on the sample data, and 3 kept as the principled value) changes nothing for the "
        "SemEval and banking77 taxonomies, which have no keywords. The default taxonomy's cues (request "
        "phrasings such as \"is there a way to\", \"能不能加\"; breakage words such as \"crash\", \"崩溃\") were written "
        "after reading how the sample data phrases its requests: they are generic phrasings, but the sample-"
        "data agreement above is not a held-out figure; the SemEval row with the built-in taxonomy is the "
        "check that they do not hurt elsewhere.",
        "- Word evidence of long texts (the mean of an item's strongest fifth of words; up to five words, the "
        "strongest alone) was added after a real-data run (docs/real-data.md) showed CFPB complaints, ~40 content "
        "words each, classified below the majority baseline. The fifth was chosen after looking at that run (its "
        "sensitivity there is in docs/real-data.md). Here, SemEval / banking77 with one vote per 3, 5, 10, 20 "
        "words and with the strongest word alone: "
        + "; ".join(f"{e} " + ", ".join(f"{_vote_name(k)}: {fmt(a)} / {fmt(b)}" for e2, k, a, b in votes if e2 == e)
                    for e in embedders) + ". SemEval sentences (median five content words) are barely touched by it.",
        "- Research baseline for comparison (an earlier research pass): one \"Name: description\" e5 query vector "
        "per category 0.61-0.63, with hand-written keywords 0.73, MiniLM+e5 combined 0.77 (not available to one "
        "store, which has one embedder), 50 labels per category ~0.80.",
        "- What reaches 0.80 on SemEval here: about 50 labelled sentences per category through "
        "`assistant train-classifier` (table above). Zero-shot stays at 0.69-0.77 depending on embedder and wording.",
        "- Also tried for the 0.80 target and not kept (e5, measured once each during development, against the method as it was at 0.752): self-training "
        "repeated 2-3 times (SemEval 0.760-0.768, banking77 0.835, but the sample data fell from 0.636 to 0.616); "
        "the local model writing keywords and example sentences for each category from its name and description "
        "(examples: SemEval 0.762; keywords: 0.746, since it mostly repeated the description's words); the "
        "model as a labeller (section above).",
        "",
        "### Runtime (3,041 SemEval sentences, stored vectors given)",
        "",
        *[f"- {e}: category vectors {t:.1f} s ({n} phrasings through `embed_queries`, once per run); scoring "
          f"{s:.2f} s ({s / 3.041:.2f} s per 1,000 items) once words are embedded; the {w:,} content words "
          f"(used by 2+ items) cost {w / r:.0f} s at the measured {r:.0f} words/s, once per run "
          f"(~{w / r / 3.041:.0f} s per 1,000 items on this set)." for e, t, n, s, w, r in timing],
        f"- Load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other jobs share "
        "the machine; the e5 engine's threads wait passively since they slowed down sharply when cores were busy).",
    ]
    return "\n".join(body)


# ----------------------------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=Path("~/.cache/customer-demand-assistant").expanduser())
    parser.add_argument("--quick", action="store_true", help="minilm only (no e5)")
    parser.add_argument("--llm", type=int, default=100, metavar="N", help="sentences the LLM labels (0: none)")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"no evaluation data at {DATA}; nothing to measure")
        return 0
    data = load_data()
    food = ["food"] * len(data.gold)
    figures = Figures(["minilm"] if args.quick else ["e5", "minilm"], hit_rate(food, data.gold),
                      hit_rate(food, data.gold, data.single))
    for name in figures.embedders:
        emb = CachedEmbedder(name, args.cache_dir)
        x, bx = emb.embed_documents(data.texts), emb.embed_documents(data.b_texts)
        figures.add(semeval_zero_shot(name, emb, x, data, args.llm, args.cache_dir))
        figures.add(banking_zero_shot(name, emb, x, bx, data))
        if name == "e5":  # half of the sample data is Chinese
            figures.add(sample_data(emb, data))
        figures.add(semeval_supervised(name, emb, x, data))
        figures.add(banking_supervised(name, emb, bx, data))
        print(f"{name}: done", flush=True)
    text = category_section(figures)
    print(text)
    path = write_section("quality.md", "category", text)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
