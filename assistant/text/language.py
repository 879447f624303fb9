"""Script-based language detection, fast enough to run on every ingested item.

How a label is decided:

* Each script is counted in "word-equivalents": one per Han or kana character, because those scripts do
  not separate words with spaces; one per space-separated word for
  Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari and Hangul; one per 4 Thai characters (a rough Thai
  word length).
* Han -> "zh"; kana -> "ja". When kana make up at least 30% of the Han+kana characters the Han
  characters count as Japanese kanji; less kana (a katakana name quoted in Chinese) adds "ja" beside "zh",
  and a lone "の" of Chinese slang is ignored. Hangul -> "ko"; Cyrillic -> "ru"; Arabic script -> "ar";
  Hebrew -> "he"; Greek -> "el"; Thai -> "th"; Devanagari -> "hi". A script stands for its most likely
  language only (Ukrainian is reported as "ru", Persian as "ar").
* Latin words are scored against small stopword sets for en, es, fr, de, pt and it; the highest score wins
  and English wins ties. With no stopword at all the text is "en" (short English feedback such as "login
  broken" has none), unless at least 30% of its words carry non-English letters (é, ß, ư, ...), which
  makes it an unidentified Latin-script language and it is left out ("und" if nothing else is present).
* Next to another script, Latin tokens that look like product names or jargon (iPhone, iOS, UI, APP, app,
  bug, wifi, ok) are not counted, so "我的iPhone又闪退了" is Chinese only.
* A language is listed when it has at least 2 word-equivalents or at least 20% of the text's total; the
  primary language is the one with the most word-equivalents (ties go to the Latin-script language, since
  one Han character is less than one English word). The list is sorted alphabetically.
"""

from __future__ import annotations

import re

__all__ = ["detect_language"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f]")
_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
# one search tells whether any of the rarer scripts below need counting at all
_OTHER_SCRIPT = re.compile(
    r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\u0900-\u097f"
    r"\u0e00-\u0e7f\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"
)
_WORD_SCRIPTS = (
    ("ko", re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]+")),
    ("ru", re.compile(r"[\u0400-\u04ff]+")),
    ("el", re.compile(r"[\u0370-\u03ff]+")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]+")),
    ("he", re.compile(r"[\u0590-\u05ff]+")),
    ("hi", re.compile(r"[\u0900-\u097f]+")),
)
_THAI = re.compile(r"[\u0e00-\u0e7f]+")
_THAI_CHARS_PER_WORD = 4

# Apostrophes split words ("c'est" -> "c", "est"), which turns French elisions into stopword hits.
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
_MAX_WORDS_SCORED = 80  # enough evidence; keeps long texts cheap

_STOPWORDS = {
    "en": "the and is are was were to of it its this that i you my me we our your for with not but have has "
    "had be been do does did don doesn didn can cannot could would should will won on in at so very too "
    "just when what why how there they them if or from after all any no get got keeps please really "
    "than then also an a again about which who",
    "es": "el la los las de del que y en un una es por para con muy pero mi se lo al como más está esta "
    "este son sin también ya porque cuando hay su le todo bien bueno buena aplicación funciona nada",
    "fr": "le la les de des du un une et est que qui pas ne je il elle nous vous pour dans sur avec très "
    "tres mais ce cette ça c l j qu au aux mon ma mes sont plus bien tout trop application fonctionne rien",
    "de": "der die das und ist nicht ich es ein eine einen mit auf für zu den dem sehr aber auch wenn noch "
    "immer sich wird kann nur schon bei von mir mich funktioniert sie wir du gut",
    "pt": "o os as da do dos das de que e é não nao um uma com para por muito mas eu meu minha em no na "
    "está isso este esse aplicativo também ao funciona bom",
    "it": "il lo la gli le di che e è non un una per con sono molto ma mi si questo questa come anche più "
    "del della nel ho funziona niente",
}
_LATIN_LANGS = tuple(_STOPWORDS)  # order breaks ties: English first
_STOP_INDEX: dict[str, tuple[int, ...]] = {}
for _i, _lang in enumerate(_LATIN_LANGS):
    for _word in _STOPWORDS[_lang].split():
        _STOP_INDEX[_word] = _STOP_INDEX.get(_word, ()) + (_i,)

# Latin words that Chinese/Japanese/Korean feedback uses as loanwords; they say nothing about English.
_LOANWORDS = frozenset(
    "app apps bug bugs ok okay wifi email e mail id vip pc mac ios android iphone ipad emoji logo "
    "apk qq wechat pdf ui ux gps usb sim cpu gpu".split()
)
_MIN_UNITS = 2
# Japanese prose is mostly kana; a Chinese sentence quoting a katakana name ("ドラえもん") is not Japanese
_JA_KANA_SHARE = 0.3
_MIN_SHARE = 0.2
_FOREIGN_LETTER_SHARE = 0.3


def _looks_like_name(word: str) -> bool:
    """iPhone, WeChat, iOS, UI: capitals after the first letter mark a name or acronym, not prose."""
    return not word[1:].islower() if len(word) > 1 else word.isupper() and word != "I"


def _latin_language(words: list[str]) -> str | None:
    """The language of a run of Latin-script words, or None when it is not one we can name."""
    scores = [0] * len(_LATIN_LANGS)
    hit = False
    for word in words[:_MAX_WORDS_SCORED]:
        langs = _STOP_INDEX.get(word.lower())
        if langs:
            hit = True
            for i in langs:
                scores[i] += 1
    if hit:
        best = scores.index(max(scores))
        # one shared short word ("as", "a", "no") is no evidence against English: another language
        # needs two hits of its own
        return _LATIN_LANGS[best] if best == 0 or scores[best] >= 2 else "en"
    sample = words[:_MAX_WORDS_SCORED]
    foreign = sum(1 for w in sample if not w.isascii())
    return None if foreign >= _FOREIGN_LETTER_SHARE * len(sample) else "en"


def detect_language(text: str) -> tuple[str, list[str]]:
    """(primary language, sorted list of languages present) for a text; ("und", []) when none is found."""
    words = _LATIN_WORD.findall(text)
    if text.isascii():
        lang = _latin_language(words) if words else None
        return (lang, [lang]) if lang else ("und", [])

    units: dict[str, float] = {}
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text)) if han != len(text) else 0
    if kana >= 2 and kana >= _JA_KANA_SHARE * (han + kana):
        units["ja"] = kana + han
    else:
        if han:
            units["zh"] = han
        if kana >= 2:
            units["ja"] = kana
    if _OTHER_SCRIPT.search(text):
        for lang, pattern in _WORD_SCRIPTS:
            count = len(pattern.findall(text))
            if count:
                units[lang] = count
        thai = sum(-(-len(run) // _THAI_CHARS_PER_WORD) for run in _THAI.findall(text))
        if thai:
            units["th"] = thai

    latin_key = None
    if words:
        counted = [w for w in words if not _looks_like_name(w) and w.lower() not in _LOANWORDS] if units else words
        if counted:
            latin_key = _latin_language(counted)
            if latin_key:
                units[latin_key] = units.get(latin_key, 0) + len(counted)

    if not units:
        return "und", []
    total = sum(units.values())
    # ties go to the Latin-script language, then to the first script found
    primary = max(units, key=lambda k: (units[k], k == latin_key))
    langs = sorted(k for k, n in units.items() if k == primary or n >= _MIN_UNITS or n >= _MIN_SHARE * total)
    return primary, langs
