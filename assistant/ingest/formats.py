"""Row parsers, one per file format (delimited text, JSON, JSONL, plain lines, XLSX sheets), and format sniffing.

`readers` opens a file, decides its format and encoding, and hands decoded lines (or a sheet) to these.
Its API: `sniff_format`, `sniff_delimiter` (with `DELIMITERS`), and one reader per format returning the
columns and the rows (`read_csv`, `read_json`, `read_jsonl`, `read_text`, `read_sheet`). Each reader's
rows yield RawRow for a good row and Rejection for a malformed one, in file order.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from typing import Any, Callable, Iterable, Iterator, Union

from assistant.errors import InputFileError
from assistant.records import RawRow, Rejection

from .encodings import Line

RowItem = Union[RawRow, Rejection]

_JSONL_PEEK = 100  # JSONL columns come from the first rows: the rest of the file is streamed
DELIMITERS = ",;\t|"  # tried in this order when sniffing a delimited file
_SEP_LINE = re.compile(r"sep=(.)\s*$")  # Excel's "sep=;" hint line

# A single feedback item can be megabytes (pasted logs); the size limit is a cleaning decision, not csv's.
csv.field_size_limit(2**31 - 1)


def sniff_delimiter(text: str, candidates: str, *, strict: bool = False) -> str | None:
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


def sniff_format(text: str) -> str:
    """"json", "jsonl", "csv" (any delimited text) or "txt", from the start of a decoded file."""
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
    return "csv" if sniff_delimiter(text, DELIMITERS, strict=True) else "txt"


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


def read_csv(path: str, decoded: Iterator[Line], delimiter: str) -> tuple[list[str], str, Iterator[RowItem]]:
    """Columns, delimiter (an Excel "sep=" line overrides the given one) and rows of a delimited file."""
    lines = _Lines(decoded)
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


def read_json(path: str, text: str) -> tuple[list[str], Iterator[RowItem]] | None:
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


def read_jsonl(path: str, lines: Iterator[Line]) -> tuple[list[str], Iterator[RowItem]]:
    """Columns (the keys of the first rows) and rows of a JSON Lines file."""
    gen = _line_rows(path, lines, lambda n, text: _jsonl_row(path, n, text))
    peeked = list(itertools.islice(gen, _JSONL_PEEK))
    if peeked and not any(isinstance(item, RawRow) for item in peeked):
        # not one object in the first rows: the wrong format, not a few bad lines
        raise InputFileError(path, f"not JSON Lines: {peeked[0].reason}", row=peeked[0].row)
    return _json_columns(peeked), itertools.chain(peeked, gen)


def read_text(path: str, lines: Iterator[Line]) -> tuple[list[str], Iterator[RowItem]]:
    """The one column "text" and its rows: a plain text file holds one item per line."""
    return ["text"], _line_rows(path, lines, lambda n, text: RawRow(path, n, {"text": text.rstrip("\r\n")}))


def read_sheet(path: str, values: Iterable[tuple]) -> tuple[list[str], Iterator[RowItem]] | None:
    """Columns and rows of one worksheet given its rows of cell values; None when the sheet holds nothing.

    The header is the first row with a filled cell; empty cells after its last name are not columns.
    """
    numbered = enumerate(values, 1)
    header = next((row for _, row in numbered if any(_filled(v) for v in row)), None)
    if header is None:
        return None
    names = list(header)
    while names and not _filled(names[-1]):
        names.pop()
    columns = _unique_columns(names)
    return columns, _xlsx_rows(path, numbered, columns)


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


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
