"""Priority: which demands (themes) to act on first, and which items to read first.

A demand's priority is `100 x importance x urgency`, every component in 0..1:

    importance = gate x (w_vol*volume + w_per*persistence + w_neg*negativity + w_val*customer_value) / sum(w)
    gate       = (1 - praise_discount x positive_share) x (other_factor if the category is "other" else 1)
    urgency    = floor + (1 - floor) x (w_gro*growth + w_cue*cues + w_rec*recency) / sum(w)

    volume      = min(1, (count / scale_count + reach / scale_reach) / 2), reach = distinct customers (an item
                  without a customer id counts as one), so a demand from many people beats one loud writer;
                  the scales are the largest gate x count (and gate x reach) over the groups, so a big
                  pile of praise does not shrink every real demand
    persistence = periods with an item / periods in the window   weeks; days when the window is under 3 weeks
    negativity  = mean over analysed items of max(0, -score)     a negative label without a score counts 1
    value       = (sum of customer values + k x mean) / (n + k)  one value per distinct customer, k = value_prior
    growth      = clip(log ratio / log growth_cap, 0, 1) x min(1, (now + before) / growth_min_items)
                  ratio = (now + 1) / (before x now_days / before_days + 1), against the previous window
                  of equal length (the part of it the data covers), else the window's first half
    cues        = mean item cue score (see cues.py); 0 for positive items ("退款挺快" is praise)
    recency     = clip(rate in the last recent_days / rate over the window, 0, 1)

The urgency floor keeps a large, calm, long-standing demand from scoring zero just because nothing about it
is on fire; the gate keeps praise and the catch-all category from crowding out things to fix. A component
that cannot be computed (sentiment not analysed, no tiers) scores 0 and its breakdown note says why. There
is no random component; ties break on count, then key.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError
from ..priority_weights import PriorityWeights
from .trends import DAY, GROUP_COLUMNS, sentiment_signals, to_epoch
from .triage import (REVENUE_COLUMNS, customer_ids, customer_values, item_cue_scores, item_priority,
                     item_priority_scores, negative_intensity, positive_mask)

__all__ = ["IMPORTANCE", "REVENUE_COLUMNS", "URGENCY", "Demand", "Growth", "PriorityWeights", "Urgency", "item_priority",
           "rank_demands"]

IMPORTANCE = ("volume", "persistence", "negativity", "customer_value")
URGENCY = ("growth", "cues", "recency")
UNASSIGNED = "unassigned"  # the key of items in no group


@dataclass(frozen=True)
class Growth:
    """Items now vs in the comparison window; `basis` says which window that was."""

    current: int
    previous: int
    ratio: float           # (current + 1) / (previous per the same number of days + 1): 0 -> 3 is not infinite
    p_value: float | None  # one-sided binomial test that the group's share grew (adjusts for total volume)
    basis: str             # "previous window" | "previous N days (all there is)" | "first half of the window" | "none"
    previous_start: str | None = None
    previous_end: str | None = None


@dataclass(frozen=True)
class Urgency:
    """Urgency cues in a group: items with any cue, items per cue group, and the most frequent words."""

    items: int
    share: float
    groups: dict[str, int] = field(default_factory=dict)
    terms: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Demand:
    """One ranked demand with every signal behind its priority and the items that show it best."""

    key: str
    label: str
    category: str | None
    count: int
    share: float
    growth: Growth
    negative_share: float | None
    mean_sentiment: float | None
    customer_value: float | None
    customers: int
    tiers: dict[str, int]
    urgency: Urgency
    recency: float
    last_seen: str | None
    persistence: float
    importance: float
    urgency_score: float
    priority: float
    breakdown: dict[str, dict]
    evidence: tuple[str, ...]

    def explain(self) -> str:
        """Plain-language account of the score, one line per signal."""
        head = (f"{self.label} ({self.category or 'no category'}): priority {self.priority:.0f}/100 = "
                f"importance {self.importance:.2f} x urgency {self.urgency_score:.2f}")
        lines = [head]
        for name in IMPORTANCE + URGENCY:
            part = self.breakdown[name]
            lines.append(f"  {name:<15} {part['score']:.2f} x weight {part['weight']:.2f} -> "
                         f"{part['contribution']:+.3f} {part['part']}: {part['note']}")
        gate = self.breakdown["gate"]
        if gate["factor"] < 1:
            lines.append(f"  importance x {gate['factor']:.2f}: {gate['note']}")
        if self.evidence:
            lines.append("  read first: " + ", ".join(self.evidence))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def rank_demands(frame: pd.DataFrame, *, since=None, until=None, weights: PriorityWeights = PriorityWeights(),
                 group: str = "theme_id", limit: int | None = None, include_unassigned: bool = False) -> list[Demand]:
    """Groups (themes by default) in the window, highest priority first, each with its full breakdown.

    Items with no group (no theme) share no demand: they count in every share and total but are not ranked,
    unless `include_unassigned` asks for them as one pseudo-group keyed "unassigned".

    Growth compares the window with the equally long window before it. When the data covers less than
    half of that (always so for the default whole-data window), it compares the window's second half
    with its first half instead, and the breakdown says so.
    """
    group = GROUP_COLUMNS.get(group, group)  # "theme" and "theme_id" both work
    if group not in frame:
        raise ConfigError(f"cannot rank by {group!r}: choose one of {sorted(GROUP_COLUMNS)} or a frame column")
    ts_all = pd.to_numeric(frame["ts"], errors="coerce")
    start = end = None
    if ts_all.notna().any():  # whole days, like a --since/--until date, so windows and periods line up
        start = to_epoch(since) if since is not None else math.floor(ts_all.min() / DAY) * DAY
        end = to_epoch(until, end=True) if until is not None else (math.floor(ts_all.max() / DAY) + 1) * DAY
    inside = pd.Series(True, index=frame.index)
    if start is not None:
        inside = ts_all.between(start, end, inclusive="left")
    if since is None and until is None:
        inside |= ts_all.isna()  # undated items still count when no window was asked for
    current = frame[inside].reset_index(drop=True)
    if current.empty:
        return []
    ctx = _context(frame, current, ts_all, start, end, weights, group)
    indices = pd.Series(ctx["keys"]).groupby(ctx["keys"], sort=True).indices
    groups = {str(key): np.asarray(pos) for key, pos in indices.items()}
    if not include_unassigned:
        groups.pop(UNASSIGNED, None)
        if not groups:
            return []
    gates = {key: _gate(key, pos, ctx, weights) for key, pos in groups.items()}
    ctx["scale_count"] = max(gates[k][0] * len(pos) for k, pos in groups.items()) or 1.0
    ctx["scale_reach"] = max(gates[k][0] * len(set(ctx["customers"][pos])) for k, pos in groups.items()) or 1.0
    demands = [_demand(key, pos, ctx, weights, gates[key]) for key, pos in groups.items()]
    demands.sort(key=lambda d: (-d.priority, -d.count, d.key))
    return demands[:limit] if limit else demands


def _keys(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), UNASSIGNED).astype(str).to_numpy()


def _comparison(frame, keys, ts, ts_all, start, span, group) -> dict:
    """What growth compares with: the previous window of equal length, or the window's first half.

    Only the days the data covers count: a window that starts a week into the data has one week behind
    it, and counting that week as a full window would make every theme look like it grew.
    """
    covered = min(span, start - math.floor(ts_all.min() / DAY) * DAY) if start is not None else 0.0
    if start is not None and covered >= span / 2:
        before = ts_all.between(start - covered, start, inclusive="left")
        basis = "previous window" if covered == span else f"previous {covered / DAY:.0f} days (all there is)"
        now_keys, prev_keys, now_days = keys, _keys(frame.loc[before, group]), span
        prev_range = (start - covered, start)
    elif start is not None and span >= 2 * DAY:
        mid = start + span / 2
        basis, now_keys, prev_keys = "first half of the window", keys[ts >= mid], keys[ts < mid]
        prev_range = (start, mid)
        covered = now_days = span / 2
    else:
        return {"basis": "none"}
    return {"basis": basis, "range": prev_range, "scale": now_days / covered, "now_total": len(now_keys),
            "prev_total": len(prev_keys), "now": Counter(now_keys), "prev": Counter(prev_keys)}


def _context(frame, current, ts_all, start, end, weights, group) -> dict:
    """Per-item signals of the window (numpy arrays, by position) and what every group is compared with."""
    negative, score = sentiment_signals(current)
    cue, hits = item_cue_scores(current, negative, score)
    keys = _keys(current[group])
    ts = pd.to_numeric(current["ts"], errors="coerce").to_numpy(dtype=float)
    span = (end - start) if start is not None else 0.0
    period = 7 * DAY if span >= 21 * DAY else DAY
    values = customer_values(current, weights).to_numpy(dtype=float)
    customers = customer_ids(current)
    known = ~np.isnan(values)
    per_customer = pd.Series(values[known]).groupby(customers[known]).max()

    def column(name: str) -> np.ndarray | None:
        return current[name].astype(object).to_numpy() if name in current else None

    labels = column("sentiment") if "sentiment" in current else np.full(len(current), None)
    return {
        "keys": keys, "ts": ts, "start": start, "end": end, "span": span, "total": len(current),
        "negative": negative.to_numpy(dtype=float), "score": score.to_numpy(dtype=float),
        "intensity": negative_intensity(negative, score), "positive": positive_mask(negative, score, labels),
        "cue": cue, "hits": hits, "values": values, "customers": customers,
        "has_customer": np.array([not c.startswith("item:") for c in customers], dtype=bool),
        "tiers": column("tier") if "tier" in current else np.full(len(current), None),
        "value_mean": float(per_customer.mean()) if len(per_customer) else None,
        "compare": _comparison(frame, keys, ts, ts_all, start, span, group),
        "period": period, "n_periods": max(1, math.ceil(span / period)) if start is not None else 1,
        "recent": min(weights.recent_days * DAY, span / 2) if start is not None else 0.0,
        "item_priority": item_priority_scores(current, weights, (end - 1) if end else None, negative, score, cue),
        "ids": current["id"].astype(str).to_numpy(),
        "modes": {"category": _modes(keys, column("category")),
                  "label": _modes(keys, column("theme_label")) if group == "theme_id" else {}},
    }


def _gate(key: str, pos: np.ndarray, c: dict, weights: PriorityWeights) -> tuple[float, float, str | None, str]:
    """Importance multiplier for praise and the catch-all category: (factor, praise share, category, note)."""
    category = c["modes"]["category"].get(key)
    analysed = ~np.isnan(c["negative"][pos])
    praise = float(c["positive"][pos][analysed].mean()) if analysed.any() else 0.0
    is_other = category == "other" or key == "other"
    factor = (1 - weights.praise_discount * praise) * (weights.other_factor if is_other else 1.0)
    notes = ([f"{praise:.0%} praise"] if praise > 0 else []) + (["catch-all 'other' category"] if is_other else [])
    note = ", ".join(notes)
    return factor, praise, category, note or "none"


def _demand(key: str, pos: np.ndarray, c: dict, weights: PriorityWeights, gated: tuple) -> Demand:
    count = len(pos)
    scores, notes = {}, {}
    reach = len(set(c["customers"][pos]))
    scores["volume"] = min(1.0, (count / c["scale_count"] + reach / c["scale_reach"]) / 2)
    notes["volume"] = f"{count} items, {count / c['total']:.1%} of {c['total']}, from {reach} people"

    ts = c["ts"][pos]
    ts = ts[~np.isnan(ts)]
    if c["start"] is not None and len(ts):
        seen = len(np.unique(np.floor((ts - c["start"]) / c["period"])))
        scores["persistence"] = min(1.0, seen / c["n_periods"])
        notes["persistence"] = f"in {seen} of {c['n_periods']} {'weeks' if c['period'] > DAY else 'days'}"
    else:
        scores["persistence"], notes["persistence"] = 0.0, "no timestamps"

    negative, sentiment = c["negative"][pos], c["score"][pos]
    analysed = ~np.isnan(negative)
    negative_share = float(negative[analysed].mean()) if analysed.any() else None
    mean_sentiment = float(np.nanmean(sentiment)) if (~np.isnan(sentiment)).any() else None
    if analysed.any():
        scores["negativity"] = float(np.nanmean(c["intensity"][pos]))
        notes["negativity"] = f"{negative_share:.0%} negative" + (
            f", mean sentiment {mean_sentiment:+.2f}" if mean_sentiment is not None else "")
    else:
        scores["negativity"], notes["negativity"] = 0.0, "sentiment not analysed"

    value, customers, tiers = _group_value(pos, c, weights)
    scores["customer_value"] = value if value is not None else 0.0
    tier_text = "; " + ", ".join(f"{n} {t}" for t, n in tiers.items()) if tiers else ""
    tier_text = tier_text if value is not None else "; no tier or revenue data"
    notes["customer_value"] = f"{customers} customers{tier_text}"

    growth = _growth(key, c)
    if growth.basis == "none":
        scores["growth"], notes["growth"] = 0.0, "no earlier data to compare with"
    else:
        evidence = min(1.0, (growth.current + growth.previous) / weights.growth_min_items)
        scores["growth"] = float(np.clip(math.log(growth.ratio) / math.log(weights.growth_cap), 0, 1)) * evidence
        p = "n/a" if growth.p_value is None else f"{growth.p_value:.3g}"
        notes["growth"] = f"{growth.previous} -> {growth.current} items vs the {growth.basis}, share grew p = {p}"

    # counted in items, not hits: "charged twice, refund now" is one refund complaint
    groups = Counter(g for i in pos for g in {h.group for h in c["hits"][i]})
    terms = Counter(t for i in pos for t in {h.term for h in c["hits"][i]})
    flagged = int((c["cue"][pos] > 0).sum())
    urgency = Urgency(flagged, flagged / count, dict(groups.most_common()), dict(terms.most_common(8)))
    scores["cues"] = float(c["cue"][pos].mean())
    notes["cues"] = (f"{flagged} items with cues: " + ", ".join(f"{g} {n}" for g, n in urgency.groups.items())
                     if flagged else "no urgency cues")

    if len(ts) and c["recent"] > 0:
        recent_rate = float((ts >= c["end"] - c["recent"]).sum()) / c["recent"]
        window_rate = len(ts) / c["span"]
        scores["recency"] = float(np.clip(recent_rate / window_rate, 0, 1))
        notes["recency"] = (f"{recent_rate * DAY:.2f}/day in the last {c['recent'] / DAY:.0f} days vs "
                            f"{window_rate * DAY:.2f}/day over the window")
        last_seen = _day(float(ts.max()))
    else:
        scores["recency"], notes["recency"], last_seen = 0.0, "no timestamps", None

    gate, praise, category, gate_note = gated
    w_imp = sum(getattr(weights, k) for k in IMPORTANCE) or 1.0
    w_urg = sum(getattr(weights, k) for k in URGENCY) or 1.0
    importance = gate * sum(getattr(weights, k) * scores[k] for k in IMPORTANCE) / w_imp
    urgency_score = weights.urgency_floor + (1 - weights.urgency_floor) * sum(
        getattr(weights, k) * scores[k] for k in URGENCY) / w_urg
    breakdown = {
        k: {"part": "importance" if k in IMPORTANCE else "urgency", "score": round(scores[k], 4),
            "weight": getattr(weights, k), "note": notes[k],
            "contribution": round(getattr(weights, k) * scores[k] / (w_imp if k in IMPORTANCE else w_urg), 4)}
        for k in IMPORTANCE + URGENCY}
    breakdown["gate"] = {"factor": round(gate, 4), "praise_share": round(praise, 4), "note": gate_note}
    # evidence: highest item priority first, then newest, then id, so the list is stable
    order = np.lexsort((c["ids"][pos], -np.nan_to_num(c["ts"][pos]), -c["item_priority"][pos]))
    label = c["modes"]["label"].get(key)
    return Demand(
        key=key, label=str(label or key), category=category, count=count, share=count / c["total"], growth=growth,
        negative_share=negative_share, mean_sentiment=mean_sentiment, customer_value=value, customers=customers,
        tiers=tiers, urgency=urgency, recency=scores["recency"], last_seen=last_seen,
        persistence=scores["persistence"], importance=round(importance, 4), urgency_score=round(urgency_score, 4),
        priority=round(100 * importance * urgency_score, 1), breakdown=breakdown,
        evidence=tuple(c["ids"][pos][order][:5]))


def _growth(key: str, c: dict) -> Growth:
    """Smoothed ratio of items per day, and a binomial test of the share that adjusts for total volume."""
    cmp = c["compare"]
    if cmp["basis"] == "none":
        return Growth(0, 0, 1.0, None, "none")
    now_c, prev_c = cmp["now"].get(key, 0), cmp["prev"].get(key, 0)
    p_value = None
    if cmp["now_total"] and cmp["prev_total"] and now_c + prev_c:
        p0 = cmp["now_total"] / (cmp["now_total"] + cmp["prev_total"])
        p_value = float(stats.binom.sf(now_c - 1, now_c + prev_c, p0))
    lo, hi = cmp["range"]
    ratio = (now_c + 1) / (prev_c * cmp["scale"] + 1)
    return Growth(now_c, prev_c, ratio, p_value, cmp["basis"], _day(lo), _day(hi - 1))


def _group_value(pos: np.ndarray, c: dict, weights: PriorityWeights) -> tuple[float | None, int, dict[str, int]]:
    """Shrunk mean value over the group's distinct customers, how many there are, and their tiers."""
    customers = c["customers"][pos]
    named = c["has_customer"][pos]
    tiers: Counter = Counter()
    best: dict[str, float] = {}
    for who, value, tier in zip(customers, c["values"][pos], c["tiers"][pos]):
        if not math.isnan(value):
            best[who] = max(best.get(who, 0.0), value)
        if isinstance(tier, str) and tier:
            tiers[(who, tier)] += 1
    tier_counts = dict(Counter(t for _, t in tiers).most_common())
    n_customers = len(set(customers[named]))
    if c["value_mean"] is None:
        return None, n_customers, tier_counts
    k = weights.value_prior
    return float((sum(best.values()) + k * c["value_mean"]) / (len(best) + k)), n_customers, tier_counts


def _day(seconds: float) -> str:
    return pd.Timestamp(seconds, unit="s", tz="UTC").date().isoformat()


def _modes(keys: np.ndarray, values: np.ndarray | None) -> dict[str, str]:
    """Most common non-missing value per group key; ties go to the alphabetically first, so results never
    depend on order. One pass over all groups (per group it cost 2 ms each, 0.1 s per 100,000-item view)."""
    if values is None:
        return {}
    present = pd.Series(values, dtype=object).notna().to_numpy()
    if not present.any():
        return {}
    pairs = pd.DataFrame({"key": keys[present], "value": pd.Series(values[present], dtype=object).astype(str).to_numpy()})
    table = pairs.value_counts().rename("n").reset_index()
    table = table.sort_values(["key", "n", "value"], ascending=[True, False, True]).drop_duplicates("key")
    return dict(zip(table["key"], table["value"]))
