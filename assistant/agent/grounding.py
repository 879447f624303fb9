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
_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
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


def figures(text: str, *, skip_quotes: bool = True) -> list[str]:
    """The figures a text states: numbers (dates as one token, markers excluded) and Chinese counts."""
    value = MARKER.sub(" ", text)
    if skip_quotes:  # a figure inside a customer's quote is no fact (and is checked as a quote instead)
        value = _QUOTED.sub(" ", value)
    dates = _DATE.findall(value)
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
    """Passes a model's streamed text through, holding back what must be checked before anyone sees it:
    a `[n]` marker until it is known to point at a tool result (else it is dropped), a figure until it is
    complete and known, a quoted passage until it closes and is found in an item. `failed` names the first
    thing that was not grounded; nothing after it is released."""

    def __init__(self, grounds: Grounds | None, markers: int):
        self.grounds, self.markers = grounds, markers
        self.buffer, self.mode = "", ""
        self.failed: str | None = None

    def feed(self, text: str) -> str:
        out: list[str] = []
        for ch in text:
            if self.failed:
                break
            self._step(ch, out)
        return "".join(out)

    def flush(self) -> str:
        out: list[str] = []
        if self.mode and not self.failed:
            self._close(out)
        return "".join(out)

    def _step(self, ch: str, out: list[str]) -> None:
        mode = self.mode
        if mode == "marker":
            self.buffer += ch
            if ch == "]":
                inner = self.buffer[1:-1]
                if inner.isdigit() and 1 <= int(inner) <= self.markers:
                    out.append(self.buffer)
                self.buffer, self.mode = "", ""
            elif not ch.isdigit() or len(self.buffer) > 5:
                held, self.buffer, self.mode = self.buffer, "", ""
                out.append("[")
                for c in held[1:]:  # ordinary bracketed text: run it through the other checks
                    self._step(c, out)
            return
        if mode == "quote":
            self.buffer += ch
            if ch == _QUOTES[self.buffer[0]] and len(self.buffer) > 1:
                self._close(out)
            elif len(self.buffer) > 600:  # an unclosed quote: check what there is
                self._close(out)
            return
        if mode == "number":
            if ch.isdigit() or (ch in ".,-%" and self.buffer[-1].isdigit()) or (ch.isdigit() and self.buffer[-1] in ".,-"):
                self.buffer += ch
                return
            self._close(out)
        elif mode == "cn":
            if ch in _CN_NUMERAL:
                self.buffer += ch
                return
            self._close(out, counter=ch in _CN_COUNTERS)
        if self.failed:
            return
        if ch == "[":
            self.buffer, self.mode = ch, "marker"
        elif ch in _QUOTES and self.grounds is not None:
            self.buffer, self.mode = ch, "quote"
        elif ch.isdigit() and self.grounds is not None:
            self.buffer, self.mode = ch, "number"
        elif ch in _CN_NUMERAL and self.grounds is not None:
            self.buffer, self.mode = ch, "cn"
        else:
            out.append(ch)

    def _close(self, out: list[str], counter: bool = True) -> None:
        held, mode = self.buffer, self.mode
        self.buffer, self.mode = "", ""
        if mode == "marker":
            return  # an unfinished marker at the end: dropped
        if mode == "number":
            tail = len(held) - len(held.rstrip(".,-"))
            token, rest = held[: len(held) - tail], held[len(held) - tail:]
            wrong = unsupported(token, self.grounds)
            if wrong:
                self.failed = f"a figure that is not in the data ({wrong[0]})"
                return
            out.append(token + rest)
        elif mode == "cn":
            value = cn_number(held)
            if counter and value is not None and not self.grounds.knows(str(value)):
                self.failed = f"a figure that is not in the data ({held})"
                return
            out.append(held)
        elif mode == "quote":
            if not self.grounds.quoted(held[1:-1] if held[-1] == _QUOTES[held[0]] else held[1:]):
                self.failed = f"a quote that is in no cited item (“{held[1:41]}”)"
                return
            out.append(held)
