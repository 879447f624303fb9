"""Text encodings of feedback files: tell text from binary, detect the encoding, decode a stream line by line.

Public surface:

- `SAMPLE_BYTES`: how much of a file detection looks at.
- `looks_binary(head)`: True for images, archives, executables and other non-text content.
- `detect_encoding(data)`: the codec name to read `data` with.
- `decode_all(path, data, encoding)`: a whole document as text, or InputFileError naming the bad byte.
- `LineDecoder`: decodes one physical line at a time and can re-detect when the sample was plain ASCII.
- `decode_lines(chunks, decoder, sep)`: numbered decoded lines (`Line`) of a byte stream.
- `split_lines(chunks, sep)`: physical lines of a stream of bytes or str chunks.
"""

from __future__ import annotations

import codecs
import itertools
from typing import Any, Iterable, Iterator

from assistant.errors import InputFileError

SAMPLE_BYTES = 64 * 1024  # encoding, delimiter and format are decided on this much of the file

Line = tuple[int, str, str | None]  # (line number from 1, text, why the line could not be decoded or None)

_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\xd0\xcf\x11\xe0",
          b"\x7fELF", b"Rar!", b"7z\xbc\xaf", b"SQLite format 3", b"\xfd7zXZ")
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1b") + b"\x7f"
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CJK_CODECS = {"gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950", "shift_jis", "cp932", "euc_jp", "euc_kr",
               "cp949"}


def looks_binary(head: bytes) -> bool:
    """True when the start of a file is a known binary format or has too many control bytes to be text."""
    if head.startswith(_MAGIC):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)):
        return False  # UTF-16/32 text is full of NUL bytes
    controls = len(head) - len(head.translate(None, _CONTROL))
    # Stray NULs or control bytes happen in real exports; random bytes are ~11% control bytes.
    return controls >= 4 and controls > 0.03 * len(head)


def detect_encoding(data: bytes) -> str:
    """The codec to read `data` with (a sample or a whole file), first match wins:

    a byte-order mark; strict UTF-8; UTF-8 with a few corrupt bytes (those rows are rejected later);
    GB18030 when its characters are almost all common GB2312 ones; charset-normalizer's guess, trusted only
    for CJK encodings; cp1252; latin-1, which decodes anything.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if _decodes(data, "utf-8") is not None:
        return "utf-8"
    lenient = data[:SAMPLE_BYTES].decode("utf-8", errors="replace")
    if sum(ord(c) > 127 for c in lenient) >= 20 * lenient.count("\ufffd"):
        return "utf-8"  # a few corrupt bytes in UTF-8 text: those rows are rejected, the rest read
    gb = _decodes(data, "gb18030")
    if gb is not None and _mostly_chinese(gb):
        return "gb18030"
    guess = _charset_guess(data[:SAMPLE_BYTES])
    if guess:
        return guess
    return "cp1252" if _decodes(data, "cp1252") is not None else "latin-1"


def decode_all(path: str, data: bytes, encoding: str) -> str:
    """The whole of `data` as text without a leading BOM; InputFileError names the first bad byte."""
    try:
        return data.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"cannot decode as {encoding} (byte 0x{data[exc.start]:02x} at offset "
                                   f"{exc.start}); give the file's encoding explicitly") from None


class LineDecoder:
    """Decodes one physical line at a time, so a bad byte costs one row instead of the file.

    `encoding` is the codec in use. `tentative` means the sample was pure ASCII, so the real encoding is still
    unknown: the first line that does not decode triggers one re-detection on that line, and the first
    non-ASCII line that does decode confirms the encoding.
    """

    def __init__(self, encoding: str, tentative: bool):
        self.encoding = encoding
        self.tentative = tentative

    def decode(self, raw: bytes) -> tuple[str, str | None]:
        """(text without NULs, None), or (text with replacement characters, why the line could not be decoded)."""
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            if self.tentative:
                self.tentative = False
                better = detect_encoding(raw)
                if _decodes(raw, better) is not None:
                    self.encoding = better
                    return self.decode(raw)
            reason = (f"cannot decode bytes as {self.encoding} (0x{raw[exc.start]:02x} at byte {exc.start + 1} "
                      "of the line); give the file's encoding explicitly")
            return raw.decode(self.encoding, errors="replace"), reason
        if self.tentative and not raw.isascii():
            self.tentative = False
        return (text.replace("\0", "") if "\0" in text else text), None


def decode_lines(chunks: Iterable[bytes], decoder: LineDecoder, sep: bytes = b"\n") -> Iterator[Line]:
    """(line number, text, decode problem) for each physical line of a byte stream; the first loses its BOM.

    Lines end with `sep` (b"\\r" for old Mac files). UTF-16/32 streams are decoded as a whole and split on "\\n".
    """
    if _ascii_compatible(decoder.encoding):
        # Splitting bytes is safe here: "\n" never occurs inside a multi-byte character of these encodings.
        source: Iterator[tuple[str, str | None]] = (decoder.decode(raw) for raw in split_lines(chunks, sep))
    else:  # UTF-16/32: decode the stream first; such files come with a BOM, so errors are unlikely
        source = ((t.replace("\0", ""), None) for t in split_lines(_decoded_chunks(chunks, decoder.encoding), "\n"))
    for n, (text, problem) in enumerate(source, 1):
        yield n, (text.lstrip("\ufeff") if n == 1 else text), problem


def split_lines(chunks: Iterable[Any], sep: Any) -> Iterator[Any]:
    """Physical lines of a stream of bytes or str chunks, each ending with `sep` except perhaps the last."""
    empty, pending = sep[:0], []
    for chunk in chunks:
        pieces = chunk.split(sep)
        if len(pieces) == 1:
            pending.append(chunk)
            continue
        if pending:
            pieces[0] = empty.join(pending) + pieces[0]
        last = pieces.pop()
        pending = [last] if last else []
        for piece in pieces:
            yield piece + sep
    tail = empty.join(pending)
    if tail:
        yield tail


def _decodes(data: bytes, enc: str) -> str | None:
    try:  # final=False: the sample may end in the middle of a multi-byte character
        return codecs.getincrementaldecoder(enc)().decode(data, final=False)
    except UnicodeDecodeError:
        return None


def _mostly_chinese(text: str) -> bool:
    # Latin-1 bytes often form valid GB18030 pairs, but those land outside the common GB2312 set
    # (an accented letter is followed by an ASCII letter); real Chinese text is almost all GB2312.
    wide = "".join(itertools.islice((c for c in text if ord(c) > 127), 5000))
    common = len(wide.encode("gb2312", errors="ignore")) // 2  # every GB2312 character is two bytes
    return bool(wide) and common >= 0.8 * len(wide)


def _charset_guess(data: bytes) -> str | None:
    """charset-normalizer, trusted only for CJK encodings: for Latin text it picks among look-alike code pages."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    name = codecs.lookup(best.encoding).name if best else None
    if name not in _CJK_CODECS:
        return None
    wide = [c for c in _decodes(data, name) or "" if ord(c) > 127]
    cjk = sum(1 for c in wide if "\u2e80" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" or "\uff00" <= c <= "\uffef")
    return ("gb18030" if name in ("gbk", "gb2312") else name) if wide and cjk >= 0.8 * len(wide) else None


def _ascii_compatible(enc: str) -> bool:
    try:
        return "a\n,".encode(enc).endswith(b"a\n,")
    except UnicodeError:
        return False


def _decoded_chunks(chunks: Iterable[bytes], enc: str) -> Iterator[str]:
    inc = codecs.getincrementaldecoder(enc)(errors="replace")
    for chunk in chunks:
        yield inc.decode(chunk)
    yield inc.decode(b"", final=True)
