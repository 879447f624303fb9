"""The `assistant` command as a user meets it: summaries, JSON, exit codes and one-line errors."""

from __future__ import annotations

import json

import pytest

CSV = (
    "id,date,customer,channel,feedback\n"
    "1,2026-03-02 09:15,C1,email,The price went up again and nobody told me\n"
    "2,2026-03-03 10:00,C2,chat,配送太慢了，等了两个小时才送到\n"
    "3,2026-03-10 18:40,C1,email,Support fixed my billing issue within an hour\n"
)


@pytest.fixture
def tickets(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_ingest_then_stats_search_export(run_cli, tickets, tmp_path):
    code, out, err = run_cli("ingest", tickets, "--embedder", "hashing", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["read"], summary["added"], summary["rejected"]) == (3, 3, 0)

    code, out, _ = run_cli("ingest", tickets)
    assert code == 0 and "added 0" in out and "skipped as duplicate 3" in out

    code, out, _ = run_cli("stats", "--json")
    stats = json.loads(out)
    assert stats["items"] == 3 and stats["by_language"] == {"en": 2, "zh": 1}
    assert stats["by_channel"] == {"email": 2, "chat": 1} and stats["embedder"] == "hashing-256"
    assert stats["by_week"] == {"2026-W10": 2, "2026-W11": 1}

    code, out, _ = run_cli("search", "price went up", "-k", "2", "--json")
    hits = json.loads(out)
    assert code == 0 and len(hits) == 2 and hits[0]["text"].startswith("The price")

    code, out, _ = run_cli("search", "anything", "--lang", "zh", "--json")
    assert [h["customer_id"] for h in json.loads(out)] == ["C2"]
    code, out, _ = run_cli("search", "anything", "--since", "2026-03-04", "--json")
    assert [h["text"] for h in json.loads(out)] == ["Support fixed my billing issue within an hour"]
    code, out, _ = run_cli("search", "anything", "--until", "2026-03-02", "--json")
    assert len(json.loads(out)) == 1

    code, out, _ = run_cli("export", "--format", "jsonl", "--out", tmp_path / "out.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert code == 0 and len(rows) == 3
    assert {"id", "text", "ts", "date", "channel", "customer_id", "lang", "source", "content_hash"} <= set(rows[0])
    code, out, _ = run_cli("export", "--out", tmp_path / "out.csv")
    import pandas as pd

    frame = pd.read_csv(tmp_path / "out.csv")
    assert len(frame) == 3 and set(frame["customer_id"]) == {"C1", "C2"}


def test_store_option_and_stdin(run_cli, tmp_path):
    code, out, err = run_cli("--store", tmp_path / "s1", "ingest", "-", "--format", "txt", "--embedder", "hashing",
                             stdin="Great app\n退款太慢\n".encode())
    assert code == 0, err
    code, out, _ = run_cli("stats", "--store", tmp_path / "s1", "--json")
    assert json.loads(out)["by_source"] == {"stdin": 2}


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "empty.csv: file is empty"),
        ("junk.csv", bytes(range(256)) * 20, "junk.csv: not a text file"),
        ("notext.csv", b"id,date\n1,2026-01-01\n", "notext.csv: no text column found"),
    ],
)
def test_bad_files_give_one_line_and_exit_2(run_cli, tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    code, out, err = run_cli("ingest", tmp_path / name, "--embedder", "hashing")
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_bad_rows_exit_2_after_storing_the_good_ones(run_cli, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("id,date,text\n1,2026-03-01,good one\n2,31/31/2026,bad date here\n3,2026-03-02,also good\n")
    code, out, err = run_cli("ingest", path, "--embedder", "hashing")
    assert code == 2 and "added 2" in out
    assert "mixed.csv: row 3: field 'date'" in err and err.count("\n") == 1
    code, out, err = run_cli("stats", "--json")
    assert code == 0, err
    assert json.loads(out)["items"] == 2


def test_column_override_and_unknown_column(run_cli, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("k,words,when\n1,the checkout button is hidden,2026-03-01\n", encoding="utf-8")
    code, out, err = run_cli("ingest", path, "--text-col", "words", "--time-col", "when", "--embedder", "hashing")
    assert code == 0, err
    code, out, err = run_cli("ingest", path, "--text-col", "nope", "--embedder", "hashing")
    assert code == 2 and "'nope'" in err and "words" in err


def test_search_before_ingest_says_what_to_do(run_cli):
    code, out, err = run_cli("search", "anything")
    assert code == 2 and "assistant ingest" in err


def test_help_is_fast_to_import():
    import subprocess
    import sys

    code = "import sys, assistant.cli; print(sorted(m for m in ('torch','chromadb','sentence_transformers','pandas','gradio') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
