"""Normalise raw feedback text before redaction, language detection and embedding.

Steps, in order: to str -> HTML removal (only when the text looks like HTML; entities always) -> Unicode NFKC
(keeping the Chinese full-width punctuation an IME types) -> drop invisible and control characters ->
collapse every whitespace run, newlines included, to one space -> reject empty, near-empty and oversized
items -> cut a copy for embedding. Everything is regex/str-method based so a typical item costs microseconds.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.entities import html5 as html5_entities

__all__ = ["CleanText", "RejectedText", "clean_text", "truncate_for_embedding", "to_text"]


@dataclass(frozen=True)
class CleanText:
    """A cleaned item: `text` is stored in full; `embed_text` (<= embed_max_chars) is what gets embedded."""

    text: str
    embed_text: str
    truncated: bool


class RejectedText(ValueError):
    """The item cannot be stored as feedback; `reason` is a short human sentence for the ingest report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Only a known tag name counts as evidence of HTML, and a tag with attributes needs an "=" in them, so
# "a < b and c > d", "<3" and "x <b and c> y" stay plain text.
_TAG_NAMES = (
    "a|abbr|article|aside|b|blockquote|body|br|button|caption|center|cite|code|col|colgroup|dd|del|div|dl|dt|"
    "em|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|label|li|link|"
    "main|mark|meta|nav|ol|p|pre|q|s|script|section|small|span|strike|strong|style|sub|sup|svg|table|tbody|"
    "td|tfoot|th|thead|title|tr|tt|u|ul|wbr"
)
_LOOKS_LIKE_HTML = re.compile(
    rf"<(?:/?(?:{_TAG_NAMES})(?:\s+[^<>]*=[^<>]*|\s*)/?>|!--|!doctype\b)", re.IGNORECASE
)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)|<![^<>]*>", re.DOTALL)
# Inline tags vanish without a gap ("<b>Gr</b>eat" is one word); every other tag separates words.
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|cite|code|del|em|font|i|ins|mark|q|s|small|span|strike|strong|sub|sup|tt|u)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
# Only well-formed entities with a semicolon: html.unescape alone also decodes legacy forms like the
# "&not" inside "this&nothing".
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# NFKC would turn the punctuation a Chinese IME types (，！？：；（）) into ASCII; these noncharacters
# (reserved for exactly this kind of internal use) carry them through normalisation untouched.
_KEEP_FULLWIDTH = "，！？：；（）"
_PROTECT = {ord(ch): 0xFDD0 + i for i, ch in enumerate(_KEEP_FULLWIDTH)}
_PROTECT.update({cp: None for cp in range(0xFDD0, 0xFDF0)})  # an input's own noncharacters must not decode
_UNPROTECT = {0xFDD0 + i: ch for i, ch in enumerate(_KEEP_FULLWIDTH)}

# C0/C1 controls (tab/newline/CR and the separators str.split() treats as whitespace are left for the
# whitespace step), zero-width and bidi format characters, soft hyphen, Hangul/braille "blank" fillers
# used to fake empty messages, and lone surrogates from broken decoding (they make JSON/Chroma fail).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufeff\uffa0\ufff9-\ufffb\ud800-\udfff]"
)
_MEANINGFUL = re.compile(r"[^\W_]")  # letters and digits of any script
_WIDE_FROM = 0x2E80  # CJK radicals onwards: Han, kana, Hangul; one such character carries a word's meaning

_ASCII_SENTENCE_ENDS = (". ", "! ", "? ", "… ", "; ")
_CJK_SENTENCE_ENDS = ("。", "！", "？", "；", "…")
_RAW_GUARD_FACTOR = 10  # refuse to even clean inputs this many times over the limit


def to_text(raw: object) -> str:
    """Any cell value as a str: None, NaN, NaT and pandas NA become ""; bytes are decoded as UTF-8."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw).decode("utf-8-sig", errors="replace")
    if isinstance(raw, float):
        if raw != raw:
            return ""
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, (int, bool)):
        return str(raw)
    try:
        if raw != raw:  # NaN-likes: numpy.nan, pandas.NaT, Decimal("NaN")
            return ""
    except (TypeError, ValueError):  # pandas.NA refuses bool(); arrays are ambiguous
        if type(raw).__name__ == "NAType":
            return ""
    return str(raw)


def _strip_html(text: str) -> str:
    if "<" in text and _LOOKS_LIKE_HTML.search(text):
        text = _SCRIPT_STYLE.sub(" ", text)
        text = _COMMENT.sub(" ", text)
        text = _INLINE_TAG.sub("", text)
        text = _ANY_TAG.sub(" ", text)
    if "&" in text:
        # after tag removal, so an escaped "&lt;b&gt;" stays visible text instead of being stripped as a tag
        text = _ENTITY.sub(_decode_entity, text)
    return text


def _decode_entity(match: re.Match[str]) -> str:
    entity = match.group()
    if entity[1] == "#":
        return html.unescape(entity)
    # exact HTML5 names only: html.unescape would decode the "&not" prefix of "&notanentity;"
    return html5_entities.get(entity[1:], entity)


def _normalize(text: str) -> str:
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text.translate(_PROTECT))
    return text.translate(_UNPROTECT)


def _meaningful_weight(text: str, enough: int) -> int:
    """Letters/digits counted up to `enough` (a CJK character counts 2); stops early on long texts."""
    total = 0
    for match in _MEANINGFUL.finditer(text):
        total += 2 if ord(match.group()) >= _WIDE_FROM else 1
        if total >= enough:
            break
    return total


def clean_text(raw: object, *, min_chars: int = 2, max_chars: int = 100_000, embed_max_chars: int = 2000) -> CleanText:
    """Clean one feedback text; raises RejectedText for empty, near-empty or over-long items."""
    if embed_max_chars < 1:
        raise ValueError("embed_max_chars must be at least 1")
    text = to_text(raw)
    if len(text) > max_chars * _RAW_GUARD_FACTOR:
        raise RejectedText(_too_long(len(text), max_chars))
    text = _strip_html(text)
    text = _normalize(text)
    text = _INVISIBLE.sub("", text)
    text = " ".join(text.split())
    if not text:
        raise RejectedText("empty text")
    if len(text) > max_chars:
        raise RejectedText(_too_long(len(text), max_chars))
    weight = _meaningful_weight(text, max(min_chars, 1))
    if weight == 0:
        raise RejectedText("near-empty text (only punctuation/emoji)")
    if weight < min_chars:
        raise RejectedText(f"near-empty text (fewer than {min_chars} meaningful characters)")
    embed_text = truncate_for_embedding(text, embed_max_chars)
    return CleanText(text=text, embed_text=embed_text, truncated=len(embed_text) < len(text))


def _too_long(length: int, limit: int) -> str:
    return f"text is {length:,} characters, over the limit of {limit:,} (ASSISTANT_MAX_ITEM_CHARS)"


def truncate_for_embedding(text: str, max_chars: int) -> str:
    """`text` cut to at most `max_chars`, at a sentence end or else a word boundary in the last half if any."""
    if len(text) <= max_chars:
        return text
    if max_chars < 1:
        return ""
    head = text[: max_chars + 1]  # one extra char: a boundary right at the limit still counts
    floor = max(1, max_chars // 2)
    cut = -1
    for sep in _ASCII_SENTENCE_ENDS:
        cut = max(cut, head.rfind(sep) + 1)  # keep the punctuation, drop the space
    for sep in _CJK_SENTENCE_ENDS:
        cut = max(cut, head.rfind(sep, 0, max_chars) + 1)
    if cut < floor:
        cut = head.rfind(" ")
    if cut < floor:
        cut = max_chars  # no usable boundary (e.g. unpunctuated Chinese): any character boundary will do
    return text[:cut].rstrip()
