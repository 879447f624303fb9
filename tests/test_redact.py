"""PII redaction: every type redacted where it should be, and the look-alikes that must survive."""

from __future__ import annotations

import pytest

from assistant.text.redact import Redaction, redact


def check(text: str, expected: str, counts: dict[str, int]) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.counts == counts


# --- e-mail ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at bob@example.com please", "mail me at [EMAIL] please"),
        ("bob.smith+tag@mail.example.co.uk.", "[EMAIL]."),
        ("联系邮箱john_doe@qq.com谢谢", "联系邮箱[EMAIL]谢谢"),
        ("<Jane.O-Neil@sub.example.org>", "<[EMAIL]>"),
        ("mailto:x@y.io", "mailto:[EMAIL]"),
        ("12345678@qq.com", "[EMAIL]"),
    ],
)
def test_email(text, expected):
    check(text, expected, {"EMAIL": 1})


@pytest.mark.parametrize("text", ["@username said hi", "meet @ 5pm", "user@localhost", "a@b", "email: none@"])
def test_not_email(text):
    check(text, text, {})


# --- phones ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +1 (415) 555-0134 today", "call [PHONE] today"),
        ("UK office +44 20 7946 0958.", "UK office [PHONE]."),
        ("cell 415-555-0134", "cell [PHONE]"),
        ("cell (415) 555 0134", "cell [PHONE]"),
        ("cell 415.555.0134", "cell [PHONE]"),
        ("Call (212)555-1234.", "Call [PHONE]."),
        ("toll free 1-800-555-0199", "toll free [PHONE]"),
        ("中国 +86 138 1234 5678", "中国 [PHONE]"),
        ("+8613812345678", "[PHONE]"),
        ("+33 1 23 45 67 89", "[PHONE]"),
        ("+81-3-1234-5678", "[PHONE]"),
        ("+49 (0) 30 1234567", "[PHONE]"),
        ("我的手机13812345678，请回电", "我的手机[PHONE]，请回电"),
        ("手机：138-1234-5678", "手机：[PHONE]"),
        ("手机 138 1234 5678。", "手机 [PHONE]。"),
        ("座机 010-12345678", "座机 [PHONE]"),
        ("座机 0755-87654321 转 8", "座机 [PHONE] 转 8"),
        ("座机 (010)12345678", "座机 [PHONE]"),
        ("座机（021）87654321", "座机[PHONE]"),
        ("座机 010 1234 5678", "座机 [PHONE]"),
        ("分机 0755-12345678-801", "分机 [PHONE]"),
    ],
)
def test_phone(text, expected):
    check(text, expected, {"PHONE": 1})


def test_several_phones_are_counted():
    check(
        "我的手机 13812345678，或者 138-1234-5678、+1 415 555 0134",
        "我的手机 [PHONE]，或者 [PHONE]、[PHONE]",
        {"PHONE": 3},
    )


@pytest.mark.parametrize(
    "text",
    [
        "订单号 2026081512345 还没发货",
        "订单号2026081512345",
        "order #A12345 is late",
        "order 13812345678901",
        "订单 1381234567890",
        "#13812345678",
        "A13812345678",
        "sku-13812345678",
        "01012345678",
        "tel 555-0134",
        "Room 101, floor 12",
        "ts 1710748800 and ms 1710748800123",
        "postcode 100080",
        "score +100 200",
        "+1 2 3",
        "ranges 100-200",
        "ISBN 978-3-16-148410-0",
        "12345678901234567890",
    ],
)
def test_not_phone(text):
    check(text, text, {})


# --- payment cards -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 was charged", "card [CARD] was charged"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("card 4111111111111111.", "card [CARD]."),
        ("mc 5555 5555 5555 4444", "mc [CARD]"),
        ("mc2 2222 4000 7000 0005", "mc2 [CARD]"),
        ("amex 3782 822463 10005", "amex [CARD]"),
        ("amex 378282246310005", "amex [CARD]"),
        ("diners 3056 930902 5904", "diners [CARD]"),
        ("银联卡6222021234567890128扣款失败", "银联卡[CARD]扣款失败"),
        ("visa13 4222222222222", "visa13 [CARD]"),
        ("19 digits 4111 1111 1111 1111 003", "19 digits [CARD]"),
    ],
)
def test_card(text, expected):
    check(text, expected, {"CARD": 1})


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112",  # Luhn fails
        "number 1234 5678 9012 3456",  # Luhn fails
        "1381 2345 6781 2345",  # Luhn fails, and not a phone either
        "ref 0000000000000000",  # no issuer starts with 0
        "id 2026081512345",  # 13 digits but not a Visa prefix
        "4111 1111 1111",  # too short
        "41111 1111 1111 1111",  # not card grouping
    ],
)
def test_not_card(text):
    check(text, text, {})


def test_card_is_not_eaten_as_phones():
    check("pay 6011 1111 1111 1117 now", "pay [CARD] now", {"CARD": 1})


# --- Chinese resident ID ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证 11010519491231002X", "身份证 [ID_NUMBER]"),
        ("身份证号11010519491231002x，", "身份证号[ID_NUMBER]，"),
        ("ID: 440524188001010014", "ID: [ID_NUMBER]"),
        ("id 110101199003074477 ok", "id [ID_NUMBER] ok"),
    ],
)
def test_cn_id(text, expected):
    check(text, expected, {"ID_NUMBER": 1})


@pytest.mark.parametrize(
    "text",
    [
        "身份证 110105194912310021",  # wrong check digit
        "身份证 110105194913310024",  # month 13
        "2110105194912310020X",  # part of a longer run
    ],
)
def test_not_cn_id(text):
    assert "ID_NUMBER" not in redact(text).counts


# --- IP addresses ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from 192.168.1.100 today", "from [IP] today"),
        ("IP: 8.8.8.8.", "IP: [IP]."),
        ("服务器192.168.0.1挂了", "服务器[IP]挂了"),
        ("v6 2001:db8::1 here", "v6 [IP] here"),
        ("link fe80::1ff:fe23:4567:890a.", "link [IP]."),
        ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "full [IP]"),
        ("mapped ::ffff:192.0.2.128", "mapped [IP]"),
        ("loopback ::1", "loopback [IP]"),
    ],
)
def test_ip(text, expected):
    check(text, expected, {"IP": 1})


@pytest.mark.parametrize(
    "text",
    [
        "bad 256.1.1.1",
        "iOS 17.4.1",
        "v2.3.1",
        "v1.2.3.4",
        "version 1.2.3.4",
        "Version: 10.0.0.1",
        "build 10.0.0.1",
        "版本 2.1.0.3",
        "1.2.3.4.5",
        "192.168.1.1000",
        "at 12:30:45",
        "mac 00:1A:2B:3C:4D:5E",
        "std::vector and A::B",
        "ratio 3:2:1",
    ],
)
def test_not_ip(text):
    check(text, text, {})


# --- URL credentials and secrets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "counts"),
    [
        ("https://user:pass@host/path", "https://[CREDENTIALS]@host/path", {"URL_CREDENTIALS": 1}),
        (
            "see ftp://anonymous@ftp.example.org/pub",
            "see ftp://[CREDENTIALS]@ftp.example.org/pub",
            {"URL_CREDENTIALS": 1},
        ),
        ("https://u:p@ss@example.com/", "https://[CREDENTIALS]@example.com/", {"URL_CREDENTIALS": 1}),
        ("https://example.com/cb?token=abc123", "https://example.com/cb?token=[SECRET]", {"SECRET": 1}),
        (
            "https://x.io/a?api_key=XYZ&page=2&password=hunter2#top",
            "https://x.io/a?api_key=[SECRET]&page=2&password=[SECRET]#top",
            {"SECRET": 2},
        ),
        ("https://x.io/?access_token=eyJ.abc", "https://x.io/?access_token=[SECRET]", {"SECRET": 1}),
        (
            "https://x.io/?Client_Secret=s3&x_api_key=k",
            "https://x.io/?Client_Secret=[SECRET]&x_api_key=[SECRET]",
            {"SECRET": 2},
        ),
        ("reset link ?token=abc123, expired", "reset link ?token=[SECRET], expired", {"SECRET": 1}),
        ("jwt ?id_token=eyJ.abc.def.", "jwt ?id_token=[SECRET].", {"SECRET": 1}),
        (
            "http://admin:admin@10.0.0.1:8080/?token=t",
            "http://[CREDENTIALS]@[IP]:8080/?token=[SECRET]",
            {"URL_CREDENTIALS": 1, "SECRET": 1, "IP": 1},
        ),
    ],
)
def test_url_credentials(text, expected, counts):
    check(text, expected, counts)


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/path?page=2&sort=asc",
        "https://example.com/a?monkey=1&keyboard=2",
        "visit https://example.com and write bob",
        "a = b and c=d",
    ],
)
def test_not_url_credentials(text):
    check(text, text, {})


# --- things that must survive ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "order #A12345 arrived broken",
        "订单号 2026081512345 还没到",
        "price $1,299.00 and ¥59, also €12.50",
        "价格 ¥1299.00，数量 3 件",
        "on 2024-03-18 at 10:30:00",
        "2024/3/18 and 3/18/2024 and 2024年3月18日 下午3:30",
        "between 10:30-11:45",
        "v2.3.1 and iOS 17.4.1 and Android 14",
        "Version 17.4.1 (21E236)",
        "build 20240318.1",
        "since 2019, 3 years",
        "10000 users, 1,000,000 downloads, 256GB",
        "iPhone 15 Pro Max",
        "tracking 1Z999AA10123456784",
        "non-Luhn 4111111111111112",
        "call me maybe",
        "",
    ],
)
def test_non_personal_numbers_survive(text):
    check(text, text, {})


# --- combined ---------------------------------------------------------------------------------------------------


def test_mixed_text_with_every_type():
    text = (
        "I'm bob@example.com, phone +1 (415) 555-0134, card 4111 1111 1111 1111, "
        "身份证11010519491231002X, IP 203.0.113.7, login https://bob:pw@app.example.com/?token=abc, "
        "order #A12345 on 2024-03-18 for $1,299.00."
    )
    result = redact(text)
    assert result.text == (
        "I'm [EMAIL], phone [PHONE], card [CARD], "
        "身份证[ID_NUMBER], IP [IP], login https://[CREDENTIALS]@app.example.com/?token=[SECRET], "
        "order #A12345 on 2024-03-18 for $1,299.00."
    )
    assert result.counts == {
        "URL_CREDENTIALS": 1,
        "SECRET": 1,
        "EMAIL": 1,
        "IP": 1,
        "ID_NUMBER": 1,
        "CARD": 1,
        "PHONE": 1,
    }
    assert result.total == 7


def test_email_digits_are_not_a_phone():
    check("13812345678@163.com", "[EMAIL]", {"EMAIL": 1})


def test_redaction_is_idempotent():
    text = "bob@example.com https://u:p@h.io/?token=x 13812345678 4111111111111111 8.8.8.8 11010519491231002X"
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.counts == {}


def test_result_type():
    result = redact("nothing personal here")
    assert isinstance(result, Redaction)
    assert result == Redaction("nothing personal here", {})
    assert result.total == 0
