"""`analyze`: compute sentiment, category, entities, theme and priority for stored items, incrementally.

Reads like the pipeline it is: load the stages (any `SentimentReader` and `Categoriser`, stages.py),
find the items whose analysis is missing or stale, analyse them in batches over their stored vectors (no
re-embedding), extend the theme model, score item priority, and write everything back as item metadata.
An item is stale when its content or any model that analysed it changed (`analysis_hash`), so a re-run
over an unchanged store does nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..errors import ConfigError
from ..ingest.identity import repair_store
from ..priority_weights import PriorityWeights
from ..settings import Settings
from ..store import FeedbackStore
from .categorize import CategoryClassifier
from .entities import EntityExtractor, load_dictionary
from .frame import load_frame
from .priority import item_priority
from .refine import load_saved_refiner, refine_store
from .sentiment import load_sentiment_model
from .snapshot import refresh as refresh_snapshot
from .stages import Categoriser, RefinableReader, SentimentReader
from .taxonomy import load_taxonomy, save_taxonomy
from .themes import ThemeState, relabel, update_themes
from .training import load_saved_head
from .types import plain

ANALYSIS_VERSION = 1
E5 = "multilingual-e5-small"
THEMES_KEY = "themes"
FIT_SAMPLE = 20_000  # items the categoriser is calibrated on (a deterministic stride sample)


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
    """The analysis stages for one store, loaded once and reused by `analyze` and by `analyze_text`.

    `sentiment` and `categoriser` replace the default stages (stages.py says what they must offer); by default
    the sentiment model, with the refiner an earlier `--refine` saved, and the taxonomy's categoriser, with
    the head `train-classifier` saved."""

    def __init__(self, store: FeedbackStore, settings: Settings, *, sentiment: SentimentReader | None = None,
                 categoriser: Categoriser | None = None):
        self.store = store
        self.taxonomy = load_taxonomy(settings.taxonomy)
        self.categoriser = categoriser or CategoryClassifier(self.taxonomy, store.embedder,
                                                             supervised=load_saved_head(store, self.taxonomy))
        self.sentiment = sentiment or load_sentiment_model(cache_dir=settings.cache_dir)
        self.refinable = isinstance(self.sentiment, RefinableReader)
        if self.refinable and self.sentiment.refiner is None:
            self.sentiment.refiner = load_saved_refiner(store)  # from an earlier `--refine`
        self.dictionary = load_dictionary(settings.products)
        self.entities = EntityExtractor(self.dictionary)
        dictionary = json.dumps(dataclasses.asdict(self.dictionary), sort_keys=True, ensure_ascii=False, default=list)
        self._dictionary_hash = hashlib.sha1(dictionary.encode()).hexdigest()

    @property
    def signature(self) -> str:
        """Hash of every model's name: it changes when a model does (e.g. after `--refine`)."""
        parts = [str(ANALYSIS_VERSION), self.sentiment.name, self.categoriser.name, self.taxonomy.fingerprint(),
                 self._dictionary_hash]
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]

    def item_hash(self, content_hash: str) -> str:
        """What an item's analysis is computed from: its content and every model's name."""
        return hashlib.sha1(f"{self.signature}:{content_hash}".encode()).hexdigest()[:16]

    def models(self) -> dict:
        """The names of the stages, for the report."""
        return {"sentiment": self.sentiment.name, "category": self.categoriser.name, "taxonomy": self.taxonomy.name}

    def analyse(self, texts: list[str], langs: list[str], vectors: np.ndarray, ids: list[str] | None = None) -> list[dict]:
        """Sentiment, category and entities of a batch, as metadata fields (vectors from the store's embedder;
        `ids` let a refined sentiment reader give model-labelled items their model label)."""
        e5_vectors = vectors if self.store.embedder_name == E5 else None
        if ids is not None and self.refinable:
            sentiments = self.sentiment.predict(texts, langs, vectors=e5_vectors, keys=ids)
        else:
            sentiments = self.sentiment.predict(texts, langs, vectors=e5_vectors)
        categories = self.categoriser.classify(vectors, texts)
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


def analyze_store(store: FeedbackStore, settings: Settings, *, full: bool = False, progress: bool = True,
                  batch: int = 256, analyzer: Analyzer | None = None, refine: int = 0,
                  chat_model=None) -> AnalyzeReport:
    """Analyse every stored item whose analysis is missing or stale (all of them with `full`).

    `refine`: first have a language model (`chat_model`, default: the configured backend chain) label that
    many more items' sentiment and retrain the refiner on them (refine.py); every item is then re-analysed
    with it, since its name is part of the analysis hash."""
    started = time.perf_counter()
    repair_store(store)  # a store built with file names in its ids: merge its copies before analysing them
    report = AnalyzeReport()
    analyzer = analyzer or Analyzer(store, settings)
    if refine > 0:
        if not analyzer.refinable:
            raise ConfigError("--refine needs a sentiment reader that a refiner can sharpen (the default one)")
        report.refined = refine_store(store, settings, analyzer.sentiment, refine, progress=progress,
                                      chat_model=chat_model)
    report.models = analyzer.models()  # after refining: the refiner is part of the sentiment model's name
    save_taxonomy(store, analyzer.taxonomy)  # what `ask`, the web app and the router read the categories from

    # 1. which items need work
    every, todo = _stale_items(store, analyzer, full)
    report.items, report.unchanged = len(every), len(every) - len(todo)
    # themes are clustered within categories only when the categoriser's are trustworthy (a well-trained
    # head); zero-shot categories are noisy enough to split one demand over several categories (themes.py)
    within = analyzer.categoriser.trusted
    # 2. calibrate the categoriser on the store as a whole (zero-shot statistics and self-training need a
    #    population; batch-by-batch calibration measured 0.47 vs 0.59 category accuracy on the sample)
    if todo and not within:  # a small head still leans on zero-shot
        _calibrate(store, analyzer.categoriser, every)
    # 3. per-item analysis over stored vectors, written back batch by batch (an interrupted run resumes)
    report.analysed = _analyse_in_batches(store, analyzer, todo, batch, within=within, progress=progress)
    # 4. themes: extend the saved theme model with what was analysed now or has no theme yet
    frame, state, report.new_themes = _update_themes(store, full=full, within=within, anything_new=bool(todo))
    report.themes = len(state.themes) if state is not None else 0
    # 5. theme labels (they sharpen as themes grow) and item priority, written where they changed
    report.unassigned = _write_labels_and_priority(store, frame, state, settings.priority)
    # 6. the item snapshot for the next reader (dashboard, demands, the agent): current after this run
    refresh_snapshot(store)
    report.seconds = time.perf_counter() - started
    return report


def _stale_items(store: FeedbackStore, analyzer: Analyzer, full: bool) -> tuple[list[str], list[str]]:
    """(every item id, the ids whose analysis is missing or was computed from other content or models)."""
    every, todo = [], []
    for item_id, meta in store.metadatas():
        every.append(item_id)
        if full or meta.get("analysis_hash") != analyzer.item_hash(meta.get("content_hash", "")):
            todo.append(item_id)
    return every, todo


def _calibrate(store: FeedbackStore, categoriser: Categoriser, every: list[str]) -> None:
    """`fit` the categoriser on a deterministic stride sample of at most FIT_SAMPLE items."""
    ordered = sorted(every)
    step = max(1, len(ordered) // FIT_SAMPLE)
    sample = store.get_with_vectors(ordered[::step][:FIT_SAMPLE])
    categoriser.fit(np.stack([v for _, v in sample]), [item.text for item, _ in sample])


def _analyse_in_batches(store: FeedbackStore, analyzer: Analyzer, todo: list[str], batch: int, *, within: bool,
                        progress: bool) -> int:
    """Analyse the `todo` items `batch` at a time and write each batch back; returns how many were analysed."""
    done = 0
    bar = tqdm(total=len(todo), desc="analyse", unit=" items", disable=not progress, leave=False)
    for start in range(0, len(todo), batch):
        chunk = store.get_with_vectors(todo[start : start + batch])
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
        done += len(chunk)
        bar.update(len(chunk))
    bar.close()
    return done


def _update_themes(store: FeedbackStore, *, full: bool, within: bool,
                   anything_new: bool) -> tuple[pd.DataFrame, ThemeState | None, int]:
    """Extend the saved theme model (or build one) and save it; returns the store's frame with each item's
    new theme id in `theme_id` (the stored one in `theme_id_stored`), the model, and how many themes are new."""
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
        pending = set(frame.loc[frame["theme_id"].isna(), "id"]) if anything_new else set()
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
    return frame, state, len(set(state.themes) - before) if state is not None else 0


def _write_labels_and_priority(store: FeedbackStore, frame: pd.DataFrame, state: ThemeState | None,
                               weights: PriorityWeights) -> int:
    """Write each item's theme id and label and its priority where they changed; returns how many items
    are in no theme."""
    labels = {tid: theme.label for tid, theme in (state.themes.items() if state else [])}
    frame["priority_new"] = item_priority(frame, weights).round(1)
    unassigned, updates_ids, updates = 0, [], []
    for row in frame.itertuples(index=False):
        change = {}
        if isinstance(row.theme_id, str) and row.theme_id in labels:
            if row.theme_id != plain(row.theme_id_stored) or labels[row.theme_id] != plain(row.theme_label):
                change.update(theme_id=row.theme_id, theme_label=labels[row.theme_id])
        else:
            unassigned += 1
            if plain(row.theme_id_stored):  # its theme is gone (the model was rebuilt): "" = no theme
                change.update(theme_id="", theme_label="")
        if float(row.priority_new) != plain(row.priority):
            change["priority"] = float(row.priority_new)
        if change:
            updates_ids.append(row.id)
            updates.append(change)
    store.update_metadata(updates_ids, updates)
    return unassigned
