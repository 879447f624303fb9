"""One filter layer: the CLI, the web app's pages and the agent select the same items for the same filters."""

from __future__ import annotations

import json

import pytest

from assistant.analysis.filters import Filters, filter_frame
from assistant.analysis.frame import frame_from_rows, load_frame
from assistant.store import FeedbackStore
from assistant.web import dashboard, explore
from assistant.web.state import WebState


def test_values_match_in_any_case_and_a_tuple_means_any_of_them():
    frame = frame_from_rows([
        {"id": "a", "ts": 100, "category": "pricing", "channel": "iOS", "lang": "en"},
        {"id": "b", "ts": 200, "category": "Pricing", "channel": "email", "lang": "zh"},
        {"id": "c", "ts": 300, "category": "delivery", "channel": "ios", "lang": "en"},
        {"id": "d", "ts": None, "category": None, "channel": "email", "lang": "en"},
    ])

    def ids(**given):
        return sorted(filter_frame(frame, Filters(**given))["id"])

    assert ids(category="PRICING") == ids(category="pricing") == ["a", "b"]
    assert ids(channel="IOS") == ["a", "c"] and ids(channel=["iOS", "EMAIL"]) == ["a", "b", "c", "d"]
    assert ids(channel=[]) == ids() == ["a", "b", "c", "d"]  # nothing chosen: no filter
    assert ids(since=200) == ["b", "c"] and ids(until=200) == ["a"]  # until is exclusive; undated items drop out
    assert ids(tier="enterprise") == []
    assert Filters(channel=["b", "a"]) == Filters(channel=("b", "a")) and hash(Filters(channel=["a"]))
    assert Filters(until=200).inclusive_until() == 199 and Filters().inclusive_until() is None


def test_a_where_selects_the_stored_spellings():
    stored = frame_from_rows([{"id": "a", "category": "pricing"}, {"id": "b", "category": "Pricing"},
                              {"id": "c", "channel": "iOS"}])
    assert Filters(category="PRICING").where(stored) == {"category": {"$in": ["Pricing", "pricing"]}}
    assert Filters(channel="ios", since=5, until=9).where(stored) == {
        "$and": [{"ts": {"$gte": 5}}, {"ts": {"$lt": 9}}, {"channel": "iOS"}]}
    assert Filters(channel="Email").where() == {"channel": "Email"}  # without the stored values: as typed
    assert Filters().where() is None


def test_demands_category_is_matched_in_any_case(run_cli, web_settings):
    runs = [run_cli("--store", web_settings.store, "demands", "--category", name, "--json", "-n", "50")
            for name in ("pricing", "Pricing", "PRICING")]
    assert all(code == 0 for code, _, _ in runs), runs[0][2]
    ranked = [json.loads(out) for _, out, _ in runs]
    assert ranked[0] and ranked[0] == ranked[1] == ranked[2]
    assert {d["category"] for d in ranked[0]} == {"pricing"}


def test_the_dashboard_explore_and_the_cli_select_the_same_items(run_cli, web_settings):
    state = WebState(web_settings)
    window = {"since": "2026-09-01", "until": "2026-09-30"}
    view = dashboard.dashboard_view(state, **window, categories=["Pricing"])
    code, out, err = run_cli("--store", web_settings.store, "demands", "--since", window["since"], "--until",
                             window["until"], "--category", "Pricing", "--json", "-n", str(dashboard.TOP_DEMANDS))
    assert code == 0, err
    cli = json.loads(out)
    assert cli and list(view.demands["Theme id"]) == [d["key"] for d in cli]
    assert list(view.demands["Items"]) == [d["count"] for d in cli]
    assert list(view.demands["Priority"]) == [round(d["priority"], 1) for d in cli]

    # explore: the listing and a search by meaning select exactly what the agent's filters select
    from assistant.text.timeparse import parse_day

    chosen = Filters(since=parse_day("2026-09-01"), until=parse_day("2026-09-30", end=True), category="pricing",
                     lang="zh")
    expected = set(filter_frame(load_frame(FeedbackStore.open(web_settings)), chosen)["id"])
    assert expected
    listed = explore.search_items(state, "", k=1000, **window, categories=["PRICING"], langs=["ZH"])
    assert set(listed["id"]) == expected
    found = explore.search_items(state, "price", k=len(expected) + 20, **window, categories=["Pricing"], langs=["zh"])
    assert set(found["id"]) == expected
    assert view.channels["count"].sum() == len(filter_frame(state.frame(), Filters(
        since=chosen.since, until=chosen.until, category="pricing")))


@pytest.fixture
def shanghai_store(run_cli, tmp_path, monkeypatch):
    """Four items around the end of 2 March 2026 in Asia/Shanghai (UTC+8), all in one theme."""
    monkeypatch.setenv("ASSISTANT_TIMEZONE", "Asia/Shanghai")
    csv = tmp_path / "late.csv"
    csv.write_text("id,date,text\n"
                   "c,2026-03-01 08:00,The parcel came two days late\n"
                   "a,2026-03-02 23:30,Delivery was late again tonight\n"  # 15:30 UTC on the 2nd
                   "d,2026-03-03 07:00,Late delivery this morning\n"  # 23:00 UTC on the 2nd: the 3rd here
                   "b,2026-03-03,The courier was late once more\n",  # local midnight: the 3rd
                   encoding="utf-8")
    store = tmp_path / "store"
    code, _, err = run_cli("--store", store, "ingest", csv, "--embedder", "hashing")
    assert code == 0, err
    from assistant.settings import load_settings

    feedback = FeedbackStore.open(load_settings(store=store))
    ids = [i for i, _ in feedback.metadatas()]
    feedback.update_metadata(ids, [{"theme_id": "t1", "theme_label": "late delivery", "category": "delivery"}
                                   for _ in ids])
    return store


def test_a_bare_until_date_is_the_whole_local_day(run_cli, shanghai_store):
    code, out, err = run_cli("--store", shanghai_store, "demands", "--until", "2026-03-02", "--json")
    assert code == 0, err
    assert [d["count"] for d in json.loads(out)] == [2]  # the 1st and 23:30 on the 2nd; nothing of the 3rd
    code, out, _ = run_cli("--store", shanghai_store, "search", "late", "--until", "2026-03-02", "--json")
    assert sorted(h["text"][:10] for h in json.loads(out)) == ["Delivery w", "The parcel"]
    code, out, _ = run_cli("--store", shanghai_store, "demands", "--since", "2026-03-03", "--json")
    assert [d["count"] for d in json.loads(out)] == [2]
