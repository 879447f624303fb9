"""Which stored item a row is: overlapping exports stored once, --source scoping, channels never taken from
file names, the repair of stores built with file names in their ids, and concurrent ingests."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.ingest.columns import map_columns
from assistant.ingest.identity import repair_store
from assistant.ingest.pipeline import ingest_paths, to_feedback
from assistant.records import RawRow
from assistant.store import ID_SCHEME, ID_SCHEME_KEY, FeedbackStore
from test_ingest import write_csv


def ticket(i: int, **changes) -> dict:
    """One helpdesk ticket as every export of that helpdesk writes it."""
    row = {"ticket_id": f"HD-{i}", "created_at": f"2026-03-{1 + i % 28:02d} {8 + i % 10}:{i % 60:02d}",
           "customer_id": f"C{i % 97}", "status": "open",
           "text": f"Order {i} arrived {i % 7 + 1} days late and the box was damaged"}
    return {**row, **changes}


def exports(folder: Path, ranges: dict[str, range]) -> list[Path]:
    return [write_csv(folder / name, [ticket(i) for i in r]) for name, r in ranges.items()]


# A, B: 600 tickets each, no overlap; C shares 300 with each of them -> 1,200 distinct tickets in 1,800 rows
OVERLAPPING = {"week-1.csv": range(0, 600), "week-2.csv": range(600, 1200), "weeks-1-2.csv": range(300, 900)}


def ingest(paths, settings, **kw):
    return ingest_paths([str(p) for p in paths], settings, progress=False, **kw)


def test_overlapping_exports_are_stored_once(settings, tmp_path):
    first, second, overlap = exports(tmp_path, OVERLAPPING)
    assert (ingest([first], settings).added, ingest([second], settings).added) == (600, 600)
    again = ingest([overlap], settings)
    assert (again.read, again.added, again.updated, again.duplicates) == (600, 0, 0, 600)
    store = FeedbackStore.open(settings)
    assert store.count() == 1200
    metas = dict(store.metadatas())
    assert {m["source_id"] for m in metas.values()} == {f"HD-{i}" for i in range(1200)}
    # provenance: the file that brought each record first
    assert {m["source"] for m in metas.values()} == {"week-1.csv", "week-2.csv"}


def test_changed_record_in_a_later_export_is_updated_and_reported(settings, tmp_path):
    ingest([write_csv(tmp_path / "monday.csv", [ticket(i) for i in range(4)])], settings)
    later = [ticket(0, status="closed")] + [ticket(i) for i in range(1, 6)]
    report = ingest([write_csv(tmp_path / "friday.csv", later)], settings)
    assert (report.added, report.updated, report.duplicates, report.updated_from_other_source) == (2, 1, 3, 1)
    items = {m["source_id"]: m for _, m in FeedbackStore.open(settings).metadatas()}
    assert len(items) == 6 and items["HD-0"]["x_status"] == "closed" and items["HD-0"]["source"] == "friday.csv"


def test_source_name_scopes_ids(settings, tmp_path):
    rows = [ticket(i) for i in range(3)]
    zendesk, freshdesk = write_csv(tmp_path / "zd.csv", rows), write_csv(tmp_path / "fd.csv", rows)
    assert ingest([zendesk], settings, source="zendesk").added == 3
    assert ingest([freshdesk], settings, source="freshdesk").added == 3  # two systems, same ids: kept apart
    assert ingest([freshdesk], settings, source="zendesk").duplicates == 3  # the same system again: once
    metas = [m for _, m in FeedbackStore.open(settings).metadatas()]
    assert len(metas) == 6 and {(m["source"], m["id_scope"]) for m in metas} == {("zendesk", "zendesk"),
                                                                                 ("freshdesk", "freshdesk")}


def test_rows_without_id_are_one_record_by_text_customer_and_time(settings, tmp_path):
    rows = [{k: v for k, v in ticket(i).items() if k != "ticket_id"} for i in range(4)]
    ingest([write_csv(tmp_path / "a.csv", rows)], settings)
    other_customer = dict(rows[0], customer_id="C-other")
    report = ingest([write_csv(tmp_path / "b.csv", rows[:2] + [other_customer])], settings)
    assert (report.added, report.duplicates) == (1, 2)
    assert FeedbackStore.open(settings).count() == 5


def test_channel_is_unknown_without_a_channel_column(run_cli, tmp_path):
    no_channel = write_csv(tmp_path / "nps_survey.csv", [ticket(i) for i in range(3)])
    with_channel = write_csv(tmp_path / "tickets.csv", [ticket(i, ticket_id=f"T{i}", channel="email") for i in range(2)])
    assert run_cli("ingest", no_channel, with_channel, "--embedder", "hashing")[0] == 0
    code, out, _ = run_cli("stats", "--json")
    stats = json.loads(out)
    assert stats["by_channel"] == {"unknown": 3, "email": 2} and stats["by_source"]["nps_survey.csv"] == 3
    code, out, _ = run_cli("stats")
    assert code == 0 and "unknown" in out and "nps_survey " not in out.split("by channel:")[1]


def test_cli_ingest_says_what_happened(run_cli, tmp_path):
    first, _, overlap = exports(tmp_path, OVERLAPPING)
    code, out, _ = run_cli("ingest", first, "--embedder", "hashing")
    assert code == 0 and "read 600, added 600, updated 0, skipped as duplicate 0" in out
    code, out, _ = run_cli("ingest", overlap)
    assert code == 0 and "read 600, added 300, updated 0, skipped as duplicate 300 (already stored, unchanged)" in out
    changed = write_csv(tmp_path / "later.csv", [ticket(5, status="closed")])
    code, out, _ = run_cli("ingest", changed)
    assert "updated 1" in out and "1 updated items had been stored from another file" in out and "--source" in out


# ------------------------------------------------------------------------------------------ old stores
def old_id(source: str, source_id: str) -> str:
    """How id scheme 1 named an item: the source (the file name by default) and its id column."""
    return hashlib.sha1(f"{source}\x1fid\x1f{source_id}".encode()).hexdigest()[:16]


def build_old_store(settings, tmp_path) -> dict[str, np.ndarray]:
    """A store as the old ingest left it: overlapping exports stored per file, channel = file stem, the
    analysis done, no id scheme recorded; also a `--source` system and a file with a real channel column.
    Returns each item's vector (random, so a re-embedded item would show)."""
    store = FeedbackStore.open(settings, create=True)
    rng = np.random.default_rng(3)
    files = {"week-1.csv": range(0, 6), "week-2.csv": range(6, 12), "weeks-1-2.csv": range(3, 9),
             "zendesk": range(0, 2)}
    vectors = {}
    for source, numbers in files.items():
        rows = [ticket(i) for i in numbers]
        columns = map_columns(list(rows[0]), {}, path=source, sample_rows=rows)
        for n, row in enumerate(rows, start=2):
            item, _ = to_feedback(RawRow(source, n, row), columns, source, settings)
            meta = {k: v for k, v in item.metadata().items() if k != "id_scope"}
            meta.update(channel=Path(source).stem, content_hash="old" + item.id[:8], sentiment="negative",
                        analysis_hash="a1")
            vectors[old_id(source, item.source_id)] = rng.normal(size=store.embedder.dim).astype(np.float32)
            store.upsert([old_id(source, item.source_id)], [item.text], [meta], [vectors[old_id(source, item.source_id)]])
    rows = [ticket(i, ticket_id=f"E{i}", channel=("email", "chat")[i % 2]) for i in range(2)]
    columns = map_columns(list(rows[0]), {}, path="mail.csv", sample_rows=rows)
    for n, row in enumerate(rows, start=2):
        item, _ = to_feedback(RawRow("mail.csv", n, row), columns, "mail.csv", settings)
        vectors[old_id("mail.csv", item.source_id)] = rng.normal(size=store.embedder.dim).astype(np.float32)
        store.upsert([old_id("mail.csv", item.source_id)], [item.text], [{**item.metadata(), "content_hash": "old"}],
                     [vectors[old_id("mail.csv", item.source_id)]])
    import chromadb  # no public way to forget the scheme: an old store never recorded one

    if settings.chroma_url:
        host, port = settings.chroma_url.removeprefix("http://").split(":")
        client = chromadb.HttpClient(host=host, port=int(port))
    else:
        client = chromadb.PersistentClient(path=str(Path(settings.store).resolve()))
    client.get_collection(f"{settings.collection}__state").delete(ids=[ID_SCHEME_KEY])
    assert FeedbackStore.open(settings).id_scheme() is None and store.count() == 22
    return vectors


def test_repair_merges_old_copies_keeps_vectors_and_clears_file_channels(settings, tmp_path):
    vectors = build_old_store(settings, tmp_path)
    store = FeedbackStore.open(settings)
    revision = store.revision()
    repair = repair_store(store)
    # 12 helpdesk tickets (6 stored twice), 2 zendesk tickets kept apart by their --source name, 2 mail items
    assert (repair.items_before, repair.items_after, repair.merged) == (22, 16, 6)
    assert repair.channels_cleared == 14 and store.id_scheme() == ID_SCHEME and store.revision() != revision
    items = {(item.metadata.get("id_scope"), item.metadata["source_id"]): (item, vector)
             for item, vector in store.iter_items(embeddings=True)}
    assert len(items) == 16 and {s for s, _ in items} == {None, "zendesk"}
    for (scope, source_id), (item, vector) in items.items():
        source = item.metadata["source"]
        np.testing.assert_allclose(vector, vectors[old_id(source, source_id)], rtol=1e-6)  # carried, not re-embedded
        if source == "mail.csv":
            assert item.metadata["channel"] in ("email", "chat")  # a real channel column is kept
        else:
            assert "channel" not in item.metadata
            assert item.metadata["sentiment"] == "negative"  # analysis kept (redone: the content hash changed)
    # the shared tickets 3..5 (week-1 / weeks-1-2) and 6..8 (week-2 / weeks-1-2): one copy, from the later name
    assert items[(None, "HD-4")][0].metadata["source"] == "weeks-1-2.csv"
    assert repair_store(store) is None  # once only

    # the repaired store is what a fresh ingest makes: the same files again are unchanged, not updated
    again = ingest(exports(tmp_path, {"week-1.csv": range(0, 6), "week-2.csv": range(6, 12)}), settings)
    assert (again.added, again.updated, again.duplicates, again.repair) == (0, 0, 12, None)


def test_next_ingest_repairs_an_old_store(local_settings, tmp_path):
    build_old_store(local_settings, tmp_path)
    report = ingest(exports(tmp_path, {"week-3.csv": range(10, 14)}), local_settings)
    assert report.repair is not None and report.repair.merged == 6
    assert (report.added, report.duplicates) == (2, 2)
    assert FeedbackStore.open(local_settings).count() == 18
    assert report.as_dict()["repair"]["items_after"] == 16


def test_next_analyze_repairs_an_old_store(local_settings, tmp_path, keyword_analyzer):
    from assistant.analysis.run import analyze_store

    build_old_store(local_settings, tmp_path)
    store = FeedbackStore.open(local_settings)
    report = analyze_store(store, local_settings, progress=False, analyzer=keyword_analyzer(store, local_settings))
    assert report.items == 16 and report.analysed == 16 and store.id_scheme() == ID_SCHEME


def test_stopped_repair_runs_again_without_loss(local_settings, tmp_path, monkeypatch):
    build_old_store(local_settings, tmp_path)
    store = FeedbackStore.open(local_settings)
    calls = []

    def delete_then_stop(ids):
        calls.append(ids)
        raise KeyboardInterrupt  # killed after the new copies were written, before the old ones went

    monkeypatch.setattr(store, "delete", delete_then_stop)
    with pytest.raises(KeyboardInterrupt):
        repair_store(store)
    assert calls and FeedbackStore.open(local_settings).id_scheme() is None
    repair = repair_store(FeedbackStore.open(local_settings))
    assert repair.items_after == 16 and repair.rekeyed == 0  # the copies were already in place


# ------------------------------------------------------------------------------------------ concurrency
def test_three_ingests_at_once_all_succeed_and_lose_nothing(tmp_path):
    """Three `assistant ingest` processes, three different files, one new store, started together."""
    files = exports(tmp_path, {f"part-{n}.csv": range(n * 400, n * 400 + 400) for n in range(3)})
    store = tmp_path / "store"
    env = dict(os.environ, ASSISTANT_EMBEDDER="hashing", ASSISTANT_BATCH_SIZE="50")
    procs = [subprocess.Popen([sys.executable, "-m", "assistant", "--store", str(store), "ingest", str(path)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for path in files]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], [err[-2000:] for _, err in results]
    assert all("added 400" in out for out, _ in results)
    settings = local_settings_for(store)
    stored = {m["source_id"] for _, m in FeedbackStore.open(settings).metadatas()}
    assert stored == {f"HD-{i}" for i in range(1200)} and FeedbackStore.open(settings).id_scheme() == ID_SCHEME


def local_settings_for(store: Path):
    from assistant.settings import Settings

    return Settings(_env_file=None, store=store)
