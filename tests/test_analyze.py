"""`analyze` end to end on a small sample store: every field stored, incremental re-runs, CLI commands."""

from __future__ import annotations

import json

import pytest

from assistant.analysis.frame import load_frame
from assistant.analysis.run import Analyzer, analyze_store
from assistant.ingest.pipeline import ingest_paths
from assistant.sample_data import generate_sample
from assistant.store import FeedbackStore
from fakes import KeywordSentiment as WordSentiment  # one fake sentiment model for all tests


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    return generate_sample(tmp_path_factory.mktemp("sample") / "s", scale=0.12)[0].parent


@pytest.fixture
def analysed(local_settings, sample_dir):
    ingest_paths([str(sample_dir)], local_settings, progress=False)
    store = FeedbackStore.open(local_settings)
    analyzer = Analyzer(store, local_settings, sentiment=WordSentiment())
    report = analyze_store(store, local_settings, progress=False, analyzer=analyzer)
    return store, analyzer, report


def test_every_item_gets_every_field(analysed):
    store, _, report = analysed
    assert report.analysed == report.items == store.count() > 250
    frame = load_frame(store)
    assert frame["sentiment"].isin(["positive", "neutral", "negative"]).all()
    assert frame["category"].isin(["product_feature", "service_quality", "user_experience", "pricing", "other"]).all()
    assert frame["categories"].map(lambda c: c[0]).equals(frame["category"])
    assert frame["category_confidence"].between(0, 1).all()
    assert frame["priority"].between(0, 100).all() and frame["priority"].nunique() > 10
    # the hashing embedder is far cruder than e5 (0.3% unassigned there, docs/benchmarks.md), and the theme
    # thresholds are e5's (the 10th / 5th percentile of members' similarity): 36% of these 291 items get one
    assert frame["theme_id"].notna().mean() > 0.3 and report.themes >= 3
    assert report.unassigned == frame["theme_id"].isna().sum()
    assert (frame["theme_label"].notna() == frame["theme_id"].notna()).all()
    with_money = frame[frame["text"].str.contains(r"\$\d", regex=True)]
    assert any(e["kind"] == "money" for ents in with_money["entities"] for e in ents)


def test_rerun_is_incremental_and_stable(analysed, local_settings, sample_dir):
    store, analyzer, _ = analysed
    before = load_frame(store).set_index("id")[["theme_id", "category", "priority"]]
    again = analyze_store(store, local_settings, progress=False, analyzer=analyzer)
    assert again.analysed == 0 and again.unchanged == again.items and again.new_themes == 0
    after = load_frame(store).set_index("id")[["theme_id", "category", "priority"]]
    assert after.equals(before)

    # a changed row is re-analysed, alone
    tickets = sample_dir / "support_tickets.csv"
    original = tickets.read_text(encoding="utf-8")
    lines = original.splitlines()
    header, first = lines[0], lines[1]
    changed = first.rsplit(",", 1)[0] + ",The price doubled and support never answered. I want a refund now"
    try:
        tickets.write_text("\n".join([header, changed, *lines[2:]]) + "\n", encoding="utf-8")
        assert ingest_paths([str(tickets)], local_settings, progress=False).updated == 1
        third = analyze_store(store, local_settings, progress=False, analyzer=analyzer)
    finally:
        tickets.write_text(original, encoding="utf-8")
    assert third.analysed == 1
    row = load_frame(store).set_index("source_id").loc[first.split(",")[0]]
    assert row["sentiment"] == "negative" and row["analysis_hash"] == analyzer.item_hash(row["content_hash"])


def test_cli_analysis_commands(analysed, local_settings, run_cli, tmp_path, monkeypatch):
    store_dir = str(local_settings.store)
    code, out, err = run_cli("--store", store_dir, "demands", "--json", "-n", "3")
    demands = json.loads(out)
    assert code == 0, err
    assert len(demands) == 3 and demands[0]["priority"] >= demands[1]["priority"] >= demands[2]["priority"]
    assert {"volume", "negativity", "customer_value", "growth", "cues", "recency"} <= set(demands[0]["breakdown"])
    assert "unassigned" not in {d["key"] for d in demands}
    code, out, err = run_cli("--store", store_dir, "demands", "--json", "--category", "pricing", "-n", "50")
    pricing = json.loads(out)
    assert code == 0 and pricing and {d["category"] for d in pricing} == {"pricing"}
    in_store = load_frame(FeedbackStore.open(local_settings))
    themed = in_store[(in_store["category"] == "pricing") & in_store["theme_id"].notna()]
    assert sum(d["count"] for d in pricing) == len(themed)  # every pricing item in a theme, and nothing else
    code, out, err = run_cli("--store", store_dir, "demands", "--no-explain", "-n", "50")
    unthemed = int(load_frame(FeedbackStore.open(local_settings))["theme_id"].isna().sum())
    assert code == 0 and f"({unthemed} items in this window are in no theme" in out and "unassigned" not in out
    assert demands[0]["evidence"]

    code, out, _ = run_cli("--store", store_dir, "demands", "-n", "1")
    assert code == 0 and "priority" in out and "importance" in out

    code, out, _ = run_cli("--store", store_dir, "trends", "--by", "category", "--json")
    trend = json.loads(out)
    assert code == 0 and trend["totals"] and {row["group"] for row in trend["table"]} <= {
        "product_feature", "service_quality", "user_experience", "pricing", "other", "unassigned"}

    category = demands[0]["category"]
    code, out, err = run_cli("--store", store_dir, "effect", "--category", category, "--action-date", "2026-09-21",
                             "--record", "a test action", "--json")
    assert code == 0, err
    assert json.loads(out)["outcome"] in ("worked", "worse", "no_change", "too_few")

    code, out, err = run_cli("--store", store_dir, "report", "--out", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert code == 0, err
    assert "<svg" in page and "Top demands" in page and "a test action" in page
    code, out, err = run_cli("--store", store_dir, "report", "--out", tmp_path / "r.md")
    assert "## Effect of actions" in (tmp_path / "r.md").read_text(encoding="utf-8")

    code, out, err = run_cli("--store", store_dir, "effect", "--theme", "no-such-theme", "--action-date", "2026-09-21")
    assert code == 2 and "no theme 'no-such-theme'" in err

    code, out, _ = run_cli("--store", store_dir, "export", "--format", "jsonl", "--out", tmp_path / "all.jsonl")
    row = json.loads((tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert {"sentiment", "sentiment_score", "category", "categories", "category_confidence", "entities",
            "theme_id", "theme_label", "priority"} <= set(row)


def test_train_classifier_from_labels(analysed, local_settings, run_cli, tmp_path):
    store, _, _ = analysed
    frame = load_frame(store)
    labels = tmp_path / "labels.csv"
    rows = ["id,label"] + [f"{i},{'pricing' if 'price' in t.lower() or '价' in t else 'other'}"
                           for i, t in zip(frame["id"], frame["text"])]
    labels.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = run_cli("--store", str(local_settings.store), "train-classifier", labels, "--json")
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["n_test"] > 0 and 0.5 < metrics["accuracy"] <= 1.0

    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\nx,flights\n", encoding="utf-8")
    code, out, err = run_cli("--store", str(local_settings.store), "train-classifier", bad)
    assert code == 2 and "bad.csv: row 2: field 'label'" in err and "pricing" in err


def test_labels_from_an_older_keyword_scoring_are_refreshed_without_reclustering(analysed, local_settings):
    from assistant.analysis.run import THEMES_KEY
    from assistant.analysis.themes import ThemeState

    store, analyzer, _ = analysed
    state = ThemeState.from_json(store.load_state(THEMES_KEY))
    tid = sorted(state.themes)[0]
    right = state.themes[tid].label
    state.themes[tid].label, state.themes[tid].keywords = "stale / words", ["stale", "words"]
    store.save_state(THEMES_KEY, state.to_json())
    members = [i for i, m in store.metadatas() if m.get("theme_id") == tid]
    store.update_metadata(members, [{"theme_label": "stale / words"}] * len(members))
    ids_before = load_frame(store).set_index("id")["theme_id"]
    again = analyze_store(store, local_settings, progress=False, analyzer=analyzer)
    assert again.analysed == 0
    assert ThemeState.from_json(store.load_state(THEMES_KEY)).themes[tid].label == right
    frame = load_frame(store).set_index("id")
    assert set(frame.loc[frame["theme_id"] == tid, "theme_label"]) == {right}
    assert frame["theme_id"].equals(ids_before)  # the same themes, only their words refreshed


class OneCategory:
    """A categoriser of its own (stages.Categoriser): every item is about pricing."""

    name = "one-category-v1"
    trusted = False

    def __init__(self):
        self.fitted = 0

    def fit(self, vectors, texts=None):
        self.fitted += 1
        return self

    def classify(self, vectors, texts=None):
        from assistant.analysis.types import CategoryResult

        return [CategoryResult("pricing", (), 1.0) for _ in range(len(vectors))]


def test_another_categoriser_and_sentiment_reader_plug_in(local_settings, sample_dir):
    from assistant.errors import ConfigError

    ingest_paths([str(sample_dir)], local_settings, progress=False)
    store = FeedbackStore.open(local_settings)
    categoriser = OneCategory()
    analyzer = Analyzer(store, local_settings, sentiment=WordSentiment(), categoriser=categoriser)
    report = analyze_store(store, local_settings, progress=False, analyzer=analyzer)
    assert categoriser.fitted == 1 and report.models["category"] == "one-category-v1"
    frame = load_frame(store)
    assert (frame["category"] == "pricing").all() and frame["category_confidence"].eq(1.0).all()
    assert report.models["sentiment"] == WordSentiment.name and not analyzer.refinable
    with pytest.raises(ConfigError, match="--refine"):  # a reader without a refiner cannot be refined
        analyze_store(store, local_settings, progress=False, analyzer=analyzer, refine=5)
