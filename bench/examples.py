"""Transcripts of the assistant on the sample data, for docs/examples.md.

    python bench/examples.py [--store DIR] [--backends none,local]

Asks the questions the product must answer (the agent issue lists them) with each available backend,
drafts a reply to an English and a Chinese customer and a plan for the price-increase demand, and writes
every answer with its tool calls, citations (with the cited text) and timing to docs/examples.md.
Nothing is edited by hand: rerun to refresh.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import DOCS, machine  # noqa: E402
from bench.sample_events import sample_store  # noqa: E402

AS_OF = "2026-09-10T23:59:00+00:00"
QUESTIONS = [  # (question, as-of): the effect question is asked a month after the fix
    ("top pricing complaints this week", AS_OF),
    ("what do enterprise customers complain about most?", AS_OF),
    ("上周关于物流/配送的投诉有哪些?", AS_OF),
    ("did complaints about the Android checkout crash drop after the fix on 2026-09-21?", "2026-10-25T23:59:00+00:00"),
    ("What do customers praise this week?", AS_OF),
    ("what are the top complaints about the delivery window this month?", AS_OF),
    ("最近三天关于客服态度的投诉有哪些?", AS_OF),
]


def _quote(text: str, limit: int = 150) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _block(title: str, command: str, result, seconds: float) -> list[str]:
    lines = [f"### {title}", "", f"```\n$ {command}\n```", ""]
    calls = getattr(result, "tool_calls", None)
    if calls:
        lines += ["Tool calls: " + "; ".join(f"`{c.name}({', '.join(f'{k}={v!r}' for k, v in c.arguments.items())})`"
                                              for c in calls), ""]
    text = getattr(result, "answer", None) or getattr(result, "text", "")
    lines += ["> " + line if line.strip() else ">" for line in text.strip().splitlines()]
    lines.append("")
    if result.citations:
        lines.append("Citations:")
        lines.append("")
        for item in result.citations:
            ev = result.evidence.get(item, {})
            bits = ", ".join(str(b) for b in (ev.get("date"), ev.get("channel"), ev.get("customer_id"),
                                             ev.get("sentiment"), ev.get("category")) if b)
            lines.append(f"- [{ev.get('marker', '?')}] `{item}` ({bits}): “{_quote(ev.get('text'))}”")
        lines.append("")
    for note in result.notices:
        lines.append(f"_Notice: {note}_  ")
    lines += [f"_Backend: {result.backend}; {seconds:.1f} s._", ""]
    return lines


def transcript(name: str, settings, chain, now: datetime) -> list[str]:
    """One backend's section: each question asked, a reply to a negative customer in each language, a plan."""
    from assistant.agent import Assistant

    assistant = Assistant(settings, now=now, backends=chain)
    out = [f"## Backend: {chain[0].label}", ""]
    flag = f" --backend {name}"
    for question, as_of in QUESTIONS:
        start = time.perf_counter()
        asker = Assistant(settings, now=datetime.fromisoformat(as_of), backends=chain)
        answer = asker.ask(question)
        out += _block(question, f'assistant ask "{question}" --as-of {as_of[:10]}{flag}', answer,
                      time.perf_counter() - start)
        print(f"{name}: {question}: {time.perf_counter() - start:.1f} s")
    frame = assistant.ctx.frame()
    for lang in ("en", "zh"):
        rows = frame[(frame["sentiment"] == "negative") & (frame["lang"] == lang) & frame["customer_id"].notna()
                     & frame["tier"].notna()]
        customer = rows["customer_id"].value_counts().index[0]
        start = time.perf_counter()
        draft = assistant.reply(customer_id=customer)
        out += _block(f"Reply to customer {customer} ({lang})", f"assistant reply --customer '{customer}'{flag}",
                      draft, time.perf_counter() - start)
    theme = frame[frame["theme_label"].astype("string").str.contains("price increase", na=False)]["theme_id"]
    target = {"theme": theme.iloc[0]} if len(theme) else {"category": "pricing"}
    start = time.perf_counter()
    draft = assistant.plan(**target, since="2026-09-01", until="2026-09-30")
    arg = f"--theme {target['theme']}" if "theme" in target else "--category pricing"
    out += _block("Plan for the price-increase demand", f"assistant plan {arg} --since 2026-09-01 "
                  f"--until 2026-09-30{flag}", draft, time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="an analysed store of the sample (built when missing)")
    parser.add_argument("--backends", default="local,none")
    args = parser.parse_args()

    from assistant.llm import get_backends
    from assistant.settings import Settings

    store_dir, _tmp = sample_store(args.store)
    now = datetime.fromisoformat(AS_OF).astimezone(timezone.utc)
    out = ["# Examples", "",
           "Transcripts of `assistant` on the bundled sample data (`make demo` builds the same store), written "
           f"by `bench/examples.py` on {machine()}. The sample covers 2026-08-03 to 2026-11-08, so questions are "
           "asked `--as-of 2026-09-10` (the week of the planted price increase), and the question about the fix "
           "of 2026-09-21 a month later. Citations are the feedback "
           "ids the tools returned; `[n]` in an answer points at the citation with that marker.", ""]
    for name in args.backends.split(","):
        settings = Settings(store=store_dir, llm_backend=name)
        chain = get_backends(settings)
        if chain[0].name != name:
            print(f"{name}: not available, skipped")
            continue
        out += transcript(name, settings, chain, now)
    (DOCS / "examples.md").write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {DOCS / 'examples.md'}")


if __name__ == "__main__":
    main()
