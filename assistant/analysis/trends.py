"""Trends over time: counts, negative share and mean sentiment per period and group, with spikes and
emerging groups flagged by a stated statistical test.

Also home to the two small helpers every time-aware analysis shares (`to_epoch`, `sentiment_signals`),
because priority and effect both import this module and it imports neither.

Tests used, so a reader can check a flag by hand:
- spike: one-sided exact Poisson test of a cell's count against the median of the same group's previous
  periods (6 weeks or 14 days), Bonferroni-corrected over every cell tested, and the count must also be
  at least `min_ratio` x expected, because real feedback is noisier than Poisson.
- emerging: one-sided conditional binomial test of a group's share of items in the last `recent`
  periods against its share before (the rate-ratio test, which adjusts for overall volume), Bonferroni-
  corrected over groups; "new" when the group has no items before the recent periods.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError

DAY = 86400
GROUP_COLUMNS = {"category": "category", "theme": "theme_id", "channel": "channel"}
ALL = "(all)"  # the pseudo-group of total volume, tested for spikes like any other
# Previous periods used as the spike baseline, and the fewest that make a baseline at all.
BASELINE = {"week": (6, 3), "day": (14, 7)}
RECENT = {"week": 2, "day": 7}


def to_epoch(value, *, end: bool = False) -> float | None:
    """Epoch seconds (UTC) of a date, datetime, ISO string or number; with `end`, an exclusive upper bound.

    A bare date means the whole day: as an upper bound it becomes the next midnight, so
    `until="2026-09-20"` includes items on the 20th. Naive datetimes are taken as UTC.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) + (1 if end else 0)
    whole_day = isinstance(value, date) and not isinstance(value, datetime)
    if isinstance(value, str):
        whole_day = len(value.strip()) == 10
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"cannot read {value!r} as a date or time; use YYYY-MM-DD") from exc
    stamp = stamp.tz_localize(timezone.utc) if stamp.tzinfo is None else stamp.tz_convert(timezone.utc)
    seconds = stamp.timestamp()
    if end:
        seconds += DAY if whole_day else 1
    return seconds


def sentiment_signals(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per item: is it negative (1.0 / 0.0, NaN when not analysed), and its score (-1..1, NaN when unknown).

    The label decides negativity; without a label, a score below -0.25 counts as negative.
    """
    label = frame["sentiment"] if "sentiment" in frame else pd.Series(pd.NA, index=frame.index)
    score = pd.to_numeric(frame.get("sentiment_score", pd.Series(np.nan, index=frame.index)), errors="coerce")
    label = label.astype(object).where(label.notna(), None)
    negative = pd.Series(np.nan, index=frame.index, dtype=float)
    known = label.isin(["positive", "neutral", "negative"])
    negative[known] = (label[known] == "negative").astype(float)
    from_score = ~known & score.notna()
    negative[from_score] = (score[from_score] < -0.25).astype(float)
    return negative, score.astype(float)


@dataclass(frozen=True)
class Spike:
    """A period in which a group had far more items than its own recent baseline."""

    group: str
    label: str
    period: str
    start: str
    count: int
    expected: float
    ratio: float
    test: str
    statistic: float
    p_value: float


@dataclass(frozen=True)
class Emerging:
    """A group whose share of items rose significantly in the recent periods, or that is new in them."""

    group: str
    label: str
    new: bool
    first_seen: str
    recent_count: int
    earlier_count: int
    rate_ratio: float | None  # None for a new group: nothing before to divide by
    test: str
    p_value: float


@dataclass(frozen=True)
class TrendReport:
    """Per period x group table, per period totals, and the spikes and emerging groups found in them."""

    by: str
    interval: str
    table: pd.DataFrame
    totals: pd.DataFrame
    spikes: list[Spike] = field(default_factory=list)
    emerging: list[Emerging] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form: tables as lists of rows."""
        return {
            "by": self.by, "interval": self.interval, "notes": list(self.notes),
            "table": _records(self.table), "totals": _records(self.totals),
            "spikes": [asdict(s) for s in self.spikes], "emerging": [asdict(e) for e in self.emerging],
        }

    def summary(self) -> str:
        """A few plain lines: what spiked, what is emerging, and how that was decided."""
        lines = []
        for s in self.spikes:
            lines.append(f"Spike: {s.label} in {s.period} ({s.start}): {s.count} items vs {s.expected:.1f} "
                         f"expected ({s.ratio:.1f}x), {s.test}, {_fmt_p(s.p_value)}")
        for e in self.emerging:
            what = "new" if e.new else f"up {e.rate_ratio:.1f}x in share"
            lines.append(f"Emerging: {e.label} ({what}, first seen {e.first_seen}): {e.recent_count} recent items "
                         f"vs {e.earlier_count} before, {_fmt_p(e.p_value)}")
        return "\n".join(lines + list(self.notes)) or "No spikes or emerging groups."


def trends(frame: pd.DataFrame, *, by: str = "category", interval: str = "week", since=None, until=None,
           alpha: float = 0.05, min_count: int = 5, min_ratio: float = 1.5, recent: int | None = None) -> TrendReport:
    """Counts, negative share and mean sentiment per period and group, with spikes and emerging groups.

    Baselines use the data before `since` too (up to `until`), so the first reported periods are tested
    against real history rather than skipped; emerging groups compare the last `recent` periods before
    `until` with everything earlier.
    """
    if interval not in BASELINE:
        raise ConfigError(f"interval must be one of {sorted(BASELINE)}, not {interval!r}")
    column = GROUP_COLUMNS.get(by, by)
    if column not in frame:
        raise ConfigError(f"cannot group by {by!r}: choose one of {sorted(GROUP_COLUMNS)} or a frame column")
    end = to_epoch(until, end=True)
    ts = pd.to_numeric(frame["ts"], errors="coerce")
    data = frame[ts.notna() & (ts < end)] if end is not None else frame[ts.notna()]
    if data.empty:
        empty = pd.DataFrame(columns=_TABLE), pd.DataFrame(columns=_TOTALS)
        return TrendReport(by, interval, *empty, notes=["no dated items"])

    # 1. every item gets a period index (days since the epoch, or Monday-based weeks) and a group key
    day = np.floor(pd.to_numeric(data["ts"]).to_numpy(dtype=float) / DAY).astype(int)
    index = day if interval == "day" else (day + 3) // 7  # epoch day 0 is a Thursday
    last_day = int((end - 1) // DAY) if end is not None else int(day.max())
    periods = np.arange(int(index.min()), _period_of(last_day * DAY, interval) + 1)
    coverage = _coverage(periods, interval, int(day.min()), last_day)
    keys = data[column].astype(object).where(data[column].notna(), "unassigned").astype(str).to_numpy()
    labels = _labels(data, column, keys)
    negative, score = sentiment_signals(data)
    parts = pd.DataFrame({"group": keys, "p": index, "neg": negative.to_numpy(), "score": score.to_numpy(),
                          "analysed": negative.notna().to_numpy().astype(int)})

    # 2. the group x period grid, zeros included: a silent week is data for the baseline
    grid = pd.MultiIndex.from_product([sorted(set(keys)), periods], names=["group", "p"])
    cells = parts.groupby(["group", "p"]).agg(count=("p", "size"), neg=("neg", "sum"), analysed=("analysed", "sum"),
                                              score=("score", "mean")).reindex(grid)
    cells["count"] = cells["count"].fillna(0).astype(int)
    counts = cells["count"].unstack("p").reindex(columns=periods, fill_value=0)
    totals_count = counts.sum(axis=0)
    shown = periods[periods >= _period_of(to_epoch(since), interval)] if since is not None else periods
    table = _table(cells, shown, totals_count, labels, coverage, interval)
    totals = _totals(parts, shown, totals_count, coverage, interval)

    # 3. spikes against each group's own baseline; weekends have about half a weekday's volume, so daily
    # baselines divide out the weekday pattern of total volume (per-group profiles would be too noisy)
    series = {**{g: counts.loc[g] for g in counts.index}, ALL: totals_count}
    season = _weekday_profile(totals_count) if interval == "day" else {int(p): 1.0 for p in periods}
    exposure = {p: coverage[p] * season[p] for p in coverage}
    spikes = _spikes(series, {**labels, ALL: "all feedback"}, shown, interval, exposure, alpha, min_count, min_ratio)

    # 4. emerging groups: share in the last periods vs before
    emerging, note = _emerging(counts, labels, totals_count, periods, recent or RECENT[interval], interval, alpha,
                               min_count)
    notes = ["sentiment not analysed: negative share and mean sentiment are empty"] if negative.isna().all() else []
    return TrendReport(by, interval, table, totals, spikes, emerging, notes + ([note] if note else []))


def _table(cells: pd.DataFrame, shown, totals: pd.Series, labels: dict, coverage: dict, interval: str) -> pd.DataFrame:
    rows = cells.reset_index()
    rows = rows[rows["p"].isin(shown)]
    return pd.DataFrame({
        "period": rows["p"].map(lambda p: _label(p, interval)), "start": rows["p"].map(lambda p: _start(p, interval)),
        "group": rows["group"], "label": rows["group"].map(labels), "count": rows["count"],
        "share": rows["count"] / rows["p"].map(totals).replace(0, np.nan),
        "negative_share": rows["neg"] / rows["analysed"].replace(0, np.nan), "mean_sentiment": rows["score"],
        "partial": rows["p"].map(lambda p: bool(coverage[p] < 1)),
    }).reset_index(drop=True)


def _totals(parts: pd.DataFrame, shown, totals: pd.Series, coverage: dict, interval: str) -> pd.DataFrame:
    by_period = parts.groupby("p").agg(neg=("neg", "sum"), analysed=("analysed", "sum"), score=("score", "mean"))
    by_period = by_period.reindex(shown)
    return pd.DataFrame({
        "period": [_label(p, interval) for p in shown], "start": [_start(p, interval) for p in shown],
        "count": totals.reindex(shown).to_numpy(),
        "negative_share": (by_period["neg"] / by_period["analysed"].replace(0, np.nan)).to_numpy(),
        "mean_sentiment": by_period["score"].to_numpy(), "partial": [bool(coverage[p] < 1) for p in shown],
    })


_TABLE = ["period", "start", "group", "label", "count", "share", "negative_share", "mean_sentiment", "partial"]
_TOTALS = ["period", "start", "count", "negative_share", "mean_sentiment", "partial"]


def _spikes(series: dict, labels: dict, shown, interval: str, exposure: dict, alpha: float, min_count: int,
            min_ratio: float) -> list[Spike]:
    """Poisson test of each shown cell against the median of its previous periods.

    `exposure` is each period's expected share of a full, average period (cut periods, weekends), so
    baseline counts are turned into rates before the median and back into a count for the tested cell.
    """
    span, fewest = BASELINE[interval]
    candidates = []
    for group, counts in series.items():
        values = counts.to_numpy(dtype=float)
        positions = {p: i for i, p in enumerate(counts.index)}
        for p in shown:
            i = positions[p]
            if i < fewest:
                continue
            window = range(max(0, i - span), i)
            # rates per full period, so a partial first or last period neither hides nor fakes a spike
            rates = [values[j] / exposure[counts.index[j]] for j in window]
            # half an item per period as a floor: a group that is usually silent is not "infinitely" surprised
            expected = max(float(np.median(rates)), 0.5) * exposure[p]
            candidates.append((group, p, int(values[i]), expected, len(window)))
    tests = max(1, len(candidates))
    spikes = []
    for group, p, count, expected, width in candidates:
        if count < min_count or count < min_ratio * expected:
            continue
        p_value = float(stats.poisson.sf(count - 1, expected))
        if p_value * tests < alpha:
            unit = "weeks" if interval == "week" else "days"
            spikes.append(Spike(group, labels.get(group, group), _label(p, interval), _start(p, interval), count,
                                round(expected, 2), round(count / expected, 2),
                                f"one-sided Poisson test vs median of previous {width} {unit}, Bonferroni x{tests}",
                                round((count - expected) / math.sqrt(expected), 2), p_value))
    return sorted(spikes, key=lambda s: (s.p_value, s.start, s.group))


def _emerging(counts: pd.DataFrame, labels: dict, totals: pd.Series, periods, recent: int, interval: str,
              alpha: float, min_count: int) -> tuple[list[Emerging], str | None]:
    """Groups whose share of items in the last `recent` periods is significantly above their earlier share."""
    if len(periods) <= recent:
        return [], f"emerging groups need more than {recent} {interval}s of data"
    recent_cols, earlier_cols = periods[-recent:], periods[:-recent]
    t_recent, t_earlier = float(totals[recent_cols].sum()), float(totals[earlier_cols].sum())
    if t_recent == 0 or t_earlier == 0:
        return [], "no items in the recent or the earlier periods: emerging groups not tested"
    p0 = t_recent / (t_recent + t_earlier)
    groups = [g for g in counts.index if g != "unassigned"]
    found = []
    for group in groups:
        c_recent, c_earlier = int(counts.loc[group, recent_cols].sum()), int(counts.loc[group, earlier_cols].sum())
        if c_recent < min_count:
            continue
        ratio = (c_recent / t_recent) / (c_earlier / t_earlier) if c_earlier else math.inf
        p_value = float(stats.binom.sf(c_recent - 1, c_recent + c_earlier, p0))
        if ratio >= 2 and p_value * len(groups) < alpha:
            seen = counts.loc[group]
            first_seen = _start(int(seen[seen > 0].index[0]), interval)
            found.append(Emerging(group, labels.get(group, group), c_earlier == 0, first_seen, c_recent, c_earlier,
                                  round(ratio, 2) if c_earlier else None,
                                  f"one-sided binomial test of share, last {recent} {interval}s vs before, "
                                  f"Bonferroni x{len(groups)}", p_value))
    return sorted(found, key=lambda e: (not e.new, e.p_value, e.group)), None


def _weekday_profile(totals: pd.Series) -> dict:
    """Each day's typical volume relative to an average day, by weekday; flat with under three weeks of data."""
    days = totals.index.to_numpy()
    if len(days) < 21 or totals.sum() == 0:
        return {int(d): 1.0 for d in days}
    weekday = (days + 3) % 7  # epoch day 0 is a Thursday: 0 = Monday
    # medians, so an outage Tuesday does not make every Tuesday look busy
    typical = pd.Series(totals.to_numpy(dtype=float)).groupby(weekday).median()
    factor = (typical / typical.mean()).clip(lower=0.2)  # a weekday with no items must not zero the baseline
    return {int(d): float(factor[w]) for d, w in zip(days, weekday)}


def _labels(data: pd.DataFrame, column: str, keys: np.ndarray) -> dict:
    """Readable name per group: the most common theme label for themes (ties: alphabetical), else the key."""
    names = {k: k for k in set(keys)}
    if column == "theme_id" and "theme_label" in data:
        pairs = pd.DataFrame({"k": keys, "l": data["theme_label"].astype(object).to_numpy()}).dropna()
        for key, group in pairs.groupby("k")["l"]:
            counts = group.astype(str).value_counts()
            names[key] = min(counts[counts == counts.max()].index)
    return names


def _period_of(seconds: float, interval: str) -> int:
    day = int(seconds // DAY)
    return day if interval == "day" else (day + 3) // 7


def _first_day(p: int, interval: str) -> int:
    return p if interval == "day" else p * 7 - 3


def _start(p: int, interval: str) -> str:
    return datetime.fromtimestamp(_first_day(p, interval) * DAY, tz=timezone.utc).date().isoformat()


def _label(p: int, interval: str) -> str:
    if interval == "day":
        return _start(p, interval)
    year, week, _ = datetime.fromtimestamp(_first_day(p, interval) * DAY, tz=timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


def _coverage(periods, interval: str, first_day: int, last_day: int) -> dict:
    """Fraction of each period's days that lie inside the data (the first and last weeks may be cut)."""
    length = 1 if interval == "day" else 7
    out = {}
    for p in periods:
        lo = _first_day(int(p), interval)
        inside = min(lo + length - 1, last_day) - max(lo, first_day) + 1
        out[int(p)] = max(inside, 1) / length
    return out


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in table.to_dict(orient="records")]


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
