"""Vector arithmetic that category heads share: unit vectors, softmax, and a fitted logistic regression as
softmax weights (zero-shot self-training in categorize.py, the supervised head in supervised.py)."""

from __future__ import annotations

import numpy as np


def as_matrix(vectors) -> np.ndarray:
    """`vectors` as a float32 matrix of unit rows (one row per item)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    return normalise(vectors if vectors.ndim == 2 else vectors.reshape(len(vectors), -1))


def normalise(a: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); a zero row stays zero."""
    a = np.asarray(a, dtype=np.float32)
    norms = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.where(norms > 0, norms, 1.0)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_weights(model) -> tuple[np.ndarray, np.ndarray]:
    """A fitted scikit-learn LogisticRegression as one weight row and bias per class, for a softmax."""
    if len(model.classes_) == 2:  # scikit-learn keeps one row for two classes
        return np.vstack([-model.coef_, model.coef_]) / 2, np.array([-model.intercept_[0], model.intercept_[0]]) / 2
    return model.coef_, model.intercept_

