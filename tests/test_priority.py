"""Priority: urgency cues, item triage, and demands ranked by importance x urgency with a breakdown that adds up."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.analysis.cues import cue_score, find_cues
from assistant.analysis.frame import frame_from_rows
from assistant.analysis.priority import IMPORTANCE, URGENCY, PriorityWeights, item_priority, rank_demands
from assistant.sample_data import build_records

START = datetime(2026, 3, 2, tzinfo=timezone.utc)  # a Monday
SCORE = {"negative": -0.7, "neutral": 0.0, "positive": 0.7}


def row(i, day, theme, *, sentiment="neutral", text="ok", category=None, tier=None, customer=None, rating=None,
        hour=12):
    return dict(id=f"i{i}", text=text, ts=int((START + timedelta(days=day, hours=hour)).timestamp()),
                theme_id=theme, theme_label=theme.replace("_", " "), category=category or "product_feature",
                sentiment=sentiment, sentiment_score=SCORE[sentiment], tier=tier, customer_id=customer or f"c{i}",
                rating=rating, source="s.csv", channel="support_ticket")


@lru_cache(maxsize=1)
def sample_frame():
    """The bundled sample with its ground truth standing in for the analysis columns."""
    label = {"neg": "negative", "neu": "neutral", "pos": "positive"}
    return frame_from_rows([dict(
        id=r.id, text=r.text, ts=int(r.ts.timestamp()), channel=r.kind, source=r.kind, lang=r.lang,
        customer_id=r.customer_id or None, tier=r.customer.tier if r.customer else None, rating=r.rating,
        category=r.category, categories=[r.category], theme_id=r.theme, theme_label=r.theme.replace("_", " "),
        sentiment=label[r.sentiment], sentiment_score=SCORE[label[r.sentiment]]) for r in build_records()])


# --- cues -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, group", [
    ("I cancelled last week", "churn"), ("Thinking about cancelling.", "churn"), ("cancellation fee??", "churn"),
    ("Still no refund", "refund"), ("I will sue", "legal"), ("got sick after the chicken", "safety"),
    ("app down again, 502", "outage"), ("鲜盒app down", "outage"), ("我要退款", "refund"), ("再这样就退订了", "churn"),
    ("我要投诉", "legal"), ("打12315", "legal"), ("必须曝光你们", "exposure"), ("无法取消订阅", "churn"),
])
def test_cues_match_inflections_and_chinese_substrings(text, group):
    assert group in {h.group for h in find_cues(text)}


@pytest.mark.parametrize("text", [
    "I won't cancel, just asking", "Not urgent.", "不想退订，想暂停", "had an issue, sorted", "let me download recipes",
    "I'm sick of waiting for the menu", "",
])
def test_cues_ignore_negations_and_lookalike_words(text):
    assert find_cues(text) == () and cue_score(text) == 0


def test_a_cancelled_order_is_not_a_churn_threat():
    assert [h.group for h in find_cues("Still no refund for the cancelled order")] == ["refund"]
    assert [h.group for h in find_cues("取消订单后一直没退款")] == ["refund"]


def test_cue_score_combines_groups_without_exceeding_one():
    one, two = cue_score("please refund me"), cue_score("please refund me or I cancel and call my lawyer")
    assert 0 < one < two <= 1
    assert one == pytest.approx(0.6) and two == pytest.approx(1 - 0.4 * 0.2 * 0.0)


# --- item priority ----------------------------------------------------------------------------------------

def test_item_priority_puts_an_angry_enterprise_churn_threat_above_a_calm_question():
    frame = frame_from_rows([
        row(1, 10, "t", sentiment="negative", text="Charged twice, refund me or I cancel", tier="enterprise"),
        row(2, 10, "t", sentiment="neutral", text="Is the box recyclable?", tier="free"),
        row(3, 10, "t", sentiment="positive", text="Refund was fast, thanks", tier="enterprise"),
        row(4, 0, "t", sentiment="negative", text="Charged twice, refund me or I cancel", tier="enterprise"),
    ])
    p = item_priority(frame)
    assert p.between(0, 100).all()
    assert p[0] > p[3] > p[1]  # same complaint, the older one is less urgent; both beat a calm question
    assert p[2] < p[0]  # a refund word in praise is not urgent


def test_item_priority_scores_items_without_a_rating_on_their_other_signals():
    frame = frame_from_rows([row(1, 0, "t", sentiment="negative", rating=1),
                             row(2, 0, "t", sentiment="negative", rating=None)])
    p = item_priority(frame)
    assert p[1] > 40 and abs(p[0] - p[1]) < 15


# --- demands ----------------------------------------------------------------------------------------------

def _synthetic():
    rows, i = [], 0
    for day in range(28):
        for _ in range(1 if day < 14 else 3):  # grows: 14 items in the first half, 42 in the second
            i += 1
            rows.append(row(i, day, "double_charge", category="pricing", sentiment="negative",
                            text="charged twice, refund now or I cancel", tier="pro"))
        i += 1
        rows.append(row(i, day, "dark_mode", sentiment="neutral", text="please add dark mode"))
        for _ in range(3):
            i += 1
            rows.append(row(i, day, "praise", category="other", sentiment="positive", text="love it"))
    i += 1
    rows.append(row(i, 27, "sso", sentiment="negative", text="need SSO", tier="enterprise"))
    return frame_from_rows(rows)


def test_rank_demands_orders_by_importance_times_urgency_and_the_breakdown_adds_up():
    demands = rank_demands(_synthetic())
    keys = [d.key for d in demands]
    assert keys[0] == "double_charge" and keys[-1] == "praise"
    for d in demands:
        assert 0 <= d.priority <= 100
        assert d.priority == pytest.approx(100 * d.importance * d.urgency_score, abs=0.06)
        importance = sum(d.breakdown[k]["contribution"] for k in IMPORTANCE) * d.breakdown["gate"]["factor"]
        urgency = 0.5 + 0.5 * sum(d.breakdown[k]["contribution"] for k in URGENCY)
        assert d.importance == pytest.approx(importance, abs=1e-3)
        assert d.urgency_score == pytest.approx(urgency, abs=1e-3)
    top = demands[0]
    assert (top.count, top.growth.previous, top.growth.current) == (56, 14, 42)
    assert top.growth.basis == "first half of the window" and top.growth.p_value < 0.05
    assert top.negative_share == 1.0 and top.urgency.groups == {"refund": 56, "churn": 56}
    assert top.breakdown["persistence"]["score"] == 1.0 and len(top.evidence) == 5
    praise = demands[-1]
    assert praise.breakdown["gate"]["factor"] == pytest.approx(0.3 * 0.5)  # all praise, and category "other"
    text = top.explain()
    assert "56 items" in text and "14 -> 42" in text and "refund 56" in text


def test_growth_compares_with_the_previous_window_of_equal_length():
    frame = _synthetic()
    since = (START + timedelta(days=21)).date().isoformat()
    until = (START + timedelta(days=27)).date().isoformat()
    top = rank_demands(frame, since=since, until=until)[0]
    assert top.key == "double_charge"
    assert top.growth.basis == "previous window" and (top.growth.previous, top.growth.current) == (21, 21)
    assert (top.growth.previous_start, top.growth.previous_end) == ("2026-03-16", "2026-03-22")
    assert top.breakdown["growth"]["score"] == 0


def test_tiny_groups_and_missing_analysis_columns_are_handled_and_said():
    frame = frame_from_rows([{"id": "a", "text": "refund please", "ts": 1_700_000_000, "theme_id": "t1"},
                             {"id": "b", "text": "hello", "ts": 1_700_086_400, "theme_id": None}])
    demands = rank_demands(frame, include_unassigned=True)
    assert {d.key for d in demands} == {"t1", "unassigned"}
    assert {d.key for d in rank_demands(frame, group="theme")} == {"t1"}  # items in no theme are not a demand
    assert rank_demands(frame)[0].share == 0.5  # ... but they count in the total
    t1 = next(d for d in demands if d.key == "t1")
    assert t1.negative_share is None and t1.breakdown["negativity"]["note"] == "sentiment not analysed"
    assert "no tier or revenue data" in t1.breakdown["customer_value"]["note"]
    assert t1.urgency.groups == {"refund": 1}
    json.dumps([d.to_dict() for d in demands])


def test_ranking_does_not_depend_on_row_order():
    frame = _synthetic()
    shuffled = frame.sample(frac=1, random_state=3).reset_index(drop=True)
    assert [(d.key, d.priority, d.evidence) for d in rank_demands(frame)] == \
           [(d.key, d.priority, d.evidence) for d in rank_demands(shuffled)]


def test_revenue_column_beats_tier_for_customer_value():
    rows = [row(i, 0, "big" if i < 3 else "small", customer=f"c{i}") | {"x_arr": 1000 * i} for i in range(6)]
    by_key = {d.key: d for d in rank_demands(frame_from_rows(rows))}
    assert by_key["small"].customer_value > by_key["big"].customer_value


def test_weights_nest_in_settings_from_the_environment(monkeypatch):
    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_nested_delimiter="__")
        priority: PriorityWeights = PriorityWeights()

    monkeypatch.setenv("ASSISTANT_PRIORITY__VOLUME", "0.9")
    weights = Settings().priority
    assert weights.volume == 0.9 and weights.cues == PriorityWeights().cues
    assert rank_demands(_synthetic(), weights=weights)[0].breakdown["volume"]["weight"] == 0.9


# --- the bundled sample: planted events found without being told -----------------------------------------

def test_sample_pause_subscription_is_a_top_demand_and_the_top_request():
    demands = rank_demands(sample_frame())
    keys = [d.key for d in demands]
    pause = demands[keys.index("pause_subscription")]
    assert keys.index("pause_subscription") < 10, keys[:10]
    assert pause.persistence == 1.0 and pause.customers >= 60
    requests = [d.key for d in demands if d.negative_share < 0.5 and d.breakdown["gate"]["praise_share"] < 0.5]
    assert requests[0] == "pause_subscription"
    # the fixed Android crash has gone quiet, and the ranking knows it
    crash = demands[keys.index("android_checkout_crash")]
    assert crash.recency < 0.2 and keys.index("android_checkout_crash") > keys.index("pause_subscription")


def test_sample_price_increase_and_outage_top_their_windows():
    frame = sample_frame()
    price = rank_demands(frame, since="2026-09-07", until="2026-09-20")[0]
    assert price.key == "price_increase" and price.growth.previous == 0 and price.growth.p_value < 1e-6
    outage = rank_demands(frame, since="2026-09-29", until="2026-09-29")[0]
    assert outage.key == "outage_login" and outage.urgency.groups.get("outage", 0) >= 20
