"""Keywords for themes: English and Chinese tokenization, ranking by lift, and readable labels.

`item_terms` turns one feedback text into the set of terms it contains: lowercased English words and
bigrams of adjacent content words, and Chinese words from jieba (two characters or more), with
stopwords, redaction placeholders ([PHONE] ...), numbers, prices, order ids, versions, @handles and
URLs removed. Terms are counted once per item, so a long rant that repeats a word does not outweigh
the theme.

`rank_keywords` scores a term by its part of the KL divergence of the theme from all themed items: high
when a large share of the theme's items use it and a much smaller share of all items do.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

# chatty words that carry no demand; extends scikit-learn's English list (which has "not", "no", ...)
_EN_EXTRA = """
hi hello hey dear thanks thank thx ty please pls plz team guys folks lol ok okay yes yeah yep really just also
im i'm ive i've i'd i'll id ill dont don't cant can't won't wont isn't isnt didn't didnt doesn't doesnt wasn't
aren't haven't hasn't couldn't wouldn't shouldn't you're youre that's thats there's theres it's its we're
they're let's lets what's whats he's she's who's u ur r pm am etc btw imo tbh fyi asap via got get getting
would could should must might shall will one two us regards cheers sincerely
""".split()

# words scikit-learn counts as stopwords that name things in feedback ("app down", "bill", "call")
_EN_KEEP = frozenset("bill call fire system empty full detail amount down off back front top bottom side show find found "
                     "move".split())

_COPULAS = frozenset("is are was were be been being".split())

# Chinese function words, fillers and polite phrases (jieba keeps many of them as two-character words)
_ZH_STOP = set("""
我们 你们 他们 她们 它们 自己 这个 那个 这些 那些 这样 那样 这么 那么 怎么 怎么办 什么 为什么 哪里 哪个 还是 就是 只是
但是 可是 不过 而且 并且 因为 所以 如果 虽然 然后 还有 已经 一直 一下 一点 一些 有点 有些 一个 一样 真的 非常 特别
比较 感觉 觉得 现在 今天 昨天 明天 时候 之前 之后 以后 以前 可以 能够 不能 不会 没有 是不是 有没有 能不能 大家 各位
你好 您好 谢谢 谢啦 麻烦 请问 希望 的话 或者 以及 其实 确实 简直 根本 完全 实在 还要 还会 还能 不是 就是 一次 每次
这次 上次 这种 那种 东西 问题 情况 这边 那边 一定 应该 需要 知道 可能 还好 好像 总是 居然 竟然 到底 怎样 如何 多少
为啥 咋办 啥时候 哈哈 哈哈哈 嗯嗯 呵呵 谢谢你们 感谢 辛苦 你们好 亲们 求助 请问一下 一下下 好的 好吧 我们家 我家
""".split())

_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]|\[[\u4e00-\u9fff]{1,4}\]")  # redactions; Weibo emoticons like [怒]
# links, @handles, and any run with a digit: prices, order ids (#A12345), versions, times, "502"
_DROP = re.compile(r"https?://\S+|www\.\S+|@[\w.-]+|[A-Za-z0-9_$€¥£#./:%+-]*\d[A-Za-z0-9_$€¥£#./:%+-]*")
_LATIN = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_SEGMENT = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z][A-Za-z'’]*|[^\sA-Za-z\u4e00-\u9fff]+")


@lru_cache(maxsize=1)
def _en_stopwords() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return (frozenset(ENGLISH_STOP_WORDS) - _EN_KEEP) | frozenset(_EN_EXTRA)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # otherwise it prints "Building prefix dict" on first use
    return jieba


def item_terms(text: str) -> set[str]:
    """The distinct keyword candidates in one text (English words and bigrams, Chinese jieba words)."""
    text = _DROP.sub(" ", _PLACEHOLDER.sub(" ", text or ""))
    terms: set[str] = set()
    stop = _en_stopwords()
    previous: str | None = None  # last English content word, for bigrams; reset by anything in between
    for match in _SEGMENT.finditer(text):
        piece = match.group()
        if _HAN.fullmatch(piece):
            previous = None
            for word in _jieba().lcut(piece):
                if len(word) >= 2 and word not in _ZH_STOP:
                    terms.add(word)
            continue
        if not piece[0].isalpha():
            start, end = match.span()
            glued = piece == "-" and 0 < start and end < len(text) and text[start - 1].isalpha() and text[end].isalpha()
            if not glued:  # punctuation ends a phrase; "dark-mode" stays one
                previous = None
            continue
        word = piece.lower().replace("’", "'").strip("'")
        word = word.removesuffix("'s")
        if word in _COPULAS:
            continue  # "the app is down" gives "app down"
        if len(word) < 2 or word in stop or not _LATIN.fullmatch(word):
            previous = None
            continue
        terms.add(word)
        if previous:
            terms.add(f"{previous} {word}")
        previous = word
    return terms


def count_terms(texts: Iterable[str]) -> Counter:
    """How many of `texts` contain each term."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(item_terms(text))
    return counts


def rank_keywords(terms: dict[str, Counter], sizes: dict[str, int], top: int = 10) -> dict[str, list[str]]:
    """Top keywords of each theme: the terms that most separate its items from all themed items.

    `terms[theme]` counts the theme's items containing each term, `sizes[theme]` its items. A term scores
    p * log(p / q), its share p of the theme's items against its share q of all items: the term's part of
    the KL divergence of the theme from the whole. Unlike c-TF-IDF's log(1 + mean size / total), the lift
    is damped by the log and weighed by how many of the theme's items say it, so on long texts a word five
    complaints happen to share ("human", "equipment") does not outrank the one most of them name
    ("experian", "identity theft"); measured on real complaints and the sample in docs/real-data.md.
    A term must occur in at least two items and 5% of the theme, so one odd item cannot name a theme.
    """
    totals: Counter = Counter()
    for counts in terms.values():
        totals.update(counts)
    everyone = max(sum(sizes.values()), 1)
    ranked: dict[str, list[str]] = {}
    for theme, counts in terms.items():
        size = max(sizes.get(theme, 0), 1)
        floor = max(2, math.ceil(0.05 * size))
        scores = {}
        for term, n in counts.items():
            share, overall = n / size, totals[term] / everyone
            if n >= floor and share > overall:  # only terms the theme uses more than the rest do
                scores[term] = share * math.log(share / overall)
        # ties broken by the term itself, so the order never depends on dict history
        ordered = sorted(scores, key=lambda t: (-round(scores[t], 9), t))
        ranked[theme] = _without_overlaps(_prefer_phrases(ordered, counts), top)
    return ranked


def _prefer_phrases(ordered: list[str], counts: Counter) -> list[str]:
    """Put a bigram in place of its word when most uses of the word are in it ("dark mode" for "dark")."""
    phrases: dict[str, str] = {}
    for term in ordered:  # best-scored bigram first
        if " " in term:
            for word in term.split():
                if counts[term] >= 0.7 * counts[word]:
                    phrases.setdefault(word, term)
    result: list[str] = []
    for term in ordered:
        term = phrases.get(term, term)
        if term not in result:
            result.append(term)
    return result


def _without_overlaps(ordered: list[str], top: int) -> list[str]:
    """Drop a term that is part of a better-ranked one ("price" after "price increase", "涨价" after "涨价了")."""
    chosen: list[str] = []
    for term in ordered:
        if any(_overlaps(term, other) for other in chosen):
            continue
        chosen.append(term)
        if len(chosen) == top:
            break
    return chosen


def _overlaps(a: str, b: str) -> bool:
    if is_chinese(a) and is_chinese(b):
        return a in b or b in a
    words_a, words_b = set(a.split()), set(b.split())
    return words_a <= words_b or words_b <= words_a


def is_chinese(term: str) -> bool:
    """True for a Chinese term (labels mix one of each when a theme is bilingual)."""
    return bool(_HAN.search(term))


def make_label(keywords: list[str], langs: dict[str, int], n: int = 3) -> str:
    """"price increase / 涨价 / cancel": the top keywords, with both languages when both write about it."""
    chosen = keywords[:n]
    total = sum(langs.values()) or 1
    zh_share = sum(v for k, v in langs.items() if k in ("zh", "mixed")) / total
    if len(chosen) == n and 0.15 <= zh_share <= 0.85:
        for want_chinese in (True, False):
            if not any(is_chinese(k) == want_chinese for k in chosen):
                other = next((k for k in keywords[n:] if is_chinese(k) == want_chinese), None)
                if other:
                    chosen[-1] = other
    return " / ".join(chosen)
