"""Find the time expression in a question (English or Chinese) and turn it into a window of time.

Conventions, so that answers are predictable:

* Windows are half-open, [since, until), tz-aware, in the configured time zone; weeks start on Monday.
* "last week", "last month", "上周", "上个月" are calendar periods; "the last week", "past week",
  "last 7 days", "近7天" are rolling windows that end with today.
* A month, day or quarter named without a year is the most recent one not in the future.
* A window that contains today ends at the end of today: data cannot come from the future, and the label
  then tells the user exactly which days were searched ("this month (2026-11-01 to 2026-11-29)").
* When a question holds several expressions, the most specific one (the shortest window) wins.

The parser works in two passes: atoms (one expression each: "March", "2026-09-01", "上周") are found by
the rules below, then joined by the words around them ("between A and B", "since A", "A到B", "A以来").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from dateutil.relativedelta import relativedelta

from .timeparse import MAX_YEAR, MIN_YEAR, zone_for

__all__ = ["TimeWindow", "resolve_time", "strip_time"]


@dataclass(frozen=True)
class TimeWindow:
    """A span of time named in a question: since (inclusive) to until (exclusive), both tz-aware."""

    since: datetime
    until: datetime
    label: str  # for people: "last week (2026-09-07 to 2026-09-13)"
    matched: str  # the words of the question that named it

    def span(self) -> dict[str, str]:
        """The window as the agent's route carries it: since/until ISO strings and the label."""
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "label": self.label}


@dataclass
class _Atom:
    start: int
    end: int
    since: datetime
    until: datetime
    weak: bool = False  # kept only with context: a bare "2025" or "Mar" may not be a date at all
    day: bool = False  # one calendar day named by date; a range may end with a bare day ("9月1日到15日")
    later: Callable[[date], tuple[date, date]] | None = None  # yearless: first occurrence on/after a date


# English words must not touch other letters or digits; \b would fail next to Chinese characters.
_B, _E = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
_PREP = r"(?:(?:in|during|over|within|for|throughout|on)\s+)?"
_YEAR = r"(?:19|20)\d{2}"
_EN_NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven "
                                          "twelve".split())}
_EN_NUMBERS.update(fourteen=14, fifteen=15, twenty=20, thirty=30, sixty=60, ninety=90)
_EN_NUM = r"(\d{1,3}|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + ")"
_MONTH_NAMES = ("jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_MONTH_NUMBERS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
                  "oct": 10, "nov": 11, "dec": 12}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_ZH_NUM = r"(\d{1,3}|[零〇一二两三四五六七八九十]{1,3})"
_ZH_YEAR = r"(?:(" + _YEAR + r")\s*年|(今年|去年|前年))"
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_UNITS = {"hour": "hours", "hr": "hours", "day": "days", "week": "weeks", "month": "months",
          "quarter": "quarters", "year": "years", "小时": "hours", "天": "days", "日": "days", "周": "weeks",
          "星期": "weeks", "礼拜": "weeks", "月": "months", "季度": "quarters", "年": "years"}

# words before an atom that make a bare "May 5", "2025" or "Monday" a date
_CONTEXT_BEFORE = re.compile(r"(?<![A-Za-z])(?:since|from|between|after|before|until|till|through|thru|to|and|by|"
                             r"in|during|for|of|on|starting|as\s+of)\s+$", re.IGNORECASE)
_SINCE_BEFORE = re.compile(r"(?<![A-Za-z])(since|starting(?:\s+(?:from|on|in))?|as\s+of|after)\s+$", re.IGNORECASE)
_ZH_SINCE_BEFORE = re.compile(r"(?:自从|打从|自|从)\s*$")
_ZH_SINCE_AFTER = re.compile(r"\s*(以来|至今|到现在|到今天|起|开始|以后|之后)")
_RANGE_BEFORE = re.compile(r"(?:(?<![A-Za-z])(between|from)\s+|(?:从|自|由)\s*)$", re.IGNORECASE)
_RANGE_JOIN = re.compile(r"\s+(?:to|until|till|through|thru|and)\s+|\s*(?:-|–|—|~|～|到|至)\s*", re.IGNORECASE)
_RANGE_AFTER = re.compile(r"\s*(?:之间|期间)")
_BARE_DAY = re.compile(r"(\d{1,2}|[一二三十]{1,3}[一二三四五六七八九]?)\s*[日号]|(\d{1,2})(?:st|nd|rd|th)?(?![\d])")
_WEEK_OF_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:in|during|for)\s+)?(?:the\s+)?(?<![A-Za-z])week\s+"
                             r"(?:of|starting|beginning|commencing)\s+$", re.IGNORECASE)
_LABEL_PREFIX = re.compile(r"^(?:(?:in|during|over|within|for|throughout|on|of)\s+)", re.IGNORECASE)
_LOWER_FIRST = {"last", "this", "past", "previous", "prior", "today", "yesterday", "since", "between", "from",
                "after", "week", "day", "current", "the", "starting", "recent", "trailing", "year", "month"}


class _Clock:
    """'Now' in the user's time zone, and how calendar days become tz-aware datetimes."""

    def __init__(self, now: datetime, tz: str):
        self.zone = zone_for(tz)
        self.now = now.replace(tzinfo=self.zone) if now.tzinfo is None else now.astimezone(self.zone)
        self.today = self.now.date()

    def at(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.zone)

    def atom(self, m: re.Match[str], first: date, end: date, **flags) -> _Atom:
        if not (MIN_YEAR <= first.year and end.year <= MAX_YEAR + 1):
            raise ValueError("year out of range")
        return _Atom(m.start(), m.end(), self.at(first), self.at(end), **flags)


def _number(text: str) -> int:
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    if text in _EN_NUMBERS:
        return _EN_NUMBERS[text]
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            raise ValueError(text)
        return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)
    if len(text) == 1 and text in _ZH_DIGITS:
        return _ZH_DIGITS[text]
    raise ValueError(text)


def _month(first: date, months: int = 1) -> date:
    return first + relativedelta(months=months)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _recent_month(today: date, month: int) -> date:
    return date(today.year if month <= today.month else today.year - 1, month, 1)


def _recent_day(today: date, month: int, day: int) -> date:
    for year in range(today.year, today.year - 9, -1):  # 29 February: back to the last leap year
        if _valid(year, month, day) and date(year, month, day) <= today:
            return date(year, month, day)
    raise ValueError("no such day")


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _first_month_from(ref: date, month: int) -> tuple[date, date]:
    first = date(ref.year if month >= ref.month else ref.year + 1, month, 1)
    return first, _month(first)


def _first_day_from(ref: date, month: int, day: int) -> tuple[date, date]:
    year = ref.year if (month, day) >= (ref.month, ref.day) else ref.year + 1
    return date(year, month, day), date(year, month, day) + timedelta(days=1)


def _year_word(clock: _Clock, digits: str | None, word: str | None) -> int | None:
    if digits:
        return int(digits)
    return {"今年": 0, "去年": -1, "前年": -2}[word] + clock.today.year if word else None


# ---- rules: each turns one match into an atom (None or ValueError: not a time expression after all) ----

def _named_day(m: re.Match[str], c: _Clock) -> _Atom:
    word = m.group(1).lower()
    back = 3 if word == "大前天" else 2 if word in ("前天", "前日") or "before" in word else \
        1 if word in ("yesterday", "昨天", "昨日") else 0
    day = c.today - timedelta(days=back)
    return c.atom(m, day, day + timedelta(days=1))


def _calendar(m: re.Match[str], c: _Clock) -> _Atom:
    """this/last week, month, quarter, year (English and Chinese)."""
    which, unit = m.group(1).lower().strip(), _UNITS[m.group(2).lower()]
    back = which.count("上") if "上" in which else 1 if which in ("last", "previous", "prior") else 0
    return _period(m, c, unit, back)


def _to_date(m: re.Match[str], c: _Clock) -> _Atom:
    """year/quarter/month/week to date: the current period (which ends today)."""
    return _period(m, c, {"y": "years", "q": "quarters", "m": "months", "w": "weeks"}[m.group(1)[0].lower()], 0)


def _ago(m: re.Match[str], c: _Clock) -> _Atom | None:
    """'3 days ago', '两周前': the calendar day, week, month or year that many back."""
    unit = _UNITS[m.group(2).lower().rstrip("s")] if m.group(2).lower().rstrip("s") in _UNITS else _UNITS[m.group(2)]
    back = _number(m.group(1))
    return _period(m, c, unit, back) if back > 0 and unit != "hours" else None


def _period(m: re.Match[str], c: _Clock, unit: str, back: int) -> _Atom:
    if unit == "days":
        return c.atom(m, c.today - timedelta(days=back), c.today - timedelta(days=back - 1))
    if unit == "weeks":
        first = _week_start(c.today) - timedelta(weeks=back)
        return c.atom(m, first, first + timedelta(weeks=1))
    if unit == "months":
        first = _month(c.today.replace(day=1), -back)
        return c.atom(m, first, _month(first))
    if unit == "quarters":
        first = _month(date(c.today.year, (c.today.month - 1) // 3 * 3 + 1, 1), -3 * back)
        return c.atom(m, first, _month(first, 3))
    first = date(c.today.year - back, 1, 1)
    return c.atom(m, first, date(first.year + 1, 1, 1))


def _chinese_year(m: re.Match[str], c: _Clock) -> _Atom:
    year = _year_word(c, None, m.group(1)) if m.group(1) in ("今年", "去年", "前年") else \
        c.today.year - (1 if "上" in m.group(1) else 0)
    return c.atom(m, date(year, 1, 1), date(year + 1, 1, 1))


def _rolling(m: re.Match[str], c: _Clock) -> _Atom | None:
    """last/past N units, 最近/近/过去 N units: a window that ends with today (or now, for hours)."""
    count_text, unit_text = m.group(1) or "1", m.group(2).lower()
    unit = _UNITS[unit_text.rstrip("s") if unit_text.rstrip("s") in _UNITS else unit_text]
    if count_text == "半":  # 半年, 半个月
        count, unit = (6, "months") if unit == "years" else (15, "days") if unit == "months" else (0, unit)
    else:
        count = _number(count_text)
    if count <= 0:
        return None
    if unit == "hours":
        now_utc = c.now.astimezone(timezone.utc)
        return _Atom(m.start(), m.end(), (now_utc - timedelta(hours=count)).astimezone(c.zone), c.now)
    end = c.today + timedelta(days=1)
    step = {"days": relativedelta(days=count), "weeks": relativedelta(weeks=count),
            "months": relativedelta(months=count), "quarters": relativedelta(months=3 * count),
            "years": relativedelta(years=count)}[unit]
    return c.atom(m, end - step, end)


def _english_month(m: re.Match[str], c: _Clock) -> _Atom | None:
    prep, which, name, day, year = m.group("prep"), m.group("which"), m.group("mon"), m.group("day"), m.group("year")
    day = day or m.group("day2")
    if name.lower() == "may" and name != "May":
        return None  # "may" is a verb; only a capitalised May in month context is a month
    month = _MONTH_NUMBERS[name.lower()[:3]]
    context = bool(prep or which or day or year) or _CONTEXT_BEFORE.search(m.string, 0, m.start()) is not None
    if name.lower() == "may" and not context:
        return None
    abbreviated = len(name) <= 4 and name.lower() not in ("june", "july")
    weak = not context and (abbreviated or name[0].islower())  # a bare "mar", "Dec" or "august" may be a word
    if year:
        first = date(int(year), month, int(day) if day else 1)
    elif which and which.lower() == "this":
        first = date(c.today.year, month, int(day) if day else 1)
    elif day:
        first = _recent_day(c.today - timedelta(days=1) if which else c.today, month, int(day))
    else:
        ref = _month(c.today.replace(day=1), -1) if which else c.today  # "last March": before this month
        first = _recent_month(ref, month)
    if day:
        later = None if (year or which) else (lambda ref, mo=month, d=int(day): _first_day_from(ref, mo, d))
        return c.atom(m, first, first + timedelta(days=1), weak=weak, day=True, later=later)
    later = None if (year or which) else (lambda ref, mo=month: _first_month_from(ref, mo))
    return c.atom(m, first, _month(first), weak=weak, later=later)


def _iso_date(m: re.Match[str], c: _Clock) -> _Atom:
    first = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return c.atom(m, first, first + timedelta(days=1), day=True)


def _iso_month(m: re.Match[str], c: _Clock) -> _Atom:
    first = date(int(m.group(1)), int(m.group(2)), 1)
    return c.atom(m, first, _month(first))


def _iso_week(m: re.Match[str], c: _Clock) -> _Atom:
    first = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    return c.atom(m, first, first + timedelta(weeks=1))


def _english_year(m: re.Match[str], c: _Clock) -> _Atom:
    context = bool(m.group(1)) or _CONTEXT_BEFORE.search(m.string, 0, m.start()) is not None
    year = int(m.group(2))
    return c.atom(m, date(year, 1, 1), date(year + 1, 1, 1), weak=not context)


def _quarter(m: re.Match[str], c: _Clock) -> _Atom:
    groups = m.groupdict()
    q_text = groups.get("q") or groups.get("q2") or groups.get("q3")
    quarter = _ORDINALS.get(q_text.lower()) or _number(q_text)
    if not 1 <= quarter <= 4:
        raise ValueError("no such quarter")
    year = _year_word(c, groups.get("year") or groups.get("year2"), groups.get("yword"))
    later = None
    if year is None:
        start_month = (quarter - 1) * 3 + 1
        year = c.today.year if start_month <= c.today.month else c.today.year - 1
        later = lambda ref, sm=start_month: _first_quarter_from(ref, sm)
    first = date(year, (quarter - 1) * 3 + 1, 1)
    return c.atom(m, first, _month(first, 3), later=later)


def _first_quarter_from(ref: date, start_month: int) -> tuple[date, date]:
    first, _ = _first_month_from(date(ref.year, (ref.month - 1) // 3 * 3 + 1, 1), start_month)
    return first, _month(first, 3)


def _chinese_date(m: re.Match[str], c: _Clock) -> _Atom:
    year = _year_word(c, m.group(1), m.group(2))
    month = _number(m.group(3))
    day = _number(m.group(4)) if m.group(4) else None
    if day is not None:
        first = date(year, month, day) if year else _recent_day(c.today, month, day)
        later = None if year else (lambda ref, mo=month, d=day: _first_day_from(ref, mo, d))
        return c.atom(m, first, first + timedelta(days=1), day=True, later=later)
    first = date(year, month, 1) if year else _recent_month(c.today, month)
    later = None if year else (lambda ref, mo=month: _first_month_from(ref, mo))
    return c.atom(m, first, _month(first), later=later)


def _chinese_year_number(m: re.Match[str], c: _Clock) -> _Atom:
    year = int(m.group(1))
    return c.atom(m, date(year, 1, 1), date(year + 1, 1, 1))


def _weekday(m: re.Match[str], c: _Clock) -> _Atom:
    which, name = (m.group("which") or "").lower().rstrip("个"), m.group("name")
    english = name not in _ZH_WEEKDAYS
    index = _WEEKDAYS.index(name.lower()) if english else _ZH_WEEKDAYS[name]
    weak = english and not which and not m.groupdict().get("prep") and \
        _CONTEXT_BEFORE.search(m.string, 0, m.start()) is None
    if which in ("this", "本", "这"):
        day = _week_start(c.today) + timedelta(days=index)
    elif "上" in which:
        day = _week_start(c.today) - timedelta(weeks=which.count("上")) + timedelta(days=index)
    else:  # "on Monday", "周一": the most recent one, today included; "last Monday": before today
        back = (c.today.weekday() - index) % 7
        if which in ("last", "past") and back == 0:
            back = 7
        day = c.today - timedelta(days=back)
    return c.atom(m, day, day + timedelta(days=1), weak=weak, day=True)


_EN_UNIT = r"(hours?|hrs?|days?|weeks?|months?|quarters?|years?)"
_ZH_UNIT = r"(小时|天|日|周|星期|礼拜|月|季度|年)"
_ZH_MONTH = r"(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_ZH_DAY = r"(3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_ZH_YEAR_NAMED = r"(?:(?P<year>" + _YEAR + r")\s*年|(?P<yword>今年|去年|前年))"
_I = re.IGNORECASE
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str], _Clock], _Atom | None]]] = [
    # English
    (re.compile(_B + _PREP + r"(?:the\s+)?(day\s+before\s+yesterday|today|yesterday)" + _E, _I), _named_day),
    (re.compile(_B + _PREP + r"(?:the\s+)?(this|current|previous|prior)\s+(week|month|quarter|year)" + _E, _I),
     _calendar),
    (re.compile(_B + _PREP + r"(last)\s+(week|month|quarter|year)" + _E, _I), _calendar),
    (re.compile(_B + r"((?:year|quarter|month|week)[\s-]+to[\s-]+date|[ymqw]td)" + _E, _I), _to_date),
    (re.compile(_B + _PREP + r"(?:the\s+)?(?:past|last|previous|prior|recent|trailing)\s+" + _EN_NUM + r"\s+"
                + _EN_UNIT + _E, _I), _rolling),
    (re.compile(_B + _PREP + r"(?:the\s+(?:past|last)|past)\s+()(day|week|month|quarter|year)" + _E, _I), _rolling),
    (re.compile(_B + _EN_NUM + r"\s+(days?|weeks?|months?|quarters?|years?)\s+ago" + _E, _I), _ago),
    (re.compile(_B + r"(?P<prep>(?:in|during|for|throughout|on)\s+)?(?:(?P<which>this|last)\s+)?"
                r"(?P<mon>" + _MONTH_NAMES + r")\.?(?:\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?!\d))?"
                r"(?:,?\s+(?P<year>" + _YEAR + r"))?(?P<day2>)" + _E, _I), _english_month),
    (re.compile(_B + r"(?P<prep>on\s+)?(?P<which>)(?:the\s+)?(?P<day2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
                r"(?P<mon>" + _MONTH_NAMES + r")\.?(?:,?\s+(?P<year>" + _YEAR + r"))?(?P<day>)" + _E, _I),
     _english_month),
    (re.compile(r"(?:(?<![A-Za-z])(?:on|in|for|during)\s+)?(?<![\d.])(" + _YEAR + r")[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", _I), _iso_date),
    (re.compile(r"(?<![\d./-])(" + _YEAR + r")-(\d{1,2})(?![\d-])"), _iso_month),
    (re.compile(_B + r"(" + _YEAR + r")-?W(\d{2})" + _E, _I), _iso_week),
    (re.compile(_B + r"((?:in|during|for|throughout|of)\s+|the\s+year\s+)?(" + _YEAR + r")(?![\d/%-]|\.\d|\s*年)", _I),
     _english_year),
    (re.compile(_B + _PREP + r"(?:the\s+)?(?:Q(?P<q>[1-4])(?:\s+(?:of\s+)?(?P<year>" + _YEAR + r"))?|(?P<year2>"
                + _YEAR + r")\s*-?\s*Q(?P<q2>[1-4]))" + _E, _I), _quarter),
    (re.compile(_B + _PREP + r"(?:the\s+)?(?P<q3>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
                r"(?:\s+(?:of\s+)?(?P<year>" + _YEAR + r"))?" + _E, _I), _quarter),
    (re.compile(_B + r"(?P<prep>(?:on|since|until|before|after)\s+)?(?:(?P<which>last|this|past)\s+)?"
                r"(?P<name>" + "|".join(_WEEKDAYS) + r")" + _E, _I), _weekday),
    # Chinese
    (re.compile(r"(大前天|前天|前日|今天|今日|昨天|昨日)"), _named_day),
    (re.compile(r"(上{1,3}一?个?|本|这一?个?|当前)(周|星期|礼拜|月|季度)(?![期年边围])"), _calendar),
    (re.compile(r"(今年|本年|去年|前年|上一?年)(?!\s*\d|度)"), _chinese_year),
    (re.compile(r"(?:最近|近|过去)的?\s*(\d{1,3}|[一二两三四五六七八九十]{1,3}|半)\s*个?\s*" + _ZH_UNIT
                + r"(?:以?内|之内|里|来)?"), _rolling),
    (re.compile(r"(?<![\d一二两三四五六七八九十])(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*个?\s*(天|周|星期|礼拜|月|季度|年)(?:之|以)?前"),
     _ago),
    (re.compile(r"(?<![\d〇零一二三四五六七八九十两第个])" + _ZH_YEAR + r"?\s*" + _ZH_MONTH
                + r"\s*月份?(?:\s*" + _ZH_DAY + r"\s*[日号])?"), _chinese_date),
    (re.compile(r"(?<!\d)(" + _YEAR + r")\s*年度?(?!\s*(?:\d|[一二三四五六七八九十]|第))"), _chinese_year_number),
    (re.compile(r"(?:" + _ZH_YEAR_NAMED + r"\s*的?\s*)?第?(?P<q>[一二三四1-4])季度"), _quarter),
    (re.compile(_ZH_YEAR_NAMED + r"\s*的?\s*[Qq](?P<q2>[1-4])(?!\d)"), _quarter),
    (re.compile(r"(?<!每)(?P<which>上{1,2}个?|本|这个?)?(?:周|星期|礼拜)(?P<name>一(?![共起直样下些点般定次切])|[二三四五六日天])"),
     _weekday),
]


def _atoms(text: str, clock: _Clock) -> list[_Atom]:
    """Every rule's matches; where matches overlap, the longest wins."""
    found: list[_Atom] = []
    for pattern, rule in _RULES:
        for m in pattern.finditer(text):
            try:
                atom = rule(m, clock)
            except (ValueError, KeyError, OverflowError):
                continue  # "2026-02-30", "13月": looks like a date, is not one
            if atom is not None:
                found.append(atom)
    found.sort(key=lambda a: (a.start - a.end, a.start))
    kept: list[_Atom] = []
    for atom in found:
        if all(atom.end <= k.start or atom.start >= k.end for k in kept):
            kept.append(atom)
    return sorted(kept, key=lambda a: a.start)


def _range(text: str, a: _Atom, b: _Atom | None, clock: _Clock) -> _Atom | None:
    """'between A and B', 'from A to B', 'A到B', 'A至15日': from the start of A to the end of B."""
    before = _RANGE_BEFORE.search(text, 0, a.start)
    if b is not None:
        join = _RANGE_JOIN.fullmatch(text, a.end, b.start)
        if not join or (join.group().strip().lower() == "and" and not (before and before.group(1))):
            return None
        until, end = b.until, b.end
        if b.since < a.since and b.later is not None:
            try:
                until = clock.at(b.later(a.since.date())[1])
            except ValueError:  # 29 February in a year without one
                return None
    else:  # a bare day after a day: "9月1日到15日", "Sept 1 to 15"
        join = _RANGE_JOIN.match(text, a.end)
        day = join and a.day and _BARE_DAY.match(text, join.end())
        if not day or join.group().strip().lower() == "and":
            return None
        try:
            last = a.since.date().replace(day=_number(day.group(1) or day.group(2)))
        except ValueError:
            return None
        until, end = clock.at(last + timedelta(days=1)), day.end()
    if until <= a.since:
        return None
    after = _RANGE_AFTER.match(text, end)
    return _Atom(before.start() if before else a.start, after.end() if after else end, a.since, until)


def _since(text: str, a: _Atom, clock: _Clock) -> _Atom | None:
    """'since A', 'after A', 'A以来', '从A开始': from A to today."""
    en = _SINCE_BEFORE.search(text, 0, a.start)
    zh = _ZH_SINCE_AFTER.match(text, a.end)
    if not en and not zh:
        return None
    after = (en.group(1) if en else zh.group(1)).lower() in ("after", "以后", "之后")
    since = a.until if after else a.since
    start, end = (en.start(), a.end) if en else (a.start, zh.end())
    if zh and (prefix := _ZH_SINCE_BEFORE.search(text, 0, a.start)):
        start = prefix.start()
    tomorrow = clock.at(clock.today + timedelta(days=1))
    return _Atom(start, end, since, tomorrow if since < tomorrow else since + timedelta(days=1))


def _week_of(text: str, a: _Atom, clock: _Clock) -> _Atom | None:
    """'the week of 2026-09-07': the Monday-to-Sunday week holding that day."""
    before = _WEEK_OF_BEFORE.search(text, 0, a.start)
    if not before or not a.day:
        return None
    first = _week_start(a.since.date())
    return _Atom(before.start(), a.end, clock.at(first), clock.at(first + timedelta(weeks=1)))


def resolve_time(text: str, now: datetime, tz: str = "UTC") -> TimeWindow | None:
    """The window of time a question names ("last week", "近30天", "between 2026-09-01 and 2026-09-15"), or None."""
    clock = _Clock(now, tz)
    atoms = _atoms(text, clock)
    windows: list[_Atom] = []
    i = 0
    while i < len(atoms):
        a, b = atoms[i], atoms[i + 1] if i + 1 < len(atoms) else None
        joined = _range(text, a, b, clock) if b is not None else None
        if joined is not None:
            windows.append(joined)
            i += 2
            continue
        joined = _range(text, a, None, clock) or _week_of(text, a, clock) or _since(text, a, clock)
        if joined is not None:
            windows.append(joined)
        elif not a.weak:
            windows.append(a)
        i += 1
    if not windows:
        return None
    best = min(windows, key=lambda w: (w.until - w.since, w.start))
    since, until = best.since, best.until
    tomorrow = clock.at(clock.today + timedelta(days=1))
    if since < tomorrow < until:
        until = tomorrow
    matched = text[best.start:best.end]
    return TimeWindow(since, until, _label(matched, since, until), matched)


def _label(matched: str, since: datetime, until: datetime) -> str:
    phrase = " ".join(_LABEL_PREFIX.sub("", matched.strip()).split()) or matched.strip()
    first_word = phrase.split()[0].lower() if phrase.split() else ""
    if first_word in _LOWER_FIRST:
        phrase = phrase[0].lower() + phrase[1:]
    if (since.hour, since.minute, until.hour, until.minute) == (0, 0, 0, 0):
        first, last = since.date(), (until - timedelta(days=1)).date()
        span = first.isoformat() if first >= last else f"{first.isoformat()} to {last.isoformat()}"
    else:
        span = f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M}"
    return f"{phrase} ({span})"


def _cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def strip_time(text: str, window: TimeWindow | None) -> str:
    """The question without the words that named the window, for use as a search query."""
    index = text.find(window.matched) if window is not None and window.matched else -1
    if index < 0:
        return " ".join(text.split())
    before, after = text[:index].rstrip(), text[index + len(window.matched):].lstrip()
    after = after.removeprefix("的")  # 上周的投诉 -> 投诉
    glue = "" if not before or not after or _cjk(before[-1]) or _cjk(after[0]) else " "
    rest = " ".join((before + glue + after).split())
    rest = re.sub(r"\s+([,.;:!?，。；：！？])", r"\1", rest)
    rest = re.sub(r"^[\s,，;；:：、]+", "", rest)
    rest = re.sub(r"[\s,，;；:：、]+(?=[?？.。!！]?$)", "", rest)
    return rest.strip()
