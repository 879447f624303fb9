"""The interfaces of the swappable analysis stages, so that `Analyzer` (run.py) takes any implementation.

As BERTopic does with its `BaseRepresentation`: a stage is anything with these members (nothing needs to
subclass), and the product's own classes are the defaults: `SentimentModel` (sentiment.py) reads
sentiment, `CategoryClassifier` (categorize.py) assigns categories. A stage's `name` is recorded in every
item's `analysis_hash`, so a different stage, or a changed one, re-analyses the items it read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .types import CategoryResult, Sentiment

if TYPE_CHECKING:
    from .refine import SentimentRefiner

__all__ = ["Categoriser", "RefinableReader", "SentimentReader"]


@runtime_checkable
class SentimentReader(Protocol):
    """Reads the sentiment of a batch of items."""

    name: str  # what the results are computed with; changes when the reader does

    def predict(self, texts: list[str], langs: list[str] | None = None,
                vectors: np.ndarray | None = None) -> list[Sentiment]:
        """Sentiment of each text. `langs`: their languages ("en", "zh", ...); `vectors`: their stored e5
        vectors (None when the store was built with another embedder)."""
        ...


@runtime_checkable
class RefinableReader(SentimentReader, Protocol):
    """A sentiment reader that `analyze --refine` can sharpen (refine.py): it holds the refiner learned on
    the store's items, and `keys` (item ids) let it give an item a language model labelled that label."""

    refiner: SentimentRefiner | None

    def predict(self, texts: list[str], langs: list[str] | None = None, vectors: np.ndarray | None = None,
                keys: list[str] | None = None) -> list[Sentiment]:
        """As `SentimentReader.predict`; `keys` are the items' ids."""
        ...

    def scores(self, texts: list[str], langs: list[str] | None = None, vectors: np.ndarray | None = None,
               keys: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(class probabilities in negative/neutral/positive order, scores in [-1, 1], is-Chinese mask)."""
        ...


@runtime_checkable
class Categoriser(Protocol):
    """Assigns each item the demand categories of the taxonomy, from its stored vector and its text."""

    name: str  # what the results are computed with; changes when the categoriser or its taxonomy does
    trusted: bool  # categories reliable enough to cluster themes within each of them (themes.py)

    def fit(self, vectors: np.ndarray, texts: list[str] | None = None) -> Categoriser:
        """Calibrate on a sample of the whole store before its items are classified batch by batch."""
        ...

    def classify(self, vectors: np.ndarray, texts: list[str] | None = None) -> list[CategoryResult]:
        """Primary and secondary categories of each item."""
        ...
