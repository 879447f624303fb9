"""`analyze`: compute sentiment, category, entities, theme and priority for stored items, incrementally.

Reads like the pipeline it is: load the models, find the items whose analysis is missing or stale,
analyse them in batches over their stored vectors (no re-embedding), extend the theme model, score
item priority, and write everything back as item metadata. An item is stale when its content or any
model that analysed it changed (`analysis_hash`), so a re-run over an unchanged store does nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from ..ingest.identity import repair_store
from ..settings import Settings
from ..store import FeedbackStore
from .categorize import FEW_LABELS, CategoryClassifier
from .entities import EntityExtractor, load_dictionary
from .frame import load_frame, plain
from .priority import item_priority
from .refine import REFINER_KEY, SentimentRefiner, refine_store
from .sentiment import load_sentiment_model
from .snapshot import refresh as refresh_snapshot
from .taxonomy import load_taxonomy, save_taxonomy
from .themes import ThemeState, relabel, update_themes
from .training import load_saved_head

ANALYSIS_VERSION = 1
E5 = "multilingual-e5-small"
THEMES_KEY = "themes"
FIT_SAMPLE = 20_000  # items the zero-shot classifier is calibrated on (a deterministic stride sample)


@dataclass
class AnalyzeReport:
    """What `analyze` did."""

    items: int = 0
    analysed: int = 0
    unchanged: int = 0
    themes: int = 0
    new_themes: int = 0
    unassigned: int = 0
    seconds: float = 0.0
    models: dict = field(default_factory=dict)
    refined: dict = field(default_factory=dict)  # what `--refine` did: labels added, in total, by which model

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class Analyzer:
    """The analysis models for one store, loaded once and reused by `analyze` and by `analyze_text`."""

    def __init__(self, store: FeedbackStore, settings: Settings, *, taxonomy_path=None, sentiment=None):
        self.store = store
        self.taxonomy = load_taxonomy(taxonomy_path or settings.taxonomy)
        self.classifier = CategoryClassifier(self.taxonomy, store.embedder, supervised=load_saved_head(store, self.taxonomy))
        self.sentiment = sentiment or load_sentiment_model(cache_dir=settings.cache_dir)
        saved_refiner = store.load_state(REFINER_KEY) if hasattr(self.sentiment, "refiner") else None
        if saved_refiner and self.sentiment.refiner is None:
            self.sentiment.refiner = SentimentRefiner.from_json(saved_refiner)  # from an earlier `--refine`
        self.dictionary = load_dictionary(settings.products)
        self.entities = EntityExtractor(self.dictionary)
        dictionary = json.dumps(dataclasses.asdict(self.dictionary), sort_keys=True, ensure_ascii=False, default=list)
        self._dictionary_hash = hashlib.sha1(dictionary.encode()).hexdigest()

    @property
    def signature(self) -> str:
        """Hash of every model's name: it changes when a model does (e.g. after `--refine`)."""
        parts = [str(ANALYSIS_VERSION), self.sentiment.name, self.classifier.name, self.taxonomy.fingerprint(),
                 self._dictionary_hash]
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]

    def item_hash(self, content_hash: str) -> str:
        return hashlib.sha1(f"{self.signature}:{content_hash}".encode()).hexdigest()[:16]

    def analyse(self, texts: list[str], langs: list[str], vectors: np.ndarray, ids: list[str] | None = None) -> list[dict]:
        """Sentiment, category and entities of a batch, as metadata fields (vectors from the store's embedder;
        `ids` let a refined sentiment model give model-labelled items their model label)."""
        e5_vectors = vectors if self.store.embedder_name == E5 else None
        if ids is not None and getattr(self.sentiment, "refiner", None) is not None:
            sentiments = self.sentiment.predict(texts, langs, vectors=e5_vectors, keys=ids)
        else:
            sentiments = self.sentiment.predict(texts, langs, vectors=e5_vectors)
        categories = self.classifier.classify(vectors, texts)
        entities = self.entities.extract_many(texts, langs)
        return [
            {
                "sentiment": s.label,
                "sentiment_score": round(float(s.score), 4),
                "category": c.primary,
                "categories": json.dumps([c.primary, *c.secondary], ensure_ascii=False),
                "category_confidence": round(float(c.confidence), 4),
                "entities": json.dumps([{"kind": e.kind, "text": e.text, "value": e.value} for e in ents],
                                       ensure_ascii=False),
            }
            for s, c, ents in zip(sentiments, categories, entities)
        ]


def analyze_store(store: FeedbackStore, settings: Settings, *, taxonomy_path=None, full: bool = False,
                  progress: bool = True, batch: int = 256, analyzer: Analyzer | None = None,
                  refine: int = 0, chat_model=None) -> AnalyzeReport:
    """Analyse every stored item whose analysis is missing or stale (all of them with `full`).

    `refine`: first have a language model (`chat_model`, default: the configured backend chain) label that
    many more items' sentiment and retrain the refiner on them (refine.py); every item is then re-analysed
    with it, since its name is part of the analysis hash."""
    started = time.perf_counter()
    repair_store(store)  # a store built with file names in its ids: merge its copies before analysing them
    report = AnalyzeReport()
    analyzer = analyzer or Analyzer(store, settings, taxonomy_path=taxonomy_path)
    if refine > 0:
        report.refined = refine_store(store, settings, analyzer.sentiment, refine, progress=progress,
                                      chat_model=chat_model)
    report.models = {"sentiment": analyzer.sentiment.name, "category": analyzer.classifier.name,
                     "taxonomy": analyzer.taxonomy.name}
    save_taxonomy(store, analyzer.taxonomy)  # what `ask`, the web app and the router read the categories from

    # 1. which items need work
    todo_ids: list[str] = []
    meta_ids: list[str] = []
    for item_id, meta in store.metadatas():
        report.items += 1
        meta_ids.append(item_id)
        if full or meta.get("analysis_hash") != analyzer.item_hash(meta.get("content_hash", "")):
            todo_ids.append(item_id)
    report.unchanged = report.items - len(todo_ids)

    # 2. calibrate the zero-shot classifier on the store as a whole (its statistics and self-training need a
    #    population; batch-by-batch calibration measured 0.47 vs 0.59 category accuracy on the sample)
    head = analyzer.classifier.supervised
    # themes are clustered within categories only when a well-trained head makes the categories trustworthy;
    # zero-shot categories are noisy enough to split one demand over several categories (themes.py)
    within = head is not None and head.labels_per_class() >= FEW_LABELS
    if todo_ids and not within:  # a small head still leans on zero-shot
        every = sorted(meta_ids)
        step = max(1, len(every) // FIT_SAMPLE)
        sample = store.get_with_vectors(every[::step][:FIT_SAMPLE])
        analyzer.classifier.fit(np.stack([v for _, v in sample]), [item.text for item, _ in sample])

    # 3. per-item analysis over stored vectors, written back batch by batch (an interrupted run resumes)
    bar = tqdm(total=len(todo_ids), desc="analyse", unit=" items", disable=not progress, leave=False)
    for start in range(0, len(todo_ids), batch):
        chunk = store.get_with_vectors(todo_ids[start : start + batch])
        fields = analyzer.analyse(
            [item.text for item, _ in chunk],
            [item.metadata.get("lang", "und") for item, _ in chunk],
            np.stack([vector for _, vector in chunk]),
            ids=[item.id for item, _ in chunk],
        )
        for (item, _), values in zip(chunk, fields):
            values["analysis_hash"] = analyzer.item_hash(item.metadata.get("content_hash", ""))
            if within and item.metadata.get("theme_id") and item.metadata.get("category") != values["category"]:
                # its theme belongs to another category now; "" = no theme (Chroma cannot delete a key)
                values.update(theme_id="", theme_label="")
        store.update_metadata([item.id for item, _ in chunk], fields)
        report.analysed += len(chunk)
        bar.update(len(chunk))
    bar.close()

    # 4. themes: extend the saved theme model with what was analysed now or has no theme yet
    frame = load_frame(store)
    frame["theme_id_stored"] = frame["theme_id"]
    saved = None if full else store.load_state(THEMES_KEY)
    state = ThemeState.from_json(saved) if saved and ThemeState.is_current(saved) else None
    if state is not None and (state.embedder != store.embedder_name or state.within_categories != within):
        state = None
    before = set(state.themes) if state else set()
    rebuilt = state is None
    # only items without a theme: the model counts members, and an item passed twice would count twice
    # (and only when something new arrived: a re-run over an unchanged store must change nothing; items left
    # without a theme get another chance when new feedback may make them recur)
    if state is None:  # no model yet, or one saved in an older layout: theme everything afresh
        pending = set(frame["id"])
    else:
        pending = set(frame.loc[frame["theme_id"].isna(), "id"]) if todo_ids else set()
    if pending:
        chunk = store.get_with_vectors(sorted(pending))
        state, assigned = update_themes(
            state,
            [item.id for item, _ in chunk],
            np.stack([vector for _, vector in chunk]),
            [item.text for item, _ in chunk],
            [item.metadata.get("category", "other") for item, _ in chunk],
            [item.metadata.get("lang", "und") for item, _ in chunk],
            embedder=store.embedder_name,
            within_categories=within,
        )
        store.save_state(THEMES_KEY, state.to_json())
        assigned_now = frame["id"].map(assigned).astype(object)
        # a rebuilt model replaces every theme: an id from the old one must not survive
        frame["theme_id"] = assigned_now if rebuilt else assigned_now.fillna(frame["theme_id"].astype(object))
    if state is not None and relabel(state):  # labels from an older keyword scoring: refreshed, ids kept
        store.save_state(THEMES_KEY, state.to_json())
    if state is not None:
        report.themes = len(state.themes)
        report.new_themes = len(set(state.themes) - before)

    # 5. theme labels (they sharpen as themes grow) and item priority, written where they changed
    labels = {tid: theme.label for tid, theme in (state.themes.items() if state else [])}
    frame["priority_new"] = item_priority(frame, settings.priority).round(1)
    updates_ids, updates = [], []
    for row in frame.itertuples(index=False):
        change = {}
        if isinstance(row.theme_id, str) and row.theme_id in labels:
            if row.theme_id != plain(row.theme_id_stored) or labels[row.theme_id] != plain(row.theme_label):
                change.update(theme_id=row.theme_id, theme_label=labels[row.theme_id])
        else:
            report.unassigned += 1
            if plain(row.theme_id_stored):  # its theme is gone (the model was rebuilt): "" = no theme
                change.update(theme_id="", theme_label="")
        if float(row.priority_new) != plain(row.priority):
            change["priority"] = float(row.priority_new)
        if change:
            updates_ids.append(row.id)
            updates.append(change)
    store.update_metadata(updates_ids, updates)
    # 6. the item snapshot for the next reader (dashboard, demands, the agent): current after this run
    refresh_snapshot(store)
    report.seconds = time.perf_counter() - started
    return report

