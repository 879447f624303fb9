"""The item snapshot (analysis/snapshot.py): a cache of every stored item that is used only while it is current."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from assistant.analysis import snapshot
from assistant.analysis.frame import frame_from_rows, load_frame
from assistant.analysis.priority import rank_demands
from assistant.store import FeedbackStore

TEXTS = ["I want a refund, the app charged me twice", "Great app, love the new design",
         "退款什么时候到账?我要投诉", "Delivery was late again", "客服态度很好", "Please add dark mode"]


def _fill(store: FeedbackStore, texts=TEXTS, start: int = 0, **extra) -> None:
    ids = [f"i{start + n}" for n in range(len(texts))]
    metas = [{"source": "t.csv", "ts": 1_760_000_000 + 3600 * (start + n), "lang": "en", "theme_id": f"t{n % 2}",
              "sentiment": "negative" if n % 3 == 0 else "neutral", "sentiment_score": -0.5 if n % 3 == 0 else 0.0,
              **extra} for n in range(len(texts))]
    store.upsert(ids, list(texts), metas, store.embedder.embed_documents(list(texts)))


@pytest.fixture
def store(settings):
    store = FeedbackStore.open(settings, create=True)
    _fill(store)
    return store


def _reads(store, monkeypatch) -> list[int]:
    """Counts full reads of the items from Chroma."""
    calls = []
    original = store.iter_items

    def counting(**kw):
        calls.append(1)
        return original(**kw)

    monkeypatch.setattr(store, "iter_items", counting)
    return calls


def test_second_read_comes_from_the_snapshot_and_equals_the_store(store, monkeypatch):
    reads = _reads(store, monkeypatch)
    first = load_frame(store)
    assert len(reads) == 1 and store.derived_path(snapshot.FILE_NAME).exists()
    second = load_frame(store)
    assert len(reads) == 1  # not read from Chroma again
    columns = sorted(set(first.columns) - {"categories", "entities"})
    pd.testing.assert_frame_equal(first.sort_values("id")[columns].reset_index(drop=True),
                                  second.sort_values("id")[columns].reset_index(drop=True), check_dtype=False)
    assert second.set_index("id")["has_cue"].to_dict() == {
        "i0": True, "i1": False, "i2": True, "i3": False, "i4": False, "i5": False}


def test_a_write_from_another_process_makes_the_snapshot_stale(store, settings, monkeypatch):
    load_frame(store)
    other = FeedbackStore.open(settings)  # another process or machine: its own client, same items
    other.update_metadata(["i1"], [{"sentiment": "negative"}])  # same count, new content
    reads = _reads(store, monkeypatch)
    frame = load_frame(store)
    assert len(reads) == 1 and frame.set_index("id").loc["i1", "sentiment"] == "negative"
    _fill(other, ["Cancel my account now"], start=10)  # a new item
    frame = load_frame(store)
    assert len(reads) == 2 and len(frame) == len(TEXTS) + 1
    assert frame.set_index("id").loc["i10", "has_cue"]


def test_a_damaged_or_unwritable_snapshot_only_costs_the_slow_read(store, monkeypatch, caplog):
    path = store.derived_path(snapshot.FILE_NAME)
    load_frame(store)
    path.write_bytes(b"not parquet at all")
    with caplog.at_level(logging.WARNING, logger="assistant.snapshot"):
        frame = load_frame(store)
    assert len(frame) == len(TEXTS) and "ignoring the item snapshot" in caplog.text
    # nowhere to write: the folder's place is taken by a file
    store.derived_dir = path.parent / "blocked"
    store.derived_dir.write_text("a file, not a folder")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="assistant.snapshot"):
        assert len(load_frame(store)) == len(TEXTS)
    assert "could not write the item snapshot" in caplog.text


def test_columns_mixing_types_round_trip(store, monkeypatch):
    # an extra column holding a number in one file and text in another
    _fill(store, ["Shipping box arrived crushed"], start=20, x_order=1234)
    _fill(store, ["Wrong size delivered"], start=21, x_order="A-77")
    load_frame(store)
    reads = _reads(store, monkeypatch)
    frame = load_frame(store).set_index("id")
    assert not reads and frame.loc["i20", "x_order"] == 1234 and frame.loc["i21", "x_order"] == "A-77"


def test_has_cue_gives_the_same_demands_as_scanning_every_text():
    rng = np.random.default_rng(0)
    words = ["refund", "late", "love it", "cancel my plan", "退款", "投诉", "不想退订", "fine", "lawyer"]
    rows = [{"id": f"r{n}", "text": " ".join(rng.choice(words, 2)), "ts": 1_760_000_000 + 600 * n,
             "theme_id": f"t{n % 5}", "theme_label": f"t{n % 5}", "category": "other",
             "sentiment": ["negative", "neutral", "positive"][n % 3], "sentiment_score": [-0.6, 0.0, 0.6][n % 3]}
            for n in range(300)]
    plain = rank_demands(frame_from_rows(rows))
    items = pd.DataFrame(rows)
    items[snapshot.CUE_COLUMN] = snapshot.cue_flags(items["text"])
    assert items[snapshot.CUE_COLUMN].sum() > 50
    flagged = rank_demands(frame_from_rows(items))
    assert [(d.key, d.priority, d.breakdown, d.urgency) for d in plain] == [(d.key, d.priority, d.breakdown, d.urgency) for d in flagged]


def test_server_store_keeps_its_snapshot_in_the_cache_folder(tmp_path):
    from assistant.settings import Settings
    from assistant.store import _derived_dir

    local = Settings(_env_file=None, store=tmp_path / "s", cache_dir=tmp_path / "c")
    server = local.model_copy(update={"chroma_url": "http://127.0.0.1:8000"})
    other = local.model_copy(update={"chroma_url": "http://10.0.0.2:8000/"})
    assert _derived_dir(local) == (tmp_path / "s").resolve()
    assert _derived_dir(server).parent == tmp_path / "c" / "servers"
    assert _derived_dir(server) != _derived_dir(other)
