"""Timestamps as they appear in feedback exports, turned into UTC epoch seconds."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest

from assistant.errors import ConfigError
from assistant.text.timeparse import parse_timestamp


def utc(*args) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


@pytest.mark.parametrize("value, expected", [
    ("2/24/2015 11:35", utc(2015, 2, 24, 11, 35)),
    ("24/2/2015 11:35", utc(2015, 2, 24, 11, 35)),  # first number > 12: day first
    ("2/24/15", utc(2015, 2, 24)),
    ("2/24/2015 11:35 PM", utc(2015, 2, 24, 23, 35)),
    ("2015-02-24T11:35:52Z", utc(2015, 2, 24, 11, 35, 52)),
    ("2015-02-24T11:35:52", utc(2015, 2, 24, 11, 35, 52)),
    ("2015-02-24T11:35:52.987654+08:00", utc(2015, 2, 24, 3, 35, 52)),
    ("2015-02-24 11:35:52.5-05:00", utc(2015, 2, 24, 16, 35, 52)),
    ("2024-03-05T14:20:00.123456789Z", utc(2024, 3, 5, 14, 20)),
    ("2024-03-18", utc(2024, 3, 18)),
    ("2024/3/18", utc(2024, 3, 18)),
    ("2024/03/18 09:05:01", utc(2024, 3, 18, 9, 5, 1)),
    ("2024-3-5 9:05", utc(2024, 3, 5, 9, 5)),
    ("2024年3月5日 14:20", utc(2024, 3, 5, 14, 20)),
    ("2024年3月5日", utc(2024, 3, 5)),
    ("2024年03月05日 14时20分", utc(2024, 3, 5, 14, 20)),
    ("2024年3月5日 下午2:20", utc(2024, 3, 5, 14, 20)),
    ("2024/3/5 下午2:20:00", utc(2024, 3, 5, 14, 20)),
    ("2024/3/5 上午11:20:00", utc(2024, 3, 5, 11, 20)),
    ("2024-03-05 14:20:00 +0800", utc(2024, 3, 5, 6, 20)),
    ("2015-02-24 11:35:52 -0800", utc(2015, 2, 24, 19, 35, 52)),
    ("Mon, 05 Mar 2024 14:20:00 GMT", utc(2024, 3, 5, 14, 20)),
    ("Mon, 05 Mar 2024 14:20:00 +0100", utc(2024, 3, 5, 13, 20)),
    ("March 5, 2024", utc(2024, 3, 5)),
    ("Mar 5, 2024 2:20 PM", utc(2024, 3, 5, 14, 20)),
    ("5 Mar 2024", utc(2024, 3, 5)),
    ("5th March 2024", utc(2024, 3, 5)),
    ("Tue Mar 5 14:20:00 2024", utc(2024, 3, 5, 14, 20)),  # left to dateutil
    ("05.03.2024", utc(2024, 3, 5)),  # dotted dates are day first
    ("20240305", utc(2024, 3, 5)),
    (1709648400, utc(2024, 3, 5, 14, 20)),
    (1709648400.9, utc(2024, 3, 5, 14, 20)),
    ("1709648400", utc(2024, 3, 5, 14, 20)),
    ("946684800", utc(2000, 1, 1)),  # 9 digits
    ("1709648400123", utc(2024, 3, 5, 14, 20)),
    (1709648400123, utc(2024, 3, 5, 14, 20)),
    (45356.5, utc(2024, 3, 5, 12)),  # Excel serial day number
    (datetime(2024, 3, 5, 14, 20), utc(2024, 3, 5, 14, 20)),
    (datetime(2024, 3, 5, 14, 20, tzinfo=timezone.utc), utc(2024, 3, 5, 14, 20)),
    (date(2024, 3, 5), utc(2024, 3, 5)),
    (pd.Timestamp("2024-03-05 14:20"), utc(2024, 3, 5, 14, 20)),
    (pd.Timestamp("2024-03-05 14:20", tz="Asia/Shanghai"), utc(2024, 3, 5, 6, 20)),
    (np.datetime64("2024-03-05T14:20:00"), utc(2024, 3, 5, 14, 20)),
    (np.int64(1709648400), utc(2024, 3, 5, 14, 20)),
    ("  2024-03-18  ", utc(2024, 3, 18)),
])
def test_formats(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", float("nan"), np.nan, pd.NaT, "NaN", "null", "N/A"])
def test_empty_values_are_none(value):
    assert parse_timestamp(value) is None


def test_naive_times_use_the_given_zone():
    assert parse_timestamp("2024-03-05 14:20", tz="Asia/Shanghai") == utc(2024, 3, 5, 6, 20)
    assert parse_timestamp("2024年3月5日 14:20", tz="Asia/Shanghai") == utc(2024, 3, 5, 6, 20)
    assert parse_timestamp(datetime(2024, 7, 1, 12), tz="America/New_York") == utc(2024, 7, 1, 16)  # EDT
    assert parse_timestamp(datetime(2024, 1, 1, 12), tz="America/New_York") == utc(2024, 1, 1, 17)  # EST
    assert parse_timestamp(pd.Timestamp("2024-03-05 14:20"), tz="Asia/Shanghai") == utc(2024, 3, 5, 6, 20)


def test_explicit_offsets_and_epochs_ignore_the_zone():
    assert parse_timestamp("2024-03-05T14:20:00Z", tz="Asia/Shanghai") == utc(2024, 3, 5, 14, 20)
    assert parse_timestamp("2024-03-05 14:20:00 +0800", tz="America/New_York") == utc(2024, 3, 5, 6, 20)
    assert parse_timestamp(1709648400, tz="Asia/Shanghai") == utc(2024, 3, 5, 14, 20)


def test_dayfirst_decides_ambiguous_dates_only():
    assert parse_timestamp("03/04/2024") == utc(2024, 3, 4)
    assert parse_timestamp("03/04/2024", dayfirst=True) == utc(2024, 4, 3)
    assert parse_timestamp("03/24/2024", dayfirst=True) == utc(2024, 3, 24)  # 24 cannot be a month
    assert parse_timestamp("2024-03-04", dayfirst=True) == utc(2024, 3, 4)  # year first is never swapped


@pytest.mark.parametrize("value", ["hello", "not a date 2024x", "2024-13-45", "31/31/2024", "3/4", "12345",
                                   "2/24/2015 13:35 PM", True, "March 5"])
def test_unparseable_values_raise(value):
    with pytest.raises(ValueError, match=r"^cannot parse '.*' as a date/time"):
        parse_timestamp(value)


@pytest.mark.parametrize("value", ["1850-01-01", "2200-01-01", "0001-01-01T00:00:00", datetime(1970, 1, 1),
                                   "12/31/1989", 100000000, "99999999999"])
def test_implausible_years_raise(value):
    with pytest.raises(ValueError, match="cannot parse"):
        parse_timestamp(value)


def test_year_bounds_are_inclusive():
    assert parse_timestamp("1990-01-01") == utc(1990, 1, 1)
    assert parse_timestamp("2100-12-31") == utc(2100, 12, 31)


def test_time_without_a_date_is_refused():
    from datetime import time as clock

    with pytest.raises(ValueError, match="it has no date"):
        parse_timestamp(clock(14, 20))


def test_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        parse_timestamp("2024-03-05 14:20", tz="Mars/Olympus")


def test_fast_path_handles_ten_thousand_rows_quickly():
    values = [f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z" for i in range(10_000)]
    values += [f"{1 + i % 12}/{1 + i % 28}/2024 {i % 24}:{i % 60:02d}" for i in range(10_000)]
    values += [f"2024年{1 + i % 12}月{1 + i % 28}日 {i % 24}:{i % 60:02d}" for i in range(10_000)]
    start = time.perf_counter()
    parsed = [parse_timestamp(v, tz="Asia/Shanghai") for v in values]
    elapsed = time.perf_counter() - start
    assert all(isinstance(p, int) for p in parsed)
    assert elapsed < 2.0, f"30,000 timestamps took {elapsed:.2f}s"
