"""LLM refinement of sentiment (analysis/refine.py) with a fake keyword chat model: sample, labels, head, wiring."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from assistant.analysis.refine import (
    REFINER_KEY,
    LabelCache,
    SentimentRefiner,
    choose_sample,
    llm_sentiment_labels,
    refine_sentiment,
    train_refiner,
)
from assistant.analysis.run import Analyzer, analyze_store
from assistant.analysis.sentiment import SentimentModel
from assistant.errors import ConfigError
from assistant.store import FeedbackStore
from fakes import SEEDS, FakeE5, KeywordChat, tiny_nb

TEXTS = ([f"the delivery was slow again {i}" for i in range(12)] + [f"great friendly staff {i}" for i in range(12)]
         + [f"what time do you open on day {i}" for i in range(12)] + [f"the app is broken {i}" for i in range(12)])
GOLD = ["negative"] * 12 + ["positive"] * 12 + ["neutral"] * 12 + ["negative"] * 12


# ------------------------------------------------------------------------------------------------ sample
def test_sample_is_stratified_deterministic_and_prefers_low_confidence():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.3, 1.0, 1000)
    strata = np.array(["en:positive"] * 900 + ["en:neutral"] * 100)
    chosen = choose_sample(confidence, strata, 100)
    assert len(chosen) == 100 and len(set(chosen)) == 100
    np.testing.assert_array_equal(chosen, choose_sample(confidence, strata, 100))
    assert (chosen >= 900).sum() >= 25  # the small stratum gets its floor of n / (2 x strata), not its 10%
    assert confidence[chosen].mean() < confidence.mean() - 0.05


def test_sample_skips_excluded_items_and_returns_the_rest_when_asked_for_more():
    confidence, strata = np.full(10, 0.5), ["a"] * 10
    chosen = choose_sample(confidence, strata, 4, exclude=np.array([0, 1, 2]))
    assert len(chosen) == 4 and not set(chosen) & {0, 1, 2}
    np.testing.assert_array_equal(choose_sample(confidence, strata, 50, exclude=np.array([0])), np.arange(1, 10))
    assert len(choose_sample(confidence, strata, 0)) == 0


# ------------------------------------------------------------------------------------------------ labels
def test_labels_come_from_the_model_once_then_from_the_disk_cache(tmp_path):
    chat = KeywordChat()
    labels = llm_sentiment_labels(chat, ["so slow", "love it", "open on sunday?"], cache=LabelCache(tmp_path, "m"))
    assert labels == ["negative", "positive", "neutral"] and chat.calls == 3
    again = llm_sentiment_labels(chat, ["so slow", "love it"], cache=LabelCache(tmp_path, "m"))
    assert again == ["negative", "positive"] and chat.calls == 3  # read back from the file by a new cache
    llm_sentiment_labels(chat, ["so slow"], cache=LabelCache(tmp_path, "another model"))
    assert chat.calls == 4  # answers are cached per model


def test_a_failed_answer_leaves_the_item_unlabelled(tmp_path):
    class Babbler(KeywordChat):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            return ChatResult(generations=[ChatGeneration(message=AIMessage("I think it is fine"))])

    assert llm_sentiment_labels(Babbler(), ["so slow"], cache=LabelCache(tmp_path, "m")) == [None]


# ------------------------------------------------------------------------------------------------ head
def test_head_learns_model_labels_and_round_trips():
    embedder = FakeE5()
    vectors = embedder.embed_documents(TEXTS)
    refiner = train_refiner(vectors, GOLD, [str(i) for i in range(len(TEXTS))], model="m")
    probs = refiner.probabilities(embedder.embed_documents(["the delivery was slow again 99", "great friendly staff 99"]))
    assert probs[0].argmax() == 0 and probs[1].argmax() == 2
    loaded = SentimentRefiner.from_json(refiner.to_json())
    np.testing.assert_allclose(loaded.probabilities(vectors), refiner.probabilities(vectors), atol=1e-5)
    assert loaded.fingerprint() == refiner.fingerprint() and loaded.labels == refiner.labels
    with pytest.raises(ConfigError):
        SentimentRefiner.from_json('{"kind": "category-head"}')


def test_a_class_with_too_few_labels_is_left_to_zero_shot():
    embedder = FakeE5()
    texts = TEXTS[:24] + TEXTS[24:26]  # two neutral labels only
    refiner = train_refiner(embedder.embed_documents(texts), GOLD[:26], [str(i) for i in range(26)])
    assert np.all(refiner.weights[1] == 0)
    flat = np.full((1, 3), 1 / 3)
    combined = refiner.combine(flat, embedder.embed_documents(["great friendly staff 7"]))
    assert combined[0].argmax() == 2 and combined[0, 1] > 0.01  # still possible, just not learned


def test_labelled_items_keep_the_model_label():
    embedder = FakeE5()
    refiner = train_refiner(embedder.embed_documents(TEXTS), GOLD, [str(i) for i in range(len(TEXTS))])
    vector = embedder.embed_documents(["great friendly staff 3"])
    # the same vector under a key the model labelled negative (a made-up label) takes that label
    relabelled = SentimentRefiner(refiner.weights, refiner.bias, {"x": "negative"})
    assert relabelled.combine(np.full((1, 3), 1 / 3), vector, ["x"])[0].tolist() == [1.0, 0.0, 0.0]
    assert refiner.combine(np.full((1, 3), 1 / 3), vector, ["unknown"])[0].argmax() == 2


# ------------------------------------------------------------------------------------------------ wiring
def test_a_round_labels_the_sample_and_changes_the_model_name(tmp_path):
    model = SentimentModel(FakeE5(), cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb())
    name = model.name
    vectors = model.embedder.embed_documents(TEXTS)
    keys = [f"id{i}" for i in range(len(TEXTS))]
    chat = KeywordChat()
    refiner, added = refine_sentiment(model, TEXTS, ["en"] * len(TEXTS), vectors, keys, chat, n=20,
                                      cache=LabelCache(tmp_path, "m"))
    assert added == 20 == chat.calls == len(refiner.labels)
    assert model.refiner is None  # the caller decides whether to use it
    model.refiner = refiner
    assert model.name != name and refiner.fingerprint() in model.name
    predicted = model.predict(TEXTS, ["en"] * len(TEXTS), vectors, keys)
    assert all(predicted[keys.index(k)].label == label for k, label in refiner.labels.items())
    # a second round labels only new items and keeps the earlier labels
    more, added = refine_sentiment(model, TEXTS, ["en"] * len(TEXTS), vectors, keys, chat, n=10,
                                   cache=LabelCache(tmp_path, "m"), previous=refiner)
    assert added == 10 and len(more.labels) == 30 and set(refiner.labels) <= set(more.labels)


@pytest.fixture
def e5_store(tmp_path, local_settings):
    """A store that claims e5 (a hashing embedder in disguise) with the TEXTS ingested."""
    from assistant.ingest.pipeline import ingest_paths

    path = tmp_path / "feedback.csv"
    path.write_text("id,text\n" + "\n".join(f"{i},{t}" for i, t in enumerate(TEXTS)), encoding="utf-8")
    settings = local_settings.model_copy(update={"cache_dir": tmp_path / "cache", "llm_backend": "none"})
    store = FeedbackStore.open(settings, create=True, embedder=FakeE5())
    ingest_paths([str(path)], settings, progress=False, store=store)
    return store, settings


def test_analyze_with_refine_stores_the_refiner_and_reruns_stay_cheap(e5_store, tmp_path):
    store, settings = e5_store

    def analyzer():
        return Analyzer(store, settings, sentiment=SentimentModel(FakeE5(), cache_dir=tmp_path, seeds=SEEDS,
                                                                  zh_nb=tiny_nb()))

    analyze_store(store, settings, progress=False, analyzer=analyzer())
    chat = KeywordChat()
    report = analyze_store(store, settings, progress=False, analyzer=analyzer(), refine=16, chat_model=chat)
    assert report.refined["added"] == 16 and chat.calls == 16
    assert report.analysed == report.items  # the refined model re-analyses every item
    saved = SentimentRefiner.from_json(store.load_state(REFINER_KEY))
    meta = dict(store.metadatas())
    for item_id, label in saved.labels.items():
        assert meta[item_id]["sentiment"] == label
    again = analyze_store(store, settings, progress=False, analyzer=analyzer())  # loads the saved refiner
    assert again.analysed == 0 and again.unchanged == again.items


def test_refine_needs_a_language_model(e5_store, tmp_path):
    from assistant.errors import LLMError

    store, settings = e5_store
    sentiment = SentimentModel(FakeE5(), cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb())
    with pytest.raises(LLMError, match="language model"):
        analyze_store(store, settings, progress=False, analyzer=Analyzer(store, settings, sentiment=sentiment), refine=5)


def test_chinese_items_read_the_head_and_keep_model_labels(tmp_path):
    model = SentimentModel(FakeE5(), cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb())
    texts = ["外卖送到楼下"] * 12 + ["很好吃"] * 12 + ["几点开门"] * 12
    labels = ["negative"] * 12 + ["positive"] * 12 + ["neutral"] * 12
    vectors = model.embedder.embed_documents(texts)
    probe = ["外卖送到楼下", "服务一般"]
    before = model.predict(probe, ["zh", "zh"], model.embedder.embed_documents(probe))
    # the model labelled 服务一般 positive (a made-up label) and taught the head that 外卖送到楼下 is negative
    model.refiner = train_refiner(vectors, labels, [f"k{i}" for i in range(len(texts))])
    model.refiner.labels["probe"] = "positive"
    after = model.predict(probe, ["zh", "zh"], model.embedder.embed_documents(probe), keys=["x", "probe"])
    assert after[0].score < before[0].score and after[0].label == "negative"
    assert after[1].label == "positive" and after[1].score == 1.0


def test_cli_refine_explains_what_it_needs(run_cli, tmp_path, monkeypatch):
    import assistant.analysis.run as run

    monkeypatch.setattr(run, "load_sentiment_model", lambda cache_dir=None: SentimentModel(
        FakeE5(), cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb()))  # no real e5 in a fast test
    path = tmp_path / "feedback.csv"
    path.write_text("id,text\n" + "\n".join(f"{i},{t}" for i, t in enumerate(TEXTS[:6])), encoding="utf-8")
    assert run_cli("ingest", path, "--embedder", "hashing")[0] == 0
    code, out, err = run_cli("analyze", "--refine", "5")
    assert code != 0 and "e5" in err and "Traceback" not in err  # one line: the store must be built with e5
    code, out, err = run_cli("analyze", "--refine", "0")
    assert code == 2 and "--refine" in err  # N is at least 1
