"""Is a model's answer grounded in what the tools returned? The one check every answer passes before a user
reads it, whole (`problems`) and while it streams (`GroundedStream`).

An answer fails when it states a figure that is in none of the facts it was shown (nor in the question),
quotes a passage that is in no item the tools returned, says nothing beyond citation markers and the
question's own words, or strings a theme's keywords together as if they were findings. Weak models do
all four (measured on real data, docs/quality.md); a failed answer is replaced by the tools' facts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MARKER = re.compile(r"\[(\d{1,3})\]")
_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d-\d\d-\d\d(?!\d)")  # digits only: Chinese text may touch it
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*%?")
# quoted passages: curly, corner brackets, straight double quotes
_QUOTES = {"“": "”", "「": "」", "『": "』", '"': '"', "‘": "’"}
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|『[^』]*』|\"[^\"\n]*\"|‘[^’]*’")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
_CN_NUMERAL = "".join(_CN_DIGITS) + "".join(_CN_UNITS)
_CN_COUNTERS = "条件个位次名项家笔例倍成%％"
_CN_COUNT = re.compile(rf"([{_CN_NUMERAL}]+)(?=[{_CN_COUNTERS}])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
_LABEL = re.compile(r"[^\s/:：,，()()]+(?: [^\s/:：,，()()]+)?(?: / [^\s/:：,，()()]+(?: [^\s/:：,，()()]+)?)+")


def cn_number(text: str) -> int | None:
    """Value of a Chinese numeral ("二十三" -> 23, "一百零五" -> 105, "两千" -> 2000), or None."""
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10_000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


_MONTHS = {m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                        "dec"), 1)}
# dates as people write them, read as ISO tokens ("2019年3月1日" -> 2019-03-01, "March 2019" -> 2019-03, "3月1日" -> 03-01)
_WORDY_DATES = [
    (re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"),
     lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"),
    (re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月"), lambda m: f"{m[1]}-{int(m[2]):02d}"),
    (re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"), lambda m: f"{int(m[1]):02d}-{int(m[2]):02d}"),
    (re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+"
                r"((?:19|20)\d\d)\b", re.I), lambda m: f"{m[3]}-{_MONTHS[m[1].lower()]:02d}-{int(m[2]):02d}"),
    (re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+((?:19|20)\d\d)\b", re.I),
     lambda m: f"{m[2]}-{_MONTHS[m[1].lower()]:02d}"),
    (re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I),
     lambda m: f"{_MONTHS[m[1].lower()]:02d}-{int(m[2]):02d}"),
]


def figures(text: str, *, skip_quotes: bool = True) -> list[str]:
    """The figures a text states: numbers (dates as one token, markers excluded) and Chinese counts."""
    value = MARKER.sub(" ", text)
    if skip_quotes:  # a figure inside a customer's quote is no fact (and is checked as a quote instead)
        value = _QUOTED.sub(" ", value)
    dates = []
    for pattern, iso in _WORDY_DATES:
        dates += [iso(m) for m in pattern.finditer(value)]
        value = pattern.sub(" ", value)
    dates += _DATE.findall(value)
    value = _DATE.sub(" ", value)
    out = dates + [m.group(0).rstrip("%").replace(",", "") for m in _NUMBER.finditer(value)]
    out += [str(n) for m in _CN_COUNT.finditer(value) if (n := cn_number(m.group(1))) is not None]
    return out


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = MARKER.sub(" ", text)
    return " ".join(re.sub(r"[\"'“”‘’「」『』]", " ", text).split())


@dataclass
class Grounds:
    """What an answer may draw on: the facts it was shown, the question, and the items' own texts."""

    facts: list[str] = field(default_factory=list)
    question: str = ""
    texts: list[str] = field(default_factory=list)  # full texts of every item the tools returned

    def __post_init__(self) -> None:
        known = {t for src in [*self.facts, self.question] for t in figures(src)}
        known |= {part for t in known if _DATE.fullmatch(t) for part in (t[:7], t[5:])}  # its month, its day
        self.known = known | {t.lstrip("0") or "0" for t in known}
        self._corpus = [_norm(t) for t in self.texts]  # a quote must be something a customer wrote
        self.keywords = {re.sub(r"^\d+[.)]\s*", "", w.strip().lower()) for f in self.facts
                         for m in _LABEL.finditer(f) for w in m.group(0).split(" / ")}

    def knows(self, figure: str) -> bool:
        return figure in self.known or (figure.lstrip("0") or "0") in self.known

    def quoted(self, passage: str) -> bool:
        """True when every fragment of a quoted passage (split at ellipses) is in an item the tools returned
        (a theme label or a figure in quotes would pass for something a customer said)."""
        for part in re.split(r"…|\.\.\.", passage):
            part = _norm(part).strip(" .,;:!?,。;:!?")
            if len(part) < (4 if _CJK.search(part) else 8) or len(part.split()) == 1 and not _CJK.search(part):
                continue  # a word or two in quotes is a term, not a quote
            if not any(part in text for text in self._corpus):
                return False
        return True


def unsupported(text: str, grounds: Grounds) -> list[str]:
    """Figures in `text` that the grounds do not contain (in order, once each)."""
    found: list[str] = []
    for token in figures(text):
        if not grounds.knows(token) and token not in found:
            found.append(token)
    return found


def invented_quotes(text: str, grounds: Grounds) -> list[str]:
    """Quoted passages in `text` that are in no item the tools returned."""
    out = []
    for m in _QUOTED.finditer(text):
        inner = m.group(0)[1:-1]
        if not grounds.quoted(inner):
            out.append(inner[:60])
    return out


def says_something(text: str, question: str) -> bool:
    """False for an answer made of markers, quotes and the question's own words ("...有[1]、[2]和[3]。")."""
    rest = _QUOTED.sub(" ", MARKER.sub(" ", text))
    asked_words = {w.lower() for w in _WORD.findall(question)}
    words = [w for w in _WORD.findall(rest) if w.lower() not in asked_words]
    asked_chars = set(_CJK.findall(question))
    chars = [c for c in _CJK.findall(rest) if c not in asked_chars]
    return len(words) >= 4 or len(chars) >= 6 or len(words) * 2 + len(chars) >= 8


def keyword_string(text: str, grounds: Grounds) -> list[str]:
    """Theme keywords strung into a list ("staff, waiter, restaurant, people, atmosphere"): the label words
    of the facts, three or more in one enumeration, making up most of it."""
    if not grounds.keywords:
        return []
    for sentence in re.split(r"[.!?。!?;;\n]", MARKER.sub(" ", text)):
        items = [i.strip().lower() for i in re.split(r",|、|,|\band\b|\bor\b|和|及|以及", sentence) if i.strip()]
        if len(items) < 4:
            continue
        tails = [i.split()[-1] if i.split() else i for i in items]  # "the terrible staff" -> "staff"
        hits = [t for t in tails if t in grounds.keywords]
        if len(hits) >= 3 and len(hits) >= 0.6 * len(items):
            return hits
    return []


def problems(text: str, grounds: Grounds) -> list[str]:
    """Why an answer cannot be shown as written (empty when it is grounded and says something)."""
    out = []
    wrong = unsupported(text, grounds)
    if wrong:
        out.append("figures that are not in the data (" + ", ".join(wrong[:4]) + ")")
    quotes = invented_quotes(text, grounds)
    if quotes:
        out.append("quotes that are in no cited item (“" + "”, “".join(q[:40] for q in quotes[:2]) + "”)")
    if not says_something(text, grounds.question):
        out.append("no content beyond citation markers and the question's words")
    strung = keyword_string(text, grounds)
    if strung:
        out.append("theme keywords strung together (" + ", ".join(strung[:5]) + ") instead of findings")
    return out


class GroundedStream:
    """Passes a model's streamed text through, holding back what must be checked before anyone sees it.

    A `[n]` marker is held until it is known to point at a tool result (else it is dropped). From the first
    figure or quote of a clause, the rest of the clause is held until it ends and is checked whole (a date
    such as "March 1, 2019" or "3月1日" needs its words; a quote must close): released when its figures are
    in the facts and its quotes in an item, else `failed` says why and nothing more is released.
    Text before a clause's first figure streams at once."""

    _END = "。!?!?;;\n"

    def __init__(self, grounds: Grounds | None, markers: int):
        self.grounds, self.markers = grounds, markers
        self.mark = ""  # a "[..." being read
        self.line = ""  # the current clause's text already released
        self.held = ""  # held back since the clause's first figure or quote
        self.closer: str | None = None  # the closing mark of a quote being read
        self.failed: str | None = None

    def feed(self, text: str) -> str:
        out: list[str] = []
        for ch in text:
            if self.failed:
                break
            self._marker(ch, out)
        return "".join(out)

    def flush(self) -> str:
        out: list[str] = []
        self.mark = ""  # an unfinished marker at the end is dropped
        if not self.failed:
            self._release(out)
        return "".join(out)

    def _marker(self, ch: str, out: list[str]) -> None:
        if self.mark:
            self.mark += ch
            if ch == "]":
                inner, self.mark = self.mark[1:-1], ""
                if inner.isdigit() and 1 <= int(inner) <= self.markers:
                    self._clause(f"[{inner}]", out)
            elif not ch.isdigit() or len(self.mark) > 5:
                held, self.mark = self.mark, ""
                self._clause("[", out)
                for c in held[1:]:  # ordinary bracketed text: through the other checks
                    self._marker(c, out)
            return
        if ch == "[":
            self.mark = ch
        else:
            self._clause(ch, out)

    def _clause(self, piece: str, out: list[str]) -> None:
        if self.grounds is None:
            out.append(piece)
            return
        if len(piece) > 1:  # a marker: part of whatever the clause is doing
            self._emit(piece, out)
            return
        ch = piece
        if self.closer:
            self.held += ch
            if ch == self.closer:
                self.closer = None
            elif len(self.held) > 800:  # an unclosed quote: check what there is
                self.closer = None
                self._release(out)
            return
        if ch in _QUOTES:
            self.held += ch
            self.closer = _QUOTES[ch]
            return
        if self.held or ch.isdigit() or ch in _CN_NUMERAL:
            self.held += ch
        else:
            self._emit(ch, out)
        if ch in self._END or (ch == " " and (self.line + self.held).endswith(". ")) or len(self.held) > 400:
            self._release(out)

    def _emit(self, text: str, out: list[str]) -> None:
        if self.held:
            self.held += text
        else:
            out.append(text)
            self.line += text

    def _release(self, out: list[str]) -> None:
        held, clause = self.held, self.line + self.held
        self.line = self.held = ""
        if not held:
            return
        wrong = unsupported(clause, self.grounds)
        if wrong:
            self.failed = f"a figure that is not in the data ({wrong[0]})"
            return
        quotes = invented_quotes(clause, self.grounds)
        if quotes:
            self.failed = f"a quote that is in no cited item (“{quotes[0][:40]}”)"
            return
        out.append(held)
