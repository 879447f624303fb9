"""Cue rules of sentiment: everyday complaint and praise language that an embedding misses.

"Still waiting for my order.", "no one replied", "not great", "等了两个小时", "还没到", "不好吃": sentences whose
words look neutral to an embedding. `cue_score` sums the cues a text matches into [-1, 1]; the sentiment
model (sentiment.py) adds it to its class logits, so a cue tips close calls and leaves clear cases alone.
A change here changes results: bump `RULES_VERSION` in sentiment.py so stored ones are recomputed.
"""

from __future__ import annotations

import re

__all__ = ["cue_score"]

# Each cue is (pattern, weight): negative weight = complaint, positive = praise. Patterns are everyday
# customer-feedback language in any domain (waiting, not answering, not arriving, negated praise), the
# kind of sentence whose words look neutral to an embedding ("Still waiting for my order.").
_NEG_WORD = r"(?:\bnot|n't|\bnever|\bno longer|\bhardly)"
_PRAISE = (
    r"(?:good|great|nice|tasty|delicious|friendly|helpful|fresh|worth|impressed|happy|satisfied|pleased|"
    r"clean|fast|quick|easy|comfortable|reliable|professional|polite|acceptable|enough|"
    r"recommend(?:ed)?(?![^.!?]{0,30}\benough))"  # "can't recommend it enough" is praise
)
_DONE = (  # what a customer waits for a company to do
    r"(?:answered|replied|responded|arrived|came|showed up|called (?:me )?back|got back|heard back|"
    r"received|got (?:my|the|a|it|any|an)|fixed|resolved|refunded|delivered|contacted|picked up|bothered)"
)
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"
_EN_CUES: list[tuple[re.Pattern, float]] = [
    (re.compile(p, re.I), w)
    for p, w in [
        # not answered / not arrived / not fixed
        (rf"\b(?:never|nobody|no one|no-one|not once)\s+(?:\w+\s+){{0,2}}?{_DONE}", -1.0),
        (r"(?:have|has|had|did|does|do)(?:n'?t| not) (?:yet |ever |even )?(?:heard|received|got|gotten|arrived|"
         r"answered|replied|responded|called back|shown up|showed up|been (?:delivered|refunded|fixed|resolved|"
         r"contacted|answered))", -1.0),
        (r"\bstill (?:waiting|no\b|nothing|not|haven'?t|hasn'?t|can'?t|doesn'?t|isn'?t)", -1.0),
        (r"\b(?:no|without any) (?:answer|response|reply|refund|update|explanation|apology)\b", -1.0),
        (rf"\b(?:waited|waiting|on hold|queued?)\b(?:(?!\b(?:only|just|less|under|about to)\b)[^.!?,;]){{0,25}}?"
         rf"\b(?:\d+|an?|one|two|three|four|five|ten|twenty|thirty|forty|fifty|several|many|over an?|almost an?)"
         rf"\s*(?:\+\s*)?{_UNIT}\b", -1.0),
        (r"\b(?:\d+|two|three|four|five|several) (?:days?|weeks?|months?) (?:late|overdue|and still)\b", -1.0),
        (r"\b(?:refused|refuses|refusing) to\b|\bwon'?t (?:refund|fix|help|answer|respond|reply|let me)\b|"
         r"\bkeeps? (?:charging|calling|sending|crashing|freezing|failing|asking|telling)\b", -1.0),
        (r"\bunauthori[sz]ed\b|\bfraud(?:ulent)?\b|\bscam\b|\b(?:wrong|incorrect|inaccurate) (?:item|order|"
         r"charge|amount|information|address|size|product|bill|balance)\b", -1.0),
        (r"\b(?:never|won'?t|will not|not) (?:be )?(?:come|coming|go|going|buy|buying|order|ordering|use|using) "
         r"(?:back|again)\b|\b(?:won'?t|will not|never) be back\b", -1.0),
        (r"\bwaste of (?:money|time)\b|\bnothing (?:special|great|to write home about)\b", -1.0),
        (r"\b(?:charged|billed) (?:me )?twice\b|\bdouble[- ]charged\b", -1.0),
        (r"\b(?:does ?n[o']t|did ?n[o']t|not|stopped|no longer) work(?:ing|s)?\b", -0.8),
        # negated praise: "not great", "wasn't very helpful", "not worth it"
        (rf"{_NEG_WORD}\s+(?:be\s+|been\s+)?(?:very |that |so |really |particularly |too |at all |overly )?"
         rf"{_PRAISE}\b", -1.0),
        # thanks for something done well: "thanks for the quick refund" (refunds are mostly complained
        # about, so the embedding reads any sentence about one as a complaint); "thanks in advance" is not
        (r"\bthanks?(?: you)?(?: so much| a lot| again)? for (?:the|your|such an?|a|an) (?:very |really |super )?"
         r"(?:quick|fast|prompt|speedy|great|excellent|helpful|kind|friendly|easy|smooth|wonderful|amazing|"
         r"awesome|good|lovely|fantastic|perfect)\b", 0.8),
        # negated complaints read as mild praise: "not bad", "no complaints", "never disappoints"
        (r"(?:\bnot|n't) (?:bad|disappoint)|\bno (?:complaints?|problems?|issues?)\b|\bnever disappoints?\b|"
         r"\bcan'?t complain\b|\bcould ?n'?t be happier\b|\bnever fails? to\b|\bnot once\b[^.!?]{0,40}disappoint|"
         r"\b(?:can'?t|cannot) recommend\b[^.!?]{0,30}\b(?:enough|more highly|highly enough|a better)\b", 0.8),
    ]
]
_EN_CONTRAST = re.compile(r"[,;]?\s*\b(?:but|however|though|although|unfortunately|except that)\b", re.I)

_ZH_NUM = r"[一二两三四五六七八九十几半多\d]+"
_ZH_CUES: list[tuple[re.Pattern, float]] = [
    (re.compile(p), w)
    for p, w in [
        # waiting: "等了两个小时", "一个多小时才送到"
        (rf"等了(?:快|将近|足足|整整|差不多)?{_ZH_NUM}(?:个)?(?:多)?(?:小时|分钟|钟头|天|周|星期|个月)", -1.0),
        (rf"{_ZH_NUM}(?:个)?(?:多)?(?:小时|分钟|钟头|天)(?:以后|之后|后)?才(?:送到|到|来|送来|收到|回复|处理)", -1.0),
        # not arrived / not answered / nobody cares
        (r"(?:还|都|也|一直|迟迟|始终|至今|到现在)(?:还)?(?:没|未|不)(?:有)?(?:人)?"
         r"(?:到|送到|送来|收到|发货|回复|回应|理|处理|解决|退|退款|到账|接|联系|来)", -1.0),
        (r"没(?:有)?人(?:回复|回应|理|管|接|处理|联系)", -1.0),
        (r"再也不(?:会)?(?:来|点|买|用|去)|不会再(?:来|点|买|用|去)", -1.0),
        (r"(?<![不没])(?:太|超|特别|非常|真)(?:贵|慢|差|咸|淡|油|辣|难吃|少|烂|坑|失望|恶心)", -1.0),
        # negated praise; 不错 / 不贵 / 不慢 are praise and excluded by the character list
        (r"(?:不|没有?)(?:太|很|怎么|够|是很)?(?:好吃|新鲜|满意|值|推荐|热|好(?!意思)|干净|划算|专业|及时|靠谱)", -1.0),
        (r"(?:味道|口味|质量|服务|态度|效果)(?:很|非常|太)?一般", -0.8),
        (r"差评|投诉|骗子|坑人|垃圾", -0.8),
        # no Chinese praise cues: the NB reads 好评 / 不错 well, and such cues over-fired on mixed reviews
    ]
]
_ZH_CONTRAST = re.compile(r"但是|可是|不过|然而|就是|只是|可惜|但|却")


_SENTENCE = re.compile(r"(?<=[.!?])\s+|[。！？!?\n]+")


def _last_clause(sentence: str, contrast: re.Pattern) -> str:
    """The part after the last contrast word, when there is one with some text after it."""
    parts = contrast.split(sentence)
    tail = parts[-1].strip(" ,，。.!！~") if len(parts) > 1 else ""
    return tail if len(tail) >= 2 else sentence


def cue_score(text: str, lang: str) -> float:
    """Net cue strength in [-1, 1] for `text` (negative = complaint); 0.0 when no cue matches.

    In each sentence only the clause after the last contrast word is read ("fast delivery but still
    waiting for the refund" is a complaint); cues of all sentences are summed, then clipped.
    """
    zh = lang == "zh"
    contrast, cues = (_ZH_CONTRAST, _ZH_CUES) if zh else (_EN_CONTRAST, _EN_CUES)
    total = 0.0
    for sentence in _SENTENCE.split(text):
        clause = _last_clause(sentence, contrast)
        total += sum(weight for pattern, weight in cues if pattern.search(clause))
    return max(-1.0, min(1.0, total))
