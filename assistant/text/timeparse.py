"""Turn the date/time values found in feedback exports into UTC epoch seconds."""

from __future__ import annotations

import calendar
import math
import numbers
import re
import warnings
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.errors import ConfigError

MIN_YEAR, MAX_YEAR = 1990, 2100
_EMPTY = {"", "nan", "nat", "null", "none", "n/a", "na", "-"}
_EXCEL_EPOCH = datetime(1899, 12, 30)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_name) if m})
_MONTHS["sept"] = 9

# Patterns run in order; each is anchored, so a miss costs one failed match.
_TIME = r"(?:[T\s]+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([AaPp]\.?[Mm]\.?)?)?"
_ZONE = r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2})?"
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + _ZONE + r"$")
_XDY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})[-/.](\d{4}|\d{2})" + _TIME + _ZONE + r"$")
_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*(上午|下午|晚上)?\s*"
                      r"(?:(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*(?:[:：分]\s*(\d{1,2})?\s*秒?)?)?$")
_WORDY = re.compile(r"(?:[A-Za-z]{3,9}\.?,?\s+)??"  # optional weekday
                    r"(?:(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?|([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?)"
                    r",?\s+(\d{4})" + _TIME.replace(r"[T\s]+", r",?\s+") + _ZONE + r"$")
_HALF_DAY = re.compile(r"\s*(上午|下午)\s*(\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?$")
# "CST" and "IST" are left out on purpose: each names several zones (China/US Central, India/Israel/Ireland).
_ZONE_ABBREVIATIONS = {"EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
                       "BST": 1, "CET": 1, "CEST": 2, "JST": 9, "HKT": 8, "SGT": 8}


_CLOCK_TIME = re.compile(r"\d:\d|T\d|\d\s*[时点]|^[+-]?\d{9,}(?:\.\d+)?$")


def parse_day(value: object, *, end: bool = False, tz: str = "UTC") -> int | None:
    """A day or time a person typed (--since/--until/--as-of, a date box, a tool argument) -> epoch seconds.

    The one place of the rule "a bare date means the whole day": as a start it is local midnight in `tz`; as
    an end (`end=True`) it is the next local midnight, exclusive, so `until=2026-09-20` includes the 20th
    in Asia/Shanghai as in UTC. A value with a clock time is exact. ValueError when it is not a date/time.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    ts = parse_timestamp(text, tz=tz)
    if ts is None or not end or _CLOCK_TIME.search(text) or isinstance(value, datetime):
        return ts
    zone = zone_for(tz)
    next_day = datetime.fromtimestamp(ts, zone).date() + timedelta(days=1)
    return int(datetime.combine(next_day, time(), zone).timestamp())


@lru_cache(maxsize=64)
def zone_for(name: str) -> tzinfo:
    """The tzinfo of an IANA name (or UTC/Z/GMT); ConfigError naming the problem otherwise."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone '{name}'; use an IANA name such as UTC or Asia/Shanghai") from None


def parse_timestamp(value: object, *, tz: str = "UTC", dayfirst: bool = False) -> int | None:
    """Epoch seconds (UTC) for a date/time value, None when empty; ValueError when it is not a date/time."""
    if value is None:
        return None
    if isinstance(value, datetime):  # includes pandas.Timestamp
        if value != value:  # NaT
            return None
        return _checked(value, tz, value)
    if isinstance(value, date):
        return _checked(datetime(value.year, value.month, value.day), tz, value)
    if isinstance(value, time):
        raise ValueError(f"cannot parse '{value}' as a date/time: it has no date")
    if isinstance(value, bool):
        raise ValueError(f"cannot parse '{value}' as a date/time")
    if isinstance(value, numbers.Real):
        if math.isnan(value):
            return None
        return _from_number(float(value), tz, value)
    text = str(value).strip()  # also numpy.datetime64 and other objects that print as ISO dates
    if text.lower() in _EMPTY:
        return None
    if "午" in text and "年" not in text:  # Chinese Excel locales write "2024/3/5 下午2:20:00"
        text = _HALF_DAY.sub(lambda m: f" {m.group(2)} {'PM' if m.group(1) == '下午' else 'AM'}", text).strip()
    return _parse_text(text, tz, dayfirst, text)


def _checked(dt: datetime, tz: str, original: object) -> int:
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise ValueError(f"cannot parse '{original}' as a date/time: year {dt.year} is outside {MIN_YEAR}-{MAX_YEAR}")
    if dt.tzinfo is None:
        zone = zone_for(tz)
        if zone is timezone.utc:
            return calendar.timegm(dt.timetuple())
        dt = dt.replace(tzinfo=zone)
    return math.floor(dt.timestamp())


def _from_number(number: float, tz: str, original: object) -> int:
    magnitude = abs(number)
    if 1e11 <= magnitude < 1e14:  # epoch milliseconds (13 digits today)
        number /= 1000.0
    elif not 1e8 <= magnitude < 1e11:
        if 20000 <= magnitude < 80000:  # an Excel serial day number (1954-2119) that lost its date format
            return _checked(_EXCEL_EPOCH + timedelta(days=number), tz, original)
        raise ValueError(f"cannot parse '{original}' as a date/time")
    year = datetime.fromtimestamp(number, tz=timezone.utc).year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"cannot parse '{original}' as a date/time: year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    return math.floor(number)


def _parse_text(text: str, tz: str, dayfirst: bool, original: object) -> int:
    first = text[0]
    if first.isdigit() or first in "+-":
        if _NUMBER.match(text):
            if len(text) == 8 and text.isdigit():  # 20240305
                return _checked(_build(original, text[:4], text[4:6], text[6:]), tz, original)
            return _from_number(float(text), tz, original)
        if len(text) >= 10 and text[4] == "-":
            try:
                return _checked(datetime.fromisoformat(text), tz, original)
            except ValueError:
                pass  # e.g. "2024-03-05 14:20:00 +0800": the regexes below take it
        m = _YMD.match(text)
        if m:
            y, mo, d, *rest = m.groups()
            return _checked(_build(original, y, mo, d, *rest), tz, original)
        m = _XDY.match(text)
        if m:
            a, sep, b, y, *rest = m.groups()
            first_num, second = int(a), int(b)
            # Day first when it cannot be a month, when asked, or with dots (German/Russian style 05.03.2024).
            if first_num > 12 or (second <= 12 and (dayfirst or sep == ".")):
                first_num, second = second, first_num
            year = y if len(y) == 4 else str(2000 + int(y) if int(y) < 70 else 1900 + int(y))
            return _checked(_build(original, year, first_num, second, *rest), tz, original)
        m = _CHINESE.match(text)
        if m:
            y, mo, d, half, hh, mm, ss = m.groups()
            hour = int(hh or 0)
            if half in ("下午", "晚上") and hour < 12:
                hour += 12
            return _checked(_build(original, y, mo, d, hour, mm or 0, ss or 0), tz, original)
    m = _WORDY.match(text)
    if m:
        d1, mon1, mon2, d2, y, *rest = m.groups()
        month = _MONTHS.get((mon1 or mon2).lower().rstrip("."))
        if month:
            return _checked(_build(original, y, month, d1 or d2, *rest), tz, original)
    return _checked(_dateutil(text, dayfirst, original), tz, original)


def _build(original: object, year: object, month: object, day: object, hour: object = 0, minute: object = 0,
           second: object = 0, fraction: object = None, ampm: object = None, zone: object = None) -> datetime:
    try:
        h = int(hour or 0)
        if ampm:
            if h > 12:
                raise ValueError("hour above 12 with AM/PM")
            h = h % 12 + (12 if ampm[0] in "Pp" else 0)
        micro = int(str(fraction)[:6].ljust(6, "0")) if fraction else 0
        dt = datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0), micro)
    except ValueError as exc:
        raise ValueError(f"cannot parse '{original}' as a date/time: {exc}") from None
    if zone:
        dt = dt.replace(tzinfo=_offset(str(zone)))
    return dt


def _offset(zone: str) -> tzinfo:
    if zone in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def _dateutil(text: str, dayfirst: bool, original: object) -> datetime:
    from dateutil import parser

    if not re.search(r"\d{4}", text):
        # dateutil fills a missing year (and day) from the default, which would invent a date.
        raise ValueError(f"cannot parse '{original}' as a date/time")
    zones = {name: hours * 3600 for name, hours in _ZONE_ABBREVIATIONS.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown zone names parse as naive times, which `tz` then places
            return parser.parse(text, dayfirst=dayfirst, default=datetime(2000, 1, 1), tzinfos=zones)
    except (ValueError, OverflowError):
        raise ValueError(f"cannot parse '{original}' as a date/time") from None
