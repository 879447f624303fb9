"""Open feedback files (CSV, TSV, JSON, JSONL, XLSX, text) in any common encoding and stream their rows."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable, Iterator, Union

from assistant.errors import InputFileError
from assistant.records import RawRow, Rejection

FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx", "txt")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
    ".ndjson": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx", ".txt": "txt",
}
RowItem = Union[RawRow, Rejection]

SAMPLE_BYTES = 64 * 1024  # encoding, delimiter and format are decided on this much of the file
_CHUNK = 1024 * 1024
_JSONL_PEEK = 100  # JSONL columns come from the first rows: the rest of the file is streamed

# A single feedback item can be megabytes (pasted logs); the size limit is a cleaning decision, not csv's.
csv.field_size_limit(2**31 - 1)

_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\xd0\xcf\x11\xe0",
          b"\x7fELF", b"Rar!", b"7z\xbc\xaf", b"SQLite format 3", b"\xfd7zXZ")
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1b") + b"\x7f"
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CJK_CODECS = {"gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950", "shift_jis", "cp932", "euc_jp", "euc_kr",
               "cp949"}
_SEP_LINE = re.compile(r"sep=(.)\s*$")  # Excel's "sep=;" hint line


@dataclass
class ReadResult:
    """An opened feedback file. `rows` yields RawRow for good rows and Rejection for malformed ones, in file order."""

    path: str
    fmt: str
    encoding: str  # refined while reading if the first 64 KB were plain ASCII and a later line is not UTF-8
    columns: list[str]
    rows: Iterator[RowItem]
    delimiter: str | None = None
    sheet: str | None = None
    _resources: list[Any] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Release the file early; it is released anyway once `rows` is exhausted."""
        close = getattr(self.rows, "close", None)
        if close:
            close()
        for resource in self._resources:
            resource.close()

    def __enter__(self) -> ReadResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_input_files(paths: list[str]) -> list[str]:
    """Expand folders into the feedback files they hold (recursive, sorted, no hidden files); keep "-" for stdin."""
    found: list[str] = []
    for raw in paths:
        path = os.fspath(raw)
        if path == "-":
            found.append(path)
        elif os.path.isdir(path):
            inside = []
            for root, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                inside += [os.path.join(root, name) for name in files
                           # "~$x.xlsx" is the lock file Excel leaves next to an open workbook
                           if not name.startswith((".", "~$")) and os.path.splitext(name)[1].lower() in EXTENSIONS]
            if not inside:
                raise InputFileError(path, "folder has no feedback files (" + ", ".join(sorted(EXTENSIONS)) + ")")
            found += sorted(inside)
        elif os.path.exists(path):
            found.append(path)
        else:
            raise InputFileError(path, "no such file or folder")
    return list(dict.fromkeys(found))


def read_rows(path: str, *, fmt: str | None = None, encoding: str | None = None,
              stdin: BinaryIO | None = None) -> ReadResult:
    """Open one feedback file ("-" reads `stdin`); file-level problems raise InputFileError before any row is read."""
    path = os.fspath(path)
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise InputFileError(path, f"unknown format '{fmt}'; use one of: {', '.join(FORMATS)}")
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise InputFileError(path, f"unknown encoding '{encoding}'") from None
    if path == "-":
        return _read_stream(path, stdin if stdin is not None else sys.stdin.buffer, fmt, encoding, forced=fmt is not None)
    if os.path.isdir(path):
        raise InputFileError(path, "is a folder, not a file")
    if not os.path.exists(path):
        raise InputFileError(path, "no such file or folder")
    forced = fmt is not None
    if fmt is None:
        ext = os.path.splitext(path)[1].lower()
        if ext == ".xls":
            raise InputFileError(path, "old Excel .xls files are not supported; save it as .xlsx or CSV")
        fmt = EXTENSIONS.get(ext)  # None: unknown extension, sniff the content like stdin
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise InputFileError(path, f"cannot open: {exc.strerror}") from None
    try:
        result = _read_stream(path, stream, fmt, encoding, forced=forced)
    except BaseException:
        stream.close()
        raise
    result._resources.append(stream)
    return result


def _read_stream(path: str, stream: BinaryIO, fmt: str | None, encoding: str | None, *, forced: bool) -> ReadResult:
    head = stream.read(SAMPLE_BYTES)
    if not head.removeprefix(codecs.BOM_UTF8).strip(b" \t\r\n\x00"):
        raise InputFileError(path, "file is empty")
    if fmt == "xlsx" or (fmt is None and head.startswith(b"PK\x03\x04")):
        source = stream if stream.seekable() else io.BytesIO(head + stream.read())
        source.seek(0)
        return _read_xlsx(path, source, head)
    if _is_binary(head):
        raise InputFileError(path, "not a text file (binary content)")

    enc = encoding or _detect_encoding(head)
    whole = len(head) < SAMPLE_BYTES
    preview = head.decode(enc, errors="replace")
    if not whole and "\n" in preview:
        preview = preview[: preview.rindex("\n") + 1]  # a cut line would skew delimiter counts
    preview = preview.lstrip("\ufeff")
    if fmt is None:
        fmt = _sniff_format(preview)
    elif fmt == "txt" and not forced and _sniff_delimiter(preview, "\t", strict=True):
        fmt = "tsv"  # Excel's "Text (Tab delimited)" export is saved as .txt

    if fmt == "json":
        data = head + stream.read()
        enc = encoding or _detect_encoding(data)
        text = _decode_whole(path, data, enc)
        items = _json_items(path, text)
        decoder = _Decoder(enc, tentative=False)
        if items is not None:
            result = ReadResult(path, "json", enc, items[0], iter(()))
            result.rows = _closing(result, decoder, items[1])
            return result
        fmt = "jsonl"  # one object per line, saved as .json
        lines = ((n, line, None) for n, line in enumerate(_split([text], "\n"), 1))
    else:
        decoder = _Decoder(enc, tentative=encoding is None and head.isascii())
        chunks = itertools.chain([head], iter(lambda: stream.read(_CHUNK), b""))
        sep = b"\r" if b"\r" in head and b"\n" not in head else b"\n"  # old Mac line ends (Excel "CSV (Macintosh)")
        lines = _numbered(chunks, sep, decoder)

    delimiter = None
    if fmt == "jsonl":
        columns, gen = _read_jsonl(path, lines)
    elif fmt == "txt":
        columns, gen = ["text"], _txt_rows(path, lines)
    else:
        delimiter = "\t" if fmt == "tsv" else (_sniff_delimiter(preview, ",;\t|") or ",")
        columns, delimiter, gen = _read_csv(path, _Lines(lines), delimiter)
    first = next(gen, None)
    if first is None:
        raise InputFileError(path, "no data rows")
    result = ReadResult(path, fmt, decoder.encoding, columns, iter(()), delimiter)
    result.rows = _closing(result, decoder, itertools.chain([first], gen))
    return result


def _closing(result: ReadResult, decoder: _Decoder | None, rows: Iterator[RowItem]) -> Iterator[RowItem]:
    """Yield the rows, keep `result.encoding` current, and release the file once they are read."""
    try:
        for item in rows:
            if decoder is not None:
                result.encoding = decoder.encoding
            yield item
    finally:
        for resource in result._resources:
            resource.close()


def _is_binary(head: bytes) -> bool:
    if head.startswith(_MAGIC):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)):
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    # Stray NULs or control bytes happen in real exports; random bytes are ~11% control bytes.
    return controls >= 4 and controls > 0.03 * len(head)


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


def _detect_encoding(data: bytes) -> str:
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


def _decode_whole(path: str, data: bytes, enc: str) -> str:
    try:
        return data.decode(enc).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"cannot decode as {enc} (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                                   "give the file's encoding explicitly") from None


def _ascii_compatible(enc: str) -> bool:
    try:
        return "a\n,".encode(enc).endswith(b"a\n,")
    except UnicodeError:
        return False


class _Decoder:
    """Decodes one physical line at a time, so a bad byte costs one row instead of the file."""

    def __init__(self, encoding: str, tentative: bool):
        self.encoding = encoding
        self.tentative = tentative  # the sample was pure ASCII: the real encoding is still unknown

    def __call__(self, raw: bytes) -> tuple[str, str | None]:
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            if self.tentative:
                self.tentative = False
                better = _detect_encoding(raw)
                if _decodes(raw, better) is not None:
                    self.encoding = better
                    return self(raw)
            reason = (f"cannot decode bytes as {self.encoding} (0x{raw[exc.start]:02x} at byte {exc.start + 1} "
                      "of the line); give the file's encoding explicitly")
            return raw.decode(self.encoding, errors="replace"), reason
        if self.tentative and not raw.isascii():
            self.tentative = False
        return (text.replace("\0", "") if "\0" in text else text), None


def _split(chunks: Iterable[Any], sep: Any) -> Iterator[Any]:
    """Physical lines (bytes or str), each ending with `sep` except perhaps the last."""
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


def _numbered(chunks: Iterator[bytes], sep: bytes, decoder: _Decoder) -> Iterator[tuple[int, str, str | None]]:
    """(line number, text, decode problem) for each physical line."""
    if _ascii_compatible(decoder.encoding):
        # Splitting bytes is safe here: "\n" never occurs inside a multi-byte character of these encodings.
        source: Iterator[tuple[str, str | None]] = (decoder(raw) for raw in _split(chunks, sep))
    else:  # UTF-16/32: decode the stream first; such files come with a BOM, so errors are unlikely
        source = ((t.replace("\0", ""), None) for t in _split(_decoded_chunks(chunks, decoder.encoding), "\n"))
    for n, (text, problem) in enumerate(source, 1):
        yield n, (text.lstrip("\ufeff") if n == 1 else text), problem


def _decoded_chunks(chunks: Iterator[bytes], enc: str) -> Iterator[str]:
    inc = codecs.getincrementaldecoder(enc)(errors="replace")
    for chunk in chunks:
        yield inc.decode(chunk)
    yield inc.decode(b"", final=True)


def _sniff_delimiter(text: str, candidates: str, *, strict: bool = False) -> str | None:
    """The delimiter that splits the header and the next rows into the same number of fields."""
    best, best_score = None, (0.0, 0)
    for delim in candidates:
        try:
            records = [r for r in itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=delim), 50) if r]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width, data = len(records[0]), records[1:]
        if strict and (not data or not all(0 < len(c.strip()) <= 50 for c in records[0])):
            continue
        consistency = sum(len(r) == width for r in data) / len(data) if data else 1.0
        if (consistency, width) > best_score:
            best, best_score = delim, (consistency, width)
    if strict and best_score[0] < 0.9:
        return None
    return best


def _sniff_format(text: str) -> str:
    start = text.lstrip(" \t\r\n")
    second = start[1:].lstrip(" \t\r\n")[:1]  # "[Bug] app crashes" is a line of text, not JSON
    if start.startswith("[") and second in ('{', '"', "]"):
        return "json"
    if start.startswith("{") and second in ('"', "}"):
        first, _, rest = start.partition("\n")
        try:
            obj = json.loads(first)
        except ValueError:
            return "json"  # pretty-printed object
        one_list = isinstance(obj, dict) and any(isinstance(v, list) for v in obj.values())
        return "jsonl" if isinstance(obj, dict) and (rest.strip() or not one_list) else "json"
    return "csv" if _sniff_delimiter(text, ",;\t|", strict=True) else "txt"


def _unique_columns(names: Iterable[Any]) -> list[str]:
    columns: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names, 1):
        base = "" if name is None else str(name).replace("\ufeff", "").strip()
        base = base or f"column_{i}"
        col, k = base, 2
        while col in seen:
            col, k = f"{base}_{k}", k + 1
        seen.add(col)
        columns.append(col)
    return columns


class _Lines:
    """Decoded lines for csv.reader; remembers the lines of the current record and can push them back."""

    def __init__(self, items: Iterator[tuple[int, str, str | None]]):
        self._items, self._back = items, []
        self.taken: list[tuple[int, str, str | None]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        item = self._back.pop() if self._back else next(self._items)
        self.taken.append(item)
        return item[1]

    def push_back(self, items: list[tuple[int, str, str | None]]) -> None:
        self._back.extend(reversed(items))


def _read_csv(path: str, lines: _Lines, delimiter: str) -> tuple[list[str], str, Iterator[RowItem]]:
    first = next(lines, None)
    if first is not None and (m := _SEP_LINE.match(first)):
        delimiter = m.group(1)
    else:
        lines.push_back(lines.taken)
    reader = csv.reader(lines, delimiter=delimiter)
    header = None
    while header is None:
        lines.taken = []
        record = next(reader, None)
        if record is None:
            raise InputFileError(path, "file is empty")
        if any(cell.strip() for cell in record):
            header = record
    columns = _unique_columns(header)
    return columns, delimiter, _csv_rows(path, lines, reader, columns, delimiter)


def _csv_rows(path: str, lines: _Lines, reader: Any, columns: list[str], delimiter: str) -> Iterator[RowItem]:
    width = len(columns)
    while True:
        lines.taken = []
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # the reader resets its state, so reading can go on with the next line
            reason = "a stray carriage return in an unquoted field" if "new-line" in str(exc) else str(exc)
            yield Rejection(path, lines.taken[0][0] if lines.taken else 0, f"malformed CSV: {reason}")
            continue
        taken = lines.taken
        start = taken[0][0]
        if not any(cell.strip() for cell in record):
            continue
        problem = next((p for _, _, p in taken if p), None)
        if problem:
            yield Rejection(path, start, problem)
            continue
        if len(record) != width:
            if width == 1:  # a one-column file: unquoted commas are part of the text
                record = [delimiter.join(record)]
            elif len(record) > width and not any(cell.strip() for cell in record[width:]):
                record = record[:width]  # trailing empty cells, as spreadsheets export them
            else:
                reason = f"expected {width} fields, found {len(record)}"
                if len(taken) > 1:
                    # Usually a quote left open: re-read the swallowed lines as rows of their own.
                    reason += f" (lines {start}-{taken[-1][0]} were read as one row; is a quote left open?)"
                    lines.push_back(taken[1:])
                yield Rejection(path, start, reason)
                continue
        yield RawRow(path, start, dict(zip(columns, record)))


def _txt_rows(path: str, lines: Iterator[tuple[int, str, str | None]]) -> Iterator[RowItem]:
    for n, text, problem in lines:
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        yield Rejection(path, n, problem) if problem else RawRow(path, n, {"text": text})


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted keys ("user.name"), which column mapping understands."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _json_items(path: str, text: str) -> tuple[list[str], Iterator[RowItem]] | None:
    """Columns and rows of a JSON document; None when the file is really JSON Lines."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        first = text.lstrip().partition("\n")[0]
        if exc.msg == "Extra data" and first.startswith("{"):
            try:
                if isinstance(json.loads(first), dict):
                    return None
            except ValueError:
                pass
        raise InputFileError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(data, dict):
        lists = [k for k, v in data.items() if isinstance(v, list)]
        if len(lists) != 1:
            found = f"an object with lists under {', '.join(lists)}" if lists else "an object without a list"
            raise InputFileError(path, f"expected an array of objects (or an object holding one), found {found}")
        data = data[lists[0]]
    if not isinstance(data, list):
        raise InputFileError(path, f"expected an array of objects, found {_json_kind(data)}")
    if not data:
        raise InputFileError(path, "no data rows")
    if all(isinstance(item, str) for item in data):
        return ["text"], (RawRow(path, i, {"text": s}) for i, s in enumerate(data, 1))
    objects = [_flatten(item) if isinstance(item, dict) else item for item in data]
    if not any(isinstance(item, dict) for item in objects):
        raise InputFileError(path, f"expected an array of objects, found an array of {_json_kind(data[0])[2:]}s")
    columns = list(dict.fromkeys(k for item in objects if isinstance(item, dict) for k in item))
    rows = (RawRow(path, i, item) if isinstance(item, dict)
            else Rejection(path, i, f"expected a JSON object, found {_json_kind(item)}")
            for i, item in enumerate(objects, 1))
    return columns, rows


def _jsonl_rows(path: str, lines: Iterator[tuple[int, str, str | None]]) -> Iterator[RowItem]:
    for n, text, problem in lines:
        if not text.strip():
            continue
        if problem:
            yield Rejection(path, n, problem)
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Rejection(path, n, f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        if isinstance(obj, dict):
            yield RawRow(path, n, _flatten(obj))
        else:
            yield Rejection(path, n, f"expected a JSON object, found {_json_kind(obj)}")


def _read_jsonl(path: str, lines: Iterator[tuple[int, str, str | None]]) -> tuple[list[str], Iterator[RowItem]]:
    gen = _jsonl_rows(path, lines)
    peeked = list(itertools.islice(gen, _JSONL_PEEK))
    good = [item for item in peeked if isinstance(item, RawRow)]
    if peeked and not good:  # not one object in the first rows: the wrong format, not a few bad lines
        raise InputFileError(path, f"not JSON Lines: {peeked[0].reason}", row=peeked[0].row)
    columns = list(dict.fromkeys(k for item in good for k in item.fields))
    return columns, itertools.chain(peeked, gen)


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _read_xlsx(path: str, source: BinaryIO, head: bytes) -> ReadResult:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(path, "this is an old .xls workbook; save it as .xlsx or CSV")
    if not head.startswith(b"PK"):
        raise InputFileError(path, "not a valid .xlsx file (not a ZIP archive)")
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
            book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and KeyError alike for a broken workbook
        raise InputFileError(path, f"not a valid .xlsx file ({type(exc).__name__}: {exc})") from None
    saw_header = False
    for sheet in book.worksheets:
        sheet.reset_dimensions()  # stored dimensions are often wrong and would cut rows short
        numbered = enumerate(sheet.iter_rows(values_only=True), 1)  # read-only mode fills missing rows
        header = next((values for _, values in numbered if any(_filled(v) for v in values)), None)
        if header is None:
            continue
        saw_header = True
        names = list(header)
        while names and not _filled(names[-1]):
            names.pop()
        columns = _unique_columns(names)
        gen = _xlsx_rows(path, numbered, columns)
        first = next(gen, None)
        if first is not None:
            result = ReadResult(path, "xlsx", "binary", columns, iter(()), sheet=sheet.title)
            result._resources.append(book)
            result.rows = _closing(result, None, itertools.chain([first], gen))
            return result
    book.close()
    raise InputFileError(path, "no data rows" if saw_header else "file is empty")


def _xlsx_rows(path: str, numbered: Iterator[tuple[int, tuple]], columns: list[str]) -> Iterator[RowItem]:
    width = len(columns)
    for n, values in numbered:
        if not any(_filled(v) for v in values):
            continue
        if any(_filled(v) for v in values[width:]):
            found = max(i for i, v in enumerate(values) if _filled(v)) + 1
            yield Rejection(path, n, f"expected {width} fields, found {found}")
            continue
        cells = list(values[:width]) + [None] * (width - len(values))
        yield RawRow(path, n, dict(zip(columns, cells)))
