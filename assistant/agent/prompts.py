"""Prompt files with strict variables.

A prompt lives in `prompts/NAME.md` (or `settings.prompts_dir`). It starts with a front-matter line
`variables: a, b, c` naming every `{{a}}` placeholder it uses; rendering fails with a clear error when
the file and the caller disagree (a missing value, an unknown placeholder, a declared one never used),
so a prompt edit cannot silently drop the evidence or the question. `---` lines split a file into
messages: `system`, then few-shot `user`/`assistant` pairs, then the final `user` message.

The top-level prompts/ folder is installed as the package `assistant._prompts` (see setup.py): a wheel
carries it, and an editable install maps it back to the checkout's prompts/, so edits there take effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import ConfigError

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
SECTION = re.compile(r"^---\s*(system|user|assistant)\s*---\s*$", re.MULTILINE)
PACKAGED_PROMPTS = "assistant._prompts"


def default_prompts_dir() -> Path:
    """The installed prompts/ folder: in the wheel, or the checkout's own prompts/ in an editable install."""
    try:
        # a plain folder: wheels install unzipped, and an editable install maps the package to prompts/
        return Path(str(resources.files(PACKAGED_PROMPTS)))
    except ModuleNotFoundError as exc:
        raise ConfigError(f"the packaged prompts ({PACKAGED_PROMPTS}) are not installed: reinstall the package "
                          "(`make install` or `pip install -e .` in a checkout) or set ASSISTANT_PROMPTS_DIR") from exc


@dataclass(frozen=True)
class Prompt:
    name: str
    path: Path
    variables: frozenset[str]
    messages: tuple[tuple[str, str], ...]  # (role, template)

    def render(self, **values: object) -> list[tuple[str, str]]:
        """(role, text) messages with every declared variable filled; extra or missing values are errors."""
        given = set(values)
        if given != self.variables:
            missing, extra = sorted(self.variables - given), sorted(given - self.variables)
            raise ConfigError(f"prompt {self.path.name}: "
                              + "; ".join(p for p in (missing and f"missing values for {', '.join(missing)}",
                                                       extra and f"no placeholder for {', '.join(extra)}") if p))
        return [(role, PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)) for role, text in self.messages]


def load_prompt(name: str, folder: Path | None = None) -> Prompt:
    return _load(name, str(Path(folder) if folder else default_prompts_dir()))


@lru_cache(maxsize=64)
def _load(name: str, folder: str) -> Prompt:
    path = Path(folder) / f"{name}.md"
    if not path.exists():
        raise ConfigError(f"prompt file {path} is missing (ASSISTANT_PROMPTS_DIR points at the prompts folder)")
    raw = path.read_text(encoding="utf-8")
    head, _, body = raw.partition("\n")
    if not head.startswith("variables:"):
        raise ConfigError(f"prompt {path.name}: the first line must be 'variables: a, b, ...'")
    declared = frozenset(v.strip() for v in head.removeprefix("variables:").split(",") if v.strip())
    used = set(PLACEHOLDER.findall(body))
    if used != declared:
        raise ConfigError(f"prompt {path.name}: declared variables {sorted(declared)} but uses {sorted(used)}")
    parts = SECTION.split(body)
    if len(parts) < 3 or parts[0].strip():
        raise ConfigError(f"prompt {path.name}: expected '--- system ---' / '--- user ---' sections")
    messages = tuple((parts[i], parts[i + 1].strip()) for i in range(1, len(parts), 2))
    if messages[-1][0] != "user":
        raise ConfigError(f"prompt {path.name}: the last section must be '--- user ---'")
    return Prompt(name, path, declared, messages)


def to_langchain(messages: list[tuple[str, str]]):
    """LangChain message objects from (role, text) pairs."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[role](content=text) for role, text in messages]
