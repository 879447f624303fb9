"""Ingest end to end (files -> store) on the embedded store and on a real Chroma server."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assistant.errors import InputFileError, StoreError
from assistant.ingest.pipeline import ingest_paths
from assistant.settings import Settings
from assistant.store import FeedbackStore, build_where
from fakes import FailingEmbedder

ROWS = [
    {"ticket_id": "T1", "created_at": "2026-03-02 09:15", "customer_id": "C1", "customer_name": "Ann Lee",
     "channel": "email", "rating": "2", "product": "FreshBox", "tier": "pro",
     "text": "The price went up again and nobody told me. Thinking about cancelling."},
    {"ticket_id": "T2", "created_at": "2026-03-03 10:00", "customer_id": "C2", "customer_name": "王伟",
     "channel": "chat", "rating": "1", "product": "鲜盒", "tier": "free",
     "text": "配送太慢了，等了两个小时才送到"},
    {"ticket_id": "T3", "created_at": "2026-03-10 18:40", "customer_id": "C1", "customer_name": "Ann Lee",
     "channel": "email", "rating": "5", "product": "FreshBox", "tier": "pro",
     "text": "Support fixed my billing issue within an hour, great service!"},
]


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def stored(settings: Settings) -> dict[str, dict]:
    store = FeedbackStore.open(settings)
    return {item.metadata.get("source_id") or item.id: {"text": item.text, **item.metadata} for item in store.iter_items()}


def test_ingest_stores_clean_items_with_metadata(settings, tmp_path):
    report = ingest_paths([str(write_csv(tmp_path / "tickets.csv", ROWS))], settings, progress=False)
    assert (report.read, report.added, report.updated, report.duplicates, report.rejected) == (3, 3, 0, 0, [])
    items = stored(settings)
    assert set(items) == {"T1", "T2", "T3"}
    t2 = items["T2"]
    assert t2["text"] == "配送太慢了，等了两个小时才送到"
    assert t2["lang"] == "zh" and t2["channel"] == "chat" and t2["customer_id"] == "C2"
    assert t2["customer_name"] == "王伟" and t2["rating"] == 1.0 and t2["product"] == "鲜盒"
    assert t2["ts"] == 1772532000 and t2["date"] == "2026-03-03" and t2["week"] == "2026-W10"
    assert t2["x_tier"] == "free" and t2["source"] == "tickets.csv" and t2["row"] == 3
    assert items["T1"]["lang"] == "en"


def test_reingest_adds_nothing_and_changed_row_is_updated(settings, tmp_path):
    path = write_csv(tmp_path / "tickets.csv", ROWS)
    ingest_paths([str(path)], settings, progress=False)
    again = ingest_paths([str(path)], settings, progress=False)
    assert (again.added, again.updated, again.duplicates) == (0, 0, 3)

    changed = [dict(r) for r in ROWS]
    changed[0]["text"] = "The price went up again. I cancelled today."
    write_csv(path, changed)
    third = ingest_paths([str(path)], settings, progress=False)
    assert (third.added, third.updated, third.duplicates) == (0, 1, 2)
    items = stored(settings)
    assert len(items) == 3 and items["T1"]["text"] == "The price went up again. I cancelled today."


def test_rows_without_id_column_are_keyed_by_content(settings, tmp_path):
    rows = [{k: v for k, v in r.items() if k != "ticket_id"} for r in ROWS]
    path = write_csv(tmp_path / "noid.csv", rows + rows[:1])  # the first row twice
    report = ingest_paths([str(path)], settings, progress=False)
    assert (report.added, report.duplicates) == (3, 1)
    assert ingest_paths([str(path)], settings, progress=False).added == 0
    assert FeedbackStore.open(settings).count() == 3


def test_interrupted_ingest_resumes_without_loss_or_duplicates(settings, tmp_path):
    rows = [dict(ROWS[i % 3], ticket_id=f"T{i}", text=f"{ROWS[i % 3]['text']} (case {i})") for i in range(500)]
    path = write_csv(tmp_path / "many.csv", rows)
    settings = settings.model_copy(update={"batch_size": 50})
    store = FeedbackStore.open(settings, create=True, embedder=FailingEmbedder(fail_on=4))
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([str(path)], settings, progress=False, store=store)
    assert FeedbackStore.open(settings).count() == 150  # three whole batches landed, nothing partial
    report = ingest_paths([str(path)], settings, progress=False)
    assert (report.added, report.duplicates) == (350, 150)
    assert sorted(stored(settings)) == sorted(f"T{i}" for i in range(500))


def test_redaction_keeps_personal_data_out_of_the_store(local_settings, tmp_path):
    rows = [dict(ROWS[0], text="Call me on +1 415-555-0134 or mail ann.lee@example.com about order #A12345",
                 tier="vip ann.lee@example.com")]
    ingest_paths([str(write_csv(tmp_path / "pii.csv", rows))], local_settings, progress=False)
    item = stored(local_settings)["T1"]
    assert "[PHONE]" in item["text"] and "[EMAIL]" in item["text"] and "#A12345" in item["text"]
    assert item["redactions"] == 2 and item["x_tier"] == "vip [EMAIL]"
    raw = b"".join(p.read_bytes() for p in Path(local_settings.store).rglob("*") if p.is_file())
    assert b"ann.lee@example.com" not in raw and b"555-0134" not in raw
    assert "Ann Lee".encode() in raw  # the customer's display name is kept for personal replies


def test_bad_rows_are_rejected_with_reasons_and_good_rows_kept(settings, tmp_path):
    rows = [dict(ROWS[0]), dict(ROWS[1], created_at="not a date"), dict(ROWS[2], text="  !!! "),
            dict(ROWS[2], ticket_id="T9", rating="many"), dict(ROWS[2], ticket_id="T10", text="x" * 200_000)]
    report = ingest_paths([str(write_csv(tmp_path / "mixed.csv", rows))], settings, progress=False)
    assert report.added == 1
    reasons = {(r.row, r.field, r.kind) for r in report.rejected}
    assert reasons == {(3, "created_at", "invalid"), (4, "text", "filtered"), (5, "rating", "invalid"),
                       (6, "text", "invalid")}
    assert "not a date" in str(next(r for r in report.rejected if r.row == 3))


def test_store_refuses_another_embedder(local_settings, tmp_path):
    ingest_paths([str(write_csv(tmp_path / "t.csv", ROWS))], local_settings, progress=False)
    with pytest.raises(StoreError, match="built with embedder 'hashing-256'"):
        FeedbackStore.open(local_settings.model_copy(update={"embedder": "hashing-64"}))
    # without an explicit choice the store's own embedder is used
    assert FeedbackStore.open(local_settings.model_copy(update={"embedder": None})).embedder_name == "hashing-256"


def test_search_filters(settings, tmp_path):
    ingest_paths([str(write_csv(tmp_path / "tickets.csv", ROWS))], settings, progress=False)
    store = FeedbackStore.open(settings)
    hits = store.search("price went up", k=3)
    assert hits[0].metadata["source_id"] == "T1" and hits[0].score > hits[-1].score
    assert [h.metadata["source_id"] for h in store.search("price", k=5, where=build_where(lang="zh"))] == ["T2"]
    march_9 = 1773014400
    since = store.search("service", k=5, where=build_where(since=march_9))
    assert [h.metadata["source_id"] for h in since] == ["T3"]
    assert store.search("x", k=5, where=build_where(channel="chat", until=march_9))[0].metadata["source_id"] == "T2"


def test_missing_text_column_is_a_file_error(local_settings, tmp_path):
    path = write_csv(tmp_path / "notext.csv", [{"id": "1", "date": "2026-03-01"}])
    with pytest.raises(InputFileError, match="notext.csv.*no text column"):
        ingest_paths([str(path)], local_settings, progress=False)


def test_every_format_ingests(local_settings, tmp_path):
    import openpyxl

    write_csv(tmp_path / "a.csv", ROWS[:1], encoding="utf-8-sig")
    write_csv(tmp_path / "b.csv", ROWS[1:2], encoding="gbk")
    # ids differ across files: without --source an id column names one record whatever the file is called
    (tmp_path / "c.tsv").write_text("id\ttext\n1\tThe app keeps crashing on checkout\n", encoding="utf-8")
    (tmp_path / "d.json").write_text(json.dumps([{"id": 2, "comment": "Dark mode please"}]), encoding="utf-8")
    (tmp_path / "e.jsonl").write_text('{"review": "Refund took three weeks"}\n', encoding="utf-8")
    (tmp_path / "f.txt").write_text("Love the new recipes\n\n客服态度很好\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["日期", "反馈"])
    book.active.append(["2024年3月5日 14:20", "价格太贵了"])
    book.save(tmp_path / "g.xlsx")
    (tmp_path / "h.csv").write_bytes("id,text\n3,Café was naïve – €5 too much\n".encode("cp1252"))
    report = ingest_paths([str(tmp_path)], local_settings, progress=False)
    assert report.rejected == [] and report.added == 9
    texts = {i["text"] for i in stored(local_settings).values()}
    assert {"配送太慢了，等了两个小时才送到", "价格太贵了", "客服态度很好", "Café was naïve – €5 too much"} <= texts


def test_killed_ingest_process_resumes_exactly(tmp_path):
    """SIGKILL a real `assistant ingest` mid-way, run it again: exactly the file's rows, once each."""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    n = 6000
    rows = [dict(ROWS[i % 3], ticket_id=f"K{i}", text=f"{ROWS[i % 3]['text']} (kill case {i})") for i in range(n)]
    path = write_csv(tmp_path / "big.csv", rows)
    store = tmp_path / "store"
    env = dict(os.environ, ASSISTANT_BATCH_SIZE="100", ASSISTANT_EMBEDDER="hashing")
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "--store", str(store), "ingest", str(path)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline, stored_before_kill = time.monotonic() + 120, 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(f"file:{store / 'chroma.sqlite3'}?mode=ro", uri=True, timeout=1) as db:
                stored_before_kill = db.execute("select count(*) from embeddings").fetchone()[0]
        except sqlite3.Error:
            pass
        if stored_before_kill >= 500:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    assert 0 < stored_before_kill < n

    settings = Settings(_env_file=None, store=store, batch_size=500)
    report = ingest_paths([str(path)], settings, progress=False)
    assert report.added + report.duplicates == n and report.updated == 0
    assert report.duplicates >= stored_before_kill - 100  # at most the batch in flight was lost
    items = stored(settings)
    assert len(items) == n and set(items) == {f"K{i}" for i in range(n)}
    assert FeedbackStore.open(settings).search("kill case 4321", k=1)[0].metadata["source_id"].startswith("K")
