"""Demand categories: the taxonomy file (YAML) and the labelled CSV that `train-classifier` reads.

A taxonomy is a list of categories, each with a name, a description (one line, or one line per language),
optional keywords and optional example texts, in any language. The built-in one lives in
`assistant/taxonomies/default.yaml`; `airline.example.yaml` shows a user's own. File format:

    name: airline                   # optional; defaults to the file name
    categories:
      - name: late_flight
        description: Flights that left or arrived late, were delayed or cancelled.
        keywords: [delay, 延误]       # optional: words or short phrases that mean the category
        cues: [still waiting for]   # optional: phrasings that signal it but name no topic (matched in the text only)
        examples: [Sat on the tarmac for three hours.]   # optional: whole example feedback items
      - name: other
        description: Anything else.
        fallback: true              # optional: the catch-all; found by name (other, 其他, ...) when unmarked

`categories` may also be a mapping from name to the rest. Every problem is reported with the file and the
category it is in, because a taxonomy is hand-written and a typo should be a one-line fix.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputFileError

TAXONOMY_DIR = Path(__file__).resolve().parent.parent / "taxonomies"
DEFAULT_TAXONOMY = TAXONOMY_DIR / "default.yaml"

_CATEGORY_KEYS = {"name", "description", "keywords", "cues", "examples", "fallback"}
# names that mean "the catch-all" when no category is marked `fallback: true`
_FALLBACK_NAMES = {"other", "others", "misc", "miscellaneous", "general", "anything else", "其他", "其它", "杂项"}


@dataclass(frozen=True)
class Category:
    """One demand category. `description` may hold one line per language; `fallback` marks the catch-all.

    `keywords` shape what the category means (they are embedded with the description) and count when found in
    an item's text; `cues` only count when found in the text: phrasings such as "please add" or "能不能加"
    that signal a category whatever the topic, and would blur its meaning if embedded with it.
    """

    name: str
    description: str
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    fallback: bool = False
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """The categories items are sorted into, in file order."""

    categories: tuple[Category, ...]
    name: str = "custom"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    @property
    def fallback(self) -> str | None:
        """Name of the catch-all category ("other"), which wins only when no other category matches."""
        return next((c.name for c in self.categories if c.fallback), None)

    def fingerprint(self) -> str:
        """Hash of everything that affects classification, so a changed taxonomy re-analyses the store."""
        content = [[c.name, c.description, list(c.keywords), list(c.examples), c.fallback] + ([list(c.cues)] if c.cues else [])
                   for c in self.categories]
        return hashlib.sha1(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:16]

    def canonical(self, label: str) -> str | None:
        """The category called `label` (case and surrounding space ignored), or None."""
        wanted = label.strip().casefold()
        return next((c.name for c in self.categories if c.name.casefold() == wanted), None)


TAXONOMY_KEY = "taxonomy"


def save_taxonomy(store, taxonomy: Taxonomy) -> None:
    """Record in the store the taxonomy its items were analysed with (written by `analyze`)."""
    data = {"name": taxonomy.name, "categories": [
        {"name": c.name, "description": c.description, **({"keywords": list(c.keywords)} if c.keywords else {}),
         **({"examples": list(c.examples)} if c.examples else {}), **({"cues": list(c.cues)} if c.cues else {}),
         "fallback": c.fallback} for c in taxonomy.categories]}
    text = json.dumps(data, ensure_ascii=False)
    if store.load_state(TAXONOMY_KEY) != text:
        store.save_state(TAXONOMY_KEY, text)


def stored_taxonomy(store) -> Taxonomy | None:
    """The taxonomy the store was analysed with, or None when it never was (or was before stores kept it)."""
    text = store.load_state(TAXONOMY_KEY)
    if not text:
        return None
    return taxonomy_from_data(json.loads(text), "<the store's taxonomy>")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy in a YAML file (None: the built-in default); InputFileError says what is wrong and where."""
    import yaml

    path = Path(path) if path is not None else DEFAULT_TAXONOMY
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(where, "taxonomy file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(where, f"cannot read the taxonomy: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputFileError(where, f"not valid YAML{line}: {problem}") from None
    return taxonomy_from_data(data, where, default_name=path.stem.removesuffix(".example"))


def taxonomy_from_data(data, where: str = "<taxonomy>", *, default_name: str = "custom") -> Taxonomy:
    """A Taxonomy from parsed YAML/JSON data; `where` names the source in error messages."""
    if isinstance(data, list):
        data = {"categories": data}
    if not isinstance(data, dict) or "categories" not in data:
        raise InputFileError(where, "a taxonomy needs a 'categories' list (each with a name and a description)")
    raw = data["categories"]
    if isinstance(raw, dict):  # the mapping form: {name: {description: ...}} or {name: "description"}
        raw = [{"name": k, **(v if isinstance(v, dict) else {"description": v})} for k, v in raw.items()]
    if not isinstance(raw, list):
        raise InputFileError(where, "'categories' must be a list of categories")
    categories = [_category(entry, n, where) for n, entry in enumerate(raw, 1)]
    if len(categories) < 2:
        raise InputFileError(where, f"a taxonomy needs at least 2 categories, found {len(categories)}")
    seen: dict[str, int] = {}
    for n, category in enumerate(categories, 1):
        key = category.name.casefold()
        if key in seen:
            raise InputFileError(where, f"category {n}: duplicate name '{category.name}' (also category {seen[key]})")
        seen[key] = n
    marked = [c.name for c in categories if c.fallback]
    if len(marked) > 1:
        raise InputFileError(where, f"only one category can be the fallback, found {', '.join(marked)}")
    if not any(isinstance(entry, dict) and "fallback" in entry for entry in raw):
        # an unmarked "other" is still the catch-all: users rarely know about the flag (`fallback: false` opts out)
        guess = [c for c in categories if c.name.strip().casefold().replace("_", " ") in _FALLBACK_NAMES
                 or re.search(r"(^|[/ ])miscellaneous$", c.name.casefold())]
        if len(guess) == 1:
            categories = [dataclasses.replace(c, fallback=c is guess[0]) for c in categories]
    name = data.get("name") or default_name
    return Taxonomy(tuple(categories), str(name))


def _category(entry, n: int, where: str) -> Category:
    if not isinstance(entry, dict):
        raise InputFileError(where, f"category {n}: expected a mapping with name and description, got {entry!r}")
    unknown = set(entry) - _CATEGORY_KEYS
    if unknown:
        raise InputFileError(where, f"category {n}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
                                    f"allowed: {', '.join(sorted(_CATEGORY_KEYS))}")
    name = entry.get("name")
    if not isinstance(name, (str, int)) or not str(name).strip():
        raise InputFileError(where, f"category {n}: missing name")
    name = str(name).strip()
    description = _texts(entry.get("description"), f"category {n} ({name}): description", where)
    if not description:
        raise InputFileError(where, f"category {n} ({name}): missing description (one line saying what belongs here)")
    fallback = entry.get("fallback", False)
    if not isinstance(fallback, bool):
        raise InputFileError(where, f"category {n} ({name}): fallback must be true or false")
    return Category(
        name=name,
        description="\n".join(description),  # one line per language
        keywords=tuple(_texts(entry.get("keywords"), f"category {n} ({name}): keywords", where)),
        examples=tuple(_texts(entry.get("examples"), f"category {n} ({name}): examples", where)),
        fallback=fallback,
        cues=tuple(_texts(entry.get("cues"), f"category {n} ({name}): cues", where)),
    )


def _texts(value, what: str, where: str) -> list[str]:
    """A string, a list of strings, or a {language: string} mapping, as a list of non-empty strings."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (str, int, float)):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise InputFileError(where, f"{what} must be text or a list of texts")
    return [str(v).strip() for v in value if str(v).strip()]


class LabelRows(list):
    """(key, label) pairs read by `read_labels`; `key_column` says whether keys are item ids or texts."""

    key_column: str = "id"


def read_labels(path: str | Path, taxonomy: Taxonomy) -> LabelRows:
    """(key, category) pairs from a labelled CSV with columns `id` or `text`, and `label`.

    The key is the item id when the file has an `id` column, else the item text. Labels are matched to the
    taxonomy ignoring case; an unknown label fails with the file, the row and the valid choices.
    """
    from ..ingest.encodings import decode_all, detect_encoding

    where = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(where, f"cannot read the labels: {exc.strerror or exc}") from None
    text = decode_all(where, data, detect_encoding(data))
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    label_col = _column(header, ("label", "category", "类别", "标签"))
    key_col = _column(header, ("id", "item_id"))
    key_name = "id"
    if key_col is None:
        key_col, key_name = _column(header, ("text", "content", "文本", "内容")), "text"
    if label_col is None or key_col is None:
        raise InputFileError(where, f"the labels file needs columns 'id' (or 'text') and 'label'; found "
                                    f"{', '.join(header) or 'no header'}", row=1)
    choices = ", ".join(taxonomy.names)
    rows = LabelRows()
    rows.key_column = key_name
    for record in reader:
        n = reader.line_num  # the line the row ends on: right also after a quoted text with line breaks
        if not any(cell.strip() for cell in record):
            continue
        key = record[key_col].strip() if key_col < len(record) else ""
        label = record[label_col].strip() if label_col < len(record) else ""
        if not key:
            raise InputFileError(where, f"empty {key_name}", row=n, field=key_name)
        if not label:
            raise InputFileError(where, f"empty label; choose one of: {choices}", row=n, field="label")
        category = taxonomy.canonical(label)
        if category is None:
            raise InputFileError(where, f"'{label}' is not a category of taxonomy '{taxonomy.name}'; "
                                        f"choose one of: {choices}", row=n, field="label")
        rows.append((key, category))
    if not rows:
        raise InputFileError(where, "no labelled rows")
    return rows


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((header.index(n) for n in names if n in header), None)
