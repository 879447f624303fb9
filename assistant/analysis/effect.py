"""Did an action work? Before/after comparison of one theme or category against the rest of the feedback.

For the `window_days` before and after the action date (clipped to the data), it compares:
- the target's share of all feedback (target / all items). A share is already measured against the rest,
  so its change is the headline; the same 2x2 table gives the difference-in-differences on log volume,
  log(target_after / target_before) - log(rest_after / rest_before), reported as `relative_change`.
- the target's own volume per day, so a share that fell only because the rest of the feedback grew (a
  price rise or an outage elsewhere) is not credited to the action: "worked" needs both to fall.
- the target's negative rate, and its difference-in-differences against the rest's negative rate.

Tests: a pooled two-proportion z-test when every expected cell count is at least 5, otherwise Fisher's
exact test (both two-sided); a Newcombe score interval for the change in share; an exact conditional
(binomial) test of two Poisson rates with a Clopper-Pearson interval for the volume; a Woolf interval
(Haldane +0.5 when a cell is 0) for the relative change; a Wald z-test for the negative-rate DiD. With fewer than
`min_items` target items in both windows the verdict says the data is too thin instead of trusting a p-value.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError
from .trends import DAY, sentiment_signals, to_epoch

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Window:
    """Counts in one window: all items, the target's, and negatives among the analysed ones."""

    start: str
    end: str       # inclusive last day
    days: float
    items: int
    target: int
    share: float | None
    target_negative: int
    target_analysed: int
    negative_rate: float | None
    control: int
    control_negative: int
    control_analysed: int
    control_negative_rate: float | None


@dataclass(frozen=True)
class Test:
    """One statistical comparison: which test, its statistic and p-value, and a 95% interval of the estimate."""

    name: str
    estimate: float | None
    statistic: float | None
    p_value: float | None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class EffectResult:
    """Before/after numbers, tests, and a plain-language verdict in English and Chinese."""

    target: str
    action_date: str
    window_days: int
    before: Window
    after: Window
    share: Test              # after share - before share
    volume: Test             # target items per day, after / before - 1
    relative_change: Test    # (target after/before) / (rest after/before) - 1: DiD on log volume
    negative_rate: Test      # target's negative rate, after - before
    negative_did: Test       # (target after - before) - (rest after - before), negative rates
    control_volume_change: float | None
    outcome: str             # worked | worse | no_change | too_few
    verdict: str
    verdict_zh: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def evaluate_effect(frame: pd.DataFrame, *, theme: str | None = None, category: str | None = None, action_date,
                    window_days: int = 28, alpha: float = 0.05, min_items: int = 10) -> EffectResult:
    """Compare a theme's (or category's) share and negative rate before and after `action_date`, vs the rest."""
    if theme is None and category is None:
        raise ConfigError("say which demand the action addressed: give a theme or a category")
    if window_days < 1:
        raise ConfigError("window_days must be at least 1")
    target, label = target_rows(frame, theme, category)
    ts = pd.to_numeric(frame["ts"], errors="coerce")
    if ts.isna().all():
        raise ConfigError("no item has a timestamp: before/after cannot be compared")
    action = to_epoch(action_date)
    # whole days: the data covers the first item's day through the last item's, so per-day rates are fair
    first, last = math.floor(ts.min() / DAY) * DAY, (math.floor(ts.max() / DAY) + 1) * DAY
    if action >= last or action <= first:
        raise ConfigError(f"the action date {_day(action)} must fall inside the data "
                          f"({_day(first)} to {_day(last - 1)})")
    negative, _ = sentiment_signals(frame)
    span = window_days * DAY
    before = _window(ts, target, negative, max(first, action - span), action)
    after = _window(ts, target, negative, action, min(last, action + span))
    notes = []
    if min(before.days, after.days) < window_days:
        notes.append(f"windows clipped to the data: {before.days:.0f} days before and {after.days:.0f} after")

    share = _two_proportions(before.target, before.items, after.target, after.items, newcombe=True)
    relative = _relative_change(before.target, before.control, after.target, after.control)
    volume = _rate_ratio(before.target, before.days, after.target, after.days)
    negative_rate = _two_proportions(before.target_negative, before.target_analysed,
                                     after.target_negative, after.target_analysed)
    did = _did(before, after)
    control_change = None
    if before.control and before.days and after.days:
        control_change = (after.control / after.days) / (before.control / before.days) - 1
    if negative.isna().all():
        notes.append("sentiment not analysed: negative rates not compared")

    outcome, route = _outcome(before, after, share, volume, negative_rate, did, alpha, min_items)
    if outcome == "too_few":
        notes.append(f"only {before.target + after.target} items about {label}: p-values are shown but not trusted")
    tests = {"share": share, "volume": volume, "did": did}
    verdict, verdict_zh = _verdicts(outcome, route, label, _day(action), window_days, before, after, tests,
                                    control_change, alpha)
    return EffectResult(label, _day(action), window_days, before, after, share, volume, relative, negative_rate, did,
                        control_change, outcome, verdict, verdict_zh, notes)


def target_rows(frame: pd.DataFrame, theme: str | None, category: str | None) -> tuple[pd.Series, str]:
    """Rows of the target demand and a readable name; unknown names fail with the valid choices."""
    mask = pd.Series(True, index=frame.index)
    names = []
    if theme is not None:
        ids = frame["theme_id"].astype(object).astype(str) if "theme_id" in frame else pd.Series("", index=frame.index)
        labels = frame["theme_label"].astype(object).fillna("").astype(str) if "theme_label" in frame else ids
        hit = (ids == str(theme)) | (labels.str.lower() == str(theme).lower())
        if not hit.any():
            known = sorted(set(frame["theme_id"].dropna().astype(str))) if "theme_id" in frame else []
            choices = ", ".join(known[:30]) or "none (run analyze)"
            raise ConfigError(f"no theme {theme!r} in the data; themes: {choices}")
        mask &= hit
        named = labels[hit].replace("", np.nan).dropna()
        names.append(named.mode().iloc[0] if len(named) else str(theme))
    if category is not None:
        hit = frame["category"].astype(object).astype(str) == str(category) if "category" in frame else mask & False
        if not hit.any():
            known = sorted(set(frame["category"].dropna().astype(str))) if "category" in frame else []
            raise ConfigError(f"no category {category!r} in the data; categories: {', '.join(known) or 'none'}")
        mask &= hit
        names.append(str(category))
    return mask, " / ".join(names)


def _window(ts: pd.Series, target: pd.Series, negative: pd.Series, lo: float, hi: float) -> Window:
    inside = (ts >= lo) & (ts < hi)
    tgt, ctl = inside & target, inside & ~target
    t_an, c_an = int(negative[tgt].notna().sum()), int(negative[ctl].notna().sum())
    t_neg, c_neg = int(negative[tgt].sum(skipna=True)), int(negative[ctl].sum(skipna=True))
    items, t = int(inside.sum()), int(tgt.sum())
    return Window(_day(lo), _day(hi - 1), (hi - lo) / DAY, items, t, t / items if items else None, t_neg, t_an,
                  t_neg / t_an if t_an else None, int(ctl.sum()), c_neg, c_an, c_neg / c_an if c_an else None)


def _two_proportions(x1: int, n1: int, x2: int, n2: int, *, newcombe: bool = False) -> Test:
    """p2 - p1 with a two-sided test: pooled z when all expected cells are >= 5, Fisher's exact otherwise."""
    if not n1 or not n2:
        return Test("not tested: nothing to compare in one window", None, None, None)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    expected = [n * q for n in (n1, n2) for q in (pooled, 1 - pooled)]
    if min(expected) >= 5:
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (p2 - p1) / se
        name, stat, p = "two-proportion z-test", z, float(2 * stats.norm.sf(abs(z)))
    else:
        odds, p = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])
        name, stat, p = "Fisher's exact test", float(odds) if np.isfinite(odds) else None, float(p)
    lo, hi = _newcombe(x1, n1, x2, n2) if newcombe else _wald(p1, n1, p2, n2)
    return Test(name, p2 - p1, stat, p, lo, hi)


def _wilson(x: int, n: int) -> tuple[float, float]:
    p, z2 = x / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def _newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p2 - p1: sound with small counts and proportions near 0."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(x1, n1)
    l2, u2 = _wilson(x2, n2)
    d = p2 - p1
    return d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def _wald(p1: float, n1: int, p2: float, n2: int) -> tuple[float, float]:
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return p2 - p1 - Z95 * se, p2 - p1 + Z95 * se


def _relative_change(t1: int, c1: int, t2: int, c2: int) -> Test:
    """Target's volume change relative to the rest's: the odds ratio of the share table, minus 1."""
    if not (t1 + t2) or not c1 or not c2:
        return Test("not tested: no items", None, None, None)
    cells = [t1, c1, t2, c2]
    if 0 in cells:
        cells = [v + 0.5 for v in cells]  # Haldane: keeps the log finite when the target vanishes
    a, b, c, d = cells
    log_or = math.log(c / a) - math.log(d / b)
    se = math.sqrt(sum(1 / v for v in cells))
    z = log_or / se
    return Test("Woolf log odds ratio (DiD on log volume)", math.exp(log_or) - 1, z, float(2 * stats.norm.sf(abs(z))),
                math.exp(log_or - Z95 * se) - 1, math.exp(log_or + Z95 * se) - 1)


def _did(before: Window, after: Window) -> Test:
    """(target after - before) - (rest after - before) of negative rates, with a Wald z-test."""
    rates = [(w.target_negative, w.target_analysed) for w in (before, after)] + \
            [(w.control_negative, w.control_analysed) for w in (before, after)]
    if any(n == 0 for _, n in rates):
        return Test("not tested: a window has no analysed items", None, None, None)
    (tb, ntb), (ta, nta), (cb, ncb), (ca, nca) = rates
    est = (ta / nta - tb / ntb) - (ca / nca - cb / ncb)
    var = sum((x / n) * (1 - x / n) / n for x, n in rates)
    if var == 0:
        return Test("difference-in-differences, Wald z-test (no variance)", est, None, None)
    z = est / math.sqrt(var)
    half = Z95 * math.sqrt(var)
    p_value = float(2 * stats.norm.sf(abs(z)))
    return Test("difference-in-differences, Wald z-test", est, z, p_value, est - half, est + half)


def _rate_ratio(x1: int, days1: float, x2: int, days2: float) -> Test:
    """Items per day after vs before: x2 ~ Binomial(x1 + x2, days2 / (days1 + days2)) if the rate is unchanged."""
    n = x1 + x2
    if not n:
        return Test("not tested: no items", None, None, None)
    q = days2 / (days1 + days2)
    result = stats.binomtest(x2, n, q)
    ci = result.proportion_ci(confidence_level=0.95, method="exact")

    def to_ratio(p: float) -> float | None:
        # unbounded when nothing came before: None rather than inf, which JSON cannot carry
        return (p / (1 - p)) * (days1 / days2) - 1 if p < 1 else None

    estimate = (x2 / days2) / (x1 / days1) - 1 if x1 else None
    return Test("exact conditional test of two Poisson rates (binomial)", estimate, None, float(result.pvalue),
                to_ratio(ci.low), to_ratio(ci.high))


def _outcome(before: Window, after: Window, share: Test, volume: Test, negative_rate: Test, did: Test,
             alpha: float, min_items: int) -> tuple[str, str | None]:
    """(outcome, route): route "share" (volume and share moved together), "sentiment", or None."""
    if before.target + after.target < min_items:
        return "too_few", None

    def significant(test: Test) -> bool:
        return test.p_value is not None and test.p_value < alpha

    volume_fell = after.target / after.days < before.target / before.days  # the estimate is None from zero
    if significant(share) and significant(volume) and (share.estimate < 0) == volume_fell:
        return ("worked" if share.estimate < 0 else "worse"), "share"
    # Share held, but the target's own negative rate moved, and by more than the rest's: an effect too.
    # Both tests are required: the rest holds other events (a price rise, an outage), so the DiD alone
    # would credit a quiet theme with whatever happened elsewhere.
    if significant(negative_rate) and significant(did) and (negative_rate.estimate < 0) == (did.estimate < 0):
        return ("worked" if did.estimate < 0 else "worse"), "sentiment"
    return "no_change", None


def _verdicts(outcome: str, route: str | None, label: str, day: str, window: int, before: Window, after: Window,
              tests: dict, control_change: float | None, alpha: float) -> tuple[str, str]:
    """English and Chinese verdicts from the same numbers."""
    share, volume, did = tests["share"], tests["volume"], tests["did"]
    # the days actually compared: a window cut by the end of the data is reported as it was
    days_before, days_after = round(before.days), round(after.days)
    analysed = before.target_analysed + after.target_analysed
    complaints = analysed > 0 and (before.target_negative + after.target_negative) / analysed >= 0.5
    what = f"Complaints about {label}" if complaints else f"Feedback about {label}"
    what_zh = f"关于「{label}」的投诉" if complaints else f"关于「{label}」的反馈"
    a, b, p = _pct(before.share), _pct(after.share), _fmt_p(share.p_value)
    neg_a, neg_b = _pct(before.negative_rate), _pct(after.negative_rate)
    if control_change is None or abs(control_change) < 0.1:
        rest, rest_zh = "the rest stayed flat", "其余反馈基本持平"
    else:
        rest = f"the rest {'rose' if control_change > 0 else 'fell'} {abs(control_change):.0%}"
        rest_zh = f"其余反馈{'增加' if control_change > 0 else '减少'}了{abs(control_change):.0%}"
    if outcome == "too_few":
        n = before.target + after.target
        en = (f"Only {n} items about {label} in the {window} days either side of {day}: too few to tell whether "
              f"the action changed anything.")
        zh = f"{day}前后各{window}天内关于「{label}」的反馈只有{n}条，数据太少，无法判断这项措施是否有效。"
    elif route == "share":
        worked = outcome == "worked"
        neg = f" Its negative rate went from {neg_a} to {neg_b}." if after.target and before.target_analysed else ""
        tail = "the action appears to have worked." if worked else "the action has not worked; the problem grew."
        en = (f"{what} {'fell' if worked else 'rose'} from {a} to {b} of feedback in the {days_after} days after "
              f"{day} ({p}), while {rest}: {tail}{neg}")
        zh = (f"{what_zh}在{day}之后的{days_after}天内占全部反馈的比例从{a}{'降至' if worked else '升至'}{b}（{p}），"
              f"{rest_zh}：{'这项措施看来有效。' if worked else '措施之后问题反而增加，看来没有奏效。'}")
    elif route == "sentiment":
        worked = outcome == "worked"
        did_p = _fmt_p(did.p_value)
        en = (f"{label} was {a} of feedback before {day} and {b} after ({p}), but its negative rate "
              f"{'fell' if worked else 'rose'} from {neg_a} to {neg_b}, against the rest ({did_p}): the action "
              f"appears to have {'improved how customers feel about it.' if worked else 'made it worse.'}")
        zh = (f"「{label}」在{day}之前占反馈的{a}，之后占{b}（{p}），但其负面比例从{neg_a}"
              f"{'降至' if worked else '升至'}{neg_b}（与其余反馈相比，{did_p}）："
              f"{'这项措施改善了客户感受。' if worked else '情况变差了。'}")
    elif share.p_value is not None and share.p_value < alpha:
        # the share moved but the theme's own volume did not: the rest of the feedback changed instead
        per_day = f"{before.target / before.days:.1f} -> {after.target / after.days:.1f} items a day"
        en = (f"No clear effect: {label} went from {a} to {b} of feedback after {day} ({p}), but only because "
              f"{rest}; its own volume ({per_day}, {_fmt_p(volume.p_value)}) did not change significantly.")
        zh = (f"没有明确效果：{day}之后「{label}」占反馈的比例从{a}变为{b}（{p}），但这是因为{rest_zh}；"
              f"它本身的数量（{per_day}，{_fmt_p(volume.p_value)}）没有显著变化。")
    else:
        en = (f"No significant change: {label} was {a} of feedback in the {days_before} days before {day} and {b} "
              f"in the {days_after} days after ({p}); any effect of the action is too small to see in this data.")
        zh = (f"没有显著变化：「{label}」在{day}之前{days_before}天占反馈的{a}，之后{days_after}天占{b}（{p}），"
              f"措施的效果（如有）在这些数据里还看不出来。")
    return en, zh


def _pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "not tested"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).date().isoformat()
