"""Urgency cues: words in a feedback text that say "act now" (churn, refunds, legal, safety, outages), EN + ZH.

English terms match on word boundaries with their inflections ("cancel", "cancelled", "cancelling",
"cancellation"); Chinese terms match as substrings, since Chinese has no spaces. A cue preceded by a
negation that flips it ("won't cancel", "not urgent", "不想退订") is dropped; negations that keep the
complaint ("can't cancel", "无法取消") are deliberately not negators.

Each term belongs to a group and has a weight in (0, 1]. An item's cue score combines the strongest
term of each group it mentions as a noisy-OR, 1 - prod(1 - w_group), so one legal threat counts a lot,
a second group adds less, and the score never exceeds 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# English inflection endings appended to a stem; spelled out per term so "sue" never matches "issue".
_V = r"(?:s|d|ed|ing)?"          # refund -> refunds, refunded, refunding
_LL = r"(?:s|l?ed|l?ing|lations?)?"  # cancel -> cancelled, canceling, cancellation
_NOT_ORDER = r"(?!\s+(?:the\s+|my\s+|this\s+|that\s+)?orders?\b)"  # "the cancelled order" is not churn

# group -> (term pattern, weight, negatable, lang). "en" patterns are regex fragments matched between
# ASCII word boundaries (so the digits of the 12315 consumer hotline live there too); "zh" ones match
# anywhere, as substrings. `negatable` marks cues whose meaning a preceding "not / won't / 不想"
# reverses; a refund that did "not" arrive is still a refund complaint, so refunds are not negatable.
LEXICON: dict[str, list[tuple[str, float, bool, str]]] = {
    "churn": [
        (r"cancel" + _LL + _NOT_ORDER, 0.8, True, "en"),
        (r"unsubscrib(?:e|es|ed|ing)", 0.8, True, "en"),
        (r"switch(?:ing|ed)? to", 0.6, True, "en"),
        (r"(?:close|delete|closing|deleting) my account", 0.8, True, "en"),
        (r"never (?:order(?:ing)?|buy(?:ing)?) again", 0.8, False, "en"),
        (r"churn(?:s|ed|ing)?", 0.8, False, "en"),
        ("取消订阅", 0.8, True, "zh"), ("取消(?!订单)", 0.6, True, "zh"), ("退订", 0.8, True, "zh"),
        ("不续费", 0.8, False, "zh"), ("不再续", 0.8, False, "zh"), ("注销", 0.7, True, "zh"),
        ("卸载", 0.6, True, "zh"), ("换成", 0.4, True, "zh"), ("转投", 0.6, True, "zh"), ("再也不买", 0.8, False, "zh"),
    ],
    "refund": [
        (r"refund" + _V, 0.6, False, "en"), (r"money back", 0.6, False, "en"),
        (r"charge ?backs?", 0.7, False, "en"), (r"(?:charged|billed) twice", 0.6, False, "en"),
        (r"double[- ](?:charged|billed|charge)", 0.6, False, "en"),
        ("退款", 0.6, False, "zh"), ("退钱", 0.6, False, "zh"), ("退费", 0.6, False, "zh"),
        ("赔偿", 0.6, False, "zh"), ("重复扣款", 0.6, False, "zh"), ("扣了两次", 0.6, False, "zh"),
    ],
    "legal": [
        (r"lawyers?", 1.0, True, "en"), (r"attorneys?", 1.0, True, "en"), (r"su(?:e|es|ed|ing)", 1.0, True, "en"),
        (r"lawsuits?", 1.0, True, "en"), (r"legal action", 1.0, True, "en"), (r"small claims", 1.0, True, "en"),
        (r"class action", 1.0, True, "en"), (r"better business bureau|bbb|ftc|attorney general", 0.9, True, "en"),
        (r"consumer protection", 0.9, True, "en"),
        ("律师", 1.0, True, "zh"), ("起诉", 1.0, True, "zh"), ("法院", 1.0, True, "zh"), ("消协", 0.9, True, "zh"),
        ("消费者协会", 0.9, True, "zh"), (r"12315", 0.9, False, "en"), ("工商局", 0.9, True, "zh"),
        ("维权", 0.8, True, "zh"), ("报警", 0.9, True, "zh"), ("投诉", 0.5, True, "zh"),
    ],
    "safety": [
        (r"food poisoning", 1.0, True, "en"), (r"sick(?! of| and tired)", 0.8, True, "en"),
        (r"vomit(?:s|ed|ing)?", 1.0, True, "en"),
        (r"diarrh(?:o)?ea", 1.0, True, "en"), (r"allergic reactions?", 1.0, True, "en"),
        (r"hospital(?:s|ised|ized)?", 1.0, True, "en"), (r"dangerous|unsafe|hazard(?:ous)?", 0.9, True, "en"),
        (r"contaminat(?:ed|ion)", 1.0, True, "en"), (r"mou?ld(?:y|ed)?", 0.7, True, "en"),
        (r"rotten|spoiled|spoilt|expired", 0.6, True, "en"),
        ("食物中毒", 1.0, True, "zh"), ("拉肚子", 1.0, True, "zh"), ("腹泻", 1.0, True, "zh"), ("呕吐", 1.0, True, "zh"),
        ("过敏", 0.9, True, "zh"), ("医院", 0.9, True, "zh"), ("异物", 0.8, True, "zh"), ("不安全", 0.9, False, "zh"),
        ("发霉", 0.7, True, "zh"), ("变质", 0.6, True, "zh"), ("腐烂", 0.6, True, "zh"), ("过期", 0.6, True, "zh"),
    ],
    "outage": [
        (r"outages?", 0.8, True, "en"),
        (r"(?:app|site|website|server|service|system|everything)s? "
         + r"(?:is |are |was |were |went |goes |keeps going )?(?:down|offline)", 0.8, True, "en"),
        (r"(?:can't|cannot|can not|unable to|couldn't) (?:log ?in|sign ?in|login)", 0.6, False, "en"),
        (r"50[234](?: error| bad gateway)?", 0.7, False, "en"),
        ("崩了", 0.8, True, "zh"), ("宕机", 0.8, True, "zh"), ("无法登录", 0.6, False, "zh"), ("登不上", 0.6, False, "zh"),
        ("登录不了", 0.6, False, "zh"), ("打不开", 0.6, True, "zh"), ("服务器", 0.4, True, "zh"),
    ],
    "exposure": [
        (r"go(?:ing)? public|tell everyone|warn(?:ing)? (?:everyone|others)", 0.7, True, "en"),
        (r"viral|journalists?|the press|the media", 0.6, True, "en"), (r"scam(?:s|med)?", 0.6, True, "en"),
        ("曝光", 0.7, True, "zh"), ("媒体", 0.6, True, "zh"), ("避雷", 0.6, True, "zh"), ("千万别买", 0.7, False, "zh"),
        ("大家别买", 0.7, False, "zh"), ("黑猫投诉", 0.8, False, "zh"), ("骗子", 0.6, True, "zh"),
    ],
    "urgent": [
        (r"urgent(?:ly)?", 0.4, True, "en"), (r"asap", 0.4, True, "en"), (r"immediately", 0.4, True, "en"),
        (r"emergenc(?:y|ies)", 0.5, True, "en"), (r"escalat(?:e|ed|ing|ion)", 0.5, True, "en"),
        ("紧急", 0.4, True, "zh"), ("尽快", 0.4, True, "zh"), ("马上", 0.3, True, "zh"), ("立刻", 0.4, True, "zh"),
        ("赶紧", 0.4, True, "zh"), ("急需", 0.4, True, "zh"),
    ],
}

# Negators that flip a cue when they come just before it. "can't", "unable to", "无法", "不能" are absent
# on purpose: "can't cancel" and "无法退订" are complaints, not reassurances.
_EN_NEGATION = re.compile(
    r"\b(?:not|never|no|won'?t|wouldn'?t|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|wasn'?t|without|no need to)"
    r"(?:\s+\w+){0,2}\s*$", re.IGNORECASE)
_ZH_NEGATORS = ("不会", "不想", "不要", "不打算", "没打算", "并不", "不用", "不必", "别", "没有要", "不是要")


@dataclass(frozen=True)
class CueHit:
    """One cue found in a text: the matched words, the group it belongs to, and its weight."""

    term: str
    group: str
    weight: float
    start: int
    end: int


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern, re.Pattern, list[tuple[str, float, bool, str]]]:
    """One English and one Chinese alternation over the lexicon; named groups map a match back to its term.

    The English boundary is checked once, outside the alternation, so the regex fails fast inside words
    (per-term boundaries made matching ~10x slower). It is ASCII-only: Python counts Chinese characters
    as word characters, and "鲜盒app down" or "服务器502" must still match.
    """
    parts: dict[str, list[str]] = {"en": [], "zh": []}
    table = []
    for group, terms in LEXICON.items():
        for pattern, weight, negatable, lang in terms:
            body = pattern
            parts[lang].append(f"(?P<c{len(table)}>{body})")
            table.append((group, weight, negatable, lang))
    english = re.compile(r"(?<![A-Za-z0-9_'])(?:" + "|".join(parts["en"]) + r")(?![A-Za-z0-9_'])", re.IGNORECASE)
    # "取消订阅" is listed before "取消", so at the same position the more specific term wins
    chinese = re.compile("|".join(parts["zh"]))
    return english, chinese, table


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _negated(text: str, start: int, lang: str) -> bool:
    """A cheap look-behind in the same clause: up to three English words, or four Chinese characters."""
    if lang == "en":
        before = re.split(r"[.!?;,\n]", text[max(0, start - 40):start])[-1]
        return bool(_EN_NEGATION.search(before))
    before = re.split(r"[。！？；，,.!?\n]", text[max(0, start - 4):start])[-1]
    return any(neg in before for neg in _ZH_NEGATORS)


@lru_cache(maxsize=65536)
def find_cues(text: str | None) -> tuple[CueHit, ...]:
    """Every urgency cue in `text`, in order, with negated ones ("not urgent", "不想退订") left out.

    Cached: the same texts are scored for item priority and again for their demand.
    """
    if not isinstance(text, str) or not text:
        return ()
    english, chinese, table = _compiled()
    matches = list(english.finditer(text))
    if _CJK.search(text):
        matches += chinese.finditer(text)
    hits = []
    for match in sorted(matches, key=lambda m: m.start()):
        group, weight, negatable, lang = table[int(match.lastgroup[1:])]
        if negatable and _negated(text, match.start(), lang):
            continue
        hits.append(CueHit(match.group(0).lower(), group, weight, match.start(), match.end()))
    return tuple(hits)


def combine(hits) -> float:
    """Noisy-OR over groups of the strongest weight per group: 0 with no cues, at most 1."""
    strongest: dict[str, float] = {}
    for hit in hits:
        strongest[hit.group] = max(strongest.get(hit.group, 0.0), hit.weight)
    remaining = 1.0
    for weight in strongest.values():
        remaining *= 1.0 - weight
    return 1.0 - remaining


def cue_score(text: str | None) -> float:
    """Urgency of one text from its cues alone, 0..1."""
    return combine(find_cues(text))
