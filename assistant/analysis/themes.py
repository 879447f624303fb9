"""Themes: recurring specific demands, found by clustering the stored vectors; each belongs to a category.

`update_themes` reads like the pipeline it is:

1. centre   Subtract the mean vector of the item's language and re-normalise. e5 puts texts of one language
            near each other ("the price is too high" is nearer "the delivery was late" than "价格太贵了");
            without this, mixed English / Chinese feedback clusters by language. The means are estimated
            from the first batch that has enough items and then kept in the state, so later batches land in
            the same space as the saved centroids.
2. assign   Each item joins the nearest existing theme when cosine >= ASSIGN_SIM.
3. cluster  The rest: average-linkage agglomerative clustering with a cosine distance threshold, on a seeded
            sample of SAMPLE items when there are more (the others join the nearest sample cluster, and what
            is left is clustered again). Clusters of min_size items or more become new themes; a new
            theme's category is the most common category of its founding items.
4. residue  Items in no theme join the nearest theme when cosine >= LOOSE_SIM; the rest stay unassigned
            (absent from the returned mapping), so a caller passes them again with the next batch, where
            they may found a theme of their own.
5. describe keywords (share x log lift against all themed items) and a label for every theme (keywords.py).

Why across categories: items are clustered together whatever category they were given, so one demand is
one theme even when the zero-shot classifier files its items under different categories (on the sample
data it agrees with the generator's categories for about two items in three, docs/quality.md). With
categories that can be trusted (a classifier trained on enough labels), clustering within each category,
centred per (category, language), gives purer themes: `within_categories`, which `analyze` picks then.
bench/themes.py measures both against the sample's planted themes (docs/benchmarks.md).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .keywords import count_terms, is_chinese, make_label, rank_keywords

SCHEMA = 2            # 2: clustered across categories, centred per language (1: within each category)
LINK_DISTANCE = 0.85  # average linkage: members of a new theme average cosine >= 0.15 to each other (centred)
ASSIGN_SIM = 0.40     # item -> theme centroid, to join an existing theme (about the 10th percentile of members)
LOOSE_SIM = 0.30      # the looser bar for the residue, which found no theme of its own (below the 5th percentile)
# How alike a theme's members are depends on the embedder, so the two bars above are e5's defaults: a state
# measures the median similarity of founding members to their theme on the first MIN_SCALE_ITEMS it clusters
# and keeps bars at these fractions of it (which give e5 the bars above on the sample data)
ASSIGN_RATIO, LOOSE_RATIO, MIN_SCALE_ITEMS = 0.73, 0.55, 50
# within one category, centred per (category, language), vectors are less alike: the same rules, other numbers
LINK_DISTANCE_WITHIN, ASSIGN_SIM_WITHIN, LOOSE_SIM_WITHIN = 0.94, 0.30, 0.20
SAMPLE = 4000         # largest set clustered at once: the condensed distance matrix is 8 * n^2 / 2 bytes
ROUNDS = 3            # sample-cluster-assign rounds over what is left, when a category exceeds SAMPLE
MIN_MEAN_ITEMS = 20   # items needed to estimate a language's mean
TERMS_KEPT = 200      # term counts kept per theme, enough to rank keywords incrementally


@dataclass
class Theme:
    """One theme: `centroid` is the mean of its members' centred unit vectors (kept unnormalised so that
    adding items updates it exactly); `terms` counts members containing each keyword candidate; `category` is
    the most common category of its founding members (it names the theme and stays), `categories` counts all
    its members' categories."""

    id: str
    category: str
    label: str
    keywords: list[str]
    centroid: list[float]
    size: int
    langs: dict[str, int]
    created: str
    terms: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)


@dataclass
class ThemeState:
    """Every theme, the per-language means used for centring, and which embedder made them.

    `version` counts the updates applied; the JSON also carries a `schema` number for its layout.
    """

    themes: dict[str, Theme] = field(default_factory=dict)
    embedder: str = ""
    version: int = 0
    means: dict[str, list[float]] = field(default_factory=dict)  # "*|lang", "*|*" (and "category|lang" ...)
    within_categories: bool = False  # clustered within each category (for trustworthy, e.g. trained, categories)
    thresholds: dict[str, float] = field(default_factory=dict)  # "assign", "loose" when measured (across only)

    def to_json(self) -> str:
        """The state as a JSON document (themes in id order, so equal states give equal text)."""
        themes = [asdict(self.themes[k]) for k in sorted(self.themes)]
        doc = {"schema": SCHEMA, "embedder": self.embedder, "version": self.version,
               "means": {k: self.means[k] for k in sorted(self.means)}, "within_categories": self.within_categories,
               "thresholds": dict(sorted(self.thresholds.items())),
               "themes": themes}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | dict) -> ThemeState:
        """A state from `to_json` output (a string, or the already parsed dict)."""
        doc = json.loads(text) if isinstance(text, str) else text
        if doc.get("schema", 1) > SCHEMA:
            raise ConfigError("the saved theme model is from a newer version; run `assistant analyze --full`")
        themes = {t["id"]: Theme(**t) for t in doc.get("themes", [])}
        return cls(themes, doc.get("embedder", ""), int(doc.get("version", 0)), dict(doc.get("means", {})),
                   bool(doc.get("within_categories", False)), dict(doc.get("thresholds", {})))

    @staticmethod
    def is_current(text: str | dict) -> bool:
        """Whether a saved state has this version's layout (an older one is rebuilt rather than extended)."""
        doc = json.loads(text) if isinstance(text, str) else text
        return doc.get("schema", 1) == SCHEMA

    def save(self, path: str | Path) -> Path:
        """Write the state to `path` as UTF-8 JSON."""
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ThemeState:
        """Read a state written by `save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def update_themes(state: ThemeState | None, ids: list[str], vectors: np.ndarray, texts: list[str],
                  categories: list[str], langs: list[str], *, embedder: str, seed: int = 0, min_size: int = 5,
                  now: str | None = None, within_categories: bool | None = None) -> tuple[ThemeState, dict[str, str]]:
    """Assign items to themes: existing themes first (nearest centroid above a similarity threshold), then cluster
    the rest into new themes; returns the new state and item id -> theme id. `categories` name new themes
    (the founders' most common one) and are counted per theme; they do not decide who clusters with whom,
    unless `within_categories` (for categories that can be trusted, such as a trained classifier's): then
    items are centred per (category, language) and clustered within their category, as in schema 1. A saved
    state keeps the choice it was built with; asking for the other one raises ConfigError.

    Items left in no theme are absent from the mapping; pass them again with the next batch. The input state is
    not modified. `now` (an ISO date; today in UTC by default) stamps the `created` field of new themes.
    Pass each item once: an item passed again is counted again in its theme's size and centroid.
    """
    n = len(ids)
    if not (len(vectors) == len(texts) == len(categories) == len(langs) == n):
        raise ValueError("ids, vectors, texts, categories and langs must have the same length")
    if state is not None and state.embedder and state.embedder != embedder:
        raise ConfigError(f"the theme model was built from '{state.embedder}' vectors, not '{embedder}'; "
                          "rebuild it with `assistant analyze --full`")
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    dims = {len(t.centroid) for t in (state.themes.values() if state else [])}
    if n and dims and dims != {np.shape(vectors)[1]}:
        raise ConfigError(f"the theme model has {dims.pop()}-dimensional centroids but the vectors have "
                          f"{np.shape(vectors)[1]}; rebuild it with `assistant analyze --full`")
    if state is not None and within_categories is not None and state.within_categories != within_categories:
        raise ConfigError("the theme model was clustered " + ("within" if state.within_categories else "across")
                          + " categories; rebuild it with `assistant analyze --full` to change that")
    state = copy.deepcopy(state) if state is not None else ThemeState(within_categories=bool(within_categories))
    state.embedder, state.version = embedder, state.version + 1
    now = now or datetime.now(UTC).date().isoformat()
    if n == 0:
        return state, {}

    # Sorted by id and deduplicated: the result must not depend on the order the store returned items in.
    first = {}
    for i, item_id in enumerate(ids):
        first.setdefault(item_id, i)
    order = sorted(first.values(), key=lambda i: ids[i])
    ids = [ids[i] for i in order]
    texts = [texts[i] or "" for i in order]
    cats = [str(categories[i] or "other") for i in order]
    lang_of = [str(langs[i] or "und") for i in order]
    within = state.within_categories
    X = _centre(state, np.asarray(vectors, dtype=np.float32)[order], lang_of, cats if within else None)

    members: dict[str, list[int]] = {}    # theme key -> rows joining it now
    founders: dict[str, list[int]] = {}   # new theme key -> rows that founded it (they fix its id)
    if within:
        by_category: dict[str, list[int]] = {}
        for row, cat in enumerate(cats):
            by_category.setdefault(cat, []).append(row)
        for cat, rows in sorted(by_category.items()):
            _place(state, np.array(rows), X, members, founders,
                   np.random.default_rng([seed, zlib.crc32(cat.encode())]), min_size, cat)
    else:
        _place(state, np.arange(n), X, members, founders, np.random.default_rng([seed, zlib.crc32(b"themes")]),
               min_size)

    for key, rows_list in members.items():
        theme = state.themes.get(key)
        if theme is None:
            category = _most_common([cats[r] for r in founders[key]])
            theme = state.themes[key] = Theme(key, category, "", [], [0.0] * X.shape[1], 0, {}, now)
        _absorb(theme, X[rows_list], [lang_of[r] for r in rows_list], [texts[r] for r in rows_list],
                [cats[r] for r in rows_list])

    renamed = _describe(state, {k: [ids[r] for r in rows] for k, rows in founders.items()}) if members else {}
    return state, {ids[r]: renamed.get(k, k) for k, rows in members.items() for r in rows}


def _place(state: ThemeState, rows: np.ndarray, X: np.ndarray, members: dict[str, list[int]],
           founders: dict[str, list[int]], rng: np.random.Generator, min_size: int, category: str | None = None) -> None:
    """Steps 2-4 for `rows` (one category's, when clustering within categories): join existing themes,
    cluster the rest, place the residue."""
    keys = sorted(k for k, t in state.themes.items() if category is None or t.category == category)
    cut, assign, loose = ((LINK_DISTANCE, state.thresholds.get("assign", ASSIGN_SIM), state.thresholds.get("loose", LOOSE_SIM))
                          if category is None else (LINK_DISTANCE_WITHIN, ASSIGN_SIM_WITHIN, LOOSE_SIM_WITHIN))
    free = np.ones(len(rows), dtype=bool)
    if keys:
        best, sim = _nearest(X[rows], _unit([state.themes[k].centroid for k in keys], X.shape[1]))
        for j in np.flatnonzero(sim >= assign):
            members.setdefault(keys[best[j]], []).append(int(rows[j]))
        free = sim < assign
    rest = rows[free]
    new_keys = []
    for g, group in enumerate(_cluster(X[rest], min_size, rng, cut, assign)):
        key = f"\0{category or ''}\0{g:05d}"  # placeholder until keywords give the theme a readable id
        new_keys.append(key)
        founders[key] = [int(r) for r in rest[group]]
        members[key] = list(founders[key])
    placed = {r for key in new_keys for r in founders[key]}
    if category is None and not state.thresholds and len(placed) >= MIN_SCALE_ITEMS:
        sims = np.concatenate([X[founders[k]] @ _unit([X[founders[k]].mean(axis=0)], X.shape[1])[0] for k in new_keys])
        typical = float(np.median(sims))
        state.thresholds = {"assign": round(ASSIGN_RATIO * typical, 4), "loose": round(LOOSE_RATIO * typical, 4)}
        assign, loose = state.thresholds["assign"], state.thresholds["loose"]
    residue = np.array([r for r in rest if int(r) not in placed], dtype=int)
    if len(residue) and (keys or new_keys):
        # old themes by their saved centroid, new ones by their founders'
        centroids = [state.themes[k].centroid for k in keys] + [X[founders[k]].mean(axis=0) for k in new_keys]
        best, sim = _nearest(X[residue], _unit(centroids, X.shape[1]))
        targets = keys + new_keys
        for j in np.flatnonzero(sim >= loose):
            members.setdefault(targets[best[j]], []).append(int(residue[j]))


def _centre(state: ThemeState, V: np.ndarray, langs: list[str], cats: list[str] | None = None) -> np.ndarray:
    """Vectors minus the mean of their language (of their (category, language) when `cats` are given),
    re-normalised; records missing means in `state`."""
    pairs: dict[tuple[str | None, str], list[int]] = {}
    for row, lang in enumerate(langs):
        pairs.setdefault((cats[row] if cats else None, lang), []).append(row)
    pools: dict[str, list[int]] = {}
    for (cat, lang), rows in pairs.items():
        for key in _mean_keys(lang, cat):
            pools.setdefault(key, []).extend(rows)
    for key, rows in sorted(pools.items()):
        if key not in state.means and len(rows) >= MIN_MEAN_ITEMS:
            state.means[key] = _rounded(V[sorted(rows)].astype(np.float64).mean(axis=0))
    X = np.array(V, dtype=np.float32)
    for (cat, lang), rows in pairs.items():
        # a rare language (or category) borrows a broader mean
        found = next((key for key in _mean_keys(lang, cat) if key in state.means), None)
        if found:
            X[rows] -= np.asarray(state.means[found], dtype=np.float32)
    return _normalise(X)


def _mean_keys(lang: str, category: str | None = None) -> tuple[str, ...]:
    """Where to look for the mean to subtract, most specific first."""
    if category is None:
        return (f"*|{lang}", "*|*")
    return (f"{category}|{lang}", f"*|{lang}", f"{category}|*", "*|*")


def _most_common(values: list[str]) -> str:
    """The most common value; ties go to the alphabetically first, so the result never depends on order."""
    counts = Counter(values)
    top = max(counts.values())
    return min(v for v, c in counts.items() if c == top)


def _cluster(X: np.ndarray, min_size: int, rng: np.random.Generator, cut: float, assign: float) -> list[np.ndarray]:
    """Groups of row indices of X that form themes (min_size rows or more), largest first."""
    left, groups = np.arange(len(X)), []
    for _ in range(ROUNDS):
        if len(left) < min_size:
            break
        whole = len(left) <= SAMPLE
        sample = left if whole else np.sort(rng.choice(left, SAMPLE, replace=False))
        labels = _average_linkage(X[sample], cut)
        # in a sample, a theme of min_size items overall shows up with proportionally fewer
        need = min_size if whole else max(3, math.ceil(min_size * len(sample) / len(left)))
        found = [sample[labels == k] for k in np.unique(labels) if np.count_nonzero(labels == k) >= need]
        if found and not whole:
            others = np.setdiff1d(left, sample)
            best, sim = _nearest(X[others], _unit([X[g].mean(axis=0) for g in found], X.shape[1]))
            found = [np.sort(np.concatenate([g, others[(best == k) & (sim >= assign)]])) for k, g in enumerate(found)]
        kept = [g for g in found if len(g) >= min_size]
        groups += kept
        if whole or not kept:
            break
        left = np.setdiff1d(left, np.concatenate(kept))
    return sorted(groups, key=lambda g: (-len(g), int(g[0])))


def _average_linkage(X: np.ndarray, cut: float) -> np.ndarray:
    """Flat cluster labels from average-linkage clustering cut at `cut` (cosine distance)."""
    if len(X) < 2:
        return np.ones(len(X), dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    X = X.astype(np.float64)
    D = 1.0 - X @ X.T  # cosine distance of unit vectors; one BLAS call is ~20x faster than pdist
    np.clip(D, 0.0, 2.0, out=D)
    np.fill_diagonal(D, 0.0)
    distances = squareform(D, checks=False)
    del D
    return fcluster(linkage(distances, method="average"), cut, criterion="distance")


def _absorb(theme: Theme, X: np.ndarray, langs: list[str], texts: list[str], categories: list[str]) -> None:
    """Add members to a theme: exact running mean of the centroid, language, category and keyword term counts."""
    total = theme.size + len(X)
    mean = (np.asarray(theme.centroid, dtype=np.float64) * theme.size + X.astype(np.float64).sum(axis=0)) / total
    theme.centroid, theme.size = _rounded(mean), total
    theme.langs = dict(sorted((Counter(theme.langs) + Counter(langs)).items()))
    theme.categories = dict(sorted((Counter(theme.categories) + Counter(categories)).items()))
    terms = Counter(theme.terms) + count_terms(texts)
    theme.terms = dict(sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[:TERMS_KEPT])


def relabel(state: ThemeState) -> bool:
    """Recompute every theme's keywords and label from its saved term counts (cheap: nothing is clustered),
    so a change of the keyword scoring reaches stores analysed before it; True when any label changed."""
    before = {tid: (theme.label, list(theme.keywords)) for tid, theme in state.themes.items()}
    _describe(state, {})
    return any(before[tid] != (theme.label, list(theme.keywords)) for tid, theme in state.themes.items())


def _describe(state: ThemeState, founders: dict[str, list[str]]) -> dict[str, str]:
    """Keywords and labels for every theme (keywords.rank_keywords against all the others); gives new themes
    their ids (returns placeholder key -> id)."""
    themes = dict(state.themes)
    ranked = rank_keywords({k: Counter(t.terms) for k, t in themes.items()}, {k: t.size for k, t in themes.items()})
    renamed: dict[str, str] = {}
    for key, theme in sorted(themes.items()):
        theme.keywords = ranked.get(key, [])
        theme.label = make_label(theme.keywords, theme.langs) or "(no keywords)"
        if key in founders:
            theme.id = _theme_id(theme.category, theme.keywords, founders[key], state.themes)
            renamed[key] = theme.id
            state.themes[theme.id] = state.themes.pop(key)
    return renamed


def _theme_id(category: str, keywords: list[str], founder_ids: list[str], taken: dict) -> str:
    """"pricing/price-increase-3f2a": category, slug of the top keyword, hash of the founding members' ids."""
    word = next((k for k in keywords[:5] if not is_chinese(k)), keywords[0] if keywords else "theme")
    slug = re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "-", word.lower()).strip("-")[:32] or "theme"
    digest = hashlib.sha1("\n".join(sorted(founder_ids)).encode("utf-8")).hexdigest()
    for length in range(4, 41):
        candidate = f"{category}/{slug}-{digest[:length]}"
        if candidate not in taken:
            return candidate
    raise AssertionError("theme id collision")  # pragma: no cover - needs identical founders


def _nearest(X: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the most similar row of C for each row of X, and that cosine similarity."""
    if len(C) == 0 or len(X) == 0:
        return np.zeros(len(X), dtype=int), np.full(len(X), -1.0, dtype=np.float32)
    best = np.empty(len(X), dtype=int)
    sim = np.empty(len(X), dtype=np.float32)
    for start in range(0, len(X), 8192):  # blocks keep the similarity matrix small for 100k items
        S = X[start : start + 8192] @ C.T
        best[start : start + len(S)] = S.argmax(axis=1)
        sim[start : start + len(S)] = S.max(axis=1)
    return best, sim


def _unit(vectors: list, dim: int) -> np.ndarray:
    if not len(vectors):
        return np.zeros((0, dim), dtype=np.float32)
    return _normalise(np.asarray(vectors, dtype=np.float32))


def _normalise(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 1e-12, norms, 1.0)


def _rounded(vector: np.ndarray) -> list[float]:
    # six decimals: the saved state is compact, and a state read back from JSON equals the one in memory
    return [round(float(x), 6) for x in vector]
