"""Entities found by pattern alone, in English and Chinese: money amounts, dates and order ids.

Each finder (`find_money`, `find_dates`, `find_order_ids`) yields (start, end, kind, value) spans;
`entities.EntityExtractor` resolves overlaps with the dictionary and place spans. What counts as each kind
is described in `entities`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

_I = re.IGNORECASE
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGIT = re.compile(r"\d")
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CODES = dict(
    [(c, c) for c in ("USD", "EUR", "GBP", "CNY", "JPY", "HKD", "CAD", "AUD")] + [(c.lower(), c) for c in (
        "USD", "EUR", "GBP", "CNY", "JPY")] + [(s, "USD") for s in ("$", "US$", "dollar", "buck", "美元", "美金")]
    + [(s, "CNY") for s in ("¥", "￥", "RMB", "rmb", "yuan", "元", "块", "块钱", "人民币")]
    + [("€", "EUR"), ("euro", "EUR"), ("欧元", "EUR"), ("£", "GBP"), ("英镑", "GBP"), ("日元", "JPY"), ("HK$", "HKD"),
       ("港币", "HKD"), ("港元", "HKD"), ("C$", "CAD"), ("CA$", "CAD"), ("A$", "AUD"), ("AU$", "AUD")])
_NOT_MONEY = "(?![肉牛排鸡鱼蛋饼糖豆面布地石板砖表屏冰姜瓜])"  # 块 is also "a piece of": 3块牛排 is steak
_MONEY_PRE = re.compile(r"(?<![A-Za-z0-9$])(US\$|HK\$|CA\$|AU\$|C\$|A\$|\$|€|£|¥|￥|"
                        rf"USD|EUR|GBP|CNY|RMB|JPY|HKD|CAD|AUD)\s?({_NUM})(\s?[kK](?![A-Za-z]))?(?!\d)")
_MONEY_POST = re.compile(rf"(?<![\d.,A-Za-z])({_NUM})(\s?[kK])?\s?(?:(dollar|buck|euro|yuan)s?\b|"
                         rf"(usd|eur|gbp|rmb|cny|jpy)\b|(块钱|人民币|美元|美金|欧元|英镑|日元|港币|港元|元|块{_NOT_MONEY}))",
                         _I)
# a single digit character before 块 is too often "a piece of" (一块蛋糕), so it needs 钱 or 元
_MONEY_ZH = re.compile(rf"(?:([零一二两三四五六七八九十百千万]{{2,}}|十)(?:点([零一二三四五六七八九]+))?"
                       rf"(块钱|元|块{_NOT_MONEY})|([一二两三四五六七八九])(块钱|元))")
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# English month names and abbreviations -> 1..12 (entities also reads them: a month is never a place)
MONTHS = {m: i for i, ms in enumerate(("jan january", "feb february", "mar march", "apr april", "may", "jun june",
                                        "jul july", "aug august", "sep sept september", "oct october",
                                        "nov november", "dec december"), 1) for m in ms.split()}
_MON = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
        r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_YEAR = r"((?:19|20)\d\d)"
_DATES = (  # (pattern, how to read its groups); overlaps between them are resolved like any other spans
    (re.compile(rf"(?<![\d.]){_YEAR}[-/.](\d{{1,2}})[-/.](\d{{1,2}})(?!\d)"), "ymd"),
    (re.compile(rf"(?<![\d/])(\d{{1,2}})/(\d{{1,2}})/{_YEAR}(?![\d/])"), "mdy"),
    (re.compile(rf"\b{_MON}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+{_YEAR}\b)?", _I), "month_day"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}\b(?:,?\s+{_YEAR}\b)?", _I), "day_month"),
    (re.compile(rf"\b{_MON}\s+{_YEAR}\b", _I), "month_year"),
    (re.compile(r"\b(?:in|for|since|until|by|of|last|next|this|early|late|mid|end of)\s+(January|February|March|"
                r"April|May|June|July|August|September|October|November|December)\b", _I), "month"),
    (re.compile(rf"\b(?:in|since|until|by|from|before|after)\s+{_YEAR}\b(?![-/.]\d)", _I), "year"),
    (re.compile(rf"(?<!\d)(?:{_YEAR}年)?(\d{{1,2}})月(?:(\d{{1,2}})[日号])?"), "zh"),
    (re.compile(rf"(?<!\d){_YEAR}年(?!\d{{1,2}}月)"), "year"),
    (re.compile(r"\b(?:today|tonight|yesterday|tomorrow|(?:last|next|this)\s+(?:week(?:end)?|month|year)|"
                r"(?:(?:last|next|this)\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)days?)\b", _I), "relative"),
    (re.compile(r"今天|今晚|昨天|昨晚|前天|明天|后天|本月|上个?月|下个?月|这个月|"
                r"(?:上|下|这|本)(?:周|星期|礼拜)[一二三四五六日天]?|"
                r"(?<![一二三四五六七八九十两几\d])(?:周|星期|礼拜)[一二三四五六日天]"), "relative"),
)
_ORDER_EN = re.compile(r"\b(?:order|ticket|case|invoice|ref(?:erence)?|tracking|confirmation|shipment|PO)"
                       r"(\s+(?:number|no\.?|num|id)|\s*[:#])?\s*[:#]?\s*(#?[A-Za-z]{0,4}-?\d[\dA-Za-z\-]*)", _I)
_ORDER_ZH = re.compile(r"(?:订单号|订单编号|订单|运单号|快递单号|物流单号|单号|工单号|工单编号|工单|发票号码?)"
                       r"\s*[:\uff1a#]?\s*([A-Za-z]{0,4}-?\d[\dA-Za-z\-]*)")
_ORDER_BARE = re.compile(r"(?<![\w#&])#([A-Za-z]{0,3}\d{3,}[A-Za-z0-9\-]*)\b|\b([A-Z]{2,4}-\d{4,})\b")


def _amount(number: str, scale: int = 1) -> str | None:
    try:
        value = Decimal(number.replace(",", "")) * scale
    except InvalidOperation:
        return None
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


def find_money(text: str):
    """(start, end, "money", "USD 59.99") spans: currency signs and codes, currency words, Chinese numerals."""
    if not _DIGIT.search(text) and not _HAN.search(text):
        return
    for m in _MONEY_PRE.finditer(text):
        if amount := _amount(m.group(2), 1000 if m.group(3) else 1):
            yield m.start(), m.end(), "money", f"{_CODES[m.group(1)]} {amount}"
    for m in _MONEY_POST.finditer(text):
        unit = (m.group(3) or m.group(4) or m.group(5)).lower()
        if amount := _amount(m.group(1), 1000 if m.group(2) else 1):
            yield m.start(), m.end(), "money", f"{_CODES[unit]} {amount}"
    for m in _MONEY_ZH.finditer(text):
        yield m.start(), m.end(), "money", f"CNY {_zh_number(m.group(1) or m.group(4), m.group(2) or '')}"


def _zh_number(whole: str, frac: str = "") -> str:
    """Chinese numerals as a decimal string: 三百九十九 -> "399", 一万二千 -> "12000", (十五, 五) -> "15.50"."""
    total = section = num = 0
    for ch in whole:
        if ch in _ZH_DIGITS:
            num = _ZH_DIGITS[ch]
        elif ch == "万":
            total, section, num = (total + section + num) * 10000, 0, 0
        else:  # 十 百 千; a bare 十 is ten
            section, num = section + (num or 1) * {"十": 10, "百": 100, "千": 1000}[ch], 0
    fraction = "".join(str(_ZH_DIGITS[c]) for c in frac)
    return _amount(f"{total + section + num}.{fraction or 0}") or "0"


def _iso(y, mo, d=None) -> str | None:
    """ISO 8601 text for a (possibly partial) date, or None when it is not a real calendar date."""
    try:
        date(int(y) if y else 2000, int(mo), int(d) if d else 1)  # 2000 is a leap year: "--02-29" is valid
    except ValueError:
        return None
    day = f"-{int(d):02d}" if d else ""
    return f"{int(y):04d}-{int(mo):02d}{day}" if y else f"--{int(mo):02d}{day}"


def find_dates(text: str):
    """(start, end, "date", ISO value or None) spans; a relative date ("yesterday", 上周三) has value None."""
    for pattern, kind in _DATES:
        for m in pattern.finditer(text):
            if kind == "relative":
                yield m.start(), m.end(), "date", None
            elif value := _date_value(kind, m.groups()):
                yield (m.start(1) if kind in ("month", "year") else m.start()), m.end(), "date", value


def _date_value(kind: str, g: tuple) -> str | None:
    if kind in ("ymd", "zh"):
        return _iso(*g)
    if kind == "mdy":  # US order unless the first number cannot be a month
        return _iso(g[2], g[0], g[1]) or _iso(g[2], g[1], g[0])
    if kind == "month_day":
        return _iso(g[2], MONTHS[g[0].lower()], g[1])
    if kind == "day_month":
        return _iso(g[2], MONTHS[g[1].lower()], g[0])
    if kind == "month_year":
        return _iso(g[1], MONTHS[g[0].lower()])
    if kind == "month":  # "in march" may be the verb; "in March" is the month
        return _iso(None, MONTHS[g[0].lower()]) if g[0][0].isupper() else None
    return g[0]  # year


def find_order_ids(text: str):
    """(start, end, "order_id", bare id) spans after order/ticket/订单号 words, or ids like "#A12345"."""
    if not _DIGIT.search(text):
        return
    for m in _ORDER_EN.finditer(text):
        ident = m.group(2).lstrip("#").rstrip("-")
        digits = len(_DIGIT.findall(ident))
        marked = m.group(1) or m.group(2).startswith("#") or ident[0].isalpha()
        # "order 100 meals" is a quantity: a bare number needs 4+ digits, a marked one ("#", "number", "A1") 3+
        if (digits >= 4 or (marked and digits >= 3)) and not _DATES[0][0].fullmatch(ident):
            yield m.start(), m.end(), "order_id", ident.upper()
    for m in _ORDER_ZH.finditer(text):
        if len(_DIGIT.findall(m.group(1))) >= 4:
            yield m.start(), m.end(), "order_id", m.group(1).upper()
    for m in _ORDER_BARE.finditer(text):
        yield m.start(), m.end(), "order_id", (m.group(1) or m.group(2)).upper()
