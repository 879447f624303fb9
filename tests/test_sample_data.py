"""The bundled sample data: deterministic, big and varied enough, bilingual, and carrying its planted events."""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from assistant import sample_texts
from assistant.sample_data import (
    DEFAULT_START,
    EVENTS,
    FIX_DAY,
    OUTAGE_DAY,
    PRICE_DAY,
    build_records,
    events_for,
    generate_sample,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}")
PHONE = re.compile(r"\+1 \d{3}-555-\d{4}|(?<!\d)1[3-9]\d{9}(?!\d)")
SMALL = 0.1


@pytest.fixture(scope="module")
def records():
    """The default-size sample, in memory (about 0.1 s)."""
    return build_records()


def week_of(record) -> int:
    return (record.ts.date() - DEFAULT_START).days // 7 + 1


def test_same_arguments_give_byte_identical_files(tmp_path):
    first = generate_sample(tmp_path / "a" / "sample", scale=SMALL, labels_path=tmp_path / "a" / "labels.csv")
    second = generate_sample(tmp_path / "b" / "sample", scale=SMALL, labels_path=tmp_path / "b" / "labels.csv")
    assert [p.name for p in first] == ["support_tickets.csv", "app_reviews.jsonl", "social_posts.json", "nps_survey.xlsx"]
    for a, b in zip(first + [tmp_path / "a" / "labels.csv"], second + [tmp_path / "b" / "labels.csv"]):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = generate_sample(tmp_path / "c", seed=8, scale=SMALL)
    assert other[0].read_bytes() != first[0].read_bytes()


def test_gbk_csv_fallback_is_deterministic_and_chinese(tmp_path):
    a = generate_sample(tmp_path / "a", scale=SMALL, nps_format="csv")[3]
    b = generate_sample(tmp_path / "b", scale=SMALL, nps_format="csv")[3]
    assert a.name == "nps_survey.csv" and a.read_bytes() == b.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        a.read_bytes().decode("utf-8")
    rows = list(csv.reader(a.read_text(encoding="gbk").splitlines()))
    assert rows[0] == ["编号", "日期", "客户ID", "客户名称", "客户类型", "评分", "反馈"]
    assert all(re.fullmatch(r"2026年\d{1,2}月\d{1,2}日", r[1]) for r in rows[1:])
    with pytest.raises(ValueError):
        generate_sample(tmp_path / "c", scale=SMALL, nps_format="ods")


def test_default_size_and_span(records):
    assert 2000 <= len(records) <= 3500
    days = (records[-1].ts.date() - records[0].ts.date()).days
    assert days >= 12 * 7
    assert [r.ts for r in records] == sorted(r.ts for r in records)
    assert len({r.id for r in records}) == len(records)
    assert len(build_records(scale=SMALL)) < len(records) / 5


def test_files_are_readable_and_carry_no_ground_truth(tmp_path):
    paths = generate_sample(tmp_path / "sample", scale=SMALL)
    tickets, reviews, social, nps = paths
    assert not (tmp_path / "sample" / "labels").exists() and len(list((tmp_path / "sample").iterdir())) == 4
    with tickets.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["ticket_id", "created_at", "customer_id", "customer_name", "tier", "channel", "product",
                             "subject", "body"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", r["created_at"]) for r in rows)
    assert any("\n" in r["body"] for r in rows)  # multi-line bodies exercise quoted CSV fields
    lines = [json.loads(line) for line in reviews.read_text(encoding="utf-8").splitlines()]
    assert set(lines[0]) == {"id", "date", "user", "platform", "app_version", "rating", "text"}
    assert all(1 <= r["rating"] <= 5 and r["platform"] in ("iOS", "Android") for r in lines)
    assert datetime.fromisoformat(lines[0]["date"].replace("Z", "+00:00")).tzinfo is not None
    posts = json.loads(social.read_text(encoding="utf-8"))
    assert isinstance(posts, list) and all(isinstance(p["time"], int) for p in posts)
    assert {p["platform"] for p in posts} >= {"twitter", "weibo"}
    openpyxl = pytest.importorskip("openpyxl")
    sheet = openpyxl.load_workbook(nps).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("编号", "日期", "客户ID", "客户名称", "客户类型", "评分", "反馈")
    assert all(re.fullmatch(r"2026年\d{1,2}月\d{1,2}日", v[1]) and 0 <= v[5] <= 10 for v in values[1:])
    everything = b"".join(p.read_bytes() for p in paths[:3]).decode("utf-8")
    for label in ("product_feature", "service_quality", "user_experience", "price_increase", "sentiment"):
        assert label not in everything


def test_labels_match_the_written_files(tmp_path):
    labels = tmp_path / "sample_labels.csv"
    paths = generate_sample(tmp_path / "sample", scale=SMALL, labels_path=labels)
    with labels.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with paths[0].open(encoding="utf-8", newline="") as fh:
        tickets = {r["ticket_id"]: r["body"] for r in csv.DictReader(fh)}
    posts = {p["id"]: p["text"] for p in json.loads(paths[2].read_text(encoding="utf-8"))}
    assert len(rows) == len(build_records(scale=SMALL))
    for row in rows:
        assert row["sentiment"] in ("negative", "neutral", "positive")
        assert row["category"] in sample_texts.CATEGORIES
        if row["file"] == "support_tickets.csv":
            assert tickets[row["id"]] == row["text"]
        elif row["file"] == "social_posts.json":
            assert posts[row["id"]] == row["text"]


def test_language_mix(records):
    share = {k: v / len(records) for k, v in Counter(r.lang for r in records).items()}
    assert 0.50 <= share["en"] <= 0.62 and 0.33 <= share["zh"] <= 0.46 and 0.02 <= share["mixed"] <= 0.08
    for r in records:
        has_cjk = bool(CJK.search(r.text))
        has_latin_words = bool(re.search(r"[A-Za-z]{3,}", CJK.sub("", r.text)))
        if r.lang == "en":
            assert not has_cjk, r.text
        elif r.lang == "zh":
            assert has_cjk, r.text
        else:
            assert has_cjk and has_latin_words, r.text


def test_sentiment_mix_and_ratings(records):
    share = {k: v / len(records) for k, v in Counter(r.sentiment for r in records).items()}
    assert 0.45 <= share["neg"] <= 0.55 and 0.20 <= share["neu"] <= 0.30 and 0.20 <= share["pos"] <= 0.30
    for kind in ("app_review", "nps_survey"):
        mean = {s: statistics.mean(r.rating for r in records if r.kind == kind and r.sentiment == s)
                for s in ("neg", "neu", "pos")}
        assert mean["neg"] < mean["neu"] < mean["pos"], (kind, mean)


def test_all_categories_with_several_themes(records):
    themes = {}
    for r in records:
        themes.setdefault(r.category, set()).add(r.theme)
    assert set(themes) == set(sample_texts.CATEGORIES)
    assert all(len(t) >= 4 for t in themes.values()), themes


def test_every_theme_can_be_written_in_both_languages():
    for name, spec in sample_texts.THEMES.items():
        assert spec["category"] in sample_texts.CATEGORIES
        for lang in ("en", "zh"):
            sentiments = [s for s, p in zip(("neg", "neu", "pos"), spec["sent"]) if p > 0]
            assert any(s in spec[lang] for s in sentiments), (name, lang)
            for bodies in spec[lang].values():
                for body in bodies:
                    body.encode("gbk")  # NPS comments may be written as GBK


def test_texts_are_varied(records):
    texts = [r.text for r in records]
    assert (len(texts) - len(set(texts))) / len(texts) < 0.03
    lengths = [len(t) for t in texts]
    assert sum(n <= 8 for n in lengths) >= 20  # "great", "太差了"
    assert sum(n >= 200 for n in lengths) >= 20  # several sentences
    assert all("{" not in t and "}" not in t for t in texts)


def test_personal_data_present_in_a_few_texts(records):
    with_pii = [r for r in records if EMAIL.search(r.text) or PHONE.search(r.text)]
    assert 0.01 * len(records) <= len(with_pii) <= 0.10 * len(records)
    assert any(EMAIL.search(r.text) for r in with_pii) and any(PHONE.search(r.text) for r in with_pii)
    assert any(r.lang == "zh" and PHONE.search(r.text) for r in with_pii)


def test_repeat_customers_and_tiers(records):
    per_customer = Counter(r.customer_id for r in records if r.customer_id)
    assert 250 <= len(per_customer) <= 300
    assert sum(n >= 3 for n in per_customer.values()) >= 100
    tiers = Counter(c.tier for c in {r.customer.id: r.customer for r in records if r.customer}.values())
    assert 0 < tiers["enterprise"] < tiers["pro"] < tiers["free"]
    assert all(re.fullmatch(r"C\d{4}", cid) for cid in per_customer)
    assert any(r.kind == "support_ticket" and CJK.search(r.customer.name) for r in records)


def test_enterprise_customers_have_their_own_top_complaint(records):
    complaints = Counter(r.theme for r in records if r.customer and r.customer.tier == "enterprise" and r.sentiment == "neg")
    assert complaints.most_common(1)[0][0] == "invoicing"
    assert {"account_manager", "sso", "bulk_orders"} <= set(complaints)


def test_weekends_are_quieter(records):
    per_day = Counter(r.ts.date() for r in records)
    weekday = statistics.mean(n for d, n in per_day.items() if d.weekday() < 5 and d != DEFAULT_START + timedelta(OUTAGE_DAY))
    weekend = statistics.mean(n for d, n in per_day.items() if d.weekday() >= 5)
    assert weekend < 0.8 * weekday


def test_price_increase_spikes_then_stays_above_baseline(records):
    pricing = Counter(week_of(r) for r in records if r.category == "pricing")
    event_week = PRICE_DAY // 7 + 1
    baseline = statistics.mean(pricing[w] for w in range(1, event_week))
    assert pricing[event_week] > 3 * baseline
    assert pricing[event_week + 1] > 1.5 * baseline
    assert statistics.mean(pricing[w] for w in range(event_week + 2, 15)) > baseline
    mentions = [r for r in records if r.theme == "price_increase"]
    assert min(r.ts for r in mentions).date() == DEFAULT_START + timedelta(PRICE_DAY)


def test_outage_day_burst(records):
    per_day = Counter(r.ts.date() for r in records)
    outage = DEFAULT_START + timedelta(OUTAGE_DAY)
    assert per_day[outage] > 2.5 * statistics.median(per_day.values())
    assert per_day[outage] == max(per_day.values())
    that_day = [r for r in records if r.ts.date() == outage]
    about_it = [r for r in that_day if r.theme == "outage_login"]
    assert len(about_it) > len(that_day) / 2
    assert Counter(r.kind for r in about_it).most_common(1)[0][0] == "social_post"
    assert all(r.ts.date() in (outage, outage + timedelta(1)) for r in records if r.theme == "outage_login")


def test_pause_requests_are_steady_and_growing(records):
    pause = [r for r in records if r.theme == "pause_subscription"]
    weekly = Counter(week_of(r) for r in pause)
    assert all(weekly[w] >= 2 for w in range(1, 15))
    assert sum(weekly[w] for w in range(11, 15)) > sum(weekly[w] for w in range(1, 5))
    assert len({r.customer_id for r in pause if r.customer_id}) >= 40


def test_fixed_android_crash_falls_to_a_residual(records):
    fix = DEFAULT_START + timedelta(FIX_DAY)
    crash = [r for r in records if r.theme == "android_checkout_crash" and r.sentiment == "neg"]
    before = sum(r.ts.date() < fix for r in crash) / (FIX_DAY / 7)
    after = sum(r.ts.date() >= fix for r in crash) / (14 - FIX_DAY / 7)
    assert before >= 8 and after < before / 5
    reviews = [r for r in records if r.theme == "android_checkout_crash" and r.kind == "app_review"]
    assert all(r.platform == "Android" for r in reviews)
    assert all(r.app_version.startswith("4.3") for r in reviews if r.ts.date() >= fix)


def test_events_constant_describes_the_planted_events():
    assert EVENTS == events_for(DEFAULT_START, 14)
    by_name = {e["name"]: e for e in EVENTS}
    assert set(by_name) == {"price_increase", "outage", "pause_subscription", "android_checkout_crash"}
    assert by_name["price_increase"]["start"] == "2026-09-07" and by_name["price_increase"]["week"] == 6
    assert by_name["outage"]["start"] == "2026-09-29" and by_name["outage"]["week"] == 9
    assert by_name["android_checkout_crash"]["fix_date"] == "2026-09-21"
    for event in EVENTS:
        assert {"name", "kind", "start", "end", "category", "theme", "keywords", "description"} <= set(event)
        assert event["category"] == sample_texts.THEMES[event["theme"]]["category"]
        assert date.fromisoformat(event["start"]) <= date.fromisoformat(event["end"])
    assert [e["name"] for e in events_for(DEFAULT_START, 7)] == ["price_increase", "pause_subscription"]
    assert [e["name"] for e in events_for(DEFAULT_START, 5)] == ["pause_subscription"]


def test_timestamps_are_utc_and_inside_the_span(records):
    end = datetime.combine(DEFAULT_START + timedelta(14 * 7), datetime.min.time(), tzinfo=timezone.utc)
    assert all(r.ts.tzinfo is timezone.utc and r.ts < end for r in records)
    shifted = build_records(start=date(2027, 1, 4), weeks=13, scale=SMALL)
    assert shifted[0].ts.date() >= date(2027, 1, 4)
    assert shifted[-1].ts.date() < date(2027, 1, 4) + timedelta(13 * 7)
