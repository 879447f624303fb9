"""The wheel carries every file the assistant reads: built, installed away from the checkout, then asked,
replying and planning through an OpenAI-compatible endpoint that records the prompts it was sent.

Only a backend that reads prompts can tell: the no-model backend answered from a wheel without prompts/.
The checkout's `assistant/` must not be importable, so the commands run in a folder outside it with the
installed wheel first on PYTHONPATH; .venv's site-packages only supply the dependencies.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
# never copied into the build: large, or written by builds (a stale build/lib leaks old files into a wheel)
NOT_SOURCE = {".git", ".venv", "build", "dist", "vectorstore", "data", ".pytest_cache", ".cache"}
NOW = "2026-11-09T00:00:00+00:00"  # the day after the sample data ends (conftest.WEB_NOW)


def _ignore(folder: str, names: list[str]) -> list[str]:
    top = Path(folder) == ROOT
    return [n for n in names if (top and n in NOT_SOURCE) or n == "__pycache__" or n.endswith((".pyc", ".egg-info"))]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of the checkout (setuptools writes build/ beside the sources)."""
    root = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, root / "src", ignore=_ignore)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(root / "dist"), str(root / "src")], check=True, capture_output=True)
    return next((root / "dist").glob("*.whl"))


@pytest.fixture(scope="module")
def site(wheel) -> Path:
    """The wheel installed into a bare folder (`pip install --target`): no editable link to the checkout."""
    target = wheel.parent.parent / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    return target


@pytest.fixture
def run_installed(site, analysed_web_store, tmp_path):
    """Run the installed `assistant ARGS...` (or `python -c CODE`) outside the checkout; returns stdout."""
    shutil.copytree(analysed_web_store, tmp_path / "store")
    (tmp_path / "elsewhere").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "PYTHON", "OPENAI_"))}
    env.update(PYTHONPATH=str(site), ASSISTANT_STORE=str(tmp_path / "store"), ASSISTANT_EMBEDDER="hashing",
               ASSISTANT_NOW=NOW, ASSISTANT_CACHE_DIR=str(tmp_path / "cache"))

    def run(*args: str, code: str | None = None, **settings: str) -> str:
        command = [sys.executable, "-c", code] if code else [str(site / "bin" / "assistant"), *args]
        done = subprocess.run(command, cwd=tmp_path / "elsewhere", env={**env, **settings}, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    return run


def _standin_settings(standin) -> dict[str, str]:
    return {"ASSISTANT_LLM_BACKEND": "openai", "ASSISTANT_LLM_BASE_URL": standin.url,
            "ASSISTANT_LLM_MAX_RETRIES": "0", "OPENAI_API_KEY": "test"}


def _system_prompt(standin) -> str:
    messages = standin.chat_requests[-1].body["messages"]
    return next(m["content"] for m in messages if m["role"] == "system")


def _opening(name: str) -> str:
    """The first line of a prompt's system section, up to its first placeholder (as the checkout has it)."""
    text = (ROOT / "prompts" / f"{name}.md").read_text(encoding="utf-8")
    return text.split("--- system ---", 1)[1].strip().splitlines()[0].split("{{")[0].strip()


def test_the_wheel_carries_prompts_policy_taxonomies_and_seeds(wheel, run_installed, site):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"assistant/_prompts/{p.name}" for p in (ROOT / "prompts").iterdir() if p.suffix in (".md", ".yaml")}
    expected |= {f"assistant/taxonomies/{p.name}" for p in (ROOT / "assistant" / "taxonomies").glob("*.yaml")}
    expected |= {f"assistant/analysis/seeds/{p.name}" for p in (ROOT / "assistant" / "analysis" / "seeds").iterdir()
                 if p.suffix in (".txt", ".npz")}
    missing = sorted(expected - names)
    assert "assistant/_prompts/reply_policy.yaml" in expected and not missing, f"not in the wheel: {missing}"
    # the installed code, not the checkout, runs and finds its prompts inside the install
    out = run_installed(code="import assistant; from assistant.agent.prompts import default_prompts_dir as d; "
                             "print(assistant.__file__); print(d()); print((d() / 'answer.md').is_file())")
    module, prompts, found = out.split()
    assert Path(module).is_relative_to(site) and Path(prompts).is_relative_to(site) and found == "True", out


def test_installed_ask_answers_with_the_packaged_answer_prompt(run_installed, openai_standin):
    openai_standin.script("Pricing complaints are led by the price rise [1].")
    out = run_installed("ask", "top pricing complaints", "--json", ASSISTANT_AGENT_MODE="routed",
                        ASSISTANT_AGENT_ROUTING="rules", **_standin_settings(openai_standin))
    answer = json.loads(out)
    assert answer["backend"].startswith("openai") and answer["citations"], answer
    assert "price rise" in answer["answer"]
    assert _opening("answer") in _system_prompt(openai_standin)


def test_installed_reply_follows_the_packaged_policy(run_installed, openai_standin):
    item = run_installed(code="from assistant.settings import Settings; from assistant.store import FeedbackStore; "
                              "store = FeedbackStore.open(Settings()); "
                              "print(next(i for i, m in store.metadatas(where={'sentiment': 'negative'}) "
                              "if m.get('lang') == 'en'))").strip()
    openai_standin.script("Hi, sorry about this. We will refund you in full by Friday. Thanks for your patience.")
    out = run_installed("reply", "--feedback", item, "--json", **_standin_settings(openai_standin))
    draft = json.loads(out)
    assert "refund you" not in draft["text"] and "sorry about this" in draft["text"], draft["text"]
    system = _system_prompt(openai_standin)
    assert _opening("reply") in system
    guidance = yaml.safe_load((ROOT / "prompts" / "reply_policy.yaml").read_text(encoding="utf-8"))["guidance"]
    assert guidance in system  # the packaged policy, not the built-in fallback


def test_installed_plan_uses_the_packaged_plan_prompt(run_installed, openai_standin):
    openai_standin.script("## Root-cause hypotheses\n- the price rise [1]\n## Actions\n- explain the new plans")
    out = run_installed("plan", "--category", "pricing", "--json", **_standin_settings(openai_standin))
    plan = json.loads(out)
    assert "the price rise [1]" in plan["text"] and "## Problem" in plan["text"], plan["text"]
    assert _opening("plan") in _system_prompt(openai_standin)
