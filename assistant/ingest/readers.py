"""Open feedback files (CSV, TSV, JSON, JSONL, XLSX, text) in any common encoding and stream their rows.

This module is about formats; detecting and decoding text encodings lives in `encodings`.
"""

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
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Union

from assistant.errors import InputFileError
from assistant.records import RawRow, Rejection

from .encodings import (SAMPLE_BYTES, Line, LineDecoder, decode_all, decode_lines, detect_encoding, looks_binary,
                        split_lines)

FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx", "txt")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
    ".ndjson": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx", ".txt": "txt",
}
RowItem = Union[RawRow, Rejection]

_CHUNK = 1024 * 1024
_JSONL_PEEK = 100  # JSONL columns come from the first rows: the rest of the file is streamed
_DELIMITERS = ",;\t|"  # tried in this order when sniffing a delimited file
_SEP_LINE = re.compile(r"sep=(.)\s*$")  # Excel's "sep=;" hint line

# A single feedback item can be megabytes (pasted logs); the size limit is a cleaning decision, not csv's.
csv.field_size_limit(2**31 - 1)


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
    forced = fmt is not None
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
        return _read_stream(path, stdin if stdin is not None else sys.stdin.buffer, fmt, encoding, forced=forced)
    if os.path.isdir(path):
        raise InputFileError(path, "is a folder, not a file")
    if not os.path.exists(path):
        raise InputFileError(path, "no such file or folder")
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
    if looks_binary(head):
        raise InputFileError(path, "not a text file (binary content)")

    enc = encoding or detect_encoding(head)
    preview = head.decode(enc, errors="replace")
    if len(head) >= SAMPLE_BYTES and "\n" in preview:
        preview = preview[: preview.rindex("\n") + 1]  # a cut line would skew delimiter counts
    preview = preview.lstrip("\ufeff")
    if fmt is None:
        fmt = _sniff_format(preview)
    elif fmt == "txt" and not forced and _sniff_delimiter(preview, "\t", strict=True):
        fmt = "tsv"  # Excel's "Text (Tab delimited)" export is saved as .txt

    if fmt == "json":
        data = head + stream.read()
        enc = encoding or detect_encoding(data)
        text = decode_all(path, data, enc)
        items = _json_items(path, text)
        if items is not None:
            return _streaming(ReadResult(path, "json", enc, items[0], iter(())), items[1])
        fmt = "jsonl"  # one object per line, saved as .json
        decoder = LineDecoder(enc, tentative=False)
        lines: Iterator[Line] = ((n, line, None) for n, line in enumerate(split_lines([text], "\n"), 1))
    else:
        decoder = LineDecoder(enc, tentative=encoding is None and head.isascii())
        chunks = itertools.chain([head], iter(lambda: stream.read(_CHUNK), b""))
        sep = b"\r" if b"\r" in head and b"\n" not in head else b"\n"  # old Mac line ends (Excel "CSV (Macintosh)")
        lines = decode_lines(chunks, decoder, sep)

    delimiter = None
    if fmt == "jsonl":
        columns, gen = _read_jsonl(path, lines)
    elif fmt == "txt":
        columns, gen = ["text"], _line_rows(path, lines, lambda n, t: RawRow(path, n, {"text": t.rstrip("\r\n")}))
    else:
        delimiter = "\t" if fmt == "tsv" else (_sniff_delimiter(preview, _DELIMITERS) or ",")
        columns, delimiter, gen = _read_csv(path, _Lines(lines), delimiter)
    first = next(gen, None)
    if first is None:
        raise InputFileError(path, "no data rows")
    result = ReadResult(path, fmt, decoder.encoding, columns, iter(()), delimiter)
    return _streaming(result, itertools.chain([first], gen), decoder)


def _streaming(result: ReadResult, rows: Iterator[RowItem], decoder: LineDecoder | None = None) -> ReadResult:
    """Give `result` its rows, which keep `result.encoding` current and release the file once they are read."""

    def stream() -> Iterator[RowItem]:
        try:
            for item in rows:
                if decoder is not None:
                    result.encoding = decoder.encoding
                yield item
        finally:
            for resource in result._resources:
                resource.close()

    result.rows = stream()
    return result


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
    return "csv" if _sniff_delimiter(text, _DELIMITERS, strict=True) else "txt"


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

    def __init__(self, items: Iterator[Line]):
        self._items, self._back = items, []
        self.taken: list[Line] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        item = self._back.pop() if self._back else next(self._items)
        self.taken.append(item)
        return item[1]

    def push_back(self, items: list[Line]) -> None:
        self._back.extend(reversed(items))


def _read_csv(path: str, lines: _Lines, delimiter: str) -> tuple[list[str], str, Iterator[RowItem]]:
    first = next(lines, None)
    if first is not None and (m := _SEP_LINE.match(first)):
        delimiter = m.group(1)
    else:
        lines.push_back(lines.taken)
    reader = csv.reader(lines, delimiter=delimiter)
    header = next((record for record in reader if any(cell.strip() for cell in record)), None)
    if header is None:
        raise InputFileError(path, "file is empty")
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


def _line_rows(path: str, lines: Iterator[Line], parse: Callable[[int, str], RowItem]) -> Iterator[RowItem]:
    """Rows of a one-row-per-line file: blank lines are skipped, undecodable ones rejected, the rest parsed."""
    for n, text, problem in lines:
        if text.strip():
            yield Rejection(path, n, problem) if problem else parse(n, text)


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
    if not any(isinstance(item, dict) for item in data):
        raise InputFileError(path, f"expected an array of objects, found an array of {_json_kind(data[0])[2:]}s")
    rows = [_json_row(path, i, item) for i, item in enumerate(data, 1)]
    return _json_columns(rows), iter(rows)


def _json_row(path: str, n: int, obj: Any) -> RowItem:
    if isinstance(obj, dict):
        return RawRow(path, n, _flatten(obj))
    return Rejection(path, n, f"expected a JSON object, found {_json_kind(obj)}")


def _json_columns(rows: Iterable[RowItem]) -> list[str]:
    """Every key of the good rows, in order of first appearance."""
    return list(dict.fromkeys(k for item in rows if isinstance(item, RawRow) for k in item.fields))


def _jsonl_row(path: str, n: int, text: str) -> RowItem:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejection(path, n, f"invalid JSON at column {exc.colno}: {exc.msg}")
    return _json_row(path, n, obj)


def _read_jsonl(path: str, lines: Iterator[Line]) -> tuple[list[str], Iterator[RowItem]]:
    gen = _line_rows(path, lines, lambda n, text: _jsonl_row(path, n, text))
    peeked = list(itertools.islice(gen, _JSONL_PEEK))
    if peeked and not any(isinstance(item, RawRow) for item in peeked):
        # not one object in the first rows: the wrong format, not a few bad lines
        raise InputFileError(path, f"not JSON Lines: {peeked[0].reason}", row=peeked[0].row)
    return _json_columns(peeked), itertools.chain(peeked, gen)


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
            result = ReadResult(path, "xlsx", "binary", columns, iter(()), sheet=sheet.title, _resources=[book])
            return _streaming(result, itertools.chain([first], gen))
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
