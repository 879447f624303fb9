"""Assistant commands: ask, chat, reply, plan (streaming to the terminal; --json for machines)."""

from __future__ import annotations

import sys

import click

from .group import cli, command_settings, emit_json, store_options


def _assistant(ctx, store, chroma_url, as_of, backend):
    from datetime import datetime, timezone

    from ..agent import Assistant
    from ..errors import ConfigError
    from ..text.timeparse import parse_day

    settings = command_settings(ctx, store=store, chroma_url=chroma_url)
    now = None
    if as_of:
        try:  # a bare date is the whole day: 'now' is its last second, so "today" includes all of it
            now = datetime.fromtimestamp(parse_day(as_of, end=True, tz=settings.timezone) - 1, timezone.utc)
        except ValueError as exc:
            raise ConfigError(f"--as-of: {exc}") from None
    return Assistant(settings, backend=backend, now=now)


def agent_options(func):
    func = click.option("--backend", type=click.Choice(["auto", "openai", "local", "none"]), default=None,
                        help="Which model answers (ASSISTANT_LLM_BACKEND; default auto).")(func)
    func = click.option("--as-of", default=None,
                        help="What 'now' is for 'this week', '上周' ... (ASSISTANT_NOW; for historical data).")(func)
    return func


def _render(events, *, as_json: bool, stream: bool):
    """Print tokens as they come (stderr gets tool calls and notices); return the final result."""
    result = None
    mid_line = False  # streamed text not yet ended by a newline
    for event in events:
        if event.kind == "done":
            result = event.data
        elif as_json:
            continue
        elif event.kind == "token" and stream:
            click.echo(event.data, nl=False)
            sys.stdout.flush()
            mid_line = not str(event.data).endswith("\n")
        elif event.kind in ("tool", "notice"):
            if mid_line:
                click.echo("")
                mid_line = False
            if event.kind == "tool":
                click.secho(f"· {event.data.name}({_args(event.data.arguments)})", err=True, dim=True)
            else:
                click.secho(f"! {event.data}", err=True, fg="yellow")
    return result


def _args(arguments: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items())


def _sources(result) -> None:
    ids = result.citations
    if not ids:
        return
    click.echo("")
    click.echo("来源:" if result.language == "zh" else "Sources:")
    for item in ids:
        ev = result.evidence.get(item, {})
        marker = ev.get("marker", "?")
        bits = " · ".join(str(b) for b in (ev.get("date"), ev.get("channel"), ev.get("sentiment"),
                                            ev.get("category")) if b)
        text = " ".join(str(ev.get("text") or "").split())
        click.echo(f"  [{marker}] {item}  {bits}\n      “{text[:160]}{'…' if len(text) > 160 else ''}”")


@cli.command()
@click.argument("question")
@store_options
@agent_options
@click.option("--json", "as_json", is_flag=True, help="Print answer, citations, tool_calls and backend as JSON.")
@click.pass_context
def ask(ctx, question, store, chroma_url, as_of, backend, as_json):
    """Ask a question about the feedback, in English or Chinese; the answer cites the feedback it used."""
    assistant = _assistant(ctx, store, chroma_url, as_of, backend)
    stream = sys.stdout.isatty() or not as_json
    answer = _render(assistant.stream(question), as_json=as_json, stream=stream)
    if as_json:
        data = answer.to_dict()
        return emit_json({"answer": data["answer"], "citations": data["citations"],
                           "tool_calls": data["tool_calls"], "backend": data["backend"],
                           "notices": data["notices"], "evidence": data["evidence"], "facts": data["facts"]})
    click.echo("")
    _sources(answer)
    click.secho(f"\n[{answer.backend}]", dim=True, err=True)


@cli.command()
@store_options
@agent_options
@click.pass_context
def chat(ctx, store, chroma_url, as_of, backend):
    """A conversation in the terminal (empty line or Ctrl-D to quit; /sources shows the last citations)."""
    from ..errors import AssistantError

    assistant = _assistant(ctx, store, chroma_url, as_of, backend)
    click.secho(f"assistant ({assistant.backend}); ask about your feedback. Ctrl-D to quit.", dim=True)
    history: list[tuple[str, str]] = []
    last = None
    while True:
        try:
            question = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
        except (EOFError, click.Abort):
            break
        if not question.strip():
            break
        if question.strip() == "/sources":
            if last:
                _sources(last)
            continue
        try:
            last = _render(assistant.stream(question, history), as_json=False, stream=True)
        except AssistantError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            continue
        click.echo("")
        if last.citations:
            click.secho("(" + ", ".join(f"[{last.evidence[i].get('marker')}] {i}" for i in last.citations) + ")",
                        dim=True)
        history += [("user", question), ("assistant", last.answer)]


@cli.command()
@store_options
@agent_options
@click.option("--feedback", "feedback_id", help="Id of the feedback item to answer.")
@click.option("--customer", "customer_id", help="Customer id (answers their latest negative item).")
@click.option("--tone", default="friendly", show_default=True, help="friendly, formal, apologetic, brief ...")
@click.option("--json", "as_json", is_flag=True, help="Print the draft and its context as JSON.")
@click.pass_context
def reply(ctx, store, chroma_url, as_of, backend, feedback_id, customer_id, tone, as_json):
    """Draft a personalised reply from the customer's own history, within the reply policy."""
    assistant = _assistant(ctx, store, chroma_url, as_of, backend)
    draft = _render(assistant.stream_reply(feedback_id, customer_id, tone), as_json=as_json, stream=not as_json)
    if as_json:
        return emit_json(draft.to_dict())
    click.echo("")
    for note in draft.notices:
        click.secho(f"! {note}", err=True, fg="yellow")
    click.secho(f"[{draft.backend}; replying to {draft.citations[0]}]", dim=True, err=True)


@cli.command()
@store_options
@agent_options
@click.option("--theme", help="Theme id or label (see `assistant demands`).")
@click.option("--category", help="Category name.")
@click.option("--since", help="Start date of the evidence window.")
@click.option("--until", help="End date (inclusive).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and its evidence as JSON.")
@click.pass_context
def plan(ctx, store, chroma_url, as_of, backend, theme, category, since, until, as_json):
    """Draft a demand-response plan: problem with numbers, hypotheses with quotes, actions, KPI."""
    assistant = _assistant(ctx, store, chroma_url, as_of, backend)
    draft = _render(assistant.stream_plan(theme, category, since, until), as_json=as_json, stream=not as_json)
    if as_json:
        return emit_json(draft.to_dict())
    click.echo("")
    _sources(draft)
    for note in draft.notices:
        click.secho(f"! {note}", err=True, fg="yellow")
