"""Mapping file columns to roles: English and Chinese names, fallbacks, overrides and errors."""

from __future__ import annotations

import pytest

from assistant.errors import InputFileError
from assistant.ingest.columns import ColumnMap, map_columns


def test_english_names_ignore_case_spaces_underscores_and_hyphens():
    columns = ["Ticket ID", "Feedback", "Created-At", "Customer_ID", "Customer Name", "Channel", "Stars", "Product"]
    mapped = map_columns(columns, {}, path="f.csv")
    assert mapped == ColumnMap(text="Feedback", time="Created-At", customer="Customer_ID",
                               customer_name="Customer Name", channel="Channel", rating="Stars", product="Product",
                               id="Ticket ID")


def test_chinese_names():
    columns = ["工单号", "内容", "提交时间", "用户ID", "昵称", "渠道", "评分", "商品"]
    assert map_columns(columns, {}, path="f.csv").roles() == {
        "text": "内容", "time": "提交时间", "customer": "用户ID", "customer_name": "昵称",
        "channel": "渠道", "rating": "评分", "product": "商品", "id": "工单号",
    }


def test_roles_lists_only_mapped_roles():
    assert map_columns(["评论", "日期"], {}, path="f.csv").roles() == {"text": "评论", "time": "日期"}


def test_plain_text_file_column():
    assert map_columns(["text"], {}, path="f.txt") == ColumnMap(text="text")


def test_earlier_name_wins_and_a_column_serves_one_role():
    mapped = map_columns(["user", "customer_id", "name", "review", "description", "review_id"], {}, path="f")
    assert (mapped.customer, mapped.customer_name, mapped.text, mapped.id) == ("customer_id", "name", "review", "review_id")


def test_flattened_json_keys():
    mapped = map_columns(["text", "user.id", "user.name"], {}, path="f.json")
    assert (mapped.customer, mapped.customer_name) == ("user.id", "user.name")


def test_exact_name_beats_partial_match():
    mapped = map_columns(["Consumer complaint narrative", "comment"], {}, path="f.csv")
    assert mapped.text == "comment"


def test_partial_text_match_cfpb_style():
    columns = ["Date received", "Product", "Consumer complaint narrative", "Company", "Complaint ID"]
    mapped = map_columns(columns, {}, path="complaints.csv")
    assert mapped.roles() == {"text": "Consumer complaint narrative", "time": "Date received", "product": "Product"}


def test_partial_text_prefers_longest_values():
    rows = [{"review_title": "Meh", "review_text": "The battery drains overnight and support never answered."},
            {"review_title": "Great", "review_text": "Setup took two minutes, works with my old router too."}]
    mapped = map_columns(["review_title", "review_text", "reviewer_name", "review_date"], {}, path="f",
                         sample_rows=rows)
    assert mapped.text == "review_text"
    assert map_columns(["review_title", "review_text"], {}, path="f").text == "review_title"  # no sample: first


def test_partial_text_skips_id_and_name_columns():
    with pytest.raises(InputFileError):
        map_columns(["reviewerID", "reviewerName", "overall"], {}, path="f")


def test_single_column_is_the_text_whatever_its_name():
    assert map_columns(["Kommentare"], {}, path="f.csv").text == "Kommentare"


def test_no_text_column_error_lists_columns():
    with pytest.raises(InputFileError) as err:
        map_columns(["id", "date", "score"], {}, path="data/f.csv")
    assert str(err.value) == ("data/f.csv: no text column found; columns are: id, date, score; "
                              "name one with --text-col")


def test_overrides_win_and_are_excluded_from_automatic_mapping():
    mapped = map_columns(["comment", "notes", "date", "when"], {"text": "notes", "time": "when", "rating": None},
                         path="f")
    assert (mapped.text, mapped.time, mapped.rating) == ("notes", "when", None)
    # "comment" is free again but text is already chosen, so it stays unmapped
    assert "comment" not in mapped.roles().values()


def test_override_matches_loosely_when_unambiguous():
    assert map_columns(["Feedback Text", "x"], {"text": "feedback_text"}, path="f").text == "Feedback Text"


def test_override_empty_string_switches_a_role_off():
    mapped = map_columns(["text", "date", "channel"], {"time": "", "channel": ""}, path="f")
    assert mapped.roles() == {"text": "text"}


@pytest.mark.parametrize("role, flag", [("text", "--text-col"), ("customer_name", "--customer-name-col"),
                                        ("time", "--time-col")])
def test_override_to_missing_column(role, flag):
    with pytest.raises(InputFileError) as err:
        map_columns(["a", "b", "c"], {role: "x"}, path="f.csv")
    assert str(err.value) == f"f.csv: column 'x' given for {flag} not found; columns are: a, b, c"


def test_unknown_role_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown column roles: colour"):
        map_columns(["text"], {"colour": "x"}, path="f")


def test_time_fallback_needs_values_that_parse():
    rows = [{"text": "a", "tweet_created": "2015-02-24 11:35:52 -0800", "time_spent": "5 min"},
            {"text": "b", "tweet_created": "2015-02-24 11:15:59 -0800", "time_spent": "3 min"}]
    mapped = map_columns(["text", "time_spent", "tweet_created"], {}, path="f", sample_rows=rows)
    assert mapped.time == "tweet_created"
    only_spent = map_columns(["text", "time_spent"], {}, path="f", sample_rows=rows)
    assert only_spent.time is None


def test_id_fallback_needs_unique_values():
    rows = [{"text": "a", "tweet_id": "1", "session_id": "s"}, {"text": "b", "tweet_id": "2", "session_id": "s"}]
    mapped = map_columns(["text", "session_id", "tweet_id"], {}, path="f", sample_rows=rows)
    assert mapped.id == "tweet_id"
