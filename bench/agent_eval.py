"""The assistant's answers judged on real data, per model backend: tools, filters, citations, faithfulness.

    python bench/agent_eval.py [--stores DIR] [--data ../shared/data] [--backends none,local,openai]
                               [--only cfpb,semeval,shopping] [--limit N] [--no-write]

Three stores, built as a user would build them (kept under --stores; re-runs reuse the ingest and the analysis):
1. cfpb: the CFPB complaints with a narrative (1,532), ingested with `--text-col "Consumer complaint narrative"
   --time-col "Date received" --id-col "Complaint ID" --channel-col "Submitted via"`, Product, Issue, Company and
   State kept as metadata (a complaints team has them), analysed with consumer_finance.example.yaml.
2. semeval: SemEval-2014 restaurant sentences (3,041), analysed with restaurant.example.yaml. The data has no
   dates: each sentence gets a synthetic, deterministic one (a fixed shuffle spread over the six weeks
   2024-03-04 .. 2024-04-14). Aspect categories and polarities stay out of the store (hidden gold, joined by id).
3. shopping: online_shopping_9_cats, 222 reviews per product type drawn with random_state=0 (1,998), the type
   kept as the `product` column, synthetic dates over 2023-10-09 .. 2023-11-19 as above, `label` hidden gold.
Default embedder (e5, multilingual).

The questions (bench/agent_eval_questions.py, 55, 23 in Chinese) were written before any answer was seen;
each has the tools that can answer it, the filters it asks for and a gold predicate over the items it may cite.
Backends: `none`; `local` (the packaged GGUF in-process); `openai` = llama-cpp-python's own OpenAI-compatible
server, started here on 127.0.0.1 with the packaged GGUF and stopped at the end. Each question is asked with
`Assistant(settings, now=<as_of, end of day>).stream(question)`. Per backend:
- tool accuracy: an expected tool ran;
- filter accuracy: every filter the question asks for is in the tool's arguments and none it did not ask for
  (window within a day, category, channel, sentiment/complaints, topic, action date; lang/tier/product extras;
  a topic that names a product type counts as applied when the product column is filtered to it, and a
  product filter whose value the question itself names counts as asked for);
- citation precision: share of cited items inside the question's window that satisfy its gold predicate;
- faithfulness, computed here and not by the product's own check: every number in the answer (outside quotes
  and [n] markers; dates as one token) appears in the facts the answer was allowed to draw on (`Answer.facts`,
  or the tool calls and cited items when it is absent), the cited items or the question; every passage quoted
  in “…”, "…", 「…」 or ‘…’ is a substring of a cited item (whitespace and case normalised; the question's own
  words, and a short quoted name of four words or less that is in the facts, are accepted);
- content: at least one sentence of 4+ words (6+ Chinese characters) besides markers and quotes that is not a
  string of keywords; "nothing found": where no stored item satisfies the window and gold predicate, the answer
  cites nothing and says so;
- latency: first streamed token and full answer, median and p95 (model load measured apart).
Writes docs/quality.md section "agent-eval" and <stores>/agent-eval-<backend>.jsonl (one row per question).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import write_section  # noqa: E402
from bench.agent_eval_questions import QUESTIONS, Question  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TAXONOMIES = {"cfpb": ROOT / "assistant" / "taxonomies" / "consumer_finance.example.yaml",
              "semeval": ROOT / "assistant" / "taxonomies" / "restaurant.example.yaml", "shopping": None}
TARGETS = {"tool": 0.90, "filter": 0.90, "precision": 0.90, "faithful": 1.0, "first": 5.0, "total": 30.0}
SHOPPING_PER_TYPE = 222


# =========================================================================== stores
def _window_dates(start: date, days: int, n: int, seed: int) -> list[str]:
    """n deterministic timestamps spread evenly over `days` days from `start`, in a fixed shuffled order."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    stamps = [""] * n
    for rank, i in enumerate(order):
        day = start + timedelta(days=rank * days // max(1, n))
        minute = 8 * 60 + (rank * 37) % (13 * 60)  # 08:00 .. 21:00
        stamps[i] = f"{day.isoformat()} {minute // 60:02d}:{minute % 60:02d}"
    return stamps


def prepare_cfpb(data: Path, folder: Path):
    """Input CSV with the columns a complaints team has; gold by Complaint ID."""
    import pandas as pd

    source = data / "cfpb" / "complaints_sample.csv"
    if not source.exists():
        return None
    raw = pd.read_csv(source, dtype=str)
    raw = raw[raw["Consumer complaint narrative"].fillna("").str.strip() != ""]
    path = folder.parent / "cfpb_input.csv"
    raw[["Complaint ID", "Date received", "Consumer complaint narrative", "Submitted via", "Product", "Issue",
         "Company", "State"]].to_csv(path, index=False)
    gold = {str(r["Complaint ID"]): {"product": r["Product"], "issue": r["Issue"], "sub_issue": r["Sub-issue"],
                                     "state": r["State"], "company": r["Company"], "channel": r["Submitted via"]}
            for _, r in raw.iterrows()}
    overrides = {"text": "Consumer complaint narrative", "time": "Date received", "id": "Complaint ID",
                 "channel": "Submitted via"}
    return path, overrides, gold


def prepare_semeval(data: Path, folder: Path):
    import xml.etree.ElementTree as ET

    import pandas as pd

    source = data / "semeval2014" / "Restaurants_Train_v2.xml"
    if not source.exists():
        return None
    rows, gold = [], {}
    for s in ET.parse(source).getroot().iter("sentence"):
        sid = f"r{s.get('id')}"
        rows.append({"id": sid, "text": s.findtext("text")})
        gold[sid] = {"aspects": [(c.get("category"), c.get("polarity")) for c in s.iter("aspectCategory")]}
    frame = pd.DataFrame(rows)
    frame["date"] = _window_dates(date(2024, 3, 4), 42, len(frame), seed=2014)
    path = folder.parent / "semeval_input.csv"
    frame.to_csv(path, index=False)
    return path, {"text": "text", "time": "date", "id": "id"}, gold


def prepare_shopping(data: Path, folder: Path):
    import pandas as pd

    source = data / "chinese" / "online_shopping_9_cats.csv"
    if not source.exists():
        return None
    raw = pd.read_csv(source, dtype={"cat": str, "label": int, "review": str})
    raw = raw[raw["review"].fillna("").str.strip() != ""]
    sample = raw.groupby("cat", group_keys=False).sample(n=SHOPPING_PER_TYPE, random_state=0).sort_index()
    sample = sample.assign(id=[f"s{i}" for i in sample.index], product=sample["cat"])
    sample["date"] = _window_dates(date(2023, 10, 9), 42, len(sample), seed=9)
    path = folder.parent / "shopping_input.csv"
    sample[["id", "review", "product", "date"]].to_csv(path, index=False)  # label stays out
    gold = {r.id: {"cat": r.cat, "label": int(r.label)} for r in sample.itertuples()}
    return path, {"text": "review", "time": "date", "id": "id", "product": "product"}, gold


PREPARE = {"cfpb": prepare_cfpb, "semeval": prepare_semeval, "shopping": prepare_shopping}


def build_store(name: str, data: Path, stores: Path):
    """Ingest (idempotent) and analyse (incremental) one store; returns (settings, gold frame) or None."""
    from assistant.analysis.frame import load_frame
    from assistant.analysis.run import analyze_store
    from assistant.ingest.pipeline import ingest_paths
    from assistant.settings import Settings
    from assistant.store import FeedbackStore

    folder = stores / name
    folder.mkdir(parents=True, exist_ok=True)
    prepared = PREPARE[name](data, folder)
    if prepared is None:
        print(f"{name}: skipped, its data is not under {data} (the shared development data is not in the repository)")
        return None
    path, overrides, gold = prepared
    taxonomy = TAXONOMIES[name]
    build = Settings(_env_file=None, store=folder, taxonomy=taxonomy)
    started = time.perf_counter()
    report = ingest_paths([str(path)], build, overrides=overrides, progress=False)
    store = FeedbackStore.open(build)
    print(f"{name}: ingest read {report.read:,}, added {report.added:,}, set aside {len(report.rejected):,} "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    started = time.perf_counter()
    analysed = analyze_store(store, build, progress=False)
    print(f"{name}: analysed {analysed.items:,} items ({time.perf_counter() - started:.0f} s)", flush=True)
    frame = load_frame(store)
    source_ids = _source_ids(store)
    frame["gold"] = frame["id"].map(lambda i: gold.get(source_ids.get(i)))
    missing = int(frame["gold"].isna().sum())
    if missing:
        print(f"{name}: {missing} stored items have no gold row")
    return {"folder": folder, "frame": frame.set_index("id", drop=False), "items": len(frame),
            "taxonomy": taxonomy, "rejected": len(report.rejected)}


def _source_ids(store) -> dict[str, str]:
    """Store id -> the source's own id (ingest keeps the id column)."""
    out = {}
    for item in store.iter_items():
        meta = item.metadata
        out[item.id] = str(meta.get("source_id") or meta.get("x_id") or "")
    return out


# =========================================================================== the gold side of a question
def gold_row(row) -> dict:
    out = dict(row["gold"] or {})
    out.update(text=row["text"], date=str(row["date"]))
    return out


def in_window(q: Question, day: str) -> bool:
    if q.action_date:  # effect questions cite before/after evidence around the action
        return True
    return (q.since is None or day >= q.since) and (q.until is None or day <= q.until)


def gold_items(q: Question, frame) -> int:
    """How many stored items satisfy the question's window and predicate (0: the right answer is 'nothing')."""
    asked = q.as_of
    return sum(1 for _, row in frame.iterrows()
               if str(row["date"]) <= asked and in_window(q, str(row["date"])) and q.gold(gold_row(row)))


# =========================================================================== filters
def _day(value) -> date | None:
    """An argument's date; an exclusive midnight end ('2019-04-01T00:00:00') is read as the day before."""
    if not value:
        return None
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
        return date(int(m[1]), int(m[2]), int(m[3])) if m else None
    return moment.date()


def _until_day(value) -> date | None:
    if not value:
        return None
    text = str(value)
    day = _day(text)
    if day and len(text) > 10 and re.search(r"T00:00(:00)?", text):
        return day - timedelta(days=1)
    return day


def _args_of(answer, q: Question) -> tuple[str | None, dict]:
    """The call that answers the question: the first of an expected tool, else the first call."""
    calls = list(answer.tool_calls or [])
    for call in calls:
        if call.name in q.tools:
            return call.name, dict(call.arguments or {})
    return (calls[0].name, dict(calls[0].arguments or {})) if calls else (None, {})


def _low(value) -> str:
    return str(value or "").strip().lower()


TOPIC_KEYS = ("topic", "query", "theme")


def check_filters(q: Question, answer, facts: list[dict]) -> list[str]:
    """What is wrong with the filters the answering call ran with (empty: right)."""
    tool, args = _args_of(answer, q)
    if tool is None:
        return ["no tool call"]
    wrong = []
    allow = {k: {_low(v) for v in vs} for k, vs in q.allow.items()}
    as_of = date.fromisoformat(q.as_of)
    since, until = _day(args.get("since")), _until_day(args.get("until"))
    if until is not None and until >= as_of and since is None:
        until = None  # "up to now" restricts nothing
    if q.since or q.until:
        want_since = date.fromisoformat(q.since) if q.since else None
        want_until = date.fromisoformat(q.until) if q.until else None
        if want_since and (since is None or abs((since - want_since).days) > 1):
            wrong.append(f"since {args.get('since')} (asked {q.since})")
        if want_until and want_until < as_of and (until is None or abs((until - want_until).days) > 1):
            wrong.append(f"until {args.get('until')} (asked {q.until})")
    elif (since is not None or until is not None) and tool != "evaluate_effect":
        wrong.append(f"window {args.get('since')}..{args.get('until')} not asked")
    topic_arg = next((str(args[k]) for k in TOPIC_KEYS if args.get(k)), "")
    # category
    category = _low(args.get("category"))
    if q.category:
        if category != q.category and not (q.or_topic and topic_arg):
            wrong.append(f"category {args.get('category')!r} (asked {q.category})")
    elif category and category not in allow.get("category", set()):
        wrong.append(f"category {args.get('category')!r} not asked")
    # channel, tier, lang, product: only when asked (or tolerated)
    channel = _low(args.get("channel"))
    if q.channel:
        if channel != q.channel:
            wrong.append(f"channel {args.get('channel')!r} (asked {q.channel})")
    elif channel and channel not in allow.get("channel", set()):
        wrong.append(f"channel {args.get('channel')!r} not asked")
    for key in ("tier", "lang", "product", "customer_id"):
        if key == "product" and args.get(key) and _low(args.get(key)) in _low(q.question):
            continue  # the question names the product type itself ("debt collection", "手机"): asked for
        if args.get(key) and _low(args.get(key)) not in allow.get(key, set()):
            wrong.append(f"{key} {args.get(key)!r} not asked")
    # sentiment: complaints=True is the negative filter
    sentiment = _low(args.get("sentiment")) or ("negative" if args.get("complaints") else "")
    if q.sentiment:
        if sentiment != q.sentiment:
            wrong.append(f"sentiment {sentiment or 'none'} (asked {q.sentiment})")
    elif sentiment and sentiment not in allow.get("sentiment", set()):
        wrong.append(f"sentiment {sentiment} not asked")
    # topic: carried by the arguments, and the answer or facts say how many items matched
    product = _low(args.get("product"))
    if q.topic:
        if not topic_arg and product and product in allow.get("product", set()):
            pass  # the product the topic names, applied as an exact filter on the product column
        elif not topic_arg:
            wrong.append(f"topic {q.topic!r} not applied")
        elif tool != "search_feedback" and not _says_matched(answer, facts):
            wrong.append("topic applied but no matched count")
    elif topic_arg and tool not in ("search_feedback", "evaluate_effect") \
            and _low(topic_arg) not in allow.get("topic", set()) and not (q.or_topic and q.category):
        wrong.append(f"topic {topic_arg!r} not asked")
    if q.action_date and str(args.get("action_date") or "")[:10] != q.action_date:
        wrong.append(f"action_date {args.get('action_date')!r} (asked {q.action_date})")
    return wrong


def _says_matched(answer, facts: list[dict]) -> bool:
    for fact in facts:
        blob = json.dumps(fact.get("data") or {}, ensure_ascii=False, default=str)
        if re.search(r'"(matched|match_count|matches|n_matched|topic_items|items_matched)"', blob):
            return True
    text = _strip_markers(answer.answer or "")
    return bool(re.search(r"\d", _strip_quotes(text)[0]))


# =========================================================================== faithfulness
QUOTE_PATTERNS = [re.compile(p, re.S) for p in (r"“([^”]+)”", r"\"([^\"\n]+)\"", r"「([^」]+)」", r"‘([^’]+)’")]
MARKER = re.compile(r"\[\s*\d+(?:\s*[,，、]\s*\d+)*\s*\]|【\d+】|\[\^\d+\]")
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                      "dec"), 1)}
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE_PATTERNS = [
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"),
     lambda m: (int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), lambda m: (int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})[日号])?"), lambda m: (int(m[1]), int(m[2]), int(m[3]) if m[3] else None)),
    (re.compile(r"(\d{1,2})月(\d{1,2})[日号]"), lambda m: (None, int(m[1]), int(m[2]))),
    (re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I),
     lambda m: (int(m[3]), MONTHS[m[1][:3].lower()], int(m[2]))),
    (re.compile(r"\b(\d{1,2})\s+" + _MON + r",?\s+(\d{4})\b", re.I),
     lambda m: (int(m[3]), MONTHS[m[2][:3].lower()], int(m[1]))),
    (re.compile(r"\b" + _MON + r",?\s+(\d{4})\b", re.I), lambda m: (int(m[2]), MONTHS[m[1][:3].lower()], None)),
    (re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I), lambda m: (None, MONTHS[m[1][:3].lower()], int(m[2]))),
    (re.compile(r"(\d{4})-W(\d{2})"), lambda m: (int(m[1]), None, None)),
]
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?%?")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _squash(text: str) -> str:
    """Normalised for quote matching: NFKC, case-folded, with no whitespace at all (a quote may close up
    'business ; credit' to 'business; credit')."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "").casefold())


def _strip_markers(text: str) -> str:
    return MARKER.sub(" ", text or "")


def _strip_quotes(text: str) -> tuple[str, list[str]]:
    quotes = []
    for pattern in QUOTE_PATTERNS:
        quotes += pattern.findall(text)
        text = pattern.sub(" ", text)
    return text, quotes


def _dates(text: str) -> tuple[str, list[tuple]]:
    """The text with dates removed, and the dates (year|None, month|None, day|None)."""
    found = []
    for pattern, parse in DATE_PATTERNS:
        def take(m, parse=parse):
            try:
                found.append(parse(m))
            except (KeyError, ValueError):
                return m[0]
            return " "
        text = pattern.sub(take, text)
    return text, found


def _date_keys(found: list[tuple], exclusive_ends: bool = False) -> set[str]:
    keys = set()
    for y, m, d in found:
        variants = [(y, m, d)]
        if exclusive_ends and y and m and d:  # an exclusive midnight end also names the day before
            try:
                prev = date(y, m, d) - timedelta(days=1)
                variants.append((prev.year, prev.month, prev.day))
            except ValueError:
                pass
        for y2, m2, d2 in variants:
            keys |= {f"{y2}-{m2}-{d2}", f"{y2}-{m2}", f"-{m2}-{d2}", f"{y2}"}
    return keys


def _date_key(found: tuple) -> str:
    y, m, d = found
    if y and m and d:
        return f"{y}-{m}-{d}"
    if y and m:
        return f"{y}-{m}"
    if m and d:
        return f"-{m}-{d}"
    return f"{y}"


def _numbers(text: str) -> list[str]:
    text = re.sub(r"(?m)^\s*\d{1,2}[.)、]\s", " ", text)  # list numbering
    return [n.strip("+").rstrip(",") for n in NUMBER.findall(text)]


def _value(token: str) -> tuple[float, int, bool]:
    pct = token.endswith("%")
    body = token.rstrip("%").replace(",", "")
    decimals = len(body.split(".")[1]) if "." in body else 0
    return float(body), decimals, pct


def _support(answer, facts: list[dict], question: str) -> tuple[set[str], list[float], set[str]]:
    """Date keys, numbers and normalised texts an answer may draw on."""
    parts = [question]
    if facts:
        for fact in facts:
            parts += [str(fact.get("text") or ""), json.dumps(fact.get("arguments") or {}, ensure_ascii=False, default=str),
                      json.dumps(fact.get("data") or {}, ensure_ascii=False, default=str)]
    else:
        parts += [json.dumps(c.arguments, ensure_ascii=False, default=str) for c in answer.tool_calls or []]
    for ev in (answer.evidence or {}).values():
        parts += [str(ev.get(k) or "") for k in ("text", "date", "channel", "theme_label", "category")]
    blob = "\n".join(parts)
    rest, found = _dates(blob)
    keys = _date_keys(found, exclusive_ends=True)
    values = []
    for token in NUMBER.findall(rest) + NUMBER.findall(blob):
        try:
            values.append(_value(token.strip("+").rstrip(","))[0])
        except ValueError:
            pass
    return keys, values, {_norm(p) for p in parts}


def check_faithful(answer, facts: list[dict], question: str) -> list[str]:
    """Numbers and quotes in the answer that nothing the answer may draw on contains (empty: faithful)."""
    text = _strip_markers(answer.answer or "")
    text, quotes = _strip_quotes(text)
    keys, values, texts = _support(answer, facts, question)
    cited = [_squash(str(ev.get("text") or "")) for ev in (answer.evidence or {}).values()]
    texts, asked = {_squash(t) for t in texts}, _squash(question)
    bad = []
    for quote in quotes:
        pieces = [p for p in (_squash(x) for x in re.split(r"\.\.\.|…", quote)) if len(p) >= 2]
        short = len(re.findall(r"[A-Za-z0-9]+", quote)) <= 4 and len(re.findall(r"[\u4e00-\u9fff]", quote)) <= 10
        for piece in pieces:  # the user's own words, or a short quoted name from the facts (a theme), may be quoted
            if not any(piece in c for c in cited) and piece not in asked \
                    and not (short and any(piece in t for t in texts)):
                bad.append(f"quote “{quote[:60]}”")
                break
    rest, found = _dates(text)
    for d in found:
        if _date_key(d) not in keys:
            bad.append(f"date {_date_key(d)}")
    for token in _numbers(rest):
        try:
            x, decimals, pct = _value(token)
        except ValueError:
            continue
        ok = any(abs(v - x) < 1e-9 for v in values)
        if not ok and (pct or decimals):
            scale = 100 if pct else 1
            ok = any(round(v * scale, decimals) == x or round(v, decimals) == x for v in values)
        if not ok:
            bad.append(f"number {token}")
    return bad


# =========================================================================== content, nothing found
NOTHING = re.compile(r"\b(no|none|nothing|not find|not found|couldn't find|could not find|did not find|didn't find|"
                     r"no matching|zero)\b|没有|未找到|找不到|暂无|无相关|未发现|0\s*条", re.I)
SOURCES_LINE = re.compile(r"(?im)^\s*(sources?|来源|引用)\s*[:：].*$")


STOPWORDS = set("the a an and or of to in on for with about from by at is are was were be been this that these those "
                "it its they them their there what which who how do does did have has had not no".split())


def has_content(answer_text: str, question: str = "") -> bool:
    """At least one sentence of 4+ words (6+ Chinese characters) besides markers and quotes, that is not
    keywords strung together and says something the question did not (2+ new words or Chinese characters):
    '上周关于物流的投诉有[1]、[2]和[3]。' restates the question around its markers."""
    text = SOURCES_LINE.sub(" ", answer_text or "")
    text = _strip_markers(text)
    text, _ = _strip_quotes(text)
    asked_words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'’\-]*", question)}
    asked_chars = set(re.findall(r"[\u4e00-\u9fff]", question))
    for sentence in re.split(r"[.!?。！？\n;；]+", text):
        words = re.findall(r"[A-Za-z][A-Za-z'’\-]*", sentence)
        cjk = re.findall(r"[\u4e00-\u9fff]", sentence)
        if len(words) < 4 and len(cjk) < 6:
            continue
        segments = [s for s in re.split(r"[,，、/|]", sentence) if s.strip()]
        short = [s for s in segments if len(s.split()) <= 2 and len(re.findall(r"[\u4e00-\u9fff]", s)) <= 4]
        if len(segments) >= 4 and len(short) / len(segments) >= 0.75:
            continue  # keywords strung together
        new_words = {w.lower() for w in words} - asked_words - STOPWORDS
        if len(new_words) >= 2 or len(set(cjk) - asked_chars) >= 2:
            return True
    return False


def says_nothing(answer) -> bool:
    """The answer says the data has nothing: no citation, words saying so, and no count above zero in its
    facts (a trend with volumes but "no significant spikes" found something)."""
    counts = [(f.get("data") or {}).get(key) for f in (getattr(answer, "facts", None) or []) for key in ("items", "matched")]
    if any(isinstance(c, (int, float)) and c > 0 for c in counts):
        return False
    return not answer.citations and bool(NOTHING.search(_strip_markers(answer.answer or "")))


# =========================================================================== asking
def as_of_moment(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=23, minute=59, tzinfo=timezone.utc)


def ask(q: Question, store: dict, settings, chain, contexts: dict) -> dict:
    from assistant.agent import Assistant

    key = (q.store, q.as_of)
    if key not in contexts:
        contexts[key] = Assistant(settings, now=as_of_moment(q.as_of), backends=chain)
    assistant = contexts[key]
    started = time.perf_counter()
    first, answer, error, notices = None, None, None, []
    try:
        for event in assistant.stream(q.question):
            if event.kind == "token" and first is None and str(event.data).strip():
                first = time.perf_counter() - started
            elif event.kind == "notice":
                notices.append(str(event.data))
            elif event.kind == "done":
                answer = event.data
    except Exception as exc:  # a failed answer is a result, not the end of the run
        error = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    total = time.perf_counter() - started
    return {"answer": answer, "error": error, "first": first if first is not None else total, "total": total,
            "notices": notices}


def judge(q: Question, store: dict, asked: dict, backend: str) -> dict:
    frame = store["frame"]
    n_gold = gold_items(q, frame)
    row = {"backend": backend, "store": q.store, "question": q.question, "lang": q.lang, "as_of": q.as_of,
           "expected_tools": sorted(q.tools), "gold": q.gold.describe, "gold_items": n_gold,
           "first": round(asked["first"], 2), "total": round(asked["total"], 2), "error": asked["error"]}
    answer = asked["answer"]
    if answer is None:
        row.update(tool_ok=False, filter_ok=False, filter_wrong=["no answer"], cited=0, cited_ok=0, faithful=False,
                   unfaithful=["no answer"], content=False, nothing_ok=False if n_gold == 0 else None)
        return row
    facts = list(getattr(answer, "facts", None) or [])
    tool, args = _args_of(answer, q)
    cited = [i for i in answer.citations]
    good = []
    for i in cited:
        if i in frame.index:
            r = frame.loc[i]
            good.append(in_window(q, str(r["date"])) and q.gold(gold_row(r)))
        else:
            good.append(False)
    wrong = check_filters(q, answer, facts)
    unfaithful = check_faithful(answer, facts, q.question)
    row.update(
        tools=[c.name for c in answer.tool_calls], tool=tool, args=args, answer=answer.answer,
        citations=cited, cited=len(cited), cited_ok=int(sum(good)), cited_bad=[i for i, g in zip(cited, good) if not g],
        tool_ok=any(c.name in q.tools for c in answer.tool_calls), filter_ok=not wrong, filter_wrong=wrong,
        faithful=not unfaithful, unfaithful=unfaithful, content=has_content(answer.answer, q.question),
        nothing_ok=says_nothing(answer) if n_gold == 0 else None,
        said_nothing_wrongly=n_gold > 0 and says_nothing(answer),
        answered_by=answer.backend, notices=list(answer.notices), facts=len(facts),
        facts_text=[str(f.get("text") or "")[:2000] for f in facts],
        evidence={i: {"date": ev.get("date"), "text": str(ev.get("text") or "")[:400]}
                  for i, ev in (answer.evidence or {}).items()},
    )
    return row


# =========================================================================== backends
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings) -> tuple[subprocess.Popen, str]:
    """llama-cpp-python's OpenAI-compatible server with the packaged GGUF, on 127.0.0.1; waits for /v1/models."""
    from assistant.llm.gguf import ensure_local_model

    model = settings.local_model or str(ensure_local_model(settings))
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "8192", "--n_threads", "2", "--chat_format",
                             "chatml-function-calling", "--model_alias", "local-qwen"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode} (log: {log.name})")
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(1)
    stop_server(proc)
    raise RuntimeError(f"llama_cpp.server did not answer /v1/models in 180 s (log: {log.name})")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def backend_settings(name: str, folder: Path, url: str | None):
    from assistant.settings import Settings

    extra = {}
    if name == "openai":
        extra = {"llm_base_url": url, "llm_model": "local-qwen", "llm_api_key": "x"}
    if name == "local":
        extra = {"local_threads": 2}
    # asked as `assistant --store DIR ask` would be: the taxonomy is the store's, not passed again
    return Settings(_env_file=None, store=folder, llm_backend=name, **extra)


def run_backend(name: str, stores: dict, questions: list[Question], out: Path) -> dict | None:
    from assistant.llm import get_backends

    server, url = None, None
    try:
        if name == "openai":
            started = time.perf_counter()
            server, url = start_server(backend_settings("none", next(iter(stores.values()))["folder"], None))
            print(f"openai: llama_cpp.server up at {url} in {time.perf_counter() - started:.0f} s", flush=True)
        probe = backend_settings(name, next(iter(stores.values()))["folder"], url)
        chain = get_backends(probe)
        if chain[0].name != name:
            print(f"{name}: not available, skipped")
            return None
        load = None
        if chain[0].chat_model is not None:
            started = time.perf_counter()
            chain[0].chat_model.invoke("Say OK.")
            load = time.perf_counter() - started
        rows, contexts = [], {}
        with out.open("w", encoding="utf-8") as jsonl:
            for q in questions:
                store = stores[q.store]
                settings = backend_settings(name, store["folder"], url)
                asked = ask(q, store, settings, chain, contexts)
                row = judge(q, store, asked, chain[0].label)
                rows.append(row)
                jsonl.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                jsonl.flush()
                marks = "".join(("T" if row["tool_ok"] else "t", "F" if row["filter_ok"] else "f",
                                 "Q" if row["faithful"] else "q", "C" if row["content"] else "c"))
                print(f"  {name:<6} {row['total']:5.1f} s {marks} {row.get('tool') or '-':<16} cited "
                      f"{row['cited_ok']}/{row['cited']}  {q.question}"
                      + (f"   [{'; '.join(row['filter_wrong'] + row['unfaithful'])[:160]}]"
                         if not (row["filter_ok"] and row["faithful"]) else "")
                      + (f"   ERROR {row['error']}" if row["error"] else ""), flush=True)
        label = re.sub(r" at http://127\.0\.0\.1:\d+/v1", " (llama-cpp-python server on 127.0.0.1)", chain[0].label)
        return {"label": label, "load": load, "rows": rows}
    finally:
        if server is not None:
            stop_server(server)


# =========================================================================== report
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def summary(rows: list[dict]) -> dict:
    n = len(rows)
    cited = sum(r["cited"] for r in rows)
    empty = [r for r in rows if r["gold_items"] == 0]
    return {
        "n": n, "tool": sum(r["tool_ok"] for r in rows) / n, "filter": sum(r["filter_ok"] for r in rows) / n,
        "precision": sum(r["cited_ok"] for r in rows) / cited if cited else float("nan"), "cited": cited,
        "faithful": sum(r["faithful"] for r in rows) / n, "content": sum(r["content"] for r in rows) / n,
        "nothing": (sum(bool(r["nothing_ok"]) for r in empty), len(empty)),
        "wrong_nothing": sum(bool(r.get("said_nothing_wrongly")) for r in rows),
        "first": (statistics.median(r["first"] for r in rows), pct([r["first"] for r in rows], .95)),
        "total": (statistics.median(r["total"] for r in rows), pct([r["total"] for r in rows], .95)),
        "errors": sum(bool(r["error"]) for r in rows),
        "fell_back": sum(any("failed" in n for n in r.get("notices") or []) for r in rows),
    }


def _mark(value: float, target: float, lower_better: bool = False) -> str:
    ok = value <= target if lower_better else value >= target
    return "" if value != value else (" ✓" if ok else " ✗")


def failure_codes(r: dict) -> str:
    codes = []
    if r.get("error"):
        codes.append(f"error: {r['error'][:80]}")
    if not r["tool_ok"]:
        codes.append(f"tool {r.get('tool') or 'none'}")
    if not r["filter_ok"]:
        codes.append("; ".join(r["filter_wrong"])[:120])
    if r["cited"] and r["cited_ok"] < r["cited"]:
        codes.append(f"cites {r['cited_ok']}/{r['cited']} gold")
    if not r["faithful"]:
        codes.append("unfaithful: " + ", ".join(r["unfaithful"])[:100])
    if not r["content"]:
        codes.append("no content")
    if r["nothing_ok"] is False:
        codes.append("nothing-found not said")
    if r.get("said_nothing_wrongly"):
        codes.append(f"said nothing ({r['gold_items']} gold items)")
    return "; ".join(codes).replace("|", "/")


def report(results: dict, stores: dict, questions: list[Question], args) -> str:
    only = f" --only {args.only}" if args.only else ""
    limit = f" --limit {args.limit}" if args.limit else ""
    lines = [
        f"Command: `python bench/agent_eval.py --backends {args.backends}{only}{limit}` ({len(questions)} questions, "
        f"{sum(q.lang == 'zh' for q in questions)} in Chinese, written before any answer was seen: "
        "`bench/agent_eval_questions.py`). Stores: " + "; ".join(
            f"{name} {s['items']:,} items" + (f" ({Path(s['taxonomy']).name})" if s["taxonomy"] else " (default taxonomy)")
            for name, s in stores.items()) + ". SemEval and online_shopping have no dates: each item got a "
        "synthetic, deterministic one over six weeks (2024-03-04 .. 2024-04-14 and 2023-10-09 .. 2023-11-19). "
        "Gold labels (CFPB issue/sub-issue, SemEval aspect category + polarity, online_shopping label) never enter the "
        "store; CFPB product, company, state and channel are stored as metadata, as a complaints team has them. "
        "The `openai` backend is llama-cpp-python's own OpenAI-compatible server with the packaged GGUF "
        "(`python -m llama_cpp.server ... --chat_format chatml-function-calling`), started by the bench.",
        "",
        "Faithfulness is computed by the bench, not by the product: every number in the answer outside quotes "
        "and markers (dates as one token) must appear in `Answer.facts` (the tool calls when an answer has no "
        "facts), the cited items or the question; every quoted passage must be in a cited item. Filter accuracy: "
        "the asked window (±1 day), category, channel, sentiment, topic and action date are in the answering tool's "
        "arguments and no filter the question did not ask for. Citation precision: cited items inside the window "
        "that satisfy the question's gold predicate, over all cited items.",
        "",
        "| backend | model load | tool accuracy | filter accuracy | citation precision | faithful | with content | "
        "'nothing found' right | first token median / p95 | answer median / p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, res in results.items():
        s = summary(res["rows"])
        load = f"{res['load']:.1f} s" if res["load"] is not None else "-"
        lines.append(
            f"| {res['label']} | {load} | {s['tool']:.2f}{_mark(s['tool'], TARGETS['tool'])} | "
            f"{s['filter']:.2f}{_mark(s['filter'], TARGETS['filter'])} | "
            f"{s['precision']:.2f}{_mark(s['precision'], TARGETS['precision'])} ({s['cited']} cited) | "
            f"{s['faithful']:.0%}{_mark(s['faithful'], TARGETS['faithful'])} | {s['content']:.0%} | "
            f"{s['nothing'][0]}/{s['nothing'][1]} | "
            f"{s['first'][0]:.1f} / {s['first'][1]:.1f} s{_mark(s['first'][1], TARGETS['first'], True)} | "
            f"{s['total'][0]:.1f} / {s['total'][1]:.1f} s{_mark(s['total'][1], TARGETS['total'], True)} |")
    lines += ["", "Targets (issue 11): tool and filter accuracy >= 0.90, citation precision >= 0.90, faithfulness "
              "100%, first token < 5 s and answer < 30 s (p95 marked) with the local model and the llama-cpp server."]
    extra = []
    for name, res in results.items():
        s = summary(res["rows"])
        if s["errors"] or s["fell_back"] or s["wrong_nothing"]:
            extra.append(f"{res['label']}: {s['errors']} answers failed with an error, {s['fell_back']} fell back "
                         f"to the next backend, {s['wrong_nothing']} said 'nothing' where gold items exist.")
    if extra:
        lines += [""] + extra
    by_store = ["", "Per store (tool / filter / citation precision / faithful):", "",
                "| backend | " + " | ".join(stores) + " |", "|---|" + "---|" * len(stores)]
    for name, res in results.items():
        cells = []
        for st in stores:
            rows = [r for r in res["rows"] if r["store"] == st]
            if not rows:
                cells.append("-")
                continue
            s = summary(rows)
            cells.append(f"{s['tool']:.2f} / {s['filter']:.2f} / {s['precision']:.2f} / {s['faithful']:.0%} (n={len(rows)})")
        by_store.append(f"| {res['label']} | " + " | ".join(cells) + " |")
    lines += by_store
    failing = {}
    for name, res in results.items():
        for r in res["rows"]:
            code = failure_codes(r)
            if code:
                failing.setdefault(r["question"], {})[name] = f"{r.get('tool') or '-'}: {code}"
    lines += ["", f"Questions with a failure on any backend ({len(failing)} of {len(questions)}; every answer, with its "
              "arguments, in `<stores>/agent-eval-<backend>.jsonl`):", "",
              "| question | " + " | ".join(results) + " |", "|---|" + "---|" * len(results)]
    for question, per in failing.items():
        lines.append(f"| {question} | " + " | ".join(per.get(n, "ok") for n in results) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=Path, help="folder for the stores (kept; re-runs reuse ingest and analysis)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--backends", default="none,local,openai")
    parser.add_argument("--only", help="stores to use, e.g. cfpb,semeval")
    parser.add_argument("--limit", type=int, help="the first N questions (of the selected stores)")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing docs")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if not args.data.exists():
        print(f"skipped: {args.data} not found (the shared development data is not part of the repository)")
        return
    stores_dir = args.stores or Path(tempfile.mkdtemp(prefix="bench-agent-eval-"))
    wanted = args.only.split(",") if args.only else list(PREPARE)
    stores = {}
    for name in wanted:
        built = build_store(name, args.data, stores_dir)
        if built:
            stores[name] = built
    questions = [q for q in QUESTIONS if q.store in stores][: args.limit or None]
    if not questions:
        print("skipped: no store could be built")
        return
    for q in questions:
        if q.as_of > str(stores[q.store]["frame"]["date"].max()) or q.as_of < str(stores[q.store]["frame"]["date"].min()):
            print(f"note: as_of {q.as_of} is outside the {q.store} data: {q.question}")
    results = {}
    for name in args.backends.split(","):
        print(f"{name}:", flush=True)
        res = run_backend(name, stores, questions, stores_dir / f"agent-eval-{name}.jsonl")
        if res:
            results[name] = res
    if not results:
        return
    body = report(results, stores, questions, args)
    print("\n" + body)
    if not args.no_write:
        print(f"wrote {write_section('quality.md', 'agent-eval', body)}")


if __name__ == "__main__":
    main()
