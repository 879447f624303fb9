"""Agent latency and grounding per backend, on the analysed sample store.

    python bench/agent.py [--store DIR] [--backends none,local] [--as-of 2026-09-10]

For each available backend (no model; the packaged local model; an OpenAI-compatible endpoint when
ASSISTANT_LLM_BASE_URL is set) it asks a fixed set of English and Chinese questions and records the time
to the first streamed token and to the full answer (median and p95), whether the expected tool ran,
and whether every cited item satisfies the question's own filters (time window, category, tier,
channel, sentiment: written below from the question, not from what the agent chose). The model is
loaded once before timing (its load time is reported on its own). Writes docs/benchmarks.md#agent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import write_section  # noqa: E402
from bench.sample_events import sample_store  # noqa: E402

# question, expected tool(s), filters every cited item must satisfy (dates inclusive), with as-of 2026-09-10
QUESTIONS = [
    ("top pricing complaints this week", {"top_demands"},
     {"since": "2026-09-07", "until": "2026-09-10", "category": "pricing", "sentiment": "negative"}),
    ("what do enterprise customers complain about most?", {"top_demands"},
     {"tier": "enterprise", "sentiment": "negative"}),
    ("上周关于物流/配送的投诉有哪些?", {"search_feedback"},
     {"since": "2026-08-31", "until": "2026-09-06", "sentiment": "negative"}),
    ("did complaints about the Android checkout crash drop after the fix on 2026-09-21?", {"evaluate_effect"},
     {"since": "2026-08-24", "until": "2026-10-18", "as_of": "2026-10-25T23:59:00+00:00"}),
    ("本月关于价格的投诉", {"search_feedback", "top_demands"},
     {"since": "2026-09-01", "until": "2026-09-10", "sentiment": "negative"}),
    ("what did people on weibo say about the price increase?", {"search_feedback"}, {"channel": "weibo"}),
    ("最近三天有哪些负面反馈?", {"search_feedback"},
     {"since": "2026-09-08", "until": "2026-09-10", "sentiment": "negative"}),
    ("which issues are spiking?", {"trends"}, {}),
    ("what do customers say about the recipes in the last 30 days?", {"search_feedback"},
     {"since": "2026-08-12", "until": "2026-09-10"}),
    ("top demands in August", {"top_demands"}, {"since": "2026-08-01", "until": "2026-08-31"}),
]


def satisfied(row, filters: dict) -> bool:
    date = str(row.get("date") or "")
    filters = {k: v for k, v in filters.items() if k != "as_of"}
    if "since" in filters and not date >= filters["since"]:
        return False
    if "until" in filters and not date <= filters["until"]:
        return False
    for key in ("category", "tier", "channel", "sentiment"):
        if key in filters and str(row.get(key) or "").lower() != filters[key]:
            return False
    return True


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_backend(settings, chain, now) -> dict:
    from assistant.agent import Assistant

    assistant = Assistant(settings, now=now, backends=chain)
    later = {}
    frame = assistant.ctx.frame().set_index("id")
    load = None
    if chain[0].chat_model is not None:
        start = time.perf_counter()
        chain[0].chat_model.invoke("Say OK.", max_tokens=2)
        load = time.perf_counter() - start
    rows = []
    for question, tools, filters in QUESTIONS:
        start = time.perf_counter()
        first = None
        answer = None
        asker = assistant
        if "as_of" in filters:  # asked after the action it is about
            asker = later.setdefault(filters["as_of"], Assistant(
                settings, now=datetime.fromisoformat(filters["as_of"]), backends=chain))
        for event in asker.stream(question):
            if event.kind == "token" and first is None:
                first = time.perf_counter() - start
            if event.kind == "done":
                answer = event.data
        total = time.perf_counter() - start
        cited = [frame.loc[i].to_dict() for i in answer.citations if i in frame.index]
        rows.append({
            "question": question, "first": first if first is not None else total, "total": total,
            "tool": answer.tool_calls[0].name if answer.tool_calls else None,
            "tool_ok": bool(answer.tool_calls) and answer.tool_calls[0].name in tools,
            "cited": len(cited), "grounded": bool(cited) and all(satisfied(r, filters) for r in cited),
            "backend": answer.backend, "fell_back": any("failed" in n for n in answer.notices),
            "facts_only": any("not in the data" in n for n in answer.notices),
        })
        print(f"  {total:6.1f} s (first token {rows[-1]['first']:5.1f} s)  {rows[-1]['tool']:<16} "
              f"cited {len(cited):>2} {'ok' if rows[-1]['grounded'] else 'NOT within filters'}  {question}")
    return {"load": load, "rows": rows}


def agent_section(results: dict[str, dict]) -> str:
    """The docs/benchmarks.md section from each backend's figures (run_backend)."""
    lines = ["Questions asked with `--as-of 2026-09-10` on the analysed sample store (`bench/agent.py`); "
             "*grounded* = every cited item satisfies the question's own filters (window, category, tier, "
             "channel, negative), checked against the store; *model's wording kept* = answers where the model's "
             "text passed the figure check (otherwise the answer is the tools' facts, with a notice).", "",
             "| backend | model load | first token median / p95 | full answer median / p95 | expected tool | "
             "grounded answers | model's wording kept |", "|---|---|---|---|---|---|---|"]
    for label, res in results.items():
        rows = res["rows"]
        first, total = [r["first"] for r in rows], [r["total"] for r in rows]
        load = f"{res['load']:.1f} s" if res["load"] is not None else "-"
        kept = "-" if label.startswith("none") else f"{sum(not r['facts_only'] for r in rows)}/{len(rows)}"
        lines.append(f"| {label} | {load} | {statistics.median(first):.1f} / {pct(first, .95):.1f} s | "
                     f"{statistics.median(total):.1f} / {pct(total, .95):.1f} s | "
                     f"{sum(r['tool_ok'] for r in rows)}/{len(rows)} | {sum(r['grounded'] for r in rows)}/{len(rows)} | "
                     f"{kept} |")
    lines += ["", "Per question (last backend listed first):", "",
              "| question | backend | first token | full | tool | cited | grounded |", "|---|---|---|---|---|---|---|"]
    for label, res in reversed(list(results.items())):
        for r in res["rows"]:
            lines.append(f"| {r['question']} | {label.split(':')[0].split(' ')[0]}{' (model routing)' if 'routing: model' in label else ''} | {r['first']:.1f} s | {r['total']:.1f} s | "
                         f"{r['tool']} | {r['cited']} | {'yes' if r['grounded'] else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="an analysed store of the sample (built when missing)")
    parser.add_argument("--backends", default="none,local,local+model,openai",
                        help="backends to try if available; +model routes every request through the model step")
    parser.add_argument("--as-of", default="2026-09-10T23:59:00+00:00")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from assistant.llm import get_backends
    from assistant.settings import Settings

    store_dir, _tmp = sample_store(args.store)
    now = datetime.fromisoformat(args.as_of).astimezone(timezone.utc)
    results = {}
    for entry in args.backends.split(","):
        name, _, routing = entry.partition("+")  # "local+model": every request routed by the model step
        settings = Settings(store=store_dir, llm_backend=name, agent_routing=routing or "auto")
        chain = get_backends(settings)
        if chain[0].name != name or (name == "openai" and not settings.llm_base_url):
            print(f"{name}: not available (set ASSISTANT_LLM_BASE_URL for an OpenAI-compatible endpoint), skipped")
            continue
        label = chain[0].label + (f" (routing: {routing})" if routing else "")
        print(f"{label}:")
        results[label] = run_backend(settings, chain, now)

    body = agent_section(results)
    print("\n" + body)
    if not args.no_write:
        write_section("benchmarks.md", "agent", body)


if __name__ == "__main__":
    main()
