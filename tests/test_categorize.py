"""Demand categories: taxonomy files, zero-shot classification, the supervised head, labelled CSVs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.analysis.categorize import KEYWORD_EVIDENCE, CategoryClassifier, category_phrases
from assistant.analysis.supervised import SupervisedHead, train_classifier
from assistant.analysis.taxonomy import load_taxonomy, read_labels, taxonomy_from_data
from assistant.analysis.types import CategoryResult
from assistant.embeddings import HashingEmbedder
from assistant.errors import ConfigError, InputFileError

# a wide hashing space: few collisions between unrelated words, so word overlap is the only signal
EMBEDDER = HashingEmbedder(4096)

SHOP = {
    "name": "shop",
    "categories": [
        {"name": "delivery", "description": "Delivery of orders: the courier, the package, late or lost parcels.",
         "keywords": ["shipping", "tracking"]},
        {"name": "billing", "description": "Money: the invoice, a charge on the card, refunds and prices."},
        {"name": "app", "description": "Using the app: login, crashes, the screen and settings."},
        {"name": "other", "description": "Anything else."},
    ],
}
SHOP_ZH = {
    "name": "shop-zh",
    "categories": [
        {"name": "配送", "description": "配送和物流：快递员、包裹、送货慢、丢件。"},
        {"name": "价格", "description": "价格和费用：太贵、涨价、退款、优惠券。"},
        {"name": "其他", "description": "其他内容。"},
    ],
}


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def classify(taxonomy, texts):
    clf = CategoryClassifier(taxonomy, EMBEDDER)
    return clf.classify(EMBEDDER.embed_documents(texts), texts)


# ---------------------------------------------------------------------------------------------- taxonomy
def test_default_taxonomy_has_the_five_categories_and_other_as_fallback():
    taxonomy = load_taxonomy()
    assert taxonomy.names == ("product_feature", "service_quality", "user_experience", "pricing", "other")
    assert taxonomy.fallback == "other"
    for category in taxonomy.categories:  # bilingual descriptions, keywords and examples in both languages
        assert len(category.description.splitlines()) == 2
        assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(category.keywords))
        assert category.examples


def test_airline_example_loads_and_finds_its_catch_all_by_name():
    from assistant.analysis.taxonomy import TAXONOMY_DIR

    taxonomy = load_taxonomy(TAXONOMY_DIR / "airline.example.yaml")
    assert taxonomy.name == "airline"
    assert "lost_luggage" in taxonomy.names and taxonomy.fallback == "other"


def test_fingerprint_follows_content_only():
    a = taxonomy_from_data(SHOP)
    assert a.fingerprint() == taxonomy_from_data(json.loads(json.dumps(SHOP))).fingerprint()
    changed = json.loads(json.dumps(SHOP))
    changed["categories"][1]["description"] += " Coupons too."
    assert taxonomy_from_data(changed).fingerprint() != a.fingerprint()


def test_fallback_by_name_unless_a_category_says_otherwise():
    assert taxonomy_from_data(SHOP).fallback == "other"
    assert taxonomy_from_data(SHOP_ZH).fallback == "其他"
    opted_out = json.loads(json.dumps(SHOP))
    opted_out["categories"][3]["fallback"] = False
    assert taxonomy_from_data(opted_out).fallback is None
    marked = json.loads(json.dumps(SHOP))
    marked["categories"][2]["fallback"] = True
    assert taxonomy_from_data(marked).fallback == "app"


def test_mapping_form_and_language_mapping_descriptions(tmp_path):
    path = write(tmp_path, "t.yaml", "categories:\n  late: {description: {en: Late flights, zh: 航班延误}}\n"
                                     "  bags: Lost bags\n")
    taxonomy = load_taxonomy(path)
    assert taxonomy.names == ("late", "bags") and taxonomy.name == "t" and taxonomy.fallback is None
    assert taxonomy.categories[0].description == "Late flights\n航班延误"


@pytest.mark.parametrize("text, problem", [
    ("categories: [\n  {name: a", "not valid YAML"),
    ("categories:\n  - description: no name here\n  - name: b\n    description: b\n", "category 1: missing name"),
    ("categories:\n  - {name: a, description: x}\n  - {name: A, description: y}\n", "duplicate name 'A'"),
    ("categories:\n  - {name: a, description: x}\n", "at least 2 categories"),
    ("categories:\n  - {name: a, description: x, keyword: [k]}\n  - {name: b, description: y}\n", "unknown field(s) keyword"),
    ("categories:\n  - {name: a}\n  - {name: b, description: y}\n", "category 1 (a): missing description"),
    ("just a string\n", "needs a 'categories' list"),
])
def test_bad_taxonomy_files_name_the_file_and_the_problem(tmp_path, text, problem):
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(InputFileError) as err:
        load_taxonomy(path)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_missing_taxonomy_file(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")


def test_phrasings_split_the_description_into_short_phrases():
    phrases = category_phrases("service_quality", "Support and staff, refunds or returns\n客服、退款和物流", ("courier",))
    assert phrases[0] == "service quality"
    assert "service quality: Support and staff, refunds or returns" in phrases
    assert {"Support", "staff", "refunds", "returns", "客服", "退款", "物流", "courier"} <= set(phrases)


# ---------------------------------------------------------------------------------------------- zero-shot
def test_english_items_go_to_the_category_their_words_describe():
    taxonomy = taxonomy_from_data(SHOP)
    texts = ["The courier left my package at the wrong door", "There is a strange charge on my card",
             "The app crashes at login", "Nice weather today"]
    results = classify(taxonomy, texts)
    assert [r.primary for r in results] == ["delivery", "billing", "app", "other"]
    for r in results:
        assert isinstance(r, CategoryResult) and 0.0 <= r.confidence <= 1.0
        assert set(r.scores) == set(taxonomy.names) and abs(sum(r.scores.values()) - 1) < 1e-3
        assert r.primary not in r.secondary and "other" not in r.secondary


def test_keywords_and_cues_found_in_the_text_count_as_evidence():
    shop = json.loads(json.dumps(SHOP))
    shop["categories"][2]["cues"] = ["is there a way to", "能不能加"]  # app: asking for something new
    taxonomy = taxonomy_from_data(shop)
    assert taxonomy.categories[2].cues == ("is there a way to", "能不能加")
    assert taxonomy.fingerprint() != taxonomy_from_data(SHOP).fingerprint()
    clf = CategoryClassifier(taxonomy, EMBEDDER)
    texts = ["Is there a way to change the parcel address?", "能不能加个功能", "shipping took ages", "SHIPPING",
             "a shipment", "hello"]
    hits = clf._keyword_hits(texts)
    # cues and keywords, case-insensitive, with endings on whole words; never for the fallback category
    assert hits.tolist() == [[0, 0, 1, 0], [0, 0, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    # a literal cue adds KEYWORD_EVIDENCE to its category and nothing to the others
    vectors = EMBEDDER.embed_documents(texts)
    with_cue = clf._evidence(vectors, texts, {})[0]
    without = CategoryClassifier(taxonomy_from_data(SHOP), EMBEDDER)._evidence(vectors, texts, {})[0]
    assert np.allclose(with_cue[0] - without[0], [0, 0, KEYWORD_EVIDENCE, 0])


def test_chinese_taxonomy_and_items():
    results = classify(taxonomy_from_data(SHOP_ZH), ["快递太慢了，包裹三天还没到", "价格太贵了，又涨价", "你好"])
    assert [r.primary for r in results] == ["配送", "价格", "其他"]


def test_custom_airline_taxonomy_works_without_labels():
    from assistant.analysis.taxonomy import TAXONOMY_DIR

    taxonomy = load_taxonomy(TAXONOMY_DIR / "airline.example.yaml")
    texts = ["My suitcase never showed up at baggage claim", "The flight was delayed five hours",
             "I could not choose a seat when booking", "The crew was rude and there was no legroom",
             "行李丢失了", "航班延误三个小时"]
    assert [r.primary for r in classify(taxonomy, texts)] == [
        "lost_luggage", "late_flight", "booking_problems", "cabin_and_crew", "lost_luggage", "late_flight"]


def test_an_item_is_categorised_the_same_alone_as_in_a_batch():
    taxonomy = taxonomy_from_data(SHOP)
    texts = ["The courier left my package at the wrong door", "There is a strange charge on my card"]
    clf = CategoryClassifier(taxonomy, EMBEDDER)
    together = clf.classify(EMBEDDER.embed_documents(texts), texts)
    alone = [clf.classify(EMBEDDER.embed_documents([t]), [t])[0] for t in texts]
    assert [r.primary for r in together] == [r.primary for r in alone]


def test_vectors_without_texts_and_an_empty_batch():
    taxonomy = taxonomy_from_data(SHOP)
    clf = CategoryClassifier(taxonomy, EMBEDDER)
    texts = ["courier package parcel delivery late", "invoice charge refund prices"]
    assert [r.primary for r in clf.classify(EMBEDDER.embed_documents(texts))] == ["delivery", "billing"]
    assert clf.classify(np.zeros((0, EMBEDDER.dim))) == []


def test_large_batches_self_train_and_fit_makes_batches_agree_with_the_whole():
    taxonomy = taxonomy_from_data(SHOP)
    rng = np.random.default_rng(0)
    pools = {"delivery": "courier package parcel late tracking shipping door", "billing": "invoice charge refund price card",
             "app": "login crash screen settings app", "other": "weather hello lovely weekend friend"}
    texts = [" ".join(rng.choice(pools[k].split(), 3)) for k in rng.choice(list(pools), 300)]
    vectors = EMBEDDER.embed_documents(texts)
    whole = [r.primary for r in CategoryClassifier(taxonomy, EMBEDDER).classify(vectors, texts)]
    fitted = CategoryClassifier(taxonomy, EMBEDDER).fit(vectors, texts)
    batches = [r.primary for i in range(0, 300, 64) for r in fitted.classify(vectors[i:i + 64], texts[i:i + 64])]
    assert batches == whole
    expected = [next(k for k, words in pools.items() if set(t.split()) <= set(words.split())) for t in texts]
    assert np.mean(np.array(whole) == np.array(expected)) > 0.9


def test_classifier_name_changes_with_the_taxonomy():
    changed = json.loads(json.dumps(SHOP))
    changed["categories"][0]["keywords"].append("courier")
    a = CategoryClassifier(taxonomy_from_data(SHOP), EMBEDDER).name
    assert a != CategoryClassifier(taxonomy_from_data(changed), EMBEDDER).name
    assert EMBEDDER.name in a


# ---------------------------------------------------------------------------------------------- supervised
def clusters(n_per_class=60, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, dim))
    vectors = np.vstack([c + 0.35 * rng.normal(size=(n_per_class, dim)) for c in centres])
    labels = [name for name in ("delivery", "billing", "app") for _ in range(n_per_class)]
    return vectors, labels


def test_train_classifier_reports_held_out_figures():
    vectors, labels = clusters()
    head, report = train_classifier(vectors, labels, test_size=0.2, seed=0)
    assert report["n_train"] == 144 and report["n_test"] == 36
    assert report["accuracy"] >= 0.9 and report["macro_f1"] >= 0.9
    assert report["per_class"]["billing"]["train"] + report["per_class"]["billing"]["test"] == 60
    assert sorted(head.classes) == ["app", "billing", "delivery"]


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_head_save_and_load_round_trip_without_pickle(tmp_path, suffix):
    vectors, labels = clusters()
    taxonomy = taxonomy_from_data(SHOP)
    head, _ = train_classifier(vectors, labels, taxonomy=taxonomy, embedder="hashing-32")
    path = head.save(tmp_path / f"head{suffix}")
    loaded = SupervisedHead.load(path)
    assert np.allclose(loaded.predict_proba(vectors), head.predict_proba(vectors), atol=1e-4)
    assert loaded.taxonomy == taxonomy.fingerprint() and loaded.embedder == "hashing-32"
    again = SupervisedHead.from_json(head.to_json())
    assert again.classes == head.classes
    if suffix == ".npz":
        np.load(path, allow_pickle=False).close()  # plain arrays only


def test_two_class_head_and_classifier_using_it():
    vectors, labels = clusters()
    keep = [i for i, label in enumerate(labels) if label != "app"]
    head, _ = train_classifier(vectors[keep], [labels[i] for i in keep])
    clf = CategoryClassifier(taxonomy_from_data(SHOP), HashingEmbedder(32), supervised=head)
    results = clf.classify(vectors[keep])
    assert np.mean([r.primary == labels[i] for r, i in zip(results, keep)]) > 0.9
    assert all(r.scores["app"] == 0.0 for r in results)  # no labels for it, so never predicted
    assert clf.name.startswith("supervised-")


def test_training_errors():
    vectors, labels = clusters()
    with pytest.raises(ConfigError, match="at least 2 categories"):
        train_classifier(vectors[:10], ["billing"] * 10)
    with pytest.raises(ConfigError, match="labels"):
        train_classifier(vectors, labels[:-1])
    with pytest.raises(ConfigError):
        SupervisedHead.from_json('{"kind": "something else"}')


def test_loading_a_broken_head_names_the_file(tmp_path):
    path = write(tmp_path, "head.json", "{not json")
    with pytest.raises(InputFileError, match="head.json"):
        SupervisedHead.load(path)


# ---------------------------------------------------------------------------------------------- labels
def test_read_labels_by_id_and_by_text(tmp_path):
    taxonomy = taxonomy_from_data(SHOP)
    by_id = read_labels(write(tmp_path, "a.csv", "id,label\nf1,Delivery\nf2, billing \n\n"), taxonomy)
    assert list(by_id) == [("f1", "delivery"), ("f2", "billing")] and by_id.key_column == "id"
    by_text = read_labels(write(tmp_path, "b.csv", 'text,label\n"Late, again",delivery\n'), taxonomy)
    assert list(by_text) == [("Late, again", "delivery")] and by_text.key_column == "text"


def test_read_labels_chinese_file_in_gbk(tmp_path):
    taxonomy = taxonomy_from_data(SHOP_ZH)
    rows = read_labels(write(tmp_path, "zh.csv", "text,label\n快递太慢了,配送\n太贵了,价格\n", encoding="gbk"), taxonomy)
    assert list(rows) == [("快递太慢了", "配送"), ("太贵了", "价格")]


@pytest.mark.parametrize("text, problem", [
    ("id,label\nf1,delivery\nf2,shipping\n", "row 3: field 'label': 'shipping' is not a category of taxonomy 'shop'; "
                                               "choose one of: delivery, billing, app, other"),
    ("id,category_name\nf1,delivery\n", "needs columns 'id' (or 'text') and 'label'"),
    ("id,label\nf1,\n", "row 2: field 'label': empty label"),
    ("id,label\n,delivery\n", "row 2: field 'id': empty id"),
    ("id,label\n", "no labelled rows"),
])
def test_read_labels_errors_name_file_row_and_choices(tmp_path, text, problem):
    path = write(tmp_path, "labels.csv", text)
    with pytest.raises(InputFileError) as err:
        read_labels(path, taxonomy_from_data(SHOP))
    assert str(err.value).startswith(str(path)) and problem in str(err.value)


# ---------------------------------------------------------------------------------------------- real model
@pytest.mark.models
def test_default_taxonomy_with_e5_on_clear_bilingual_cases():
    from assistant.embeddings import load_embedder

    e5 = load_embedder("e5")
    cases = {
        "The price went up again": "pricing",
        "配送太慢了": "service_quality",
        "Please add dark mode": "product_feature",
        "The app is confusing to navigate": "user_experience",
        "价格太贵了": "pricing",
        "希望增加导出Excel的功能": "product_feature",
        "My package arrived two days late": "service_quality",
    }
    texts = list(cases)
    clf = CategoryClassifier(load_taxonomy(), e5)
    together = clf.classify(e5.embed_documents(texts), texts)
    assert {t: r.primary for t, r in zip(texts, together)} == cases
    alone = [clf.classify(e5.embed_documents([t]), [t])[0].primary for t in texts]
    assert dict(zip(texts, alone)) == cases


def test_a_head_from_few_labels_votes_with_the_taxonomy_and_a_well_trained_one_decides_alone():
    taxonomy = taxonomy_from_data(SHOP)
    train = ["courier package door", "parcel late shipping", "invoice charge card", "refund price invoice",
             "login crash screen", "app settings crash", "nice weather friend", "hello weekend lovely"]
    labels = ["delivery", "delivery", "billing", "billing", "app", "app", "other", "other"]
    head, _ = train_classifier(EMBEDDER.embed_documents(train), labels, test_size=0)
    assert head.labels_per_class() == 2
    texts = ["The courier left my package at the wrong door", "There is a strange charge on my card"]
    vectors = EMBEDDER.embed_documents(texts)
    zero_shot = CategoryClassifier(taxonomy, EMBEDDER).probabilities(vectors, texts)
    with_head = CategoryClassifier(taxonomy, EMBEDDER, supervised=head).classify(vectors, texts)
    expected = head.probabilities(vectors, list(taxonomy.names)) * zero_shot
    expected /= expected.sum(axis=1, keepdims=True)
    assert [r.primary for r in with_head] == ["delivery", "billing"]
    assert np.allclose([[r.scores[n] for n in taxonomy.names] for r in with_head], expected, atol=1e-3)
    head.metrics["n_labels"] = 400  # as if trained on 100 per category: the head alone decides
    alone = CategoryClassifier(taxonomy, EMBEDDER, supervised=head).classify(vectors, texts)
    assert np.allclose([[r.scores[n] for n in taxonomy.names] for r in alone],
                       head.probabilities(vectors, list(taxonomy.names)), atol=1e-3)


def test_a_long_text_is_judged_by_its_strongest_fifth_of_words_not_one_stray_word():
    from assistant.analysis.categorize import WORDS_PER_VOTE, _content_words

    clf = CategoryClassifier(taxonomy_from_data(SHOP), EMBEDDER)
    delivery, billing = 0, 1
    long_text = ("The courier lost the package again: late delivery of my orders, parcels left outside, shipping and "
                 "tracking useless, the invoice fine, weather dry, neighbour home on sunday morning")
    short_text = "invoice courier"
    assert len(_content_words(long_text)) > 2 * WORDS_PER_VOTE
    evidence, _ = clf._word_evidence([long_text, short_text], None)
    # the stray "invoice" is the billing category's best word in both texts; in the short one it counts in
    # full, in the long one it is one vote among many words about delivery
    assert evidence[0, delivery] > evidence[0, billing]
    single = clf._word_evidence(["invoice"], None)[0]
    assert evidence[1, billing] == pytest.approx(single[0, billing])
    assert evidence[0, billing] < single[0, billing]


def test_a_category_most_of_the_store_is_about_still_stands_out():
    # 80 delivery complaints, 20 billing ones, a few off-topic: measured against all items, delivery would
    # be measured against itself (its median is a delivery item) and its items would fall to "other"
    from assistant.analysis.categorize import _background_stats, _robust_stats

    rng = np.random.default_rng(0)
    scores = np.vstack([rng.normal([3, 0, 0], 0.3, (80, 3)), rng.normal([0, 3, 0], 0.3, (20, 3)),
                        rng.normal([0, 0, 0], 0.3, (40, 3))])
    everyone, background = _robust_stats(scores), _background_stats(scores)
    assert everyone[0][0] > 1.5  # the median delivery score is a delivery item's
    assert abs(background[0][0]) < 0.5  # against the items nearest another category
    z = (scores[:80, 0] - background[0][0]) / background[1][0]
    assert (z > 3).mean() > 0.95
    np.testing.assert_allclose(_background_stats(scores[:20])[0], _robust_stats(scores[:20])[0])  # too few
