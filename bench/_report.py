"""Helpers shared by the benchmarks: machine description, running a step in a fresh process, and rewriting one
section of a docs page."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def machine() -> str:
    """One line naming the machine the figures come from."""
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run_child(script: str, *args: str) -> dict:
    """Run `python script *args` in a fresh process (its own memory peak and caches); its last stdout line is JSON."""
    out = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def write_section(page: str, name: str, body: str) -> Path:
    """Replace the `name` section of docs/<page> (between bench markers), creating it if needed."""
    path = DOCS / page
    text = path.read_text(encoding="utf-8") if path.exists() else f"# {page.removesuffix('.md').title()}\n"
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    block = f"{start}\n_Measured {stamp} on {machine()}._\n\n{body.strip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
    return path
