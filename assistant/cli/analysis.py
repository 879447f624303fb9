"""Analysis commands: analyze, train-classifier, demands, trends, effect, report."""

from __future__ import annotations

import sys

import click

from .group import cli, command_settings, emit_json, parse_day_option, store_options


def _open(ctx, store, chroma_url, **extra):
    from ..store import FeedbackStore

    settings = command_settings(ctx, store=store, chroma_url=chroma_url, **extra)
    return FeedbackStore.open(settings), settings


def _selection(settings, since=None, until=None, **exact):
    """The `Filters` of a command's options (analysis/filters.py, as the agent and the web app select items):
    --since/--until are whole days in the settings' time zone, exact values match in any case."""
    from ..analysis.filters import Filters

    return Filters(since=parse_day_option(since, tz=settings.timezone),
                   until=parse_day_option(until, end=True, tz=settings.timezone), **exact)


def _frame(feedback, filters=None):
    """The analysis frame of the items `filters` select at any time (growth and baselines need the past; the
    window is applied by the analysis functions), filtered here rather than in Chroma: the whole store comes
    from its snapshot in about a second, and a customer's tier is then known from all their items."""
    from ..analysis.filters import filter_frame
    from ..analysis.frame import load_frame

    frame = load_frame(feedback)
    if filters is not None:
        frame = filter_frame(frame, filters, window=False)
    return frame.reset_index(drop=True)


def window_options(func):
    func = click.option("--until", help="End date (inclusive).")(func)
    func = click.option("--since", help="Start date.")(func)
    return func


@cli.command()
@store_options
@click.option("--taxonomy", type=click.Path(exists=True, dir_okay=False), help="YAML taxonomy (default: built in).")
@click.option("--products", type=click.Path(exists=True, dir_okay=False), help="YAML product dictionary.")
@click.option("--full", is_flag=True, help="Re-analyse everything and rebuild themes from scratch.")
@click.option("--refine", type=click.IntRange(min=1), is_flag=False, flag_value=300, default=None, metavar="[N]",
              help="Have the language model label N more items' sentiment (default 300) and learn from them.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def analyze(ctx, store, chroma_url, taxonomy, products, full, refine, as_json):
    """Sentiment, category, entities, theme and priority for every new or changed item."""
    from ..analysis.run import analyze_store

    feedback, settings = _open(ctx, store, chroma_url, taxonomy=taxonomy, products=products)
    report = analyze_store(feedback, settings, full=full, progress=sys.stderr.isatty() and not as_json,
                           refine=refine or 0)
    if as_json:
        return emit_json(report.as_dict())
    if report.refined:
        click.echo(f"refined sentiment: {report.refined['added']} items labelled by {report.refined['model']} "
                   f"({report.refined['labels']} in all)")
    click.echo(
        f"{report.items} items: analysed {report.analysed}, unchanged {report.unchanged}; "
        f"{report.themes} themes ({report.new_themes} new), {report.unassigned} items without a theme "
        f"({report.seconds:.1f} s)"
    )


@cli.command("train-classifier")
@click.argument("labelled", type=click.Path(exists=True, dir_okay=False))
@store_options
@click.option("--taxonomy", type=click.Path(exists=True, dir_okay=False), help="YAML taxonomy the labels belong to.")
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
@click.pass_context
def train_classifier_cmd(ctx, labelled, store, chroma_url, taxonomy, as_json):
    """Train the category classifier on the stored vectors of labelled items (CSV: id or text, label)."""
    from ..analysis.training import train_from_labels

    feedback, settings = _open(ctx, store, chroma_url, taxonomy=taxonomy)
    result = train_from_labels(feedback, settings, labelled)
    if as_json:
        return emit_json(result)
    click.echo(
        f"trained on {result['n_train']} items, held-out {result['n_test']}: accuracy {result['accuracy']:.3f}, "
        f"macro-F1 {result['macro_f1']:.3f}. Run `assistant analyze` to apply it."
    )


@cli.command()
@store_options
@window_options
@click.option("--category", help="Only this category.")
@click.option("--channel", help="Only this channel.")
@click.option("-n", "limit", default=10, show_default=True, help="How many demands to show.")
@click.option("--explain/--no-explain", default=True, show_default=True, help="Show each score's breakdown.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def demands(ctx, store, chroma_url, since, until, category, channel, limit, explain, as_json):
    """Themes ranked by priority (importance x urgency), with the signals behind each score."""
    from ..analysis.priority import rank_demands

    feedback, settings = _open(ctx, store, chroma_url)
    filters = _selection(settings, since, until, category=category, channel=channel)
    frame = _frame(feedback, filters)
    ranked = rank_demands(frame, since=filters.since, until=filters.inclusive_until(), weights=settings.priority)[:limit]
    if as_json:
        return emit_json([d.to_dict() for d in ranked])
    if not ranked:
        click.echo("no demands in this window (run `assistant analyze` first?)")
    for rank, demand in enumerate(ranked, 1):
        if explain:
            click.echo(f"{rank}. {demand.explain()}\n")
        else:
            click.echo(f"{rank:>2}. {demand.priority:5.1f}  {demand.count:>5} items  {demand.label}")
    # items of the window in no theme (rank_demands does not rank them); undated ones count without a window
    from ..analysis.filters import filter_frame

    unthemed = int(filter_frame(frame, filters)["theme_id"].isna().sum())
    if ranked and unthemed:
        click.echo(f"({unthemed} items in this window are in no theme: one-offs, not ranked as a demand)")


@cli.command()
@store_options
@window_options
@click.option("--by", type=click.Choice(["category", "theme", "channel", "lang", "source"]), default="category",
              show_default=True)
@click.option("--interval", type=click.Choice(["day", "week"]), default="week", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def trends(ctx, store, chroma_url, since, until, by, interval, as_json):
    """Counts, negative share and sentiment per period, with spikes and emerging themes flagged."""
    from ..analysis.trends import trends as compute_trends

    feedback, settings = _open(ctx, store, chroma_url)
    window = _selection(settings, since, until)
    report = compute_trends(_frame(feedback), by=by, interval=interval, since=window.since,
                            until=window.inclusive_until())
    if as_json:
        return emit_json(report.to_dict())
    totals = report.totals
    click.echo(f"{'period':<12} {'items':>6} {'negative':>9} {'sentiment':>10}")
    for row in totals.itertuples(index=False):
        neg = "" if row.negative_share != row.negative_share else f"{row.negative_share:.0%}"
        sent = "" if row.mean_sentiment != row.mean_sentiment else f"{row.mean_sentiment:+.2f}"
        click.echo(f"{row.period:<12} {row.count:>6} {neg:>9} {sent:>10}{'  (partial)' if row.partial else ''}")
    click.echo("")
    click.echo(report.summary())


@cli.command()
@store_options
@click.option("--theme", help="Theme id or label.")
@click.option("--category", help="Category name.")
@click.option("--action-date", required=True, help="When the action (fix, price change, campaign) took effect.")
@click.option("--window", "window_days", default=28, show_default=True, help="Days compared before and after.")
@click.option("--record", "note", default=None, is_flag=False, flag_value="",
              help="Remember this action (optionally with a note) so every report measures it.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def effect(ctx, store, chroma_url, theme, category, action_date, window_days, note, as_json):
    """Did an action work? Before/after share and negative rate against the rest, with significance tests."""
    from ..analysis.effect import evaluate_effect
    from ..errors import ConfigError

    if not theme and not category:
        raise ConfigError("name what the action targeted: --theme T or --category C")
    feedback, settings = _open(ctx, store, chroma_url)
    result = evaluate_effect(_frame(feedback), theme=theme, category=category,
                             action_date=parse_day_option(action_date, tz=settings.timezone), window_days=window_days)
    if note is not None:
        from ..analysis.report import record_action

        record_action(feedback, {"theme": theme, "category": category, "date": action_date,
                                 "window": window_days, "note": note or None})
    if as_json:
        return emit_json(result.to_dict())
    b, a = result.before, result.after
    click.echo(f"{result.target}: action on {result.action_date}, {window_days} days each side")
    click.echo(f"  before: {b.target} of {b.items} items ({_pct(b.share)}), negative {_pct(b.negative_rate)}")
    click.echo(f"  after:  {a.target} of {a.items} items ({_pct(a.share)}), negative {_pct(a.negative_rate)}")
    click.echo(f"\n{result.verdict}")


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


@cli.command()
@store_options
@window_options
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="FILE.html or FILE.md")
@click.option("--title", default=None, help="Report title.")
@click.pass_context
def report(ctx, store, chroma_url, since, until, out, title):
    """A demand report to forward: top demands with quotes, trends, emerging issues, effect of actions."""
    from pathlib import Path

    from ..analysis.report import build_report, load_actions, render_html, render_markdown
    from ..errors import ConfigError

    path = Path(out)
    if path.suffix.lower() not in (".html", ".htm", ".md"):
        raise ConfigError(f"--out must end in .html or .md, not '{path.name}'")
    feedback, settings = _open(ctx, store, chroma_url)
    window = _selection(settings, since, until)
    title = title or f"Customer demand report {since or 'start'} to {until or 'now'}"
    sections = build_report(_frame(feedback), since=window.since, until=window.inclusive_until(),
                            actions=load_actions(feedback), weights=settings.priority)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_markdown(sections, title) if path.suffix.lower() == ".md" else render_html(sections, title)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}")
