"""Effect of an action: before/after share and negative rate of a theme against the rest, with a verdict."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import pytest

from assistant.analysis.effect import evaluate_effect
from assistant.analysis.frame import frame_from_rows
from assistant.errors import ConfigError
from assistant.sample_data import EVENTS, build_records

ACTION = datetime(2026, 6, 1, tzinfo=timezone.utc)
SCORE = {"negative": -0.7, "neutral": 0.0, "positive": 0.7}


def items(theme, n, *, after, sentiment="negative", start=0, days=28):
    """n items spread evenly over the `days` before (or after) the action."""
    base = ACTION if after else ACTION - timedelta(days=days)
    return [dict(id=f"{theme}-{after}-{start + k}", text="x", theme_id=theme, theme_label=theme.replace("_", " "),
                 category="user_experience", sentiment=sentiment, sentiment_score=SCORE[sentiment],
                 ts=int((base + timedelta(seconds=(days * 86400 - 1) * k / max(n, 1))).timestamp()))
            for k in range(n)]


def rest(before, after):
    """The rest of the feedback: neutral items that are not the target."""
    quiet = "neutral"
    return items("rest", before, after=False, sentiment=quiet) + items("rest", after, after=True, sentiment=quiet)


def frame_of(*parts):
    return frame_from_rows([r for part in parts for r in part])


@lru_cache(maxsize=1)
def sample_frame():
    """The bundled sample with its ground truth standing in for the analysis columns."""
    label = {"neg": "negative", "neu": "neutral", "pos": "positive"}
    return frame_from_rows([dict(
        id=r.id, text=r.text, ts=int(r.ts.timestamp()), channel=r.kind, category=r.category, theme_id=r.theme,
        theme_label=r.theme.replace("_", " "), sentiment=label[r.sentiment],
        sentiment_score=SCORE[label[r.sentiment]]) for r in build_records()])


def test_a_planted_drop_is_significant_and_called_a_success():
    frame = frame_of(items("crash", 30, after=False), items("crash", 3, after=True),
                     rest(270, 297))
    result = evaluate_effect(frame, theme="crash", action_date="2026-06-01")
    assert (result.before.items, result.before.target, result.after.items, result.after.target) == (300, 30, 300, 3)
    assert result.before.share == 0.1 and result.after.share == 0.01
    assert result.share.name == "two-proportion z-test" and result.share.p_value < 1e-5
    assert result.share.estimate == pytest.approx(-0.09) and result.share.ci_high < 0
    assert result.volume.estimate == pytest.approx(-0.9) and result.volume.p_value < 1e-5
    assert result.relative_change.estimate == pytest.approx((3 / 297) / (30 / 270) - 1)
    assert result.outcome == "worked"
    assert result.verdict.startswith(
        "Complaints about crash fell from 10% to 1.0% of feedback in the 28 days after 2026-06-01 (p < 0.001), "
        "while the rest rose 10%: the action appears to have worked")
    assert "有效" in result.verdict_zh and "2026-06-01" in result.verdict_zh
    json.dumps(result.to_dict())


def test_no_change_is_reported_as_such():
    frame = frame_of(items("delivery", 20, after=False), items("delivery", 21, after=True),
                     rest(200, 205))
    result = evaluate_effect(frame, theme="delivery", action_date="2026-06-01")
    assert result.outcome == "no_change" and result.share.p_value > 0.5
    assert result.verdict.startswith("No significant change") and "没有显著变化" in result.verdict_zh


def test_a_share_that_fell_only_because_the_rest_grew_is_not_credited():
    frame = frame_of(items("ui", 20, after=False), items("ui", 20, after=True),
                     rest(100, 300))
    result = evaluate_effect(frame, theme="ui", action_date="2026-06-01")
    assert result.share.p_value < 0.001 and result.volume.p_value == 1.0
    assert result.outcome == "no_change" and result.verdict.startswith("No clear effect")
    assert "the rest rose 200%" in result.verdict


def test_a_drop_in_the_negative_rate_alone_counts_when_the_rest_held():
    frame = frame_of(items("support", 32, after=False), items("support", 8, after=False, sentiment="neutral", start=32),
                     items("support", 8, after=True), items("support", 32, after=True, sentiment="neutral", start=8),
                     rest(200, 200))
    result = evaluate_effect(frame, theme="support", action_date="2026-06-01")
    assert result.share.p_value == 1.0 and result.negative_rate.estimate == pytest.approx(-0.6)
    assert result.negative_did.p_value < 0.001 and result.outcome == "worked"
    assert "negative rate fell from 80% to 20%" in result.verdict


def test_tiny_targets_get_fisher_and_a_verdict_that_says_too_few():
    frame = frame_of(items("sso", 2, after=False), items("sso", 0, after=True),
                     rest(50, 50))
    result = evaluate_effect(frame, theme="sso", action_date="2026-06-01")
    assert result.share.name == "Fisher's exact test" and result.share.p_value is not None
    assert result.outcome == "too_few" and result.verdict.startswith("Only 2 items about sso")
    assert any("not trusted" in note for note in result.notes)
    assert result.after.negative_rate is None


def test_windows_are_clipped_to_the_data_and_said():
    frame = frame_of(items("a", 10, after=False, days=7), items("a", 10, after=True, days=7),
                     items("rest", 50, after=False, days=7, sentiment="neutral"),
                     items("rest", 50, after=True, days=7, sentiment="neutral"))
    result = evaluate_effect(frame, theme="a", action_date="2026-06-01", window_days=28)
    assert result.before.days == pytest.approx(7, abs=0.01) and result.after.days == pytest.approx(7, abs=0.01)
    assert any("clipped" in note for note in result.notes)
    assert "7 days before" in result.verdict and "the 7 days after" in result.verdict


def test_bad_requests_fail_with_what_to_do():
    frame = frame_of(items("crash", 3, after=False), items("crash", 3, after=True))
    with pytest.raises(ConfigError, match="themes: crash"):
        evaluate_effect(frame, theme="nope", action_date="2026-06-01")
    with pytest.raises(ConfigError, match="inside the data"):
        evaluate_effect(frame, theme="crash", action_date="2027-01-01")
    with pytest.raises(ConfigError, match="theme or a category"):
        evaluate_effect(frame, action_date="2026-06-01")
    assert evaluate_effect(frame, category="user_experience", action_date="2026-06-01").target == "user_experience"


# --- the bundled sample: planted events found without being told -----------------------------------------

def test_sample_fix_date_shows_a_significant_drop_that_worked():
    fixed = next(e for e in EVENTS if e["kind"] == "fixed")
    result = evaluate_effect(sample_frame(), theme=fixed["theme"], action_date=fixed["fix_date"])
    assert result.outcome == "worked" and result.share.p_value < 0.001 and result.volume.p_value < 0.001
    assert result.before.share > 0.03 and result.after.share < 0.015
    assert "appears to have worked" in result.verdict and "有效" in result.verdict_zh


def test_sample_placebo_date_for_a_steady_theme_shows_no_change():
    # delivery_late never changes in the generator; 2026-10-19 is clear of every planted event's windows
    result = evaluate_effect(sample_frame(), theme="delivery_late", action_date="2026-10-19")
    assert result.outcome == "no_change" and result.share.p_value > 0.2
    assert result.verdict.startswith("No significant change")
    # and the same theme, same date, by its readable label
    assert evaluate_effect(sample_frame(), theme="Delivery Late", action_date="2026-10-19").outcome == "no_change"
