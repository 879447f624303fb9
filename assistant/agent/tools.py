"""The agent's tools: plain typed functions over the store and the analysis, the same ones the CLI uses.

Each returns a `ToolResult`: the arguments it actually ran with (after resolving names and dates), the
ids of the feedback it rests on (the only ids an answer may cite), and a JSON-ready `data` payload that
`compose.py` turns into text. Nothing here calls a language model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..store import FeedbackStore
from ..analysis.filters import Filters, filter_frame
from ..analysis.types import plain
from .context import DataContext
from .topic import match_topic

DAY = 86400


@dataclass
class ToolResult:
    name: str
    arguments: dict[str, Any]
    ids: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def _epoch(ctx: DataContext, value: datetime | str | None, *, end: bool = False) -> float | None:
    """Epoch seconds of a window bound. A bare date means the whole day in the store's time zone (as an
    upper bound: the next midnight, exclusive); a datetime is exact (the windows from `timeexpr` end
    exclusively at a midnight)."""
    if value is None or value == "":
        return None
    from ..text.timeparse import parse_day

    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(parse_day(value, end=end, tz=ctx.settings.timezone))
    except ValueError as exc:
        raise ConfigError(f"cannot read {value!r} as a date; use YYYY-MM-DD") from exc


def _window_args(since, until) -> dict:
    return {"since": since.isoformat() if isinstance(since, datetime) else since,
            "until": until.isoformat() if isinstance(until, datetime) else until}


def selection(ctx: DataContext, *, since=None, until=None, category=None, channel=None, tier=None, sentiment=None,
              lang=None, customer_id=None, product=None) -> Filters:
    """The one `Filters` value of a tool's arguments (window bounds read as `_epoch` reads them)."""
    return Filters(since=_epoch(ctx, since), until=_epoch(ctx, until, end=True), category=category, channel=channel,
                   tier=tier, sentiment=sentiment, lang=lang, customer_id=customer_id, product=product)


def _scoped(ctx: DataContext, filters: Filters, topic: str | None):
    """Every item the filters select (all times: growth and baselines need the past), narrowed to the items
    about `topic` when one is given; with what the topic matched (and the match itself, for its ranking)."""
    frame = filter_frame(ctx.frame(), filters, window=False)
    if not topic:
        return frame, None, None
    match = match_topic(ctx, topic, frame)
    scoped = frame[frame["id"].isin(set(match.ids))]
    info = match.describe()
    info["in_window"] = int(len(filter_frame(scoped, filters)))
    return scoped, info, match


# --------------------------------------------------------------------------- search
def search_feedback(ctx: DataContext, query: str = "", *, since=None, until=None, category: str | None = None,
                    channel: str | None = None, lang: str | None = None, sentiment: str | None = None,
                    tier: str | None = None, customer_id: str | None = None, product: str | None = None,
                    k: int = 8) -> ToolResult:
    """Feedback about `query` (by meaning or by its words; every item in scope when empty), restricted by
    time window and exact-match filters; the nearest first, with how many items match in all."""
    k = max(1, min(int(k), 50))
    filters = selection(ctx, since=since, until=until, category=category, channel=channel, tier=tier,
                        sentiment=sentiment, lang=lang, customer_id=customer_id, product=product)
    scoped, topic, match = _scoped(ctx, filters, query.strip() if query else None)
    matching = filter_frame(scoped, filters)
    if match is not None:  # nearest in meaning first
        inside = set(matching["id"])
        ids = [i for i in match.ranked() if i in inside][:k]
    else:
        ids = best_items(matching, k)
    args = {"query": query, **_window_args(since, until), "category": category, "channel": channel, "lang": lang,
            "sentiment": sentiment, "tier": tier, "customer_id": customer_id, "product": product, "k": k}
    return ToolResult("search_feedback", _compact(args), ids,
                      {"matched": int(len(matching)), "topic": topic,
                       "themes": _hit_themes(ctx, ids, matching)})


def _hit_themes(ctx: DataContext, ids: list[str], scope: pd.DataFrame) -> list[dict]:
    """The themes most hits belong to, each with how many items it has under the same filters: a count
    that is true of the data (the hits themselves are only the nearest examples)."""
    if not ids:
        return []
    frame = ctx.frame()
    themes = frame.set_index("id")["theme_id"].reindex(ids).dropna()
    if themes.empty:
        return []
    top = themes.value_counts()
    top = top[top >= 2].head(3)
    labels = frame.dropna(subset=["theme_id"]).groupby("theme_id")["theme_label"].first()
    return [{"theme_id": t, "label": str(labels.get(t, t)), "hits": int(n),
             "items": int((scope["theme_id"] == t).sum())} for t, n in top.items()]


# --------------------------------------------------------------------------- demands
def top_demands(ctx: DataContext, *, since=None, until=None, category: str | None = None,
                channel: str | None = None, tier: str | None = None, sentiment: str | None = None,
                topic: str | None = None, product: str | None = None, n: int = 5) -> ToolResult:
    """Themes ranked by priority in a window, over the items the filters (and `topic`, when given) select,
    with the breakdown and the items that show each best."""
    from ..analysis.priority import UNASSIGNED, rank_demands

    filters = selection(ctx, since=since, until=until, category=category, channel=channel, tier=tier,
                        sentiment=sentiment, product=product)
    frame, matched, _ = _scoped(ctx, filters, topic)
    n = max(1, min(int(n), 20))
    window = dict(since=filters.since, until=filters.inclusive_until(), weights=ctx.settings.priority)
    ranked = rank_demands(frame, **window, limit=n) if len(frame) else []
    if not ranked and len(frame):  # items no theme took are not one demand, unless they are all there is
        ranked = rank_demands(frame, **window, include_unassigned=True, limit=1)
    in_window = filter_frame(frame, filters)
    demands, ids = [], []
    for d in ranked:
        if not d.count:
            continue
        evidence = list(d.evidence[:3])
        ids += [i for i in evidence if i not in ids]
        demands.append({
            "label": d.label if d.key != UNASSIGNED else "(not in any theme)", "key": d.key, "category": d.category,
            "count": d.count, "share": d.share,
            "priority": round(d.priority, 1), "importance": round(d.importance, 3),
            "urgency": round(d.urgency_score, 3), "negative_share": d.negative_share,
            "customers": d.customers, "tiers": d.tiers, "growth": plain_dict(d.growth),
            "breakdown": {k: {"score": v.get("score"), "note": v.get("note")} for k, v in d.breakdown.items()
                          if isinstance(v, dict) and "score" in v},
            "evidence": evidence,
        })
    args = {**_window_args(since, until), "category": category, "channel": channel, "tier": tier,
            "sentiment": sentiment, "topic": topic, "product": product, "n": n}
    return ToolResult("top_demands", _compact(args), ids,
                      {"demands": demands, "items": int(len(in_window)), "topic": matched, "sentiment": sentiment})


# --------------------------------------------------------------------------- trends
def trend_report(ctx: DataContext, *, by: str = "category", interval: str = "week", since=None, until=None,
                 category: str | None = None, channel: str | None = None, sentiment: str | None = None,
                 topic: str | None = None, product: str | None = None) -> ToolResult:
    """Counts, negative share and sentiment per period, with spikes and emerging groups and their tests,
    over the items the filters (and `topic`, when given) select."""
    from ..analysis.trends import to_epoch, trends

    filters = selection(ctx, since=since, until=until, category=category, channel=channel, sentiment=sentiment,
                        product=product)
    frame, matched, _ = _scoped(ctx, filters, topic)
    report = trends(frame, by=by, interval=interval, since=filters.since, until=filters.inclusive_until())
    ids: list[str] = []
    spikes = []
    column = {"theme": "theme_id"}.get(by, by)
    for s in report.spikes[:5]:
        lo = to_epoch(s.start)  # periods are UTC days and weeks (analysis/trends.py)
        hi = lo + (7 if interval == "week" else 1) * DAY
        members = frame[(frame[column].astype("string") == s.group) & (pd.to_numeric(frame["ts"]) >= lo)
                        & (pd.to_numeric(frame["ts"]) < hi)]
        example = best_items(members, 2)
        ids += [i for i in example if i not in ids]
        spikes.append({**plain_dict(s), "evidence": example})
    emerging = []
    for e in report.emerging[:5]:
        members = frame[frame[column].astype("string") == e.group]
        example = best_items(members.sort_values("ts", ascending=False).head(30), 2)
        ids += [i for i in example if i not in ids]
        emerging.append({**plain_dict(e), "evidence": example})
    totals = [{k: plain(v) for k, v in row.items()} for row in report.totals.to_dict("records")]
    args = {"by": by, "interval": interval, **_window_args(since, until), "category": category, "channel": channel,
            "sentiment": sentiment, "topic": topic, "product": product}
    return ToolResult("trends", _compact(args), ids,
                      {"totals": totals, "spikes": spikes, "emerging": emerging, "notes": list(report.notes),
                       "items": int(len(filter_frame(frame, filters))), "topic": matched})


# --------------------------------------------------------------------------- customers
def customer_history(store: FeedbackStore, customer_id: str, limit: int = 50) -> list[dict]:
    """A customer's stored feedback, newest first, with its analysis fields."""
    items = list(store.iter_items(where={"customer_id": customer_id}))
    rows = [{"id": it.id, "text": it.text, **{k: it.metadata.get(k) for k in (
        "date", "ts", "channel", "source", "customer_name", "rating", "sentiment", "sentiment_score", "category",
        "theme_id", "theme_label", "priority", "lang", "x_tier", "x_客户类型")}} for it in items]
    rows.sort(key=lambda r: (r.get("ts") or 0, r["id"]), reverse=True)
    return rows[:limit]


def get_customer(ctx: DataContext, customer_id: str, limit: int = 20) -> ToolResult:
    """A customer's profile (name, tier, languages, channels) and history, newest first."""
    history = customer_history(ctx.store, customer_id, limit=limit)
    frame = ctx.frame()
    mine = frame[frame["customer_id"].astype("string") == customer_id]
    tiers = mine["tier"].dropna()
    profile = {
        "customer_id": customer_id,
        "name": next((r["customer_name"] for r in history if r.get("customer_name")), None),
        "tier": str(tiers.iloc[-1]) if len(tiers) else None,
        "items": int(len(mine)),
        "negative": int((mine["sentiment"] == "negative").sum()),
        "languages": sorted(mine["lang"].dropna().astype(str).unique().tolist()),
        "channels": sorted(mine["channel"].dropna().astype(str).unique().tolist()),
        "first": plain(mine["date"].min()) if len(mine) else None,
        "last": plain(mine["date"].max()) if len(mine) else None,
    }
    return ToolResult("customer_history", {"customer_id": customer_id, "limit": limit},
                      [r["id"] for r in history], {"profile": profile, "history": history})


# --------------------------------------------------------------------------- one text
def analyze_text(ctx: DataContext, text: str, analyzer=None) -> ToolResult:
    """Sentiment, category, entities and triage priority of a text that is not in the store."""
    from ..analysis.frame import frame_from_rows
    from ..analysis.priority import item_priority
    from ..analysis.run import Analyzer
    from ..text.language import detect_language

    analyzer = analyzer or Analyzer(ctx.store, ctx.settings)
    lang = detect_language(text)
    vector = np.asarray([ctx.store.embedder.embed_documents([text])[0]], dtype=np.float32)
    fields = analyzer.analyse([text], [lang], vector)[0]
    row = {"id": "text", "text": text, "lang": lang, "ts": ctx.clock().timestamp(), **fields}
    priority = float(item_priority(frame_from_rows([row]), ctx.settings.priority).iloc[0])
    import json

    data = {"text": text, "lang": lang, "sentiment": fields["sentiment"], "sentiment_score": fields["sentiment_score"],
            "category": fields["category"], "categories": json.loads(fields["categories"]),
            "category_confidence": fields["category_confidence"], "entities": json.loads(fields["entities"]),
            "priority": round(priority, 1)}
    similar = ctx.store.search(text, k=3) if ctx.store.count() else []
    data["similar"] = [h.id for h in similar]
    return ToolResult("analyze_text", {"text": text}, [h.id for h in similar], data)


# --------------------------------------------------------------------------- effect
def measure_effect(ctx: DataContext, *, theme: str | None = None, category: str | None = None,
                   query: str | None = None, action_date: str | None = None, window_days: int = 28,
                   until=None) -> ToolResult:
    """Did an action work? The target is a theme, a category, or the themes that feedback matching `query`
    falls in. The action date is the one given, else a recorded action's, else estimated from the data."""
    from ..analysis.effect import evaluate_effect, target_rows
    from ..analysis.trends import to_epoch
    from ..analysis.report import load_actions

    frame = ctx.frame()
    if until is not None:  # only what was known by then
        frame = frame[pd.to_numeric(frame["ts"], errors="coerce") < _epoch(ctx, until, end=True)]
    notes: list[str] = []
    matched_themes: list[str] = []
    topic = None
    if query and not theme and not category:
        frame, matched_themes, label, match = _query_target(ctx, frame, query)
        theme, topic = label, match.describe()
        if not match.ids:
            raise ConfigError(f"no feedback is about {query!r}: nothing to compare before and after")
    date_source = "given"
    if not action_date:
        action_date, date_source = _recorded_date(load_actions(ctx.store), theme, category, matched_themes)
    if not action_date:
        action_date = _change_point(frame, target_rows(frame, theme, category)[0])
        date_source = "estimated"
        if not action_date:
            raise ConfigError("give the date of the action (e.g. 'after the fix on 2026-09-21'): none is recorded "
                              "and the data shows no clear change")
        notes.append(f"no action date was given or recorded: {action_date} is where this demand's daily "
                     "volume changed most (a Poisson change-point estimate)")
    result = evaluate_effect(frame, theme=theme, category=category, action_date=action_date, window_days=window_days)
    data = result.to_dict()
    data["notes"] = notes + list(data.get("notes") or [])
    data["date_source"] = date_source
    data["matched_themes"] = matched_themes
    data["topic"] = topic
    ts = pd.to_numeric(frame["ts"], errors="coerce")
    is_target = target_rows(frame, theme, category)[0]  # the rows evaluate_effect compared
    action = to_epoch(action_date)  # evaluate_effect's reading of the date
    before = best_items(frame[is_target & (ts < action) & (ts >= action - window_days * DAY)], 2)
    after = best_items(frame[is_target & (ts >= action) & (ts < action + window_days * DAY)], 2)
    data["evidence_before"], data["evidence_after"] = before, after
    args = {"theme": theme if not query else None, "category": category, "query": query, "action_date": action_date,
            "window_days": window_days}
    return ToolResult("evaluate_effect", _compact(args), before + after, data)


def _query_target(ctx: DataContext, frame: pd.DataFrame, query: str):
    """The items about `query` (topic.py) as one target, and the themes that hold a fifth of them or more
    (to find an action recorded against one of those themes)."""
    match = match_topic(ctx, query, frame)
    mask = frame["id"].isin(set(match.ids))
    themes = frame.loc[mask, "theme_id"].dropna().astype(str)
    shares = themes.value_counts() / max(1, int(mask.sum()))
    chosen = [t for t, share in shares.items() if share >= 0.2]
    label = query.strip()
    frame = frame.copy()
    frame["theme_id"] = frame["theme_id"].astype("object")
    frame.loc[mask, "theme_id"] = label
    frame.loc[mask, "theme_label"] = label
    return frame, chosen, label, match


def _recorded_date(actions: list[dict], theme, category, matched: list[str]) -> tuple[str | None, str]:
    for action in reversed(actions):
        if (theme and action.get("theme") in {theme, *matched}) or (category and action.get("category") == category) \
                or (matched and action.get("theme") in matched):
            return str(action.get("date")), "recorded"
    return None, "given"


def _change_point(frame: pd.DataFrame, target: pd.Series) -> str | None:
    """The day splitting the target's daily counts into two Poisson rates with the best likelihood gain."""
    ts = pd.to_numeric(frame.loc[target, "ts"], errors="coerce").dropna()
    if len(ts) < 20:
        return None
    all_ts = pd.to_numeric(frame["ts"], errors="coerce").dropna()
    first, last = int(all_ts.min() // DAY), int(all_ts.max() // DAY)
    counts = np.bincount((ts // DAY).astype(int) - first, minlength=last - first + 1).astype(float)
    n = len(counts)
    if n < 14:
        return None
    cum = np.cumsum(counts)
    best, best_gain = None, 0.0
    total = cum[-1]

    def ll(c, d):
        return c * math.log(c / d) - c if c > 0 else 0.0
    for split in range(7, n - 7):
        left, right = cum[split - 1], total - cum[split - 1]
        gain = ll(left, split) + ll(right, n - split) - ll(total, n)
        if gain > best_gain:
            best, best_gain = split, gain
    if best is None or best_gain < 5.0:  # ~ chi-square(1) p < 0.002 for 2*gain
        return None
    return (datetime(1970, 1, 1) + timedelta(days=first + best)).date().isoformat()


# --------------------------------------------------------------------------- helpers
def best_items(members: pd.DataFrame, n: int) -> list[str]:
    """Ids of the items that show a group best: highest triage priority, then newest."""
    if not len(members):
        return []
    ordered = members.assign(_p=pd.to_numeric(members["priority"], errors="coerce").fillna(0),
                             _t=pd.to_numeric(members["ts"], errors="coerce").fillna(0))
    return ordered.sort_values(["_p", "_t", "id"], ascending=[False, False, True])["id"].head(n).tolist()


def plain_dict(obj) -> dict:
    from dataclasses import asdict, is_dataclass

    raw = asdict(obj) if is_dataclass(obj) else dict(obj)
    return {k: (plain(v) if not isinstance(v, (dict, list, tuple)) else v) for k, v in raw.items()}


def _compact(args: dict) -> dict:
    return {k: v for k, v in args.items() if v not in (None, "", False)}
