"""Reading real feedback files in every supported format and encoding, including broken ones."""

from __future__ import annotations

import io
import json
import os
from datetime import datetime

import openpyxl
import pytest

from assistant.errors import InputFileError
from assistant.ingest.readers import FORMATS, iter_input_files, read_rows
from assistant.records import RawRow, Rejection

ZH_TEXT = "这个产品很好用，但是价格太贵了。"
ZH_TEXT2 = "客服回复太慢了，希望改进！"
LATIN = "café naïve – €5"


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


def read_all(path, **kw):
    result = read_rows(str(path), **kw)
    items = list(result.rows)
    return result, [i for i in items if isinstance(i, RawRow)], [i for i in items if isinstance(i, Rejection)]


def texts(rows, column):
    return [r.fields[column] for r in rows]


# ---------------------------------------------------------------- encodings


def test_utf8_csv_with_chinese_headers_and_multiline_field(tmp_path):
    path = write(tmp_path / "f.csv", f'编号,内容,日期\n1,"{ZH_TEXT}\n第二行",2024-03-05\n2,{ZH_TEXT2},2024-03-06\n')
    result, rows, rejected = read_all(path)
    assert (result.fmt, result.encoding, result.delimiter) == ("csv", "utf-8", ",")
    assert result.columns == ["编号", "内容", "日期"]
    assert texts(rows, "内容") == [f"{ZH_TEXT}\n第二行", ZH_TEXT2]
    assert [r.row for r in rows] == [2, 4]  # a quoted multi-line field keeps its starting line
    assert rows[0].path == path and not rejected


def test_utf8_bom_is_detected_and_stripped_from_first_header(tmp_path):
    path = write(tmp_path / "f.csv", f"feedback,id\n{LATIN},1\n", "utf-8-sig")
    result, rows, _ = read_all(path)
    assert result.encoding == "utf-8-sig"
    assert result.columns == ["feedback", "id"]
    assert rows[0].fields == {"feedback": LATIN, "id": "1"}


def test_gbk_chinese_csv_is_detected(tmp_path):
    path = write(tmp_path / "f.csv", f"用户,评论,评分\n张三,{ZH_TEXT},5\n李四,{ZH_TEXT2},2\n", "gbk")
    result, rows, rejected = read_all(path)
    assert result.encoding == "gb18030"
    assert result.columns == ["用户", "评论", "评分"]
    assert texts(rows, "评论") == [ZH_TEXT, ZH_TEXT2]
    assert texts(rows, "用户") == ["张三", "李四"] and not rejected


def test_cp1252_csv_is_detected(tmp_path):
    path = write(tmp_path / "f.csv", f"id,comment\n1,{LATIN}\n2,“smart quotes” déjà vu\n", "cp1252")
    result, rows, _ = read_all(path)
    assert result.encoding == "cp1252"
    assert texts(rows, "comment") == [LATIN, "“smart quotes” déjà vu"]


def test_short_cp1252_file_is_not_mistaken_for_chinese(tmp_path):
    path = write(tmp_path / "f.txt", "naïve\n", "cp1252")  # "ïv" is a valid GB18030 pair
    result, rows, _ = read_all(path)
    assert result.encoding == "cp1252" and texts(rows, "text") == ["naïve"]


def test_encoding_override(tmp_path):
    path = write(tmp_path / "f.csv", f"text\n{ZH_TEXT}\n", "gbk")
    result, rows, _ = read_all(path, encoding="GBK")
    assert result.encoding == "gbk" and texts(rows, "text") == [ZH_TEXT]


def test_wrong_encoding_override_rejects_only_the_bad_rows(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,text\n1,plain ascii\n2,caf\xe9 au lait\n3,more ascii\n")
    result, rows, rejected = read_all(path, encoding="utf-8")
    assert texts(rows, "text") == ["plain ascii", "more ascii"]
    assert [(r.row, r.kind) for r in rejected] == [(3, "invalid")]
    assert "cannot decode bytes as utf-8 (0xe9" in rejected[0].reason


def test_non_ascii_after_an_ascii_sample_switches_encoding(tmp_path):
    path = tmp_path / "f.csv"
    filler = b"".join(b"%d,ascii only row number %d\n" % (i, i) for i in range(4000))  # > 64 KB
    path.write_bytes(b"id,text\n" + filler + b"9999,caf\xe9 cr\xe8me\n")
    result, rows, rejected = read_all(path)
    assert not rejected
    assert rows[-1].fields["text"] == "café crème" and rows[-1].row == 4002
    assert result.encoding == "cp1252"


def test_gbk_after_an_ascii_sample_switches_encoding(tmp_path):
    path = tmp_path / "f.csv"
    filler = b"".join(b"%d,ascii only row number %d\n" % (i, i) for i in range(4000))
    path.write_bytes(b"id,text\n" + filler + f"9999,{ZH_TEXT}\n10000,{ZH_TEXT2}\n".encode("gbk"))
    result, rows, rejected = read_all(path)
    assert not rejected and texts(rows, "text")[-2:] == [ZH_TEXT, ZH_TEXT2]
    assert result.encoding == "gb18030"


def test_a_few_corrupt_bytes_in_utf8_cost_only_their_row(tmp_path):
    path = tmp_path / "f.csv"
    good = "".join(f"{i},{ZH_TEXT}\n" for i in range(30)).encode("utf-8")
    path.write_bytes(b"id,text\n" + good + b"30,bad \xff\xfe bytes\n" + good)
    result, rows, rejected = read_all(path)
    assert result.encoding == "utf-8" and len(rows) == 60 and set(texts(rows, "text")) == {ZH_TEXT}
    assert [r.row for r in rejected] == [32]
    assert rejected[0].reason.startswith("cannot decode bytes as utf-8 (0xff at byte 8 of the line)")


def test_utf16_tab_delimited_txt_from_excel(tmp_path):
    path = write(tmp_path / "export.txt", f"评论\t评分\r\n{ZH_TEXT}\t5\r\n", "utf-16")
    result, rows, _ = read_all(path)
    assert (result.fmt, result.encoding) == ("tsv", "utf-16")
    assert rows[0].fields == {"评论": ZH_TEXT, "评分": "5"}


# ---------------------------------------------------------------- delimited text


def test_tsv(tmp_path):
    path = write(tmp_path / "f.tsv", "id\ttext\tdate\n1\thello, world\t2024-01-01\n")
    result, rows, _ = read_all(path)
    assert (result.fmt, result.delimiter) == ("tsv", "\t")
    assert rows[0].fields == {"id": "1", "text": "hello, world", "date": "2024-01-01"}


@pytest.mark.parametrize("delim", [";", "|", "\t"])
def test_csv_delimiter_is_sniffed(tmp_path, delim):
    body = delim.join(["id", "text", "rating"]) + "\n" + delim.join(["1", "good, really", "5"]) + "\n"
    result, rows, _ = read_all(write(tmp_path / "f.csv", body))
    assert result.delimiter == delim
    assert rows[0].fields == {"id": "1", "text": "good, really", "rating": "5"}


def test_excel_sep_line(tmp_path):
    result, rows, _ = read_all(write(tmp_path / "f.csv", "sep=;\nid;text\n1;a,b\n"))
    assert result.delimiter == ";" and rows[0].fields == {"id": "1", "text": "a,b"} and rows[0].row == 3


def test_wrong_field_counts_are_rejected_with_row_numbers(tmp_path):
    body = "a,b,c,d,text\n1,2,3,4,good\n1,2,3,4,5,6,7,8\n1,2,3\n\n1,2,3,4,also good\n1,2,3,4,trailing,,\n"
    result, rows, rejected = read_all(write(tmp_path / "f.csv", body))
    assert [(r.row, r.fields["text"]) for r in rows] == [(2, "good"), (6, "also good"), (7, "trailing")]
    assert [(r.row, r.reason) for r in rejected] == [(3, "expected 5 fields, found 8"), (4, "expected 5 fields, found 3")]
    assert all(r.kind == "invalid" and r.path.endswith("f.csv") for r in rejected)


def test_unclosed_quote_costs_one_row_not_the_rest(tmp_path):
    body = 'id,text,rating\n1,"never closed,5\n2,fine,4\n3,also fine,3\n'
    _, rows, rejected = read_all(write(tmp_path / "f.csv", body))
    assert [r.row for r in rejected] == [2]
    assert "is a quote left open" in rejected[0].reason
    assert [(r.row, r.fields["text"]) for r in rows] == [(3, "fine"), (4, "also fine")]


def test_stray_carriage_return_rejects_its_row(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,text\n1,a\rb\n2,ok\n3,\"quoted\rkeeps it\"\n")
    _, rows, rejected = read_all(path)
    assert [(r.row, r.reason) for r in rejected] == [(2, "malformed CSV: a stray carriage return in an unquoted field")]
    assert [(r.row, r.fields["text"]) for r in rows] == [(3, "ok"), (4, "quoted\rkeeps it")]


def test_nul_bytes_are_dropped(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,text\n1,he\x00llo\n2,world\x00\n")
    _, rows, rejected = read_all(path)
    assert texts(rows, "text") == ["hello", "world"] and not rejected


def test_duplicate_and_blank_headers_get_unique_names(tmp_path):
    result, rows, _ = read_all(write(tmp_path / "f.csv", "text,text,,id\na,b,c,1\n"))
    assert result.columns == ["text", "text_2", "column_3", "id"]
    assert rows[0].fields == {"text": "a", "text_2": "b", "column_3": "c", "id": "1"}


def test_single_column_keeps_unquoted_commas(tmp_path):
    _, rows, rejected = read_all(write(tmp_path / "f.csv", "feedback\nslow, and it crashes\n"))
    assert texts(rows, "feedback") == ["slow, and it crashes"] and not rejected


def test_old_mac_line_endings(tmp_path):
    _, rows, _ = read_all(write(tmp_path / "f.csv", "id,text\r1,hello\r2,world\r"))
    assert [(r.row, r.fields["text"]) for r in rows] == [(2, "hello"), (3, "world")]


def test_five_megabyte_field_in_csv(tmp_path):
    big = "x" * (5 * 1024 * 1024)
    path = write(tmp_path / "f.csv", f'id,text\n1,"{big}"\n2,small\n')
    _, rows, rejected = read_all(path)
    assert len(rows[0].fields["text"]) == len(big) and rows[1].row == 3 and not rejected


# ---------------------------------------------------------------- JSON, JSONL, text, Excel


def test_json_array_with_nested_objects(tmp_path):
    data = [{"id": 1, "text": "a", "user": {"id": "u1", "name": "Ann"}}, {"id": 2, "text": "b", "tags": ["x"]}]
    result, rows, _ = read_all(write(tmp_path / "f.json", json.dumps(data)))
    assert result.fmt == "json"
    assert result.columns == ["id", "text", "user.id", "user.name", "tags"]
    assert rows[0].fields == {"id": 1, "text": "a", "user.id": "u1", "user.name": "Ann"}
    assert [r.row for r in rows] == [1, 2] and rows[1].fields["tags"] == ["x"]


def test_json_object_holding_one_list_and_non_object_items(tmp_path):
    doc = {"data": [{"text": "x"}, 3, {"text": "y"}], "total": 3}
    _, rows, rejected = read_all(write(tmp_path / "f.json", json.dumps(doc)))
    assert [(r.row, r.fields["text"]) for r in rows] == [(1, "x"), (3, "y")]
    assert [(r.row, r.reason) for r in rejected] == [(2, "expected a JSON object, found a number")]


def test_json_array_of_strings_is_text(tmp_path):
    result, rows, _ = read_all(write(tmp_path / "f.json", json.dumps(["好", "bad"], ensure_ascii=False)))
    assert result.columns == ["text"] and texts(rows, "text") == ["好", "bad"]


def test_json_lines_saved_as_json(tmp_path):
    result, rows, _ = read_all(write(tmp_path / "f.json", '{"text": "a"}\n{"text": "b"}\n'))
    assert result.fmt == "jsonl" and [(r.row, r.fields["text"]) for r in rows] == [(1, "a"), (2, "b")]


@pytest.mark.parametrize("body, message", [
    ('[\n {"text": "x"},\n {"text" "y"}\n]', "invalid JSON at line 3 column 10: Expecting ':' delimiter"),
    ('"just a string"', "expected an array of objects, found a string"),
    ('{"a": 1}', "expected an array of objects (or an object holding one), found an object without a list"),
    ('{"a": [], "b": []}', "found an object with lists under a, b"),
    ("[1, 2]", "expected an array of objects, found an array of numbers"),
    ("[]", "no data rows"),
])
def test_bad_json_files(tmp_path, body, message):
    path = write(tmp_path / "f.json", body)
    with pytest.raises(InputFileError) as err:
        read_rows(path)
    assert str(err.value).startswith(path + ": ") and message in str(err.value)


def test_jsonl_bad_lines_are_row_rejections(tmp_path):
    body = '{"text": "a", "user": {"id": 7}}\n{bad json\n[1, 2]\n\n{"text": "b", "extra": true}\n'
    result, rows, rejected = read_all(write(tmp_path / "f.jsonl", body))
    assert result.columns == ["text", "user.id", "extra"]
    assert [(r.row, r.fields["text"]) for r in rows] == [(1, "a"), (5, "b")]
    assert [(r.row, r.reason) for r in rejected] == [
        (2, "invalid JSON at column 2: Expecting property name enclosed in double quotes"),
        (3, "expected a JSON object, found an array"),
    ]


def test_jsonl_that_is_not_jsonl_is_a_file_error(tmp_path):
    path = write(tmp_path / "f.jsonl", "id,text\n1,hello\n")
    with pytest.raises(InputFileError, match=r"f\.jsonl: row 1: not JSON Lines: invalid JSON"):
        read_rows(path)


def test_five_megabyte_item_in_jsonl(tmp_path):
    big = "长" * (5 * 1024 * 1024 // 3)
    path = write(tmp_path / "f.jsonl", json.dumps({"text": big}, ensure_ascii=False) + '\n{"text": "s"}\n')
    _, rows, _ = read_all(path)
    assert rows[0].fields["text"] == big and rows[1].row == 2


def test_plain_text_one_item_per_line(tmp_path):
    result, rows, _ = read_all(write(tmp_path / "f.txt", f"first, with a comma\n\n{ZH_TEXT}\r\n  \nlast"))
    assert (result.fmt, result.columns) == ("txt", ["text"])
    assert [(r.row, r.fields["text"]) for r in rows] == [(1, "first, with a comma"), (3, ZH_TEXT), (5, "last")]


def make_xlsx(path, sheets: dict[str, list[list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, values in enumerate(rows, 1):
            for c, value in enumerate(values, 1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
    book.save(path)
    return str(path)


def test_xlsx_first_non_empty_sheet_with_sheet_row_numbers(tmp_path):
    when = datetime(2024, 3, 5, 14, 20)
    path = make_xlsx(tmp_path / "f.xlsx", {
        "Empty": [],
        "反馈": [["编号", "内容", "时间"], [1, ZH_TEXT, when], [None, None, None], [3, "third", "2024-03-07"],
               [4, "too wide", None, "stray"]],
        "Later": [["text"], ["never read"]],
    })
    result, rows, rejected = read_all(path)
    assert (result.fmt, result.sheet, result.columns) == ("xlsx", "反馈", ["编号", "内容", "时间"])
    assert [r.row for r in rows] == [2, 4]
    assert rows[0].fields == {"编号": 1, "内容": ZH_TEXT, "时间": when}
    assert [(r.row, r.reason) for r in rejected] == [(5, "expected 3 fields, found 4")]


def test_xlsx_header_only(tmp_path):
    path = make_xlsx(tmp_path / "f.xlsx", {"S": [["text", "date"]]})
    with pytest.raises(InputFileError, match=r"f\.xlsx: no data rows$"):
        read_rows(path)


def test_xlsx_that_is_not_a_zip(tmp_path):
    path = write(tmp_path / "f.xlsx", "id,text\n1,hello\n")
    with pytest.raises(InputFileError, match=r"f\.xlsx: not a valid \.xlsx file \(not a ZIP archive\)"):
        read_rows(path)


def test_legacy_xls_is_refused(tmp_path):
    path = tmp_path / "f.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(InputFileError, match=r"old Excel \.xls files are not supported"):
        read_rows(str(path))


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize("name, content, message", [
    ("empty.csv", b"", "file is empty"),
    ("blank.txt", b"\n  \r\n\t\n", "file is empty"),
    ("bom.csv", b"\xef\xbb\xbf", "file is empty"),
    ("header.csv", b"id,text,date\n", "no data rows"),
    ("header.jsonl", b"\n\n", "file is empty"),
    ("junk.csv", bytes(range(256)) * 4, "not a text file (binary content)"),
    ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"text,id\n" * 3, "not a text file (binary content)"),
    ("workbook.csv", b"PK\x03\x04" + b"\x00" * 50, "not a text file (binary content)"),
])
def test_bad_files_raise_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError) as err:
        read_rows(str(path))
    assert str(err.value) == f"{path}: {message}"
    assert "\n" not in str(err.value) and err.value.path == str(path)


def test_random_bytes_are_binary(tmp_path):
    path = tmp_path / "random.csv"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(InputFileError, match="not a text file"):
        read_rows(str(path))


def test_unknown_format_encoding_and_missing_file(tmp_path):
    path = write(tmp_path / "f.csv", "text\nx\n")
    with pytest.raises(InputFileError, match="unknown format 'xml'"):
        read_rows(path, fmt="xml")
    with pytest.raises(InputFileError, match="unknown encoding 'klingon'"):
        read_rows(path, encoding="klingon")
    with pytest.raises(InputFileError, match="no such file or folder"):
        read_rows(str(tmp_path / "missing.csv"))


def test_format_override_beats_extension(tmp_path):
    path = write(tmp_path / "data.log", "id|text\n1|hello\n")
    result, rows, _ = read_all(path, fmt="csv")
    assert result.delimiter == "|" and texts(rows, "text") == ["hello"]
    result, rows, _ = read_all(path, fmt="txt")
    assert texts(rows, "text") == ["id|text", "1|hello"]


# ---------------------------------------------------------------- stdin and streaming


@pytest.mark.parametrize("content, fmt, first", [
    (b"id,text\n1,hello\n", "csv", {"id": "1", "text": "hello"}),
    (b'[{"text": "hello"}]', "json", {"text": "hello"}),
    (b'{"text": "hello"}\n{"text": "again"}\n', "jsonl", {"text": "hello"}),
    (b'{"items": [{"text": "hello"}]}', "json", {"text": "hello"}),
    ("很好用\n太贵了\n".encode("gbk"), "txt", {"text": "很好用"}),
    (b"I love it, really\nToo slow\n", "txt", {"text": "I love it, really"}),
    (b"[Bug] app crashes\n{not json either}\n", "txt", {"text": "[Bug] app crashes"}),
    (b'[\n  {"text": "pretty"}\n]\n', "json", {"text": "pretty"}),
])
def test_stdin_format_is_sniffed(content, fmt, first):
    result = read_rows("-", stdin=io.BytesIO(content))
    rows = list(result.rows)
    assert result.fmt == fmt and result.path == "-"
    assert rows[0].fields == first and rows[0].path == "-"


def test_stdin_with_explicit_format(tmp_path):
    result = read_rows("-", fmt="tsv", stdin=io.BytesIO(b"text\tid\nhi\t1\n"))
    assert [r.fields for r in result.rows] == [{"text": "hi", "id": "1"}]
    xlsx = make_xlsx(tmp_path / "f.xlsx", {"S": [["text"], ["from a pipe"]]})
    with open(xlsx, "rb") as f:
        result = read_rows("-", fmt="xlsx", stdin=io.BytesIO(f.read()))
    assert [r.fields for r in result.rows] == [{"text": "from a pipe"}]


class CountingStream(io.RawIOBase):
    """An endless-looking CSV on a pipe that counts how much was read."""

    def __init__(self, rows: int):
        self.data = io.BytesIO(b"id,text\n" + b"".join(b"%d,row %d text\n" % (i, i) for i in range(rows)))
        self.consumed = 0

    def readable(self):
        return True

    def read(self, n=-1):
        chunk = self.data.read(n)
        self.consumed += len(chunk)
        return chunk


@pytest.mark.parametrize("fmt", ["csv", "txt", "jsonl"])
def test_text_formats_stream(fmt):
    stream = CountingStream(400_000)  # ~8 MB
    total = len(stream.data.getvalue())
    if fmt == "jsonl":
        stream.data = io.BytesIO(b"".join(b'{"text": "row %d"}\n' % i for i in range(400_000)))
        total = len(stream.data.getvalue())
    result = read_rows("-", fmt=fmt, stdin=stream)
    for _ in range(10):
        next(result.rows)
    assert stream.consumed < total / 4
    assert sum(1 for _ in result.rows) + 10 >= 400_000
    assert stream.consumed == total


def test_file_handle_is_released(tmp_path):
    path = write(tmp_path / "f.csv", "text\na\nb\n")
    result = read_rows(path)
    list(result.rows)
    assert all(r.closed for r in result._resources)
    with read_rows(path) as result:
        next(result.rows)
    assert all(r.closed for r in result._resources)


# ---------------------------------------------------------------- folders


def test_iter_input_files_expands_folders(tmp_path):
    for rel in ["b.csv", "a.json", "sub/c.xlsx", "sub/deeper/d.jsonl", "notes.md", ".hidden.csv",
                ".git/e.csv", "~$open.xlsx", "sub/E.TXT", "x.tsv"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("text\nx\n")
    explicit = write(tmp_path / "explicit.dat", "text\nx\n")
    found = iter_input_files([str(tmp_path / "sub"), "-", explicit, str(tmp_path)])
    rel = [os.path.relpath(p, tmp_path) if p != "-" else p for p in found]
    assert rel == [
        os.path.join("sub", "E.TXT"), os.path.join("sub", "c.xlsx"), os.path.join("sub", "deeper", "d.jsonl"),
        "-", "explicit.dat", "a.json", "b.csv", "x.tsv",
    ]


def test_iter_input_files_errors(tmp_path):
    with pytest.raises(InputFileError, match=r"nope: no such file or folder$"):
        iter_input_files([str(tmp_path / "nope")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="folder has no feedback files"):
        iter_input_files([str(tmp_path / "empty")])


def test_formats_constant():
    assert FORMATS == ("csv", "tsv", "json", "jsonl", "xlsx", "txt")
