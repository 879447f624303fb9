"""Replace personal data in feedback with typed placeholders before anything is stored or embedded.

Placeholders and their `counts` keys:

    [EMAIL] EMAIL, [PHONE] PHONE, [CARD] CARD, [ID_NUMBER] ID_NUMBER, [IP] IP,
    https://[CREDENTIALS]@host URL_CREDENTIALS, ?token=[SECRET] SECRET

The patterns favour precision on customer feedback: order numbers, prices, dates, times, versions, years
and quantities must survive, so card numbers need a card prefix and a valid Luhn digit, Chinese resident
IDs a valid checksum, Chinese mobiles exactly 11 digits outside any longer digit run, and digits glued to
a letter, "#", "/" or "." (order "#A12345", "v2.3.1") are never a phone. Order matters: URL credentials
and e-mail addresses go first (their digits must not look like phones), then IP addresses, then resident
IDs and cards (a card would otherwise be eaten piecewise as phones), then phones. Placeholders contain no
digits, "@" or "=", so redacting twice changes nothing.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

__all__ = ["Redaction", "redact"]


@dataclass(frozen=True)
class Redaction:
    """Redacted text and how many items of each type were replaced (only types found are present)."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Number of replacements of any type."""
        return sum(self.counts.values())


_URL_CREDENTIALS = re.compile(
    # greedy up to the last "@" before the host, so a stray "@" inside a password is not left behind
    r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]*://)(?!\[CREDENTIALS\]@)[^\s/?#]+@(?=[^\s@])"
)
_SECRET_KEY = (
    r"(?:[A-Za-z0-9]+[_\-])?(?:access_token|refresh_token|id_token|auth_token|token|api_key|apikey|api-key|key|"
    r"secret|client_secret|password|passwd|pwd|pass|signature|sig|session_id|sessionid|session|sid|auth)"
)
# A value may hold dots or colons ("eyJ.abc"), but punctuation that ends the sentence is not part of it.
_VALUE_CHAR = r"[^&#\s.,;:!?()\[\]{}<>'\"，。！？、]"
_URL_SECRET = re.compile(
    rf"([?&;#]{_SECRET_KEY}=)(?!\[SECRET\]){_VALUE_CHAR}+(?:[.,;:!?]+{_VALUE_CHAR}+)*", re.IGNORECASE
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?<![0-9A-Za-z.])(?:{_OCTET}\.){{3}}{_OCTET}(?![0-9A-Za-z]|\.[0-9])")
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{1,4})?"
    r"(?![0-9A-Za-z:])"
)
# "version 1.2.3.4", "build 10.0.0.1": a four-part version number is not an address
_VERSION_BEFORE = re.compile(
    r"(?:\b(?:version|ver|build|firmware|release)\.?|版本号?|固件|[vV])\s*[:：#]?\s*$", re.IGNORECASE
)
_CN_ID = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
    r"(?![0-9])"
)
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"
# contiguous, or the grouping printed on cards: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4
_CARD = re.compile(
    r"(?<![0-9.,\-/])(?:[0-9]{13,19}|[0-9]{4}([ \-])[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?:\1[0-9]{3})?"
    r"|[0-9]{4}([ \-])[0-9]{6}\2[0-9]{4,5})(?![0-9]|[.,\-/][0-9])"
)

# Phone digits must not continue a word, an order number ("#", "A123"), a path or a dotted version.
_PL = r"(?<![0-9A-Za-z_#/.\-+])"
_PR = r"(?![0-9A-Za-z_]|[\-./][0-9])"
_PHONES = (
    # international: +CC, optional (area), then digit groups; 8-15 digits in all (E.164)
    re.compile(
        r"(?<![0-9A-Za-z_+])\+[0-9]{1,3}[ .\-]?(?:[(（][0-9]{1,4}[)）][ .\-]?)?[0-9]{1,4}(?:[ .\-]?[0-9]{2,4}){1,4}"
        + _PR
    ),
    # Chinese mobile: exactly 11 digits 1[3-9]xxxxxxxxx, plain or 3-4-4
    re.compile(_PL + r"1[3-9][0-9](?:[0-9]{8}|-[0-9]{4}-[0-9]{4}| [0-9]{4} [0-9]{4})" + _PR),
    # North American 3-3-4, optional leading 1
    re.compile(_PL + r"(?:1[ .\-])?(?:\([0-9]{3}\)[ .\-]?|[0-9]{3}[ .\-])[0-9]{3}[ .\-][0-9]{4}" + _PR),
    # Chinese landline: area code 0xx/0xxx with a separator or brackets, then 7-8 digits (or 3/4-4 grouped),
    # optional extension; a bare 0-led digit run is too often an order or account number
    re.compile(
        _PL + r"(?:[(（]0[0-9]{2,3}[)）][ \-]?|0[0-9]{2,3}[ \-])(?:[0-9]{7,8}|[0-9]{3,4}[ \-][0-9]{4})"
        r"(?:-[0-9]{1,5})?" + _PR
    ),
)
_DIGIT = re.compile(r"[0-9]")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_card(number: str) -> bool:
    digits = number.replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19:
        return False
    # issuer prefixes: 3 Amex/Diners/JCB, 4 Visa, 5 Mastercard/Maestro, 6 Discover/UnionPay, 22-27 Mastercard;
    # 13 digits only for old Visa. This keeps "2026081512345"-style order numbers out.
    first = digits[0]
    if len(digits) == 13 and first != "4":
        return False
    if first not in "3456" and not (first == "2" and "2" <= digits[1] <= "7"):
        return False
    return _luhn_ok(digits)


def _is_cn_id(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number, _CN_ID_WEIGHTS))
    return _CN_ID_CHECK[total % 11] == number[17].upper()


def _phone_digits_ok(number: str) -> bool:
    return 8 <= len(_DIGIT.findall(number)) <= 15


def _follows_version_word(text: str, start: int) -> bool:
    return _VERSION_BEFORE.search(text, max(0, start - 12), start) is not None


def _is_ipv6(candidate: str) -> bool:
    # needs a digit: "A::B" is C++, not an address; "12:30:45" fails the parse
    if not _DIGIT.search(candidate):
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


class _Counter:
    """Callback factory for re.sub that validates each match and counts replacements."""

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def sub(self, pattern: re.Pattern[str], text: str, kind: str, replacement: str, check=None) -> str:
        if check is None:
            new, n = pattern.subn(replacement, text)
        else:
            n = 0

            def _replace(match: re.Match[str]) -> str:
                nonlocal n
                if check(match):
                    n += 1
                    return replacement
                return match.group()

            new = pattern.sub(_replace, text)
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n
        return new


def redact(text: str) -> Redaction:
    """Replace e-mails, phones, cards, Chinese resident IDs, IPs and URL credentials/secrets with placeholders."""
    c = _Counter()
    if "://" in text:
        text = c.sub(_URL_CREDENTIALS, text, "URL_CREDENTIALS", r"\1[CREDENTIALS]@")
    if "=" in text:
        text = c.sub(_URL_SECRET, text, "SECRET", r"\1[SECRET]")
    if "@" in text:
        text = c.sub(_EMAIL, text, "EMAIL", "[EMAIL]")
    if not _DIGIT.search(text):
        return Redaction(text, c.counts)
    if text.count(":") >= 2:
        text = c.sub(_IPV6, text, "IP", "[IP]", lambda m: _is_ipv6(m.group()))
    if "." in text:
        text = c.sub(_IPV4, text, "IP", "[IP]", lambda m: not _follows_version_word(m.string, m.start()))
    text = c.sub(_CN_ID, text, "ID_NUMBER", "[ID_NUMBER]", lambda m: _is_cn_id(m.group()))
    text = c.sub(_CARD, text, "CARD", "[CARD]", lambda m: _is_card(m.group()))
    for pattern in _PHONES:
        text = c.sub(pattern, text, "PHONE", "[PHONE]", lambda m: _phone_digits_ok(m.group()))
    return Redaction(text, c.counts)
