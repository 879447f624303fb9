"""Demand category of each item: zero-shot from the taxonomy, or a supervised head trained on user labels.

Zero-shot works with any embedder, over the vectors already in the store (nothing is re-embedded):

1. **Category vectors.** Each category is read in several phrasings derived from the taxonomy: its name,
   "name: description", each description line, the short phrases of the description (split at commas,
   "and", "or", 、，), and each keyword, all as queries (one batched call when the embedder can);
   examples through `embed_documents`.
   The category vector is the normalised mean. Several phrasings beat one long sentence because a
   short phrase ("waiters", "配送") sits where short feedback does.
2. **Sentence evidence.** cos(item, category) minus the item's mean over all categories (a short generic
   text is close to everything), as a robust z-score (median, MAD) against the items that are *not*
   nearest that category: its background. Against all items, a category that half the store is about
   would be measured against itself and never stand out (CFPB's credit-report complaints, half of them,
   were 49% right that way; food-delivery reviews about the food went to "other").
3. **Word evidence** (when texts are given). Every content word of the items is embedded once (cached)
   and scored the same way, as a robust z-score against all the words; an item's word evidence for a
   category is its strongest word. Whole-sentence vectors follow the sentiment of a sentence ("the
   entree was bland" lands near general complaints); one word ("entree") says what it is about.
4. **Keyword evidence** (when texts are given). A category's keywords or cues found in the text itself
   (English on word boundaries, with plural and verb endings; Chinese as substrings) add KEYWORD_EVIDENCE
   (not to the fallback category). The taxonomy's author wrote them as "this is what we mean": a literal
   match is the most explainable sign there is, and vectors blur it ("crashes at checkout" sits near
   payments; "is there a way to skip a week" near deliveries, though it asks for a feature).
5. **Decision.** evidence = word + SENTENCE_WEIGHT x sentence + keywords. The fallback category ("other")
   gets at least FALLBACK_EVIDENCE: it wins when no category stands out like an outlier (z >= 3), or when
   its own description does best.
6. **Self-training** (batches of at least MIN_SELF_TRAIN items, or after `fit` on the whole store): a
   logistic regression on the item vectors learns the zero-shot labels of the batch and the two
   distributions are multiplied, which pulls each item towards its neighbours' categories.

Probabilities = softmax(evidence / TEMPERATURE), times the self-trained ones and renormalised.
Confidence = probability of the primary; secondary categories = the non-fallback categories with at least
SECONDARY_RATIO x the primary's probability (none when the primary has over 2/3).
With labels, `train_classifier` (supervised.py) fits a logistic regression on stored vectors (`SupervisedHead`),
which then replaces steps 1-6, or, trained on fewer than FEW_LABELS items per category, is multiplied with them.
Measured quality: docs/quality.md (bench/quality_category.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from ..embeddings import Embedder, embed_queries
from .supervised import SupervisedHead
from .taxonomy import Taxonomy
from .types import CategoryResult
from .vectors import as_matrix, normalise, softmax, softmax_weights

VERSION = "zs6"  # bump when the method changes: the name is recorded with results, so they are recomputed
SENTENCE_WEIGHT = 1.0  # sentence and word evidence count alike (0.5 did better on SemEval, worse on the sample data)
KEYWORD_EVIDENCE = 3.0  # z units for a category whose keyword occurs in the text: as much as standing out
FALLBACK_EVIDENCE = 3.0  # robust z of 3: the usual outlier cut, fixed a priori, not tuned on evaluation data
SECONDARY_RATIO = 0.5
MIN_SELF_TRAIN = 200  # fewer items than this give the self-trained regression too little to learn from
MIN_STATS = 30  # fewer items than this: robust statistics come from the reference vocabulary instead
WORDS_PER_VOTE = 5  # an item's word evidence: the mean of its strongest 1 in 5 words (the strongest alone up to 5)
MAX_NEW_WORDS = 5000  # words embedded per call, most frequent first: bounds the cost on a large store
FEW_LABELS = 30  # labels per category below which a supervised head is combined with zero-shot
TEMPERATURE = 2.0  # z units -> probabilities; chosen for calibration on banking77 (dev), checked on SemEval
_SPLIT = re.compile(r"[,;:，；、。.()（）/]|\s(?:and|or|as well as|including|e\.g\.)\s|和|或|以及")
_EN_WORD = re.compile(r"[a-z][a-z'-]*[a-z]")
# everyday words from no particular domain: a fixed reference, so that one item on its own is scored the
# same way as in a large batch (robust statistics need a population; these words are it)
_REFERENCE = """time day week year people person thing way place home work life world hand part point case
fact group number family friend problem question answer reason idea story word name kind side end area
morning night today yesterday tomorrow weekend city country street house room door car phone email message
letter picture book music game water weather news change start help look call talk walk wait move turn try
use make give take tell ask feel think know want need like love hate say come leave open close keep find
good bad new old great small big long short high low easy hard early late quick slow happy sad nice fine
sure real whole different important possible right wrong free simple clear strange usual normal general
again always never often sometimes maybe probably almost already still really quite very too enough
时间 今天 明天 昨天 周末 早上 晚上 朋友 家人 孩子 事情 地方 城市 国家 问题 原因 办法 消息 手机 电话 天气 新闻 故事
生活 工作 学习 开始 结束 变化 帮助 觉得 知道 喜欢 需要 希望 认为 告诉 发现 打算 准备 继续 突然 马上 经常 有时
一般 普通 正常 简单 清楚 重要 方便 开心 难过 奇怪 好的 不错 很多 一些 全部 部分 左右 附近 以前 以后""".split()


class CategoryClassifier:
    """Primary and secondary demand categories of items, from their stored vectors (and texts): the default
    `Categoriser` (stages.py)."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder, supervised: SupervisedHead | None = None):
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.supervised = supervised
        self.names = list(taxonomy.names)
        self._fallback = self.names.index(taxonomy.fallback) if taxonomy.fallback else None
        method = f"supervised-{supervised.fingerprint()}" if supervised else VERSION
        self.name = f"{method}:{embedder.name}:{taxonomy.fingerprint()}"
        self._prototypes: np.ndarray | None = None
        self._reference: tuple | None = None
        self._words: dict[str, np.ndarray] = {}
        self._keyword_patterns: list | None = None
        self._fitted: dict | None = None  # statistics and self-trained weights from `fit`

    # ------------------------------------------------------------------ public
    @property
    def trusted(self) -> bool:
        """Whether the categories are reliable enough to cluster themes within each of them: only with a head
        trained on FEW_LABELS or more labels per category (zero-shot ones split one demand, themes.py)."""
        return self.supervised is not None and self.supervised.labels_per_class() >= FEW_LABELS

    def classify(self, vectors: np.ndarray, texts: list[str] | None = None) -> list[CategoryResult]:
        """Categories of items given their store vectors (same embedder) and, optionally, their texts."""
        vectors = as_matrix(vectors)
        if not len(vectors):
            return []
        if self.supervised is not None:
            probs = self.supervised.probabilities(vectors, self.names)
            if not self.trusted:
                # a head from a few labels per category is weaker than the taxonomy: let both vote
                probs = probs * self.probabilities(vectors, texts)
                probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
        else:
            probs = self.probabilities(vectors, texts)
        return [self._result(p) for p in probs]

    def fit(self, vectors: np.ndarray, texts: list[str] | None = None) -> "CategoryClassifier":
        """Calibrate on the whole store (statistics, self-training), so that later batches are scored alike.

        Without `fit`, each `classify` call calibrates on the items it is given (a fixed reference
        vocabulary stands in below MIN_STATS items), and self-trains when it has MIN_SELF_TRAIN of them.
        """
        vectors = as_matrix(vectors)
        self._fitted = None
        evidence, stats = self._evidence(vectors, texts, {})
        head = _self_train(vectors, evidence) if len(vectors) >= MIN_SELF_TRAIN else None
        self._fitted = {**stats, "head": head}
        return self

    def probabilities(self, vectors: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        """Zero-shot category probabilities, one row per item, columns in taxonomy order."""
        vectors = as_matrix(vectors)
        evidence, _ = self._evidence(vectors, texts, self._fitted or {})
        if self._fitted is not None:
            head = self._fitted["head"]
        else:
            head = _self_train(vectors, evidence) if len(vectors) >= MIN_SELF_TRAIN else None
        probs = softmax(evidence / TEMPERATURE)
        if head is not None:
            probs = probs * softmax(vectors @ head[0].T + head[1])
            probs /= probs.sum(axis=1, keepdims=True)
        return probs

    # ------------------------------------------------------------------ evidence
    def _evidence(self, vectors: np.ndarray, texts, fitted: dict) -> tuple[np.ndarray, dict]:
        """Evidence per item and category (robust z units) and the statistics it was measured with."""
        sentence = _centred(vectors @ self.prototypes().T)
        stats = {"sentence": fitted.get("sentence")}
        if stats["sentence"] is None:
            stats["sentence"] = _background_stats(sentence) if len(vectors) >= MIN_STATS else self._reference_stats()
        evidence = _robust_z(sentence, stats["sentence"])
        if texts is None:
            # vectors alone rarely stand out as far as the fallback threshold: the best category wins
            return evidence, stats
        words, stats["words"] = self._word_evidence(texts, fitted.get("words"))
        evidence = SENTENCE_WEIGHT * evidence + words + KEYWORD_EVIDENCE * self._keyword_hits(texts)
        if self._fallback is not None:
            # "other" wins when nothing stands out, or when its own description stands out most
            evidence[:, self._fallback] = np.maximum(evidence[:, self._fallback], FALLBACK_EVIDENCE)
        return evidence, stats

    def _word_evidence(self, texts: list[str], stats) -> tuple[np.ndarray, tuple | None]:
        """Per category, the mean robust z (against all the words) of an item's strongest fifth of its words.

        A sentence of five content words is judged by its strongest word. A long complaint (CFPB narratives
        have ~40) mentions some word close to nearly every category, so its single strongest word per
        category says little; the mean of its strongest fifth says what it is mostly about (zero-shot on real
        complaints 0.40 -> 0.59, SemEval sentences unchanged; docs/real-data.md)."""
        item_words = [_content_words(t) for t in texts]
        counts = Counter(w for words in item_words for w in words)
        # in a batch, words used once rarely decide anything and cost an embedding each
        least = 2 if len(texts) >= MIN_STATS else 1
        new = [w for w, c in counts.most_common() if c >= least and w not in self._words][:MAX_NEW_WORDS]
        if new:
            self._words.update(zip(new, normalise(self.embedder.embed_documents(new))))
        vocab = [w for w in counts if w in self._words]
        evidence = np.zeros((len(texts), len(self.names)), dtype=np.float32)
        if not vocab:
            return evidence, stats
        scores = _centred(np.stack([self._words[w] for w in vocab]) @ self.prototypes().T)
        if stats is None:  # a few items' words are too few a population, whatever their number
            stats = _robust_stats(scores) if len(texts) >= MIN_STATS else self._reference_stats()
        z = _robust_z(scores, stats)
        index = {w: i for i, w in enumerate(vocab)}
        floor = z.min(axis=0)  # an item with no known word: nothing stands out
        for row, words in enumerate(item_words):
            found = [index[w] for w in words if w in index]
            if len(found) <= WORDS_PER_VOTE:
                evidence[row] = z[found].max(axis=0) if found else floor
            else:
                strongest = -np.sort(-z[found], axis=0)[: math.ceil(len(found) / WORDS_PER_VOTE)]
                evidence[row] = strongest.mean(axis=0)
        return evidence, stats

    def _keyword_hits(self, texts: list[str]) -> np.ndarray:
        """1 where a category's keyword occurs in the text, else 0 (items x categories)."""
        if self._keyword_patterns is None:
            self._keyword_patterns = [_keyword_pattern(c.keywords + c.cues) for c in self.taxonomy.categories]
        hits = np.zeros((len(texts), len(self.names)), dtype=np.float32)
        for j, pattern in enumerate(self._keyword_patterns):
            if pattern is not None and j != self._fallback:  # the catch-all wins when nothing else stands out
                hits[:, j] = [bool(text and pattern.search(text)) for text in texts]
        return hits

    def _reference_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Robust statistics of everyday words' scores: the population that a handful of items lacks."""
        if self._reference is None:
            scores = normalise(self.embedder.embed_documents(_REFERENCE)) @ self.prototypes().T
            self._reference = _robust_stats(_centred(scores))
        return self._reference

    def prototypes(self) -> np.ndarray:
        """One unit vector per category, from all its phrasings (computed once)."""
        if self._prototypes is None:
            rows = []
            for category in self.taxonomy.categories:
                phrases = category_phrases(category.name, category.description, category.keywords)
                vectors = normalise(embed_queries(self.embedder, phrases))
                if category.examples:
                    vectors = np.vstack([vectors, normalise(self.embedder.embed_documents(list(category.examples)))])
                rows.append(vectors.mean(axis=0))
            self._prototypes = normalise(np.stack(rows))
        return self._prototypes

    def _result(self, probs: np.ndarray) -> CategoryResult:
        order = np.argsort(-probs, kind="stable")
        top = int(order[0])
        secondary = tuple(self.names[j] for j in order[1:]
                          if j != self._fallback and probs[j] >= SECONDARY_RATIO * probs[top])
        scores = {name: round(float(p), 4) for name, p in zip(self.names, probs)}
        return CategoryResult(self.names[top], secondary, round(float(probs[top]), 4), scores)


def category_phrases(name: str, description: str, keywords: tuple[str, ...] = ()) -> list[str]:
    """The phrasings a category is read in: name, "name: description", description lines and their parts."""
    label = re.sub(r"[_/]+", " ", name).strip()
    phrases = [label]
    for line in description.splitlines():
        line = line.strip()
        if not line:
            continue
        phrases += [f"{label}: {line}", line]
        parts = [p.strip(" .。!！?？\"'“”") for p in _SPLIT.split(line)]
        phrases += [p for p in parts if len(p) >= 2 and p != line]
    phrases += [k for k in keywords if k.strip()]
    return list(dict.fromkeys(phrases))  # unique, in order


def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern | None:
    """One case-insensitive regex for a category's keywords: Latin words on word boundaries with an optional
    ending on the last word ("crash" finds "crashes", "crashed"), anything else (Chinese) as a substring."""
    parts = []
    for keyword in keywords:
        words = keyword.strip().split()
        if not words:
            continue
        if all(re.fullmatch(r"[\w'-]+", w, re.ASCII) for w in words):
            body = r"\s+".join(re.escape(w).replace("'", "['’]") for w in words)
            parts.append(rf"\b{body}(?:s|es|ed|d|ing)?\b")
        else:
            parts.append(r"\s*".join(re.escape(w) for w in words))
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _content_words(text: str) -> set[str]:
    """Single content words of a text: English words (not stopwords), Chinese words of 2+ characters."""
    from .keywords import item_terms  # the same tokenizer as theme keywords (jieba for Chinese)

    return {t for t in item_terms(text) if " " not in t and (len(t) >= 3 or not _EN_WORD.fullmatch(t))}


# ---------------------------------------------------------------------------------------------- numerics
def _centred(scores: np.ndarray) -> np.ndarray:
    # minus the row mean: what sets a category apart, not how close the text is to every category
    return scores - scores.mean(axis=1, keepdims=True)


def _robust_stats(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    median = np.median(scores, axis=0)
    mad = np.median(np.abs(scores - median), axis=0) * 1.4826  # x1.4826: a standard deviation for normal data
    return median, np.maximum(mad, 1e-6)


def _background_stats(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per category, `_robust_stats` of the items whose highest score is another category (all items when
    fewer than MIN_STATS are left): how close the rest of the store is to it, whatever its share."""
    nearest = scores.argmax(axis=1)
    median, mad = _robust_stats(scores)
    for c in range(scores.shape[1]):
        rest = nearest != c
        if rest.sum() >= MIN_STATS:
            median[c], mad[c] = (v[0] for v in _robust_stats(scores[rest, c:c + 1]))
    return median, mad


def _robust_z(scores: np.ndarray, stats) -> np.ndarray:
    median, scale = stats
    return (scores - median) / scale


def _self_train(vectors: np.ndarray, evidence: np.ndarray):
    """Weights of a logistic regression that learns the zero-shot labels of `vectors`; None if it cannot."""
    from sklearn.linear_model import LogisticRegression

    labels = evidence.argmax(axis=1)
    present = np.unique(labels)
    if len(present) < 2:
        return None
    rows, inter = softmax_weights(LogisticRegression(C=1.0, max_iter=2000).fit(vectors, labels))
    weights = np.zeros((evidence.shape[1], vectors.shape[1]), dtype=np.float32)
    bias = np.full(evidence.shape[1], -30.0, dtype=np.float32)  # a category no item was given stays out
    weights[present], bias[present] = rows, inter
    return weights, bias
