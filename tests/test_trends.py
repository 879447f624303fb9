"""Trends: per-period counts and sentiment, spikes against a stated baseline test, and emerging groups."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import pytest
from scipy import stats

from assistant.analysis.frame import frame_from_rows
from assistant.analysis.trends import ALL, to_epoch, trends
from assistant.errors import ConfigError
from assistant.sample_data import EVENTS, build_records

START = datetime(2026, 3, 2, tzinfo=timezone.utc)  # a Monday
SCORE = {"negative": -0.7, "neutral": 0.0, "positive": 0.7}


def rows_for(weekly: dict[str, list[int]], *, sentiment="neutral", category="product_feature"):
    """Items spread over each week's days: {theme: [count in week 1, week 2, ...]}."""
    rows = []
    for theme, counts in weekly.items():
        for week, n in enumerate(counts):
            for k in range(n):
                when = START + timedelta(days=7 * week + k % 7, hours=9 + k % 8)
                rows.append(dict(id=f"{theme}-{week}-{k}", text="x", ts=int(when.timestamp()), theme_id=theme,
                                 theme_label=theme, category=category, sentiment=sentiment,
                                 sentiment_score=SCORE[sentiment]))
    return rows


@lru_cache(maxsize=1)
def sample_frame():
    """The bundled sample with its ground truth standing in for the analysis columns."""
    label = {"neg": "negative", "neu": "neutral", "pos": "positive"}
    return frame_from_rows([dict(
        id=r.id, text=r.text, ts=int(r.ts.timestamp()), channel=r.kind, source=r.kind,
        customer_id=r.customer_id or None, tier=r.customer.tier if r.customer else None, category=r.category,
        theme_id=r.theme, theme_label=r.theme.replace("_", " "), sentiment=label[r.sentiment],
        sentiment_score=SCORE[label[r.sentiment]]) for r in build_records()])


def test_a_planted_weekly_spike_is_flagged_with_its_test_and_numbers():
    frame = frame_from_rows(rows_for({"billing": [10, 11, 9, 10, 12, 10, 40, 10], "menu": [20] * 8}))
    report = trends(frame, by="theme")
    spikes = [s for s in report.spikes if s.group != ALL]
    assert [(s.group, s.period, s.count) for s in spikes] == [("billing", "2026-W16", 40)]
    spike = spikes[0]
    assert spike.start == "2026-04-13" and spike.expected == 10.0 and spike.ratio == 4.0
    assert spike.p_value == pytest.approx(stats.poisson.sf(39, 10.0)) and spike.p_value < 1e-9
    assert "Poisson" in spike.test and "previous 6 weeks" in spike.test and "Bonferroni" in spike.test
    assert "billing in 2026-W16" in report.summary()


def test_noise_and_small_groups_are_not_spikes():
    frame = frame_from_rows(rows_for({"steady": [30, 34, 27, 31, 36, 29, 33, 38], "rare": [0, 1, 0, 0, 2, 0, 0, 4]}))
    assert [s for s in trends(frame, by="theme").spikes if s.group != ALL] == []


def test_a_new_theme_is_emerging_and_a_steady_one_is_not():
    frame = frame_from_rows(rows_for({"steady": [20] * 8, "fresh": [0] * 6 + [6, 9]}))
    report = trends(frame, by="theme")
    assert [(e.group, e.new, e.recent_count, e.earlier_count) for e in report.emerging] == [("fresh", True, 15, 0)]
    fresh = report.emerging[0]
    assert fresh.first_seen == "2026-04-13" and fresh.rate_ratio is None and fresh.p_value < 1e-6
    assert "binomial" in fresh.test


def test_a_theme_growing_in_share_is_emerging():
    frame = frame_from_rows(rows_for({"steady": [40] * 8, "rising": [3, 2, 3, 3, 2, 3, 15, 18]}))
    (rising,) = trends(frame, by="theme").emerging
    assert rising.group == "rising" and not rising.new and rising.rate_ratio > 4


def test_table_counts_shares_and_sentiment_per_period():
    rows = rows_for({"a": [4, 2]}, sentiment="negative") + rows_for({"b": [4, 6]}, sentiment="positive")
    report = trends(frame_from_rows(rows), by="theme")
    week1 = report.table[report.table["period"] == "2026-W10"].set_index("group")
    assert week1.loc["a", "count"] == 4 and week1.loc["a", "share"] == 0.5
    assert week1.loc["a", "negative_share"] == 1.0 and week1.loc["b", "mean_sentiment"] == pytest.approx(0.7)
    totals = report.totals.set_index("period")
    assert totals.loc["2026-W11", "count"] == 8 and totals.loc["2026-W11", "negative_share"] == 0.25
    assert report.table.groupby("period")["share"].sum().round(9).eq(1).all()
    json.dumps(report.to_dict())


def test_missing_sentiment_leaves_rates_empty_and_says_so():
    rows = [{k: v for k, v in r.items() if not k.startswith("sentiment")} for r in rows_for({"a": [3, 3]})]
    report = trends(frame_from_rows(rows), by="theme")
    assert report.table["negative_share"].isna().all() and any("not analysed" in n for n in report.notes)


def test_daily_spikes_compare_like_with_like_across_weekdays():
    """Weekends at half volume are not spikes on Mondays; a real spike on a Tuesday still is."""
    rows = []
    for day in range(35):
        weekday = (START + timedelta(days=day)).weekday()
        n = 60 if day == 29 else (8 if weekday >= 5 else 16)
        rows += [dict(id=f"{day}-{k}", text="x", ts=int((START + timedelta(days=day, hours=k % 20)).timestamp()),
                      category="user_experience") for k in range(n)]
    report = trends(frame_from_rows(rows), interval="day")
    assert {(s.group, s.period) for s in report.spikes} == {("user_experience", "2026-03-31"), (ALL, "2026-03-31")}


def test_since_limits_the_table_but_baselines_use_earlier_history():
    frame = frame_from_rows(rows_for({"billing": [10, 11, 9, 10, 12, 10, 40, 10]}))
    report = trends(frame, by="theme", since="2026-04-13")
    assert list(report.totals["period"]) == ["2026-W16", "2026-W17"]
    assert ("billing", "2026-W16") in {(s.group, s.period) for s in report.spikes}


def test_bad_options_fail_with_the_valid_choices():
    frame = frame_from_rows(rows_for({"a": [1]}))
    with pytest.raises(ConfigError, match="interval"):
        trends(frame, interval="month")
    with pytest.raises(ConfigError, match="category"):
        trends(frame, by="colour")
    assert to_epoch("2026-03-02", end=True) - to_epoch("2026-03-02") == 86400


# --- the bundled sample: planted events found without being told -----------------------------------------

def test_sample_price_increase_week_is_a_pricing_spike():
    price = next(e for e in EVENTS if e["name"] == "price_increase")
    report = trends(sample_frame(), by="category", interval="week")
    flagged = {(s.group, s.start) for s in report.spikes}
    assert ("pricing", price["start"]) in flagged
    pricing = next(s for s in report.spikes if (s.group, s.start) == ("pricing", price["start"]))
    assert pricing.count > 3 * pricing.expected and pricing.p_value < 1e-10
    # and nothing is flagged in the quiet weeks before it
    assert not [s for s in report.spikes if s.start < price["start"]]


def test_sample_outage_day_is_flagged_by_daily_trends():
    outage = next(e for e in EVENTS if e["name"] == "outage")
    report = trends(sample_frame(), interval="day")
    days = {(s.group, s.period) for s in report.spikes}
    assert ("user_experience", outage["start"]) in days and (ALL, outage["start"]) in days
    # every category spike is on a planted event's days: the outage or the price increase's first week
    price_day = datetime.fromisoformat(next(e for e in EVENTS if e["name"] == "price_increase")["start"])
    event_days = {outage["start"]} | {(price_day + timedelta(days=d)).date().isoformat() for d in range(7)}
    assert {s.period for s in report.spikes if s.group != ALL} <= event_days


def test_sample_new_themes_emerge_when_they_appear():
    frame = sample_frame()
    price = trends(frame, by="theme", until="2026-09-20").emerging
    assert price[0].group == "price_increase" and price[0].new and price[0].first_seen == "2026-09-07"
    outage = trends(frame, by="theme", until="2026-10-04").emerging
    assert ("outage_login", True) in {(e.group, e.new) for e in outage}
    assert not math.isnan(trends(frame, by="theme").table["mean_sentiment"].mean())
