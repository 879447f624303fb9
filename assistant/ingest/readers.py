"""Open feedback files (CSV, TSV, JSON, JSONL, XLSX, text) in any common encoding and stream their rows.

This module opens files and picks the format; each format's row parser lives in `formats`, and detecting
and decoding text encodings in `encodings`.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterator

from assistant.errors import InputFileError

from .encodings import (SAMPLE_BYTES, Line, LineDecoder, decode_all, decode_lines, detect_encoding, looks_binary,
                        split_lines)
from .formats import (DELIMITERS, RowItem, read_csv, read_json, read_jsonl, read_sheet, read_text, sniff_delimiter,
                      sniff_format)

FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx", "txt")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
    ".ndjson": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx", ".txt": "txt",
}

_CHUNK = 1024 * 1024


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
        fmt = sniff_format(preview)
    elif fmt == "txt" and not forced and sniff_delimiter(preview, "\t", strict=True):
        fmt = "tsv"  # Excel's "Text (Tab delimited)" export is saved as .txt

    if fmt == "json":
        data = head + stream.read()
        enc = encoding or detect_encoding(data)
        text = decode_all(path, data, enc)
        items = read_json(path, text)
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
        columns, gen = read_jsonl(path, lines)
    elif fmt == "txt":
        columns, gen = read_text(path, lines)
    else:
        delimiter = "\t" if fmt == "tsv" else (sniff_delimiter(preview, DELIMITERS) or ",")
        columns, delimiter, gen = read_csv(path, lines, delimiter)
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
        table = read_sheet(path, sheet.iter_rows(values_only=True))  # read-only mode fills missing rows
        if table is None:
            continue
        saw_header = True
        columns, gen = table
        first = next(gen, None)
        if first is not None:
            result = ReadResult(path, "xlsx", "binary", columns, iter(()), sheet=sheet.title, _resources=[book])
            return _streaming(result, itertools.chain([first], gen))
    book.close()
    raise InputFileError(path, "no data rows" if saw_header else "file is empty")

