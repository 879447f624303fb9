"""`train-classifier`: learn the user's categories from labelled items, over the vectors already stored.

The trained head (supervised.py) is saved in the store's state; `analyze` and `analyze_text` load it with
`load_saved_head` for as long as the taxonomy it was trained for is the one in use.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputFileError
from ..settings import Settings
from ..store import FeedbackStore
from .supervised import SupervisedHead, train_classifier
from .taxonomy import Taxonomy, load_taxonomy, read_labels

CLASSIFIER_KEY = "classifier"  # the store state the trained head is saved under


def train_from_labels(store: FeedbackStore, settings: Settings, path: str) -> dict:
    """Train on a CSV of (id or text, label), save the head in the store, return held-out metrics."""
    taxonomy = load_taxonomy(settings.taxonomy)
    rows = read_labels(path, taxonomy)
    if rows.key_column == "id":
        found = {item.id: vector for item, vector in store.get_with_vectors([key for key, _ in rows])}
        missing = [key for key, _ in rows if key not in found]
        if missing:
            raise InputFileError(path, f"{len(missing)} labelled ids are not in the store (first: {missing[0]}); "
                                       f"ingest those items first")
        vectors = np.stack([found[key] for key, _ in rows])
    else:
        # labels keyed by text: embed the texts with the store's embedder (they need not be stored)
        vectors = store.embedder.embed_documents([key for key, _ in rows])
    head, metrics = train_classifier(vectors, [label for _, label in rows], taxonomy=taxonomy,
                                     embedder=store.embedder_name)
    store.save_state(CLASSIFIER_KEY, head.to_json())
    return metrics


def load_saved_head(store: FeedbackStore, taxonomy: Taxonomy) -> SupervisedHead | None:
    """The head `train_from_labels` saved in the store, or None when there is none or it was trained for
    another taxonomy (zero-shot until retrained)."""
    saved = store.load_state(CLASSIFIER_KEY)
    if not saved:
        return None
    head = SupervisedHead.from_json(saved)
    return head if head.taxonomy == taxonomy.fingerprint() else None
