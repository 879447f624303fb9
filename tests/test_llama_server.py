"""The assistant against a real OpenAI-compatible server: llama-cpp-python's own (`python -m llama_cpp.server`)
serving the packaged Qwen2.5-Coder-1.5B GGUF, reached by the real openai client over HTTP.

The small model is the realistic "weak remote model" (Ollama, vLLM, small hosted models): left to call tools
freely it mostly answers from thin air. Whatever it does, no figure may reach the user, streamed or final,
unless the tools' facts or the question hold it. The check here is the test's own (`ungrounded_figures`),
written apart from the product's grounding code so that one bug cannot hide in both.

Marked `models`: CI runs it (the `server` extra beside the llama.cpp wheel, and the assembled GGUF).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from assistant.agent import Assistant
from assistant.analysis.run import Analyzer, analyze_store
from assistant.ingest.pipeline import ingest_paths
from assistant.sample_data import generate_sample
from assistant.settings import Settings
from assistant.store import FeedbackStore

from fakes import KeywordSentiment

pytestmark = pytest.mark.models

NOW = datetime(2026, 9, 10, 12, tzinfo=timezone.utc)  # a Thursday in the week of the sample's planted price rise
QUESTIONS = ["top pricing complaints this week", "上周关于物流/配送的投诉有哪些?"]


# ---------------------------------------------------------------------------- the test's own figure check
_MARKER = re.compile(r"\[\d{1,3}\]")
_CURLY_QUOTE = re.compile(r"“[^”]*”")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?%?")


def figure_tokens(text: str) -> list[str]:
    """Figures a text states: dates (YYYY-MM-DD, one token), then numbers with decimals and percent signs.
    `[n]` markers and customers' words inside “…” are not the answer's figures."""
    text = _CURLY_QUOTE.sub(" ", _MARKER.sub(" ", text))
    tokens = _DATE.findall(text)
    for match in _NUMBER.finditer(_DATE.sub(" ", text)):
        token = match.group(0)
        if _THOUSANDS.fullmatch(token):
            tokens.append(token.replace(",", ""))
        else:  # "3,4" is two figures (a Chinese or English list), "1,234" one
            tokens.extend(t for t in token.split(",") if t)
    return tokens


def known_figures(facts: list[dict], question: str) -> set[str]:
    """Every figure the facts (their text, data and arguments, as JSON) and the question hold; a percentage
    also vouches for its bare number, never the reverse."""
    sources = [question] + [json.dumps(f, ensure_ascii=False, default=str) for f in facts]
    sources += [str(f.get("text") or "") for f in facts]  # unescaped, as the model saw it
    known = {t for src in sources for t in figure_tokens(src)}
    return known | {t.rstrip("%") for t in known}


def ungrounded_figures(text: str, facts: list[dict], question: str) -> list[str]:
    """Figures in `text` that neither the facts nor the question contain."""
    known = known_figures(facts, question)
    return [t for t in figure_tokens(text) if t not in known and (t.lstrip("0") or "0") not in known]


def test_figure_check_itself():
    facts = [{"tool": "top_demands", "arguments": {"since": "2026-09-07"}, "text": "price rise: 12 items, 4.6% [1]",
              "data": {"count": 1234}}]
    assert ungrounded_figures("12 items (4.6%) since 2026-09-07 [1], 1,234 in all", facts, "this week") == []
    assert ungrounded_figures("13 items [12]", facts, "q") == ["13"]
    assert ungrounded_figures("on 2026-09-08", facts, "q") == ["2026-09-08"]  # a date is one token, not 2026/09/08
    assert ungrounded_figures("12%", facts, "q") == ["12%"]  # a count is no share
    assert ungrounded_figures("“I paid 99 dollars” said one", facts, "q") == []
    assert ungrounded_figures("上周有23件投诉", facts, "上周") == ["23"]


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def store_settings(tmp_path_factory):
    """A small analysed sample store (hashing embedder, keyword sentiment), built once for the module."""
    folder = tmp_path_factory.mktemp("llama-store")
    sample = generate_sample(folder / "sample", scale=0.15)[0].parent
    # at this scale the sample has no Chinese delivery complaint last week (the keyword sentiment reads most
    # Chinese as neutral): without these the Chinese question is answered "nothing found" and no model speaks
    # (three short ones: on 2 cores every word the model writes back costs time)
    rows = [(1, "物流太慢了，五天还没配送到。"), (3, "物流信息不更新，配送慢得离谱。"), (5, "配送延误三天，太慢了。")]
    (sample / "zh_delivery.jsonl").write_text("".join(json.dumps(
        {"id": f"ZH-{n}", "date": f"2026-09-0{day}", "customer": f"C9{n:03d}", "channel": "app_store", "text": text},
        ensure_ascii=False) + "\n" for n, (day, text) in enumerate(rows, 1)), encoding="utf-8")
    settings = Settings(_env_file=None, store=folder / "store", embedder="hashing", batch_size=128, llm_backend="none")
    assert not ingest_paths([str(sample)], settings, progress=False).rejected
    store = FeedbackStore.open(settings)
    analyze_store(store, settings, progress=False, analyzer=Analyzer(store, settings, sentiment=KeywordSentiment()))
    return settings


@pytest.fixture(scope="module")
def server_settings(store_settings, llama_server):
    """Settings that point the openai backend at the real server (no retries: a failure must show)."""
    return Settings(_env_file=None, store=store_settings.store, embedder="hashing", batch_size=128,
                    llm_backend="openai", llm_base_url=llama_server, llm_model="local-qwen", llm_api_key="x",
                    llm_max_retries=0, llm_timeout=120)


def streamed(settings: Settings, question: str):
    """(answer, streamed text, notices streamed) of one question, asked through `Assistant.stream`."""
    a = Assistant(settings, store=FeedbackStore.open(settings), now=NOW)
    events = list(a.stream(question))
    assert events and events[-1].kind == "done"
    text = "".join(e.data for e in events if e.kind == "token")
    notices = [e.data for e in events if e.kind == "notice"]
    return events[-1].data, text, notices


def assert_grounded(answer, text: str, question: str) -> None:
    assert answer.tool_calls, f"no tool call behind: {answer.answer!r}"
    assert answer.facts, "an answer with a tool call carries the facts it may draw on"
    assert set(answer.citations) <= set(answer.evidence), (answer.citations, list(answer.evidence))
    assert not any(n.startswith("openai") and "failed" in n for n in answer.notices), answer.notices  # the server answered
    facts = json.dumps(answer.facts, ensure_ascii=False, default=str)
    for shown, what in ((answer.answer, "answer"), (text, "streamed text")):
        wrong = ungrounded_figures(shown, answer.facts, question)
        assert not wrong, f"{what} has figures {wrong} in neither the facts nor the question\n{what}: {shown}\nfacts: {facts}"


# ---------------------------------------------------------------------------- tests
def test_plain_completion_over_the_openai_protocol(server_settings):
    from assistant.llm import get_backends
    from assistant.llm.remote import OpenAICompatibleChat

    backend = get_backends(server_settings)[0]
    assert backend.name == "openai" and backend.label == f"openai:local-qwen at {server_settings.llm_base_url}"
    chat = backend.chat_model
    assert isinstance(chat, OpenAICompatibleChat)
    reply = chat.invoke("Reply with one word: hello.", max_tokens=16)
    assert isinstance(reply.content, str) and reply.content.strip()


@pytest.mark.parametrize("question", QUESTIONS)
def test_default_settings_answer_from_the_tools(server_settings, question):
    answer, text, _ = streamed(server_settings, question)
    assert answer.backend.startswith("openai:local-qwen"), answer.notices
    assert answer.answer.strip() and text.strip()
    assert_grounded(answer, text, question)


@pytest.mark.parametrize("question", QUESTIONS)
def test_free_mode_answers_from_tools_or_is_redone_routed(server_settings, question):
    settings = server_settings.model_copy(update={"agent_mode": "free"})
    answer, text, notices = streamed(settings, question)
    redone = [n for n in notices if "answered again with the routed tools" in n]
    assert answer.backend.startswith("openai:local-qwen"), answer.notices
    if redone:  # the 1.5B model usually answers without a tool: redone routed, and it says so
        assert redone[0] in answer.notices
    assert answer.answer.strip() and text.strip()
    assert_grounded(answer, text, question)
