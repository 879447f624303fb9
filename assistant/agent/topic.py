"""The items a question's topic is about ("lost luggage", "配送", "dark mode", "the new checkout"), when the
topic is not a category: by meaning and by words.

By meaning: the topic is embedded as a query and compared with the stored vectors. Similarities of one
embedder to one query sit on a scale of their own (e5 puts unrelated text at ~0.79), so the cut-off is
calibrated per question: an item must stand `Z_MEANING` robust standard deviations above the similarity
of a fixed random sample of the store in its language (the background) to the same query, and name one
of the topic's words unless it stands out far more (`Z_STRONG`; figures in docs/quality.md). By words: an item that names
every content word of the topic (English words by their stem, Chinese by substring; "a/b" or "a or b"
are alternatives) is about it whatever its vector says. Demands, trends, effects and searches are then
computed over the matched items only, and the answer says how many matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

# robust z above the background: 3.0 keeps ~0.1% of unrelated items of a normal background; measured on
# real sets in docs/quality.md (bench/topic_scope.py)
Z_MEANING = 3.0
Z_STRONG = 4.5  # meaning alone, without any of the topic's words (absent topics reach ~4-5 on real sets)
Z_CROSS = 6.0  # an item in another language than the topic
MAX_NEAREST = 5000
_STOP = set("""a an the of for to in on at by with about and or but not no is are was were be been being it its this
that these those my our your their we you they i me us them what which who whom how why when where there here do does
did done have has had get got can could would should will just than then too very more most much many some any all
feedback customers customer users user people items item complaints complaint problems problem issues issue
praise say said saying talk talking mention mentions regarding related""".split())
_ALTERNATIVES = re.compile(r"\s*(?:/|\bor\b|或者|或|、|,|,)\s*", re.I)
_EN_WORD = re.compile(r"[a-z][a-z0-9'’-]+")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_CJK_STOP = ("关于", "有关", "相关", "方面", "问题", "投诉", "反馈", "评价", "客户", "用户", "顾客", "大家")


@dataclass
class TopicMatch:
    """The items a topic matched, and how."""

    topic: str
    ids: list[str]
    by_meaning: int
    by_words: int
    cutoff: float | None  # the similarity an item needed (None: no vectors to compare)
    scores: dict[str, float] = field(default_factory=dict)  # similarity of every item matched by meaning
    meaning_ids: set[str] = field(default_factory=set)
    word_ids: set[str] = field(default_factory=set)

    def ranked(self) -> list[str]:
        """The matched ids, nearest in meaning first; items matched by their words alone after them."""
        return sorted(self.ids, key=lambda i: -self.scores.get(i, -2.0))

    def describe(self) -> dict:
        return {"topic": self.topic.replace(PHRASINGS, " / "), "matched": len(self.ids), "by_meaning": self.by_meaning,
                "by_words": self.by_words, "cutoff": None if self.cutoff is None else round(self.cutoff, 3)}


def word_patterns(topic: str) -> list[list[re.Pattern]]:
    """For each alternative of the topic, the patterns an item must all match to name it."""
    out = []
    for alternative in _ALTERNATIVES.split(topic.lower()):
        pats = []
        for word in _EN_WORD.findall(alternative):
            if word in _STOP or len(word) < 3:
                continue
            stem = word
            for suffix in ("ing", "ed", "es", "s"):
                if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
                    stem = stem[: -len(suffix)]
                    break
            pats.append(re.compile(rf"\b{re.escape(stem)}\w*", re.I))
        for run in _CJK_RUN.findall(alternative):
            for stop in _CJK_STOP:
                run = run.replace(stop, " ")
            pats += [re.compile(re.escape(word)) for part in run.split() for word in _cjk_words(part)]
        if pats:
            out.append(pats)
    return out


def _cjk_words(text: str) -> list[str]:
    """Words of a Chinese phrase ("客服态度" -> 客服, 态度), so "客服的态度" names it too."""
    if len(text) <= 2:
        return [text] if len(text) == 2 else []
    import jieba

    jieba.setLogLevel(60)
    words = [w for w in jieba.lcut(text) if len(w) >= 2]
    return words or [text]


def match_topic_words(topic: str, frame: pd.DataFrame) -> set[str]:
    """The ids in `frame` whose text names every content word of one of the topic's alternatives."""
    found: set[str] = set()
    texts = frame["text"].astype("string").fillna("")
    for pats in word_patterns(topic):
        mask = pd.Series(True, index=frame.index)
        for pat in pats:
            mask &= texts.str.contains(pat, regex=True)
        found |= set(frame.loc[mask, "id"])
    return found


PHRASINGS = " | "  # "信用报告错误 | credit report errors": one topic said in several languages


def match_topic(ctx, topic: str, frame: pd.DataFrame, *, z: float = Z_MEANING) -> TopicMatch:
    """The ids in `frame` about `topic`; a topic given in several phrasings ("a | b", e.g. the question's
    words and their translation into the store's language) matches what any phrasing matches."""
    phrasings = [p.strip() for p in topic.split(PHRASINGS) if p.strip()]
    if len(phrasings) <= 1:
        return _match_one(ctx, topic.strip(), frame, z=z)
    parts = [_match_one(ctx, p, frame, z=z) for p in phrasings]
    meaning = set().union(*(m.meaning_ids for m in parts))
    words = set().union(*(m.word_ids for m in parts))
    scores: dict[str, float] = {}
    for m in parts:
        for i, s in m.scores.items():
            scores[i] = max(s, scores.get(i, -2.0))
    ids = [i for i in frame["id"] if i in meaning or i in words]
    return TopicMatch(topic, ids, len(meaning), len(words), parts[0].cutoff, scores, meaning, words)


def _match_one(ctx, topic: str, frame: pd.DataFrame, *, z: float = Z_MEANING) -> TopicMatch:
    """The ids in `frame` (already filtered) that are about one phrasing of a topic, by meaning or by words.

    By meaning, an item's similarity is measured against the background of its own language (e5 vectors
    carry their language: a Chinese query is nearer to every Chinese item than to any English one, so one
    bilingual background would hide Chinese matches and inflate English ones). An item in the topic's
    language counts at `z` when it also names one of the topic's words, or at `Z_STRONG` alone; an item in
    another language only at `Z_CROSS` (short queries across languages give wide, unreliable z)."""
    if not len(frame):
        return TopicMatch(topic, [], 0, 0, None)
    allowed = set(frame["id"])
    by_words = match_topic_words(topic, frame)
    by_meaning: dict[str, float] = {}
    cutoff = None
    background, langs = ctx.background_vectors()
    if len(background) >= 20:
        query = np.asarray(ctx.store.embedder.embed_query(topic), dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        stats = {"*": _location(background @ query)}
        for lang in set(langs):
            mask = langs == lang
            if mask.sum() >= 20:
                stats[lang] = _location(background[mask] @ query)
        asked = topic_language(topic)
        cutoff = stats.get(asked, stats["*"])[0] + z * stats.get(asked, stats["*"])[1]
        item_lang = dict(zip(frame["id"], frame["lang"].astype("string").fillna("")))
        patterns = [p for alternative in word_patterns(topic) for p in alternative]
        texts = dict(zip(frame["id"], frame["text"].astype("string").fillna("")))
        for item_id, score in ctx.store.nearest(query, k=MAX_NEAREST):
            if item_id not in allowed:
                continue
            lang = item_lang.get(item_id) or "*"
            median, spread = stats.get(lang, stats["*"])
            zscore = (score - median) / spread
            if lang in ("en", "zh") and lang != asked:
                keep = zscore >= max(z, Z_CROSS)
            else:
                keep = zscore >= max(z, Z_STRONG) or (zscore >= z and any(p.search(texts[item_id]) for p in patterns))
            if keep:
                by_meaning[item_id] = score
    ids = [i for i in frame["id"] if i in by_meaning or i in by_words]
    return TopicMatch(topic, ids, len(by_meaning), len(by_words), cutoff, by_meaning, set(by_meaning), by_words)


def _location(sims: np.ndarray) -> tuple[float, float]:
    """Median and robust spread (1.4826 x MAD) of a background's similarities to a query."""
    median = float(np.median(sims))
    return median, 1.4826 * float(np.median(np.abs(sims - median))) or float(sims.std()) or 1e-6


def store_language(frame: pd.DataFrame) -> str | None:
    """'en' or 'zh' when most of the items are in that language (a topic in the other one is translated)."""
    counts = frame["lang"].astype("string").value_counts(normalize=True)
    top = counts.index[0] if len(counts) else None
    return top if top in ("en", "zh") and counts.iloc[0] >= 0.7 else None


def topic_language(topic: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", topic) else "en"


class Translation(BaseModel):
    """A topic in another language (the model fills this; code checks it)."""

    text: str = Field(min_length=1, max_length=80)


def translate_topic(chat_model, topic: str, language: str, prompts_dir=None) -> str | None:
    """The topic in `language` ('en' or 'zh') by one schema-checked model step, or None when the model's
    answer is not in that language (a 1.5B model sometimes echoes its input)."""
    from ..llm import structured_call
    from .prompts import load_prompt, to_langchain

    messages = load_prompt("translate", prompts_dir).render(
        topic=topic, language="Chinese (简体中文)" if language == "zh" else "English")
    text = structured_call(chat_model, Translation, to_langchain(messages)).text.strip()
    if topic_language(text) != language or text.lower() == topic.lower():
        return None
    return text
