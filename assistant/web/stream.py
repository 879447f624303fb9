"""Turning the agent's event stream (assistant/agent: tool, token, notice, done) into what a page shows."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

MIN_INTERVAL = 0.08  # seconds between UI updates while tokens arrive: smooth, without flooding the socket


@dataclass
class Progress:
    """A stream so far: the text, the tools run, notices, and (at the end) the Answer or Draft."""

    text: str = ""
    tools: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    result: Any = None

    @property
    def status(self) -> str:
        parts = []
        if self.result is not None:
            parts.append(f"backend **{getattr(self.result, 'backend', '?')}**")
        if self.tools:
            parts.append("looked up " + ", ".join(f"`{t}`" for t in self.tools))
        line = " · ".join(parts) if parts else "working…"
        return line + "".join(f"\n\nℹ️ {n}" for n in self.notices)


def describe_tool(call) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in (getattr(call, "arguments", None) or {}).items() if v not in (None, ""))
    return f"{getattr(call, 'name', call)}({args})"


def run_stream(events: Iterable) -> Iterator[Progress]:
    """The stream's state after each step worth showing; the last one carries the result.

    The result's text replaces the streamed tokens, since the agent may tidy citation markers at the end."""
    now = Progress()
    last = 0.0
    for event in events:
        if event.kind == "token":
            started = bool(now.text)
            now.text += str(event.data)
            if started and time.monotonic() - last < MIN_INTERVAL:  # the first words show at once
                continue
        elif event.kind == "tool":
            now.tools.append(describe_tool(event.data))
        elif event.kind == "notice":
            now.notices.append(str(event.data))
        elif event.kind == "done":
            now.result = event.data
            now.text = getattr(now.result, "answer", None) or getattr(now.result, "text", "") or now.text
            now.notices += [n for n in getattr(now.result, "notices", []) if n not in now.notices]
            continue
        last = time.monotonic()
        yield now
    yield now
