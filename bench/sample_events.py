"""Do the events planted in the bundled sample come out of `demands`, `trends` and `effect` unprompted?

    python bench/sample_events.py [--store DIR] [--seed N]

Builds (or reuses) a store of the sample data ingested with e5 and analysed, then looks only at what the
product reports: weekly category spikes, daily spikes, the ranked demands, and an effect test on the
theme that the demands list shows for the crash complaints. The planted truth (assistant.sample_data.EVENTS)
is used only to score the answers. Writes the table to docs/quality.md (another --seed than the default 7, a
sample nobody tuned anything on, gets a section of its own).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._report import write_section  # noqa: E402


def build_store(store: Path, seed: int = 7) -> None:
    """Sample -> ingest -> analyze with the real models, through the CLI a user would run."""
    with tempfile.TemporaryDirectory() as tmp:
        exe = [sys.executable, "-m", "assistant", "--store", str(store)]
        subprocess.run([sys.executable, "-m", "assistant", "sample", "--seed", str(seed), f"{tmp}/sample"], check=True,
                       capture_output=True)
        subprocess.run(exe + ["ingest", f"{tmp}/sample"], check=True, capture_output=True)
    subprocess.run(exe + ["analyze"], check=True, capture_output=True)


def sample_store(store: Path | None, seed: int = 7) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    """An analysed store of the sample: `store` when given (built there if missing), else a temporary one.
    Keep the returned TemporaryDirectory alive as long as the store is used."""
    tmp = None if store else tempfile.TemporaryDirectory()
    store = store or Path(tmp.name) / "store"
    if not (store / "chroma.sqlite3").exists():
        print("building the analysed sample store ...")
        build_store(store, seed)
    return store, tmp


def _week(day: str) -> str:
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def price_rise(frame, price) -> tuple[str, str, str, bool]:
    """The planted price rise: a weekly pricing spike in its week."""
    from assistant.analysis.trends import trends

    weekly = trends(frame, by="category", interval="week")
    hits = [s for s in weekly.spikes if s.group == "pricing" and s.period == _week(price["start"])]
    return ("price increase", f"pricing spike in {_week(price['start'])}",
            f"{hits[0].count} items vs {hits[0].expected:.0f} expected, p={hits[0].p_value:.1e}" if hits else "not flagged",
            bool(hits))


def outage_day(frame, outage) -> tuple[str, str, str, bool]:
    """The planted outage: a daily category spike on its day."""
    from assistant.analysis.trends import trends

    daily = trends(frame, by="category", interval="day")
    hits = [s for s in daily.spikes if s.start == outage["start"] and s.group != "(all)"]
    return ("outage", f"a category spike on {outage['start']}",
            ", ".join(f"{s.label}: {s.count} vs {s.expected:.1f}" for s in hits) or "not flagged", bool(hits))


def _matches(frame, demand, keywords) -> float:
    """The share of a demand's items that name one of the keywords."""
    members = frame[frame["theme_id"] == demand.key]["text"].str.lower()
    return float(members.map(lambda t: any(k.lower() in t for k in keywords)).mean()) if len(members) else 0.0


def pause_request(frame, ranked, pause) -> tuple[str, str, str, bool]:
    """The planted request (pause a subscription): a theme of it among the top 10 demands."""
    found = [(n, d) for n, d in enumerate(ranked, 1) if _matches(frame, d, pause["keywords"] + ["pause", "暂停"]) >= 0.5]
    return ("requested feature (pause)", "a theme of it among the top 10 demands",
            f"rank {found[0][0]} of {len(ranked)}: '{found[0][1].label}', {found[0][1].count} items"
            if found else "no theme found", bool(found) and found[0][0] <= 10)


def crash_fix(frame, ranked, crash) -> tuple[str, str, str, bool]:
    """The planted fix of the Android checkout crash: the effect at the fix date on the theme most about it."""
    from assistant.analysis.effect import evaluate_effect

    keywords = crash["keywords"] + ["crash", "闪退"]
    theme = max(ranked, key=lambda d: _matches(frame, d, keywords))
    result = evaluate_effect(frame, theme=theme.key, action_date=crash["fix_date"])
    return ("fix (Android checkout crash)", f"effect at the fix date on theme '{theme.label}'",
            result.verdict, result.outcome == "worked")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="an analysed store of the sample (built when missing)")
    parser.add_argument("--seed", type=int, default=7, help="the sample's seed (the store must be of that seed)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from assistant.analysis.frame import load_frame
    from assistant.analysis.priority import rank_demands
    from assistant.sample_data import EVENTS
    from assistant.settings import Settings
    from assistant.store import FeedbackStore

    store_dir, _tmp = sample_store(args.store, args.seed)
    frame = load_frame(FeedbackStore.open(Settings(_env_file=None, store=store_dir)))
    events = {e["name"]: e for e in EVENTS}
    ranked = rank_demands(frame)
    rows = [price_rise(frame, events["price_increase"]), outage_day(frame, events["outage"]),
            pause_request(frame, ranked, events["pause_subscription"]),
            crash_fix(frame, ranked, events["android_checkout_crash"])]

    command = "python bench/sample_events.py" + (f" --seed {args.seed}" if args.seed != 7 else "")
    body = (f"Command: `{command}` (sample -> ingest (e5) -> analyze, then only what the product "
            "reports is read; the planted truth only scores it).\n\n| event | looked for | what the product said | found |\n"
            "|---|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} | {'yes' if d else '**no**'} |" for a, b, c, d in rows))
    print(body)
    if not args.no_write:
        name = "sample-events" + (f"-seed{args.seed}" if args.seed != 7 else "")
        print("wrote", write_section("quality.md", name, body))

if __name__ == "__main__":
    main()
