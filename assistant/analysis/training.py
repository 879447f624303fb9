"""`train-classifier`: learn the user's categories from labelled items, over the vectors already stored."""

from __future__ import annotations

import numpy as np

from ..errors import InputFileError
from ..settings import Settings
from ..store import FeedbackStore
from .categorize import train_classifier
from .run import CLASSIFIER_KEY
from .taxonomy import load_taxonomy, read_labels


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
