"""LLM refinement of sentiment: a language model labels a sample of the store, a light head learns from it.

The analysis works with no language model. With one (`assistant analyze --refine N`):

1. **Sample.** N items not labelled before are drawn from the store, stratified by language and by the
   zero-shot sentiment label (each stratum gets its share, at least N / (2 x strata)), and within a
   stratum with probability growing as the zero-shot confidence falls: the model's time goes where the
   offline analysis is least sure. Deterministic (fixed seed), so a rerun draws the same items.
2. **Label.** The model labels each sampled item's sentiment in one JSON-schema-constrained call
   (`llm.structured_call`, temperature 0; ~0.8 s per item with the packaged 1.5B model). Answers are
   cached on disk by model, prompt version and text, so an interrupted run resumes and a rerun is free.
3. **Learn.** A 3-class logistic regression over the items' stored e5 vectors learns the labels
   (`SentimentRefiner`); its probabilities are multiplied with the zero-shot ones. Items the model
   labelled keep the model's label.

The refiner (its weights and every label by item id) is saved in the store's state and its fingerprint
is part of the sentiment model's name, so results carry it in their `analysis_hash`: a plain `analyze`
afterwards keeps using it and re-analyses nothing; `--refine` again labels N more items and retrains.
Measured effect: docs/quality.md (bench/quality_sentiment.py labels the evaluation sentences the same way,
without their gold labels, as a user's own store would be).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from ..errors import ConfigError, LLMError

__all__ = ["SentimentRefiner", "LabelCache", "choose_sample", "llm_sentiment_labels", "train_refiner",
           "load_saved_refiner", "REFINER_KEY"]

LABELS = ("negative", "neutral", "positive")
REFINER_KEY = "sentiment_refiner"
PROMPT_VERSION = "sentiment-v1"
SYSTEM_PROMPT = ("You label the sentiment of customer feedback: the customer's opinion in this text. "
                 "positive, negative, or neutral (facts, questions, no opinion).")
MIN_PER_CLASS = 5  # fewer model labels of a class than this: the head cannot learn it, the class is left to zero-shot
HEAD_C = 1.0  # logistic regression strength: the scikit-learn default (labels are a few hundred, and noisy)


class SentimentAnswer(BaseModel):
    """What the model answers for one item."""

    sentiment: Literal["negative", "neutral", "positive"] = Field(description="negative, neutral or positive")


# ------------------------------------------------------------------------------------------ label cache
class LabelCache:
    """Model answers on disk (JSON lines), keyed by model, prompt version and text; appended as they come."""

    def __init__(self, cache_dir: Path | None, model_label: str, task: str = PROMPT_VERSION):
        self.prefix = f"{model_label}\x00{task}\x00"
        self.path = (Path(cache_dir).expanduser() / "llm-labels.jsonl") if cache_dir else None
        self._labels: dict[str, str] = {}
        if self.path and self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self._labels[row["key"]] = row["label"]
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by an interrupted run

    def key(self, text: str) -> str:
        return hashlib.sha256((self.prefix + text).encode()).hexdigest()[:24]

    def get(self, text: str) -> str | None:
        return self._labels.get(self.key(text))

    def put(self, text: str, label: str) -> None:
        key = self.key(text)
        self._labels[key] = label
        if self.path:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps({"key": key, "label": label}) + "\n")
            except OSError:
                pass  # a read-only cache costs model time on a rerun, never a result


def llm_sentiment_labels(chat_model, texts: Sequence[str], *, cache: LabelCache,
                         progress: Callable[[int], None] | None = None, max_chars: int = 1000) -> list[str | None]:
    """The model's sentiment label of each text (None where it failed), from the cache where possible."""
    from ..llm import structured_call

    out: list[str | None] = []
    for text in texts:
        label = cache.get(text)
        if label is None:
            try:
                answer = structured_call(chat_model, SentimentAnswer,
                                         [("system", SYSTEM_PROMPT), ("human", text[:max_chars])])
                label = answer.sentiment
                cache.put(text, label)
            except LLMError:
                label = None  # one bad answer must not stop the run; the item stays zero-shot
        out.append(label)
        if progress:
            progress(1)
    return out


# ------------------------------------------------------------------------------------------- the sample
def choose_sample(confidence: np.ndarray, strata: Sequence[str], n: int, *, exclude: np.ndarray | None = None,
                  seed: int = 0) -> np.ndarray:
    """Indices of up to `n` items: stratified by `strata`, favouring low `confidence` (no gold labels used).

    Each stratum gets n x its share of the candidates, but at least n / (2 x number of strata) when it has
    them (a rare class, e.g. neutral Chinese items, still gets labels). Within a stratum, items are drawn
    without replacement with weight 1 - confidence + 0.05 (so a sure item can still be drawn).
    """
    confidence = np.asarray(confidence, dtype=float)
    strata = np.asarray(strata)
    candidates = np.ones(len(confidence), dtype=bool)
    if exclude is not None and len(exclude):
        candidates[np.asarray(exclude, dtype=int)] = False
    pool = np.flatnonzero(candidates)
    if n <= 0 or not len(pool):
        return np.zeros(0, dtype=int)
    if n >= len(pool):
        return pool
    groups = {s: pool[strata[pool] == s] for s in sorted(set(strata[pool].tolist()))}
    floor = n / (2 * len(groups))
    quota = {s: min(len(ix), max(round(n * len(ix) / len(pool)), round(floor))) for s, ix in groups.items()}
    while sum(quota.values()) > n:  # the floors pushed it over: take back from the largest
        largest = max(quota, key=lambda s: quota[s])
        quota[largest] -= 1
    while sum(quota.values()) < n:  # rounding left places: give them where items remain, largest first
        room = [s for s in groups if quota[s] < len(groups[s])]
        quota[max(room, key=lambda s: len(groups[s]) - quota[s])] += 1
    rng = np.random.default_rng(seed)
    chosen = []
    for s, ix in groups.items():
        if quota[s] <= 0:
            continue
        weight = 1.0 - confidence[ix] + 0.05
        chosen.append(rng.choice(ix, size=quota[s], replace=False, p=weight / weight.sum()))
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=int)


# ------------------------------------------------------------------------------------------ the refiner
class SentimentRefiner:
    """A 3-class logistic head over e5 vectors, learned from model labels; plus those labels by item id."""

    def __init__(self, weights, bias, labels: dict[str, str], *, model: str = ""):
        # rounded as to_json writes them, so a saved and reloaded refiner has the same fingerprint
        self.weights = np.round(np.asarray(weights, dtype=np.float64), 6).astype(np.float32).reshape(len(LABELS), -1)
        self.bias = np.round(np.asarray(bias, dtype=np.float64), 6).astype(np.float32).reshape(len(LABELS))
        self.labels = dict(labels)  # item id (or text key) -> the model's label
        self.model = model
        h = hashlib.sha1(self.weights.tobytes() + self.bias.tobytes())
        h.update(json.dumps(self.labels, sort_keys=True).encode())
        self._fingerprint = h.hexdigest()[:8]  # computed once: it is part of every item's analysis hash

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """P(negative, neutral, positive) for each (e5) vector."""
        vectors = np.asarray(vectors, dtype=np.float32)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        z = vectors @ self.weights.T + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def combine(self, probs: np.ndarray, vectors: np.ndarray, keys: Sequence[str | None] | None = None) -> np.ndarray:
        """Zero-shot probabilities times the head's, renormalised; a labelled item gets its model label."""
        out = probs * self.probabilities(vectors)
        out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        for row, key in enumerate(keys or ()):
            label = self.labels.get(key) if key else None
            if label in LABELS:
                out[row] = 0.0
                out[row, LABELS.index(label)] = 1.0
        return out

    def fingerprint(self) -> str:
        return self._fingerprint

    def to_json(self) -> str:
        return json.dumps({"kind": "sentiment-refiner", "version": 1, "model": self.model,
                           "weights": np.round(self.weights.astype(float), 6).tolist(),
                           "bias": np.round(self.bias.astype(float), 6).tolist(), "labels": self.labels},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SentimentRefiner:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != "sentiment-refiner":
            raise ConfigError("not a saved sentiment refiner")
        return cls(data["weights"], data["bias"], data.get("labels", {}), model=data.get("model", ""))


def train_refiner(vectors: np.ndarray, labels: Sequence[str], keys: Sequence[str], *, model: str = "") -> SentimentRefiner:
    """Fit the head on model-labelled vectors. A class with fewer than MIN_PER_CLASS labels gets a flat
    column (probability left to zero-shot) rather than a column learned from a handful of items."""
    from sklearn.linear_model import LogisticRegression

    vectors = np.asarray(vectors, dtype=np.float32)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    y = np.array([LABELS.index(label) for label in labels])
    present = [c for c in range(len(LABELS)) if np.sum(y == c) >= MIN_PER_CLASS]
    weights = np.zeros((len(LABELS), vectors.shape[1]), dtype=np.float32)
    bias = np.zeros(len(LABELS), dtype=np.float32)
    if len(present) >= 2:
        keep = np.isin(y, present)
        fit = LogisticRegression(C=HEAD_C, max_iter=3000).fit(vectors[keep], y[keep])
        if len(present) == 2:
            rows, inter = np.vstack([-fit.coef_, fit.coef_]) / 2, np.array([-fit.intercept_[0], fit.intercept_[0]]) / 2
        else:
            rows, inter = fit.coef_, fit.intercept_
        weights[present], bias[present] = rows, inter
        # an unlearned class: its logit sits at the mean of the others, so the head neither favours nor
        # rules it out
        missing = [c for c in range(len(LABELS)) if c not in present]
        if missing:
            mean = (vectors[keep] @ weights[present].T + bias[present]).mean()
            bias[missing] = mean
    return SentimentRefiner(weights, bias, dict(zip(keys, labels)), model=model)


# ------------------------------------------------------------------------------------------- one round
def refine_sentiment(model, texts: Sequence[str], langs: Sequence[str], vectors: np.ndarray, keys: Sequence[str],
                     chat_model, *, n: int, cache: LabelCache, previous: SentimentRefiner | None = None,
                     progress: Callable[[int], None] | None = None, seed: int = 0,
                     extra: dict[str, np.ndarray] | None = None) -> tuple[SentimentRefiner, int]:
    """One round: sample `n` items not labelled before, have `chat_model` label them, retrain the head on
    every label so far. Returns the new refiner and how many labels this round added.

    `model`: the offline `SentimentModel` (its zero-shot verdicts choose the sample); `keys`: item ids;
    `extra`: vectors of items labelled in earlier rounds that are not among `keys` (id -> vector).
    """
    base = model.refiner
    model.refiner = None  # the sample is chosen by the offline analysis alone
    try:
        probs, scores, zh = model.scores(list(texts), list(langs), vectors, list(keys))
    finally:
        model.refiner = base
    confidence = np.where(zh, 0.5 + np.abs(scores) / 2, probs.max(axis=1))
    strata = [f"{'zh' if z else 'en'}:{LABELS[int(p)]}" for z, p in zip(zh, probs.argmax(axis=1))]
    done = dict(previous.labels) if previous else {}
    exclude = np.array([i for i, key in enumerate(keys) if key in done], dtype=int)
    chosen = choose_sample(confidence, strata, n, exclude=exclude, seed=seed)
    answers = llm_sentiment_labels(chat_model, [texts[i] for i in chosen], cache=cache, progress=progress)
    added = 0
    for i, label in zip(chosen, answers):
        if label is not None:
            done[keys[i]] = label
            added += 1
    if not done:
        raise LLMError("the language model labelled no item", backend=getattr(chat_model, "label", "model"))
    position = {key: i for i, key in enumerate(keys)}
    extra = extra or {}
    labelled = [key for key in done if key in position or key in extra]
    matrix = np.stack([vectors[position[key]] if key in position else extra[key] for key in labelled])
    label = getattr(chat_model, "backend_label", None) or getattr(chat_model, "label", "") or type(chat_model).__name__
    return train_refiner(matrix, [done[key] for key in labelled], labelled, model=str(label)), added


def load_saved_refiner(store) -> SentimentRefiner | None:
    """The refiner an earlier `analyze --refine` saved in the store, or None."""
    saved = store.load_state(REFINER_KEY)
    return SentimentRefiner.from_json(saved) if saved else None


def refine_store(store, settings, sentiment, n: int, *, progress: bool = True, chat_model=None,
                 sample_size: int = 20_000) -> dict:
    """`analyze --refine N`: one refinement round over the store; the refiner is saved in the store's state
    and set on `sentiment` (a `RefinableReader`, stages.py). Returns what was done (labels added, labels in
    total, the model's label)."""
    from tqdm.auto import tqdm

    if store.embedder_name != "multilingual-e5-small":
        raise ConfigError("--refine learns over e5 vectors: rebuild the store with the e5 embedder")
    if chat_model is None:
        from ..llm import get_backends

        chain = [b for b in get_backends(settings) if b.name != "none"]
        if not chain:
            raise LLMError("--refine needs a language model and none is available (see: assistant doctor)",
                           backend="none")
        chat_model = chain[0].chat_model
    previous = load_saved_refiner(store)
    every = sorted(item_id for item_id, _ in store.metadatas())
    step = max(1, len(every) // sample_size)  # a deterministic stride sample bounds the memory on a large store
    chunk = store.get_with_vectors(every[::step][:sample_size])
    earlier = [key for key in (previous.labels if previous else {}) if key not in {item.id for item, _ in chunk}]
    extra = {item.id: vector for item, vector in store.get_with_vectors(earlier)} if earlier else {}
    label = getattr(chat_model, "backend_label", None) or getattr(chat_model, "label", "") or type(chat_model).__name__
    bar = tqdm(total=n, desc="refine (model labels)", unit=" items", disable=not progress, leave=False)
    refiner, added = refine_sentiment(
        sentiment, [item.text for item, _ in chunk], [item.metadata.get("lang", "und") for item, _ in chunk],
        np.stack([vector for _, vector in chunk]), [item.id for item, _ in chunk], chat_model, n=n,
        cache=LabelCache(settings.cache_dir, str(label)), previous=previous, progress=bar.update, extra=extra)
    bar.close()
    store.save_state(REFINER_KEY, refiner.to_json())
    sentiment.refiner = refiner
    return {"added": added, "labels": len(refiner.labels), "model": refiner.model}
