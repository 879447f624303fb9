"""Time expressions in questions, English and Chinese, resolved to exact windows for a fixed 'now'."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from assistant.text.timeexpr import TimeWindow, resolve_time, strip_time
from assistant.errors import ConfigError

SUNDAY = datetime(2026, 11, 29, 14, 0, tzinfo=timezone.utc)  # ISO week 48 runs 2026-11-23 .. 2026-11-29
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
NEW_YEAR = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)  # a Monday, just after the year turned


def day(text: str, tz: str = "UTC") -> datetime:
    """Midnight of an ISO date in a zone."""
    y, m, d = map(int, text.split("-"))
    return datetime(y, m, d, tzinfo=ZoneInfo(tz) if tz != "UTC" else timezone.utc)


# question, first day (inclusive), end (exclusive; a window holding today ends at the end of today), matched
SUNDAY_CASES = [
    ("What did customers complain about today?", "2026-11-29", "2026-11-30", "today"),
    ("any refunds yesterday", "2026-11-28", "2026-11-29", "yesterday"),
    ("issues from the day before yesterday", "2026-11-27", "2026-11-28", "the day before yesterday"),
    ("top demands this week", "2026-11-23", "2026-11-30", "this week"),
    ("What did users say about pricing last week?", "2026-11-16", "2026-11-23", "last week"),
    ("crashes in the previous week", "2026-11-16", "2026-11-23", "in the previous week"),
    ("complaints in the last 30 days", "2026-10-31", "2026-11-30", "in the last 30 days"),
    ("login problems over the past two weeks", "2026-11-16", "2026-11-30", "over the past two weeks"),
    ("past twelve months of churn", "2025-11-30", "2026-11-30", "past twelve months"),
    ("feedback in the past week", "2026-11-23", "2026-11-30", "in the past week"),
    ("the last week of reviews", "2026-11-23", "2026-11-30", "the last week"),  # "the last": rolling
    ("negative reviews this month", "2026-11-01", "2026-11-30", "this month"),
    ("negative reviews last month", "2026-10-01", "2026-11-01", "last month"),
    ("themes this year", "2026-01-01", "2026-11-30", "this year"),
    ("themes last year", "2025-01-01", "2026-01-01", "last year"),
    ("year to date volume", "2026-01-01", "2026-11-30", "year to date"),
    ("this quarter", "2026-10-01", "2026-11-30", "this quarter"),
    ("last quarter", "2026-07-01", "2026-10-01", "last quarter"),
    ("What broke in March?", "2026-03-01", "2026-04-01", "in March"),
    ("What broke in December?", "2025-12-01", "2026-01-01", "in December"),  # not in the future
    ("in March 2025 people asked for dark mode", "2025-03-01", "2025-04-01", "in March 2025"),
    ("complaints since May", "2026-05-01", "2026-11-30", "since May"),
    ("May 2026 outage", "2026-05-01", "2026-06-01", "May 2026"),
    ("tickets on September 8", "2026-09-08", "2026-09-09", "on September 8"),
    ("tickets on 8 September 2026", "2026-09-08", "2026-09-09", "on 8 September 2026"),
    ("since 2026-09-01 what changed", "2026-09-01", "2026-11-30", "since 2026-09-01"),
    ("between 2026-09-01 and 2026-09-15", "2026-09-01", "2026-09-16", "between 2026-09-01 and 2026-09-15"),
    ("from 2026-09-01 to 2026-09-15 in app reviews", "2026-09-01", "2026-09-16", "from 2026-09-01 to 2026-09-15"),
    ("from March to May", "2026-03-01", "2026-06-01", "from March to May"),
    ("Sept 1 to 15", "2026-09-01", "2026-09-16", "Sept 1 to 15"),
    ("what happened on 2026-09-08", "2026-09-08", "2026-09-09", "on 2026-09-08"),
    ("refund requests in Q3", "2026-07-01", "2026-10-01", "in Q3"),
    ("Q4", "2026-10-01", "2026-11-30", "Q4"),
    ("Q1 2025 pricing", "2025-01-01", "2025-04-01", "Q1 2025"),
    ("the third quarter of 2025", "2025-07-01", "2025-10-01", "the third quarter of 2025"),
    ("the week of 2026-09-07", "2026-09-07", "2026-09-14", "the week of 2026-09-07"),
    ("the week of 2026-09-10", "2026-09-07", "2026-09-14", "the week of 2026-09-10"),  # the week holding it
    ("2026-W36 reviews", "2026-08-31", "2026-09-07", "2026-W36"),
    ("in 2025", "2025-01-01", "2026-01-01", "in 2025"),
    ("since last week", "2026-11-16", "2026-11-30", "since last week"),
    ("after March", "2026-04-01", "2026-11-30", "after March"),
    ("between March and May 2026", "2026-03-01", "2026-06-01", "between March and May 2026"),
    ("the week of September 7", "2026-09-07", "2026-09-14", "the week of September 7"),
    ("from Q2 to Q3", "2026-04-01", "2026-10-01", "from Q2 to Q3"),
    ("on Feb 29", "2024-02-29", "2024-03-01", "on Feb 29"),  # the last one there was
    ("on Monday", "2026-11-23", "2026-11-24", "on Monday"),
    ("last Monday", "2026-11-23", "2026-11-24", "last Monday"),
    ("last week的投诉", "2026-11-16", "2026-11-23", "last week"),  # mixed-language question
    ("crashes 3 days ago", "2026-11-26", "2026-11-27", "3 days ago"),
    ("two weeks ago", "2026-11-09", "2026-11-16", "two weeks ago"),
    # Chinese
    ("今天有哪些差评", "2026-11-29", "2026-11-30", "今天"),
    ("昨天的退款", "2026-11-28", "2026-11-29", "昨天"),
    ("前天", "2026-11-27", "2026-11-28", "前天"),
    ("本周的投诉", "2026-11-23", "2026-11-30", "本周"),
    ("这周", "2026-11-23", "2026-11-30", "这周"),
    ("这个星期用户说了什么", "2026-11-23", "2026-11-30", "这个星期"),
    ("上周的投诉", "2026-11-16", "2026-11-23", "上周"),
    ("上个星期", "2026-11-16", "2026-11-23", "上个星期"),
    ("上星期", "2026-11-16", "2026-11-23", "上星期"),
    ("上上周", "2026-11-09", "2026-11-16", "上上周"),
    ("上周一共多少条", "2026-11-16", "2026-11-23", "上周"),  # 一共 = "in total", not Monday
    ("上周三", "2026-11-18", "2026-11-19", "上周三"),
    ("本月", "2026-11-01", "2026-11-30", "本月"),
    ("这个月的需求", "2026-11-01", "2026-11-30", "这个月"),
    ("上个月", "2026-10-01", "2026-11-01", "上个月"),
    ("上月", "2026-10-01", "2026-11-01", "上月"),
    ("今年", "2026-01-01", "2026-11-30", "今年"),
    ("去年的差评", "2025-01-01", "2026-01-01", "去年"),
    ("最近三天", "2026-11-27", "2026-11-30", "最近三天"),
    ("最近3天", "2026-11-27", "2026-11-30", "最近3天"),
    ("近7天的差评", "2026-11-23", "2026-11-30", "近7天"),
    ("过去两周", "2026-11-16", "2026-11-30", "过去两周"),
    ("最近一个月", "2026-10-30", "2026-11-30", "最近一个月"),
    ("近30天", "2026-10-31", "2026-11-30", "近30天"),
    ("近十天", "2026-11-20", "2026-11-30", "近十天"),
    ("近半年", "2026-05-30", "2026-11-30", "近半年"),
    ("3月的反馈", "2026-03-01", "2026-04-01", "3月"),
    ("三月", "2026-03-01", "2026-04-01", "三月"),
    ("十二月", "2025-12-01", "2026-01-01", "十二月"),
    ("2026年9月", "2026-09-01", "2026-10-01", "2026年9月"),
    ("今年3月", "2026-03-01", "2026-04-01", "今年3月"),
    ("2026年9月8日", "2026-09-08", "2026-09-09", "2026年9月8日"),
    ("9月1日到9月15日的差评", "2026-09-01", "2026-09-16", "9月1日到9月15日"),
    ("从9月1日到9月15日", "2026-09-01", "2026-09-16", "从9月1日到9月15日"),
    ("9月1日至15日", "2026-09-01", "2026-09-16", "9月1日至15日"),
    ("9月1日以来", "2026-09-01", "2026-11-30", "9月1日以来"),
    ("自9月1日起", "2026-09-01", "2026-11-30", "自9月1日起"),
    ("今年以来", "2026-01-01", "2026-11-30", "今年以来"),
    ("1月到3月", "2026-01-01", "2026-04-01", "1月到3月"),
    ("2026年9月1日到2026年9月15日", "2026-09-01", "2026-09-16", "2026年9月1日到2026年9月15日"),
    ("第三季度", "2026-07-01", "2026-10-01", "第三季度"),
    ("2025年第四季度", "2025-10-01", "2026-01-01", "2025年第四季度"),
    ("看看Q3的投诉", "2026-07-01", "2026-10-01", "Q3"),
    ("上季度", "2026-07-01", "2026-10-01", "上季度"),
    ("周一到周五", "2026-11-23", "2026-11-28", "周一到周五"),
    ("三天前的订单", "2026-11-26", "2026-11-27", "三天前"),
    ("两个月前", "2026-09-01", "2026-10-01", "两个月前"),
    # several expressions: the most specific (shortest) wins
    ("last month, especially on 2026-10-12", "2026-10-12", "2026-10-13", "on 2026-10-12"),
    ("上个月，尤其是昨天", "2026-11-28", "2026-11-29", "昨天"),
]


@pytest.mark.parametrize("question, first, end, matched", SUNDAY_CASES)
def test_resolves_on_a_sunday(question, first, end, matched):
    window = resolve_time(question, SUNDAY)
    assert window is not None, question
    assert (window.since, window.until, window.matched) == (day(first), day(end), matched)


MONDAY_CASES = [
    ("this week", "2026-11-30", "2026-12-01"),  # only Monday so far
    ("last week", "2026-11-23", "2026-11-30"),
    ("last 7 days", "2026-11-24", "2026-12-01"),
    ("本周", "2026-11-30", "2026-12-01"),
    ("上周", "2026-11-23", "2026-11-30"),
    ("on Monday", "2026-11-30", "2026-12-01"),
    ("last Monday", "2026-11-23", "2026-11-24"),
    ("this month", "2026-11-01", "2026-12-01"),
]


@pytest.mark.parametrize("question, first, end", MONDAY_CASES)
def test_resolves_on_a_monday(question, first, end):
    window = resolve_time(question, MONDAY)
    assert (window.since, window.until) == (day(first), day(end))


NEW_YEAR_CASES = [
    ("last month", "2025-12-01", "2026-01-01"),
    ("last week", "2025-12-29", "2026-01-05"),
    ("in December", "2025-12-01", "2026-01-01"),
    ("Q4", "2025-10-01", "2026-01-01"),
    ("去年", "2025-01-01", "2026-01-01"),
    ("12月20日到1月3日", "2025-12-20", "2026-01-04"),
    ("from November to January", "2025-11-01", "2026-01-06"),  # January is not over yet
]


@pytest.mark.parametrize("question, first, end", NEW_YEAR_CASES)
def test_periods_cross_the_year_boundary(question, first, end):
    window = resolve_time(question, NEW_YEAR)
    assert (window.since, window.until) == (day(first), day(end))


def test_a_range_end_without_a_year_follows_its_start():
    # On 10 September, "9月15日" alone would be last year's; as the end of a range it is this year's.
    now = datetime(2026, 9, 10, 12, 0, tzinfo=timezone.utc)
    window = resolve_time("9月1日到9月15日", now)
    assert window.since == day("2026-09-01")
    assert window.until == day("2026-09-11")  # and the window stops at the end of today


SHANGHAI_CASES = [  # 2026-11-29 20:00 UTC is Monday 2026-11-30 04:00 in Shanghai
    ("today", "2026-11-30", "2026-12-01"),
    ("yesterday", "2026-11-29", "2026-11-30"),
    ("今天", "2026-11-30", "2026-12-01"),
    ("本周", "2026-11-30", "2026-12-01"),
    ("上周", "2026-11-23", "2026-11-30"),
    ("近7天", "2026-11-24", "2026-12-01"),
    ("上个月", "2026-10-01", "2026-11-01"),
]


@pytest.mark.parametrize("question, first, end", SHANGHAI_CASES)
def test_days_follow_the_configured_time_zone(question, first, end):
    window = resolve_time(question, datetime(2026, 11, 29, 20, 0, tzinfo=timezone.utc), tz="Asia/Shanghai")
    assert (window.since, window.until) == (day(first, "Asia/Shanghai"), day(end, "Asia/Shanghai"))
    assert window.since.utcoffset() == timedelta(hours=8)


def test_a_naive_now_is_wall_time_in_the_zone():
    window = resolve_time("today", datetime(2026, 11, 30, 4, 0), tz="Asia/Shanghai")
    assert window.since == day("2026-11-30", "Asia/Shanghai")
    assert window.since.astimezone(timezone.utc) == datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)


def test_a_day_across_a_daylight_saving_change_is_25_hours():
    now = datetime(2026, 11, 2, 12, 0, tzinfo=ZoneInfo("America/New_York"))  # clocks went back on 1 November
    window = resolve_time("yesterday", now, tz="America/New_York")
    assert window.until - window.since == timedelta(hours=24)  # wall-clock difference
    assert window.until.timestamp() - window.since.timestamp() == 25 * 3600


def test_hours_are_exact_and_end_now():
    window = resolve_time("errors in the last 24 hours", SUNDAY)
    assert (window.since, window.until) == (SUNDAY - timedelta(hours=24), SUNDAY)
    assert window.label == "the last 24 hours (2026-11-28 14:00 to 2026-11-29 14:00)"


@pytest.mark.parametrize("question, label", [
    ("What did users say about pricing last week?", "last week (2026-11-16 to 2026-11-22)"),
    ("Last week, what broke?", "last week (2026-11-16 to 2026-11-22)"),
    ("today", "today (2026-11-29)"),
    ("this month", "this month (2026-11-01 to 2026-11-29)"),
    ("in March", "March (2026-03-01 to 2026-03-31)"),
    ("上周的投诉", "上周 (2026-11-16 to 2026-11-22)"),
])
def test_labels_name_the_days_searched(question, label):
    assert resolve_time(question, SUNDAY).label == label


@pytest.mark.parametrize("question", [
    "maybe the price is too high",
    "the weekly plan is confusing",
    "biweekly invoices are wrong",
    "May I ask about refunds?",
    "The app may crash when I pay",
    "may is a word, not a month here",
    "error code 2025 on checkout",
    "we sold 2026 units",
    "todays update broke login",
    "这周期的账单不对",  # 周期 = billing cycle
    "最近很多人抱怨价格",  # "recently" names no window
    "三个用户说支付失败",
    "The march of progress",
    "the august committee approved it",
    "Dec numbers look off",
    "in may be slow",
    "What are the top complaints?",
    "",
])
def test_no_time_expression(question):
    assert resolve_time(question, SUNDAY) is None


def test_an_impossible_date_is_not_a_window():
    assert resolve_time("order 2026-02-30 failed", SUNDAY) is None
    assert resolve_time("13月", SUNDAY) is None


def test_unknown_time_zone_names_the_fix():
    with pytest.raises(ConfigError, match="Asia/Shanghai"):
        resolve_time("today", SUNDAY, tz="Mars/Olympus")


def test_window_is_frozen():
    window = resolve_time("today", SUNDAY)
    with pytest.raises(AttributeError):
        window.label = "x"  # type: ignore[misc]


@pytest.mark.parametrize("question, rest", [
    ("What did users say about pricing last week?", "What did users say about pricing?"),
    ("Last week, what did users say about pricing?", "what did users say about pricing?"),
    ("complaints in the last 30 days about login", "complaints about login"),
    ("between 2026-09-01 and 2026-09-15 refund requests", "refund requests"),
    ("上周的投诉", "投诉"),
    ("最近一个月用户对价格的看法", "用户对价格的看法"),
    ("看看Q3的投诉", "看看投诉"),
])
def test_strip_time_leaves_the_search_query(question, rest):
    assert strip_time(question, resolve_time(question, SUNDAY)) == rest


def test_strip_time_without_a_window_keeps_the_question():
    assert strip_time("  pricing   complaints ", None) == "pricing complaints"
    other = TimeWindow(SUNDAY, SUNDAY, "x", "not in the text")
    assert strip_time("pricing complaints", other) == "pricing complaints"
