"""Shared fixtures: isolated settings, a hashing embedder, temporary stores, real Chroma and llama.cpp servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

# offline switches: a by-name model load must never wait on a hub, and nothing phones home
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ[_key] = _value


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch):
    """A developer's ASSISTANT_* variables must not leak into tests."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path, what: str, *, timeout: float, poll: float,
                       request_timeout: float, tail: int) -> None:
    """Block until `url` answers; if the process dies or time runs out, kill it and fail with its log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=request_timeout):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{what} did not start: {log.read_text()[-tail:]}")
            time.sleep(poll)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` on 127.0.0.1, started for the session and stopped after it."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if not exe:
        pytest.fail("the `chroma` command (from chromadb) is not installed")
    port = _free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{url}/api/v2/heartbeat", proc, folder / "server.log", "chroma server", timeout=60,
                       poll=0.3, request_timeout=1, tail=2000)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """llama-cpp-python's real OpenAI-compatible server on 127.0.0.1 with the packaged GGUF, for the session.

    Yields the base URL (…/v1); the model answers as `local-qwen`. Stopped with SIGTERM (killed if it lingers).
    """
    from assistant.llm.gguf import ensure_local_model
    from assistant.settings import Settings

    model = ensure_local_model(Settings(_env_file=None))  # assembled from the part packages on first use
    port = _free_port()
    folder = tmp_path_factory.mktemp("llama-server")
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "8192", "--n_threads", "2", "--chat_format", "chatml-function-calling",
         "--model_alias", "local-qwen"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    wait_until_serving(f"{url}/models", proc, folder / "server.log", "llama_cpp.server", timeout=180, poll=1,
                       request_timeout=2, tail=3000)
    yield url
    proc.terminate()  # SIGTERM: uvicorn shuts down cleanly
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(params=["local", pytest.param("server", marks=pytest.mark.server)])
def settings(request, tmp_path):
    """Settings for a fresh store with the hashing embedder: embedded on disk, or on a real Chroma server."""
    from assistant.settings import Settings

    values = {"store": tmp_path / "store", "embedder": "hashing", "batch_size": 64, "cache_dir": tmp_path / "cache"}
    if request.param == "server":
        values["chroma_url"] = request.getfixturevalue("chroma_server")
        values["collection"] = f"t{uuid.uuid4().hex[:12]}"  # one server, a collection per test
    return Settings(_env_file=None, **values)


@pytest.fixture
def local_settings(tmp_path):
    """Settings for a fresh embedded store with the hashing embedder."""
    from assistant.settings import Settings

    return Settings(_env_file=None, store=tmp_path / "store", embedder="hashing", batch_size=64)


@pytest.fixture
def run_cli(capsys, monkeypatch, tmp_path):
    """Run `assistant ARGS...` in-process; returns (exit code, stdout, stderr)."""
    from assistant.cli import main

    monkeypatch.chdir(tmp_path)  # no developer .env, default store inside tmp

    def run(*args: str, stdin: bytes | None = None):
        if stdin is not None:
            import io

            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def openai_standin():
    """A scripted OpenAI-compatible endpoint on 127.0.0.1 (tests/openai_standin.py), stopped after the test.

    `openai_standin.url` is the base URL (…/v1); `.script("answer", ToolCalls(("tool", {...})), HTTPError(500))`
    queues responses; `.requests` / `.chat_requests` record what the client sent.
    """
    from openai_standin import OpenAIStandin

    with OpenAIStandin() as server:
        yield server


# ---------------------------------------------------------------------------- web app (tests/test_web*.py)
WEB_NOW = "2026-11-09T00:00:00+00:00"  # the day after the sample data ends: "recent" questions have data


def web_test_settings(store: Path):
    """Settings the web tests serve a store with: hashing embedder, no language model, a fixed 'now'."""
    from assistant.settings import Settings

    return Settings(_env_file=None, store=store, embedder="hashing", batch_size=64, llm_backend="none", now=WEB_NOW)


@pytest.fixture(scope="session")
def analysed_web_store(tmp_path_factory):
    """A small analysed sample store, built once; tests copy it (web_settings) before changing it."""
    from assistant.analysis.run import Analyzer, analyze_store
    from assistant.ingest.pipeline import ingest_paths
    from assistant.sample_data import generate_sample
    from assistant.store import FeedbackStore
    from fakes import KeywordSentiment

    root = tmp_path_factory.mktemp("web-store")
    sample = generate_sample(root / "sample", scale=0.12)[0].parent
    settings = web_test_settings(root / "store")
    ingest_paths([str(sample)], settings, progress=False)
    store = FeedbackStore.open(settings)
    analyze_store(store, settings, progress=False, analyzer=Analyzer(store, settings, sentiment=KeywordSentiment()))
    return root / "store"


@pytest.fixture
def web_settings(analysed_web_store, tmp_path):
    """Settings for a private copy of the analysed sample store."""
    shutil.copytree(analysed_web_store, tmp_path / "store")
    return web_test_settings(tmp_path / "store")


@pytest.fixture
def keyword_analyzer():
    """`store, settings -> Analyzer` with the fake sentiment model, for code that runs `analyze` itself."""
    from assistant.analysis.run import Analyzer
    from fakes import KeywordSentiment

    return lambda store, settings: Analyzer(store, settings, sentiment=KeywordSentiment())
