"""Cleaning: conversion to text, HTML, NFKC, invisible characters, whitespace, rejections, embed truncation."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from assistant.ingest.clean import CleanText, RejectedText, clean_text, to_text, truncate_for_embedding


def cleaned(raw, **kwargs) -> str:
    return clean_text(raw, **kwargs).text


# --- conversion to str -------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, float("nan"), math.nan, Decimal("NaN"), "", "   ", "\n\t\r\n"])
def test_missing_values_are_rejected_as_empty(raw):
    with pytest.raises(RejectedText) as err:
        clean_text(raw)
    assert err.value.reason == "empty text"
    assert str(err.value) == "empty text"
    assert isinstance(err.value, ValueError)


def test_pandas_missing_values_are_empty():
    pd = pytest.importorskip("pandas")
    assert to_text(pd.NA) == ""
    assert to_text(pd.NaT) == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (42, "42"),
        (3.0, "3"),
        (2.5, "2.5"),
        (b"caf\xc3\xa9 ok", "café ok"),
        (b"\xef\xbb\xbfhello", "hello"),
        (True, "True"),
    ],
)
def test_non_string_values_become_text(raw, expected):
    assert to_text(raw) == expected


# --- HTML --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Great app</p><p>Crashes often</p>", "Great app Crashes often"),
        ("Line one<br>Line two<br/>Line three<br />end", "Line one Line two Line three end"),
        ('See <a href="https://example.com/help">the help page</a> now', "See the help page now"),
        ("<b>Gr</b>eat <i>work</i>", "Great work"),
        ("Fish &amp; chips&nbsp;are&#39;nt bad &lt;3", "Fish & chips are'nt bad <3"),
        ("<div>ok<script>alert('x')</script> fine<style>p{color:red}</style></div>", "ok fine"),
        ("<p>before<!-- hidden note --> after</p>", "before after"),
        ("<!DOCTYPE html><html><body><h1>Title</h1><ul><li>one</li><li>two</li></ul></body></html>", "Title one two"),
        ('<img src="x.png" alt="logo">Nice <span class="x">logo</span>', "Nice logo"),
        ("<td>a</td><td>b</td>", "a b"),
        ("<p>unterminated <script>var x = 1;", "unterminated"),
        ("<p>&lt;b&gt; is shown literally</p>", "<b> is shown literally"),
        ("&#x4E2D;&#25991; text", "中文 text"),
    ],
)
def test_html_is_removed(raw, expected):
    assert cleaned(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "a < b and c > d",
        "I <3 this app",
        "x <b and c> y",
        "price <100 and >50",
        "<<< not a tag >>>",
        "use Vec<String> in rust",
        "if x<y then z>w",
        "this&nothing and AT&T",
        "R&D; Q&A",
    ],
)
def test_text_that_is_not_html_survives(raw):
    assert cleaned(raw) == raw


def test_unknown_entity_is_left_alone():
    assert cleaned("hello &notanentity; world") == "hello &notanentity; world"


# --- Unicode normalisation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("ｈｅｌｌｏ　ｗｏｒｌｄ", "hello world"),
        ("ﬁne ①", "fine 1"),
        ("很好，但是有点慢！为什么？", "很好，但是有点慢！为什么？"),
        ("价格（含税）：５９元；好", "价格（含税）：59元；好"),
        ("这个。那个、还有“引号”", "这个。那个、还有“引号”"),
        ("café", "café"),
        ("cafe\u0301", "café"),
    ],
)
def test_nfkc_keeps_chinese_punctuation(raw, expected):
    assert cleaned(raw) == expected


def test_noncharacters_in_input_do_not_turn_into_punctuation():
    assert cleaned("ok\ufdd0 fine") == "ok fine"


# --- invisible characters and whitespace -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("zero\u200bwidth\u200c join\u200d\ufeff", "zerowidth join"),
        ("bell\x07 and null\x00 chars\x7f", "bell and null chars"),
        ("soft\u00adhyphen", "softhyphen"),
        ("bidi \u202eevil\u202c mark\u200f", "bidi evil mark"),
        ("broken \ud800surrogate", "broken surrogate"),
        ("  many   spaces\t\ttabs\n\nnewlines\r\n end  ", "many spaces tabs newlines end"),
        ("nbsp\u00a0and\u2028line\u3000ideographic", "nbsp and line ideographic"),
    ],
)
def test_invisible_characters_and_whitespace(raw, expected):
    assert cleaned(raw) == expected


# --- rejections --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["!!!", "👍👍👍", "... ?!", "😀 🎉 !!", "<p>&nbsp;</p>?", "\u3164\u3164"])
def test_only_punctuation_or_emoji_is_rejected(raw):
    with pytest.raises(RejectedText) as err:
        clean_text(raw)
    assert err.value.reason in ("near-empty text (only punctuation/emoji)", "empty text")


def test_punctuation_reason_is_exact():
    with pytest.raises(RejectedText) as err:
        clean_text("👍!!")
    assert err.value.reason == "near-empty text (only punctuation/emoji)"


@pytest.mark.parametrize("raw", ["a", "5", "!a!", "👍 k"])
def test_one_latin_character_is_too_few(raw):
    with pytest.raises(RejectedText) as err:
        clean_text(raw)
    assert err.value.reason == "near-empty text (fewer than 2 meaningful characters)"


@pytest.mark.parametrize("raw", ["差", "好!", "ok", "10", "👍 good", "ア"])
def test_short_but_meaningful_items_are_kept(raw):
    assert cleaned(raw) == raw


def test_min_chars_is_configurable():
    assert cleaned("ab", min_chars=2) == "ab"
    with pytest.raises(RejectedText) as err:
        clean_text("abcd", min_chars=5)
    assert err.value.reason == "near-empty text (fewer than 5 meaningful characters)"
    # a CJK character weighs 2: three of them reach 5
    assert cleaned("太慢了", min_chars=5) == "太慢了"


def test_over_long_items_are_rejected_with_the_setting_name():
    with pytest.raises(RejectedText) as err:
        clean_text("x" * 5_242_880)
    assert err.value.reason == "text is 5,242,880 characters, over the limit of 100,000 (ASSISTANT_MAX_ITEM_CHARS)"


def test_length_limit_applies_to_the_cleaned_text():
    assert len(cleaned("word " * 20 + " " * 500, max_chars=100)) == 99
    with pytest.raises(RejectedText) as err:
        clean_text("y" * 101, max_chars=100)
    assert err.value.reason == "text is 101 characters, over the limit of 100 (ASSISTANT_MAX_ITEM_CHARS)"
    assert cleaned("<p>" + "z" * 100 + "</p>", max_chars=100) == "z" * 100


# --- truncation for embedding --------------------------------------------------------------------------------


def test_short_text_is_not_truncated():
    result = clean_text("Short and sweet.", embed_max_chars=2000)
    assert result == CleanText(text="Short and sweet.", embed_text="Short and sweet.", truncated=False)


def test_truncation_cuts_at_a_sentence_end_and_keeps_full_text():
    text = "The app crashes on start. " * 10 + "Final words here"
    result = clean_text(text, embed_max_chars=100)
    assert result.text == text.strip()
    assert result.truncated is True
    assert len(result.embed_text) <= 100
    assert result.embed_text.endswith("crashes on start.")
    assert result.text.startswith(result.embed_text)


def test_truncation_falls_back_to_a_word_boundary():
    text = " ".join(["word"] * 50)  # 249 chars, no sentence ends
    embed = truncate_for_embedding(text, 42)
    assert embed == " ".join(["word"] * 8)  # 39 chars; a 9th word would need 44
    assert len(embed) <= 42


def test_boundary_exactly_at_the_limit_is_used():
    assert truncate_for_embedding("abcd efgh ijkl", 9) == "abcd efgh"
    assert truncate_for_embedding("One two. Three four.", 8) == "One two."


def test_truncation_of_chinese_uses_the_last_full_stop():
    text = "第一句话说完了。" * 20
    embed = truncate_for_embedding(text, 50)
    assert embed == "第一句话说完了。" * 6
    assert len(embed) <= 50


def test_unpunctuated_chinese_is_cut_at_the_limit():
    text = "闪退" * 100
    assert truncate_for_embedding(text, 51) == text[:51]


def test_long_word_without_boundary_is_cut_hard():
    text = "x" * 300
    assert truncate_for_embedding(text, 100) == "x" * 100


def test_a_boundary_too_early_is_ignored():
    text = "Hi. " + "y" * 200
    assert truncate_for_embedding(text, 100) == text[:100]


def test_version_dots_are_not_sentence_ends():
    text = "Upgrade to v2.3.1 failed badly again and again " + "more " * 30
    embed = truncate_for_embedding(text, 30)
    assert embed == "Upgrade to v2.3.1 failed badly"


@pytest.mark.parametrize("limit", [1, 5, 17, 64, 199, 2000])
def test_embed_text_never_exceeds_the_limit(limit):
    text = "Mixed 中文 and English, sentences. 还有句号。 " * 80
    result = clean_text(text, embed_max_chars=limit)
    assert 0 < len(result.embed_text) <= limit
    assert result.truncated is True
    assert result.text.startswith(result.embed_text)


def test_embed_limit_must_be_positive():
    with pytest.raises(ValueError):
        clean_text("fine text", embed_max_chars=0)
