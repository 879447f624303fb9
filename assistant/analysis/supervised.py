"""The supervised category head: a logistic regression over stored vectors, trained on a user's labels.

`train_classifier` reports held-out accuracy and macro F1, then refits on every label. A trained head
replaces zero-shot (categorize.py), or, trained on fewer than FEW_LABELS items per category, is multiplied
with it. `assistant train-classifier` (training.py) trains one from a labels file and saves it in the store.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputFileError
from .taxonomy import Taxonomy
from .vectors import as_matrix, softmax, softmax_weights


class SupervisedHead:
    """Logistic regression over stored vectors, trained on a user's labels; saved as JSON or npz, never pickle."""

    def __init__(self, classes, weights, bias, *, taxonomy: str = "", embedder: str = "", metrics: dict | None = None):
        self.classes = [str(c) for c in classes]
        self.weights = np.asarray(weights, dtype=np.float32).reshape(len(self.classes), -1)
        self.bias = np.asarray(bias, dtype=np.float32).reshape(len(self.classes))
        self.taxonomy = taxonomy  # fingerprint of the taxonomy the labels belong to
        self.embedder = embedder
        self.metrics = metrics or {}

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Probability of each of `classes` (columns) for each vector (rows)."""
        return softmax(as_matrix(vectors) @ self.weights.T + self.bias)

    def probabilities(self, vectors: np.ndarray, names: list[str]) -> np.ndarray:
        """Probabilities in the order of `names` (a taxonomy category without training labels gets 0)."""
        known = self.predict_proba(vectors)
        probs = np.zeros((len(known), len(names)), dtype=np.float32)
        for j, name in enumerate(self.classes):
            if name in names:
                probs[:, names.index(name)] = known[:, j]
        return probs

    def labels_per_class(self) -> float:
        """How many labelled items per category the head learned from (infinite if unknown)."""
        n = self.metrics.get("n_labels")
        return n / len(self.classes) if n else float("inf")

    def fingerprint(self) -> str:
        digest = hashlib.sha1(self.weights.tobytes() + self.bias.tobytes() + "|".join(self.classes).encode())
        return digest.hexdigest()[:12]

    def to_json(self) -> str:
        return json.dumps({"kind": "category-head", "version": 1, "classes": self.classes,
                           "weights": np.round(self.weights.astype(float), 6).tolist(),
                           "bias": np.round(self.bias.astype(float), 6).tolist(), "taxonomy": self.taxonomy,
                           "embedder": self.embedder, "metrics": self.metrics}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "SupervisedHead":
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != "category-head":
            raise ConfigError("not a saved category classifier (expected the JSON written by train-classifier)")
        return cls(data["classes"], data["weights"], data["bias"], taxonomy=data.get("taxonomy", ""),
                   embedder=data.get("embedder", ""), metrics=data.get("metrics"))

    def save(self, path: str | Path) -> Path:
        """Write to `path`: .npz as numpy arrays, anything else as JSON."""
        path = Path(path)
        if path.suffix == ".npz":
            meta = json.dumps({"classes": self.classes, "taxonomy": self.taxonomy, "embedder": self.embedder,
                               "metrics": self.metrics}, ensure_ascii=False)
            np.savez(path, weights=self.weights, bias=self.bias, meta=np.array(meta))
        else:
            path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "SupervisedHead":
        """Read a head written by `save` (npz read with allow_pickle=False)."""
        path = Path(path)
        try:
            if path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as data:
                    meta = json.loads(str(data["meta"]))
                    return cls(meta["classes"], data["weights"], data["bias"], taxonomy=meta.get("taxonomy", ""),
                               embedder=meta.get("embedder", ""), metrics=meta.get("metrics"))
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, ConfigError) as exc:
            raise InputFileError(str(path), f"cannot read the saved classifier: {exc}") from None


def train_classifier(vectors: np.ndarray, labels: list[str], *, test_size: float = 0.2, seed: int = 0,
                     taxonomy: Taxonomy | None = None, embedder: str = "") -> tuple[SupervisedHead, dict]:
    """Train a head on labelled vectors; report held-out accuracy, then refit on all labels.

    The report has accuracy, macro_f1 (on the held-out `test_size` share, stratified when every class
    has 2+ items), per_class counts and F1, n_train, n_test and the regularisation chosen on a validation
    share of the training part. With test_size=0 nothing is held out and the figures are None.
    """
    from sklearn.metrics import accuracy_score, f1_score

    vectors, labels = as_matrix(vectors), [str(label) for label in labels]
    if len(vectors) != len(labels):
        raise ConfigError(f"{len(vectors)} vectors but {len(labels)} labels")
    counts = Counter(labels)
    if len(counts) < 2:
        raise ConfigError("training needs labels of at least 2 categories; found "
                          + (", ".join(counts) or "none"))
    y = np.array(labels)
    report: dict = {"n_train": len(y), "n_test": 0, "accuracy": None, "macro_f1": None}
    if test_size and len(y) >= 10:
        train, test = _split(y, test_size, seed)
        strength = _choose_strength(vectors[train], y[train], seed)
        model = _fit_logistic(vectors[train], y[train], strength)
        predicted = model.predict(vectors[test])
        report.update(n_train=len(train), n_test=len(test), accuracy=float(accuracy_score(y[test], predicted)),
                      macro_f1=float(f1_score(y[test], predicted, average="macro", zero_division=0)))
        f1 = f1_score(y[test], predicted, average=None, labels=sorted(counts), zero_division=0)
        tested = Counter(y[test])
        report["per_class"] = {c: {"train": counts[c] - tested[c], "test": tested[c], "f1": round(float(f), 4)}
                               for c, f in zip(sorted(counts), f1)}
    else:
        strength = _choose_strength(vectors, y, seed)
        report["per_class"] = {c: {"train": counts[c], "test": 0, "f1": None} for c in sorted(counts)}
    report["C"] = strength
    final = _fit_logistic(vectors, y, strength)  # every label counts for the model that is kept
    head = SupervisedHead(final.classes_, *softmax_weights(final), taxonomy=taxonomy.fingerprint() if taxonomy else "",
                          embedder=embedder, metrics={**{k: v for k, v in report.items() if k != "per_class"},
                                                      "n_labels": len(y)})
    return head, report


def _fit_logistic(x: np.ndarray, y: np.ndarray, strength: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=strength, max_iter=3000).fit(x, y)


def _choose_strength(x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """Inverse regularisation C from (1, 10, 100) by accuracy on a validation share of the training data."""
    if len(y) < 50:
        return 10.0  # too few items to choose; unit vectors need a weak penalty to separate at all
    fit, val = _split(y, 0.2, seed)
    scores = {c: float(np.mean(_fit_logistic(x[fit], y[fit], c).predict(x[val]) == y[val])) for c in (1.0, 10.0, 100.0)}
    return max(scores, key=lambda c: (scores[c], -c))


def _split(y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a train/held-out split, stratified by class when every class has enough items."""
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(np.arange(len(y)), test_size=share, random_state=seed, stratify=y)
    except ValueError:  # a class with one item, or fewer held-out places than classes
        return train_test_split(np.arange(len(y)), test_size=share, random_state=seed)
