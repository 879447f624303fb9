"""The agent end to end with the real packaged local model (Qwen2.5-Coder-1.5B GGUF via llama.cpp).

Marked `models`: CI runs it (the Makefile builds llama.cpp and assembles the model first). Prompts are
kept small; on 2 cores an answer takes several seconds.
"""

from __future__ import annotations

import pytest

from assistant.agent import Assistant
from assistant.llm import get_backends

from test_agent import NOW, frame_of, store, store_settings  # noqa: F401  (shared analysed test store)

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def local_chain(store_settings):  # noqa: F811
    settings = store_settings.model_copy(update={"llm_backend": "local", "local_context": 4096})
    chain = get_backends(settings)
    if chain[0].name != "local":
        pytest.fail("the local model is not available: run `make local-llm` (see `assistant doctor`)")
    return settings, chain


def test_local_model_answers_with_valid_citations_and_streams(local_chain, store):  # noqa: F811
    settings, chain = local_chain
    a = Assistant(settings, store=store, now=NOW, backends=chain)
    events = list(a.stream("top pricing complaints this week"))
    answer = events[-1].data
    assert answer.backend.startswith("local:"), answer.notices
    assert sum(e.kind == "token" for e in events) > 3  # streamed, not one block
    assert answer.answer.strip() and answer.citations
    frame = frame_of(a)
    for item in answer.citations:
        assert frame.loc[item, "category"] == "pricing" and "2026-09-07" <= frame.loc[item, "date"] <= "2026-09-10"


def test_local_model_routes_an_unrecognised_request_through_the_schema_step(local_chain, store):  # noqa: F811
    settings, chain = local_chain
    a = Assistant(settings.model_copy(update={"agent_routing": "model"}), store=store, now=NOW, backends=chain)
    answer = a.ask("上周关于配送的投诉有哪些?")
    assert answer.tool_calls[0].name in ("search_feedback", "top_demands")
    assert answer.tool_calls[0].arguments.get("sentiment") == "negative"
    # this small store (keyword sentiment) has no negative Chinese delivery feedback last week: the answer says so
    assert answer.language == "zh" and (answer.citations or answer.answer.startswith("没有关于"))
    assert not any("routing step failed" in n for n in answer.notices), answer.notices


def test_local_model_drafts_a_reply_within_policy(local_chain, store):  # noqa: F811
    settings, chain = local_chain
    a = Assistant(settings, store=store, now=NOW, backends=chain)
    frame = a.ctx.frame()
    negative = frame[(frame["sentiment"] == "negative") & (frame["lang"] == "en") & frame["customer_id"].notna()]
    draft = a.reply(feedback_id=negative["id"].iloc[0])
    assert draft.backend.startswith("local:") and len(draft.text) > 40
    from assistant.agent.drafting import load_policy

    assert not load_policy(None).violations(draft.text)
