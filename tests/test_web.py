"""The web app without a browser: page functions and callbacks on a small analysed store, the shared cache,
login rules, and the served app through gradio_client."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from assistant.analysis.frame import load_frame
from assistant.analysis.priority import rank_demands
from assistant.errors import ConfigError
from assistant.store import FeedbackStore
from assistant.web import dashboard, data, explore, plans, replies
from assistant.web.app import build_app, login_for
from assistant.web.state import WebState


@pytest.fixture
def state(web_settings, keyword_analyzer):
    return WebState(web_settings, analyzer_factory=lambda store: keyword_analyzer(store, web_settings))


def callback(demo, api_name: str):
    """The Python function behind an event of the app (with its error handling), by API name."""
    for fn in demo.fns.values():
        if fn.api_name == api_name:
            return fn.fn
    raise KeyError(api_name)


def last(generator):
    out = None
    for out in generator:
        pass
    return out


# ---------------------------------------------------------------------------- dashboard
def test_dashboard_shows_what_the_cli_computes(state, web_settings):
    view = dashboard.dashboard_view(state)
    store = FeedbackStore.open(web_settings)
    expected = rank_demands(load_frame(store), weights=web_settings.priority)[:dashboard.TOP_DEMANDS]
    assert list(view.demands["Theme id"]) == [d.key for d in expected]
    assert list(view.demands["Priority"]) == [round(d.priority, 1) for d in expected]
    assert view.volume["count"].sum() == store.count() == view.channels["count"].sum()
    assert set(view.volume["category"]) <= {"product_feature", "service_quality", "user_experience", "pricing", "other"}
    assert view.sentiment["negative_share"].between(0, 1).all() and len(view.sentiment) >= 14
    top = expected[0]
    assert "volume" in view.breakdowns[top.key] and f"{top.priority:.0f}" in view.breakdowns[top.key]
    assert f"**{store.count():,}** items" in view.summary


def test_dashboard_filters_apply_to_every_chart(state):
    view = dashboard.dashboard_view(state, since="2026-09-01", until="2026-09-30", categories=["pricing"],
                                    langs=["zh"])
    assert set(view.volume["category"]) == {"pricing"}
    assert view.volume["start"].min() >= "2026-08-31"  # the week that holds September 1st
    assert set(view.channels["lang"]) == {"zh"} and set(view.languages["lang"]) == {"zh"}
    assert set(view.demands["Category"]) <= {"pricing"}
    frame = state.frame()
    chosen = frame[(frame["category"] == "pricing") & (frame["lang"] == "zh")
                   & frame["date"].between("2026-09-01", "2026-09-30")]
    assert view.channels["count"].sum() == len(chosen) > 0

    empty = dashboard.dashboard_view(state, since="2030-01-01")
    assert "No feedback matches" in empty.summary and empty.volume.empty
    with pytest.raises(ConfigError, match="From: .*YYYY-MM-DD"):
        dashboard.dashboard_view(state, since="last tuesday-ish")


def test_frame_is_cached_until_the_store_changes(state, web_settings):
    views = []
    threads = [threading.Thread(target=lambda: views.append(dashboard.dashboard_view(state))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state.loads == 1 and len(views) == 4 and all(v is views[0] for v in views)  # four sessions, one read
    assert dashboard.dashboard_view(state) is views[0]

    # another process (the CLI) writes to the store: the next view reads it again
    other = FeedbackStore.open(web_settings)
    vector = other.embedder.embed_documents(["brand new complaint about the price"])
    other.upsert(["x-new"], ["brand new complaint about the price"], [{"ts": 1762560000, "lang": "en"}], vector)
    view = dashboard.dashboard_view(state)
    assert state.loads == 2 and view is not views[0]
    assert view.channels["count"].sum() == views[0].channels["count"].sum() + 1


def test_the_web_app_and_the_agent_share_one_frame(state, web_settings, tmp_path):
    """One copy of the store's frame in memory: whichever reads it first, the other gets the same object."""
    agent = state.assistant().ctx
    assert agent.frame() is state.frame() and state.loads == 0  # the agent read it; the pages took it over
    other = WebState(web_settings)
    assert other.frame() is state.frame() and other.loads == 0

    upload = tmp_path / "shared.csv"
    upload.write_text("text,date\nThe courier lost my parcel again,2026-11-05\n", encoding="utf-8")
    data.ingest_files(state, [str(upload)])
    merged = state.frame()
    assert "The courier lost my parcel again" in set(merged["text"]) and state.loads == 0  # merged, not read
    assert agent.frame() is merged  # the agent answers from the merged frame, without reading the store


def test_a_frame_nobody_holds_is_freed(web_settings):
    """The shared frames are held by their users only: an app that is gone leaves no copy behind, and a new
    one reads the store itself (what bench/web.py measures as a new app's first view)."""
    old = WebState(web_settings)
    dashboard.dashboard_view(old)
    del old
    new = WebState(web_settings)
    dashboard.dashboard_view(new)
    assert new.loads == 1 and new.last_load_seconds > 0


def test_chat_does_not_wait_for_the_dashboard_cache(state, web_settings):
    """Reading a large store for the dashboard takes long; the chat must answer meanwhile."""
    demo = build_app(web_settings, state=state)
    reading, done = threading.Event(), threading.Event()

    def slow_read():
        with state._frame_lock:  # what a 100,000-item read holds for half a minute
            reading.set()
            done.wait(30)

    threading.Thread(target=slow_read, daemon=True).start()
    reading.wait(5)
    started = time.monotonic()
    try:
        answer = last(callback(demo, "ask")("What do customers say about pricing?", [], {}))
        assert "[1]" in answer[0][-1]["content"] and "none" in answer[5]
        assert time.monotonic() - started < 15  # the read holds its lock for 30 s
    finally:
        done.set()


@pytest.mark.server
def test_a_store_on_a_chroma_server(chroma_server, tmp_path):
    import uuid

    from conftest import web_test_settings

    settings = web_test_settings(tmp_path / "unused").model_copy(
        update={"chroma_url": chroma_server, "collection": f"web{uuid.uuid4().hex[:10]}"})
    state = WebState(settings)
    upload = tmp_path / "server.csv"
    upload.write_text("text,date,channel\nThe app crashes at checkout,2026-11-01,iOS\n"
                      "配送太慢了,2026-11-02,weibo\nPrices went up again,2026-11-03,email\n", encoding="utf-8")
    assert data.ingest_files(state, [str(upload)]).report.added == 3
    view = dashboard.dashboard_view(state)
    assert view.channels["count"].sum() == 3 and "**3** items" in view.summary
    assert len(explore.search_items(state, "checkout crash", k=2)) == 2

    other = FeedbackStore.open(settings)  # another process adds an item: the count changes, the frame follows
    other.upsert(["x1"], ["late again"], [{"ts": 1762560000, "lang": "en"}], other.embedder.embed_documents(["late"]))
    assert dashboard.dashboard_view(state).channels["count"].sum() == 4


# ---------------------------------------------------------------------------- explore
def test_search_filters_and_export(state, tmp_path):
    found = explore.search_items(state, "涨价 price increase", k=20, langs=["zh"])
    assert 0 < len(found) <= 20 and set(found["lang"]) == {"zh"}
    assert list(found["score"]) == sorted(found["score"], reverse=True)

    listed = explore.search_items(state, "", k=10, sentiments=["negative"], since="2026-10-01")
    assert len(listed) == 10 and set(listed["sentiment"]) == {"negative"} and (listed["date"] >= "2026-10-01").all()
    assert list(listed["priority"]) == sorted(listed["priority"], reverse=True)

    listed.loc[[1, 3], "select"] = "✓"
    path, n = explore.export_csv(state, listed, tmp_path)
    exported = pd.read_csv(path, encoding="utf-8-sig")
    assert n == 2 and list(exported["id"]) == [listed["id"][1], listed["id"][3]]
    assert {"text", "sentiment", "category", "theme_id", "priority", "channel", "date"} <= set(exported.columns)
    with pytest.raises(ConfigError, match="nothing to export"):
        explore.export_csv(state, listed.iloc[0:0], tmp_path)


# ---------------------------------------------------------------------------- data
def test_upload_counts_items_and_lists_rejected_rows(state, tmp_path):
    good = tmp_path / "new_tickets.csv"
    good.write_text("id,date,customer,text\n"
                    "n1,2026-11-05,C9001,The new price is far too expensive for a family of two\n"
                    "n2,not a date,C9002,Delivery came three hours late again\n"
                    "n3,2026-11-06,C9003,配送太慢了，等了三个小时\n"
                    "n4,2026-11-06,C9004,\n", encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    before = len(state.frame())
    loads = state.loads
    result = data.ingest_files(state, [str(good), str(broken)])
    assert result.report.added == 2 and "broken.json" in result.failed
    rejected = result.rejected()
    invalid = rejected[rejected["kind"] == "invalid"]
    assert list(invalid["file"]) == ["new_tickets.csv"] and list(invalid["row"]) == [3]
    assert "date" in invalid["field"].iloc[0] or "date" in invalid["reason"].iloc[0]
    assert "added **2**" in result.summary() and "broken.json" in result.summary()
    assert len(state.frame()) == before + 2 and state.loads == loads  # merged in, not read again
    merged = state.frame().set_index("id").sort_index()[["text", "ts", "customer_id", "sentiment", "tier"]]
    fresh = load_frame(FeedbackStore.open(state.settings)).set_index("id").sort_index()[merged.columns]
    assert merged.astype(str).equals(fresh.astype(str))  # the same frame as a full read

    again = data.ingest_files(state, [str(good)])
    assert again.report.added == 0 and again.report.duplicates + again.report.added == 2

    summary, _ = data.store_stats(state)
    assert f"**{before + 2:,}** items" in summary and "2 items are not analysed" in summary
    report = data.run_analysis(state)
    assert report.analysed == 2
    assert state.frame()["sentiment"].notna().all()
    with pytest.raises(ConfigError, match="choose one or more files"):
        data.ingest_files(state, [])


def test_upload_takes_every_format_the_cli_reads(state, tmp_path):
    import json

    rows = [{"text": "The courier left the box in the rain", "date": "2026-11-03", "channel": "email"},
            {"text": "客服回复很快，谢谢", "date": "2026-11-04", "channel": "wechat"}]
    files = {
        "a.jsonl": "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
        "b.json": json.dumps([{**r, "text": r["text"] + " (json)"} for r in rows], ensure_ascii=False),
        "c.tsv": "text\tdate\nPrices went up again\t2026-11-05\n",
        "d.txt": "One line per item from a plain export\nAnother line, another complaint about delivery\n",
    }
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["反馈", "日期"])
    book.active.append(["价格太贵了，考虑退订", "2026-11-06"])
    book.save(tmp_path / "e.xlsx")
    paths = [str(tmp_path / name) for name in [*files, "e.xlsx"]]
    result = data.ingest_files(state, paths)
    assert result.failed == {} and result.report.added == 2 + 2 + 1 + 2 + 1
    sources = state.frame()["source"].value_counts()
    assert {"a.jsonl": 2, "b.json": 2, "c.tsv": 1, "d.txt": 2, "e.xlsx": 1}.items() <= sources.to_dict().items()


def test_a_new_install_starts_empty_and_fills_from_an_upload(tmp_path):
    from conftest import web_test_settings

    settings = web_test_settings(tmp_path / "no-store-yet")
    state = WebState(settings)
    demo = build_app(settings, state=state)
    out = callback(demo, "dashboard_load")()
    assert "no feedback store" in out[-1] and "Data page" in out[-1]
    upload = tmp_path / "first.csv"
    upload.write_text("text,date\nThe app crashes at checkout,2026-11-01\n配送太慢了,2026-11-02\n", encoding="utf-8")
    result = data.ingest_files(state, [str(upload)])
    assert result.report.added == 2
    out = callback(demo, "dashboard_load")()
    assert out[-1] == "" and "**2** items" in out[3]


# ---------------------------------------------------------------------------- plans and replies
def test_plans_record_an_action_and_measure_it(state):
    choices = plans.demand_choices(state)
    assert choices and all(key != "unassigned" for _, key in choices)
    theme = choices[0][1]
    assert "priority" in plans.demand_breakdown(state, theme).lower()
    plans.record(state, theme, "2026-09-21", 28, "shipped a fix")
    plans.record(state, theme, "2027-03-01", 28, "")
    table = plans.effects(state)
    assert list(table["Action date"]) == ["2027-03-01", "2026-09-21"]
    later, measured = table.iloc[0], table.iloc[1]
    assert later["Outcome"] == "not measurable yet" and "must fall inside the data" in later["Verdict"]
    assert measured["Outcome"] in ("worked", "worse", "no change", "too few") and measured["Verdict"]
    assert measured["Note"] == "shipped a fix" and "→" in measured["Share before → after"]
    with pytest.raises(ConfigError, match="Action date"):
        plans.record(state, theme, "someday", 28, "")


def test_replies_show_the_customer_history(state):
    item_id = replies.item_choices(state)[0][1]
    card, customer = replies.item_card(state, item_id)
    assert item_id in card and "Sentiment" in card
    if customer:
        history = replies.history(state, customer)
        assert item_id in set(history["id"]) and list(history["date"]) == sorted(history["date"], reverse=True)
    with pytest.raises(ConfigError, match="no feedback from customer"):
        replies.history(state, "nobody-42")


# ---------------------------------------------------------------------------- callbacks of the built app
def test_callbacks_turn_errors_into_messages(state, web_settings):
    demo = build_app(web_settings, state=state)
    out = callback(demo, "dashboard")("2026-13-45", "", [], [], [], "week")
    assert out[-1].startswith("⚠️ From:") and "Traceback" not in out[-1]
    out = last(callback(demo, "ask")("   ", [], {}))
    assert out[-1] == "⚠️ type a question first"
    out = last(callback(demo, "plan")(None, "", ""))
    assert "pick a demand first" in out[-1]


def test_chat_streams_a_cited_answer(state, web_settings):
    demo = build_app(web_settings, state=state)
    steps = list(callback(demo, "ask")("What do customers say about pricing?", [], {}))
    messages, _, sources, evidence, card, backend, _ = steps[-1]
    assert messages[0] == {"role": "user", "content": "What do customers say about pricing?"}
    assert any(m.get("metadata", {}).get("title", "") == "Looked up search_feedback" for m in messages)
    answer = messages[-1]["content"]
    assert "[1]" in answer and "none" in backend
    choices = sources["choices"]
    assert len(choices) >= 3 and choices[0][0].startswith("[1]")
    first = choices[0][1]
    assert first in evidence and f"#{first}" in card and evidence[first]["text"][:20] in card.replace("&#x27;", "'")
    opened = callback(demo, "open_source")(choices[1][1], evidence)
    assert f"#{choices[1][1]}" in opened

    # a follow-up keeps the conversation
    follow = last(callback(demo, "ask")("客户最近最关心什么问题？", messages, evidence))
    assert follow[0][0]["content"].startswith("What do customers") and "反馈" in follow[0][-1]["content"]


def test_chat_streams_tokens_from_an_openai_compatible_endpoint(web_settings, openai_standin):
    openai_standin.script("Pricing complaints are led by the price rise, mostly from long-time customers [1].")
    settings = web_settings.model_copy(update={"llm_backend": "openai", "llm_base_url": openai_standin.url,
                                               "llm_max_retries": 0})
    demo = build_app(settings, state=WebState(settings))
    texts, step = [], None
    for step in callback(demo, "ask")("top pricing complaints", [], {}):
        texts.append(step[0][-1]["content"])  # read at each step, as the browser receives it
    final, backend = texts[-1], step[5]
    assert "price rise" in final and "[1]" in final and "openai" in backend
    partial = [t for t in texts[:-1] if t not in ("…", final)]
    assert partial and all(final.startswith(t.rstrip("…").strip()[:10]) for t in partial)  # it streamed
    assert step[2]["choices"]  # the citation is listed


def test_a_question_the_agent_cannot_answer_is_explained_in_the_chat(web_settings):
    from assistant.agent.types import Event, ToolCall

    class Refusing:
        backend = "none"

        def stream(self, question, history=None):
            yield Event("tool", ToolCall("evaluate_effect", {"query": "android checkout"}))
            raise ConfigError("give the date of the action (e.g. 'after the fix on 2026-09-21')")

    state = WebState(web_settings, assistant_factory=lambda _: Refusing())
    demo = build_app(web_settings, state=state)
    messages, *_, status = last(callback(demo, "ask")("Did the Android fix work?", [], {}))
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant"]
    assert messages[1]["metadata"]["title"] == "Looked up evaluate_effect"
    assert messages[2]["content"] == status == "⚠️ give the date of the action (e.g. 'after the fix on 2026-09-21')"


def test_reply_and_plan_drafts_stream(state, web_settings):
    demo = build_app(web_settings, state=state)
    item_id = replies.item_choices(state)[0][1]
    text, card, status = last(callback(demo, "reply")(item_id, None, "formal"))
    assert text and "needs a language model" in status and item_id in card
    theme = plans.demand_choices(state)[0][1]
    text, evidence, breakdown, status = last(callback(demo, "plan")(theme, "", ""))
    assert len(text) > 100 and "[1]" in text and len(evidence) >= 1 and "priority" in breakdown.lower()


# ---------------------------------------------------------------------------- serving
def test_login_is_required_off_loopback(web_settings):
    assert login_for(web_settings, "127.0.0.1") is None and login_for(web_settings, "localhost") is None
    with pytest.raises(ConfigError, match="ASSISTANT_UI_USERNAME"):
        login_for(web_settings, "0.0.0.0")
    from pydantic import SecretStr

    secured = web_settings.model_copy(update={"ui_username": "pm", "ui_password": SecretStr("s3cret")})
    assert login_for(secured, "0.0.0.0") == ("pm", "s3cret")
    half = web_settings.model_copy(update={"ui_username": "pm"})
    with pytest.raises(ConfigError, match="both"):
        login_for(half, "127.0.0.1")


def test_cli_refuses_an_open_host_without_login(run_cli, web_settings):
    code, _, err = run_cli("--store", str(web_settings.store), "ui", "--host", "0.0.0.0", "--port", "7999")
    assert code == 2 and err.count("\n") == 1 and "ASSISTANT_UI_PASSWORD" in err


def test_cli_help_does_not_import_gradio():
    code = ("import sys; from assistant.cli import cli; from click.testing import CliRunner; "
            "r = CliRunner().invoke(cli, ['ui', '--help']); assert r.exit_code == 0, r.output; "
            "assert '--host' in r.output; assert 'gradio' not in sys.modules, 'gradio imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_served_app_answers_gradio_client(state, web_settings, tmp_path):
    from conftest import _free_port
    from gradio_client import Client, handle_file

    demo = build_app(web_settings, state=state)
    demo.queue()
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        out = client.predict("2026-09-01", "", [], [], [], "week", api_name="/dashboard")
        summary, volume = out[0], out[1]
        assert "items" in summary and volume["columns"] == ["start", "category", "count"]
        assert min(row[0] for row in volume["data"]) == "2026-08-31" and sum(row[2] for row in volume["data"]) > 50
        found, status = client.predict("price went up", 5, "", "", [], [], ["en"], [], api_name="/search")
        assert len(found["data"]) == 5 and "nearest to" in status
        upload = tmp_path / "upload.csv"
        upload.write_text("text,date\nThe app crashes when I pay,2026-11-07\nLove the new recipes,2026-11-07\n",
                          encoding="utf-8")
        summary, _, _, _, status = client.predict([handle_file(str(upload))], "", True,
                                                            api_name="/ingest")
        assert "added **2**" in summary and "Run analysis" in status
        answer = client.predict("What are the top customer demands right now?", [], api_name="/ask")
        content = answer[0][-1]["content"]  # the client returns message parts
        text = content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
        assert "Top" in text and "[1]" in text
    finally:
        demo.close()
