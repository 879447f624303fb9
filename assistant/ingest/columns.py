"""Decide which column of a feedback file holds the text, the time, the customer and the other roles."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from assistant.errors import InputFileError

ROLES = ("text", "time", "customer", "customer_name", "channel", "rating", "product", "id")

# Earlier names win when a file has several (e.g. "customer_id" over "user").
NAMES: dict[str, tuple[str, ...]] = {
    "text": ("text", "feedback", "comment", "comments", "review", "content", "body", "message", "description",
             "内容", "评论", "反馈", "意见", "留言", "评价"),
    "time": ("date", "time", "created_at", "created", "timestamp", "datetime", "submitted", "date_received",
             "日期", "时间", "创建时间", "提交时间"),
    "customer": ("customer_id", "customer", "user_id", "user", "client", "handle", "author",
                 "客户", "客户id", "用户", "用户id"),
    "customer_name": ("customer_name", "name", "user_name", "username", "display_name", "姓名", "客户名称", "昵称"),
    "channel": ("channel", "source", "platform", "渠道", "来源", "平台"),
    "rating": ("rating", "stars", "score", "评分", "星级"),
    "product": ("product", "产品", "商品"),
    "id": ("id", "ticket_id", "review_id", "feedback_id", "uuid", "编号", "工单号"),
}
# Fallbacks when no exact name exists, e.g. "Consumer complaint narrative", "reviewText", "tweet_created".
_TEXT_PARTS = ("comment", "feedback", "review", "narrative", "complaint", "text", "内容", "评论", "反馈")
_NOT_TEXT_ENDINGS = ("id", "date", "time", "name", "count", "score", "rating", "type", "url", "number", "at")
_TIME_PARTS = ("date", "time", "created", "日期", "时间")
_ID_ENDINGS = ("id", "编号", "单号")
_SEPARATORS = re.compile(r"[\s_\-.]+")  # "user.name" comes from flattened JSON


def _norm(name: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(name)).casefold())


_LOOKUP = {role: {_norm(n): rank for rank, n in enumerate(names)} for role, names in NAMES.items()}


@dataclass(frozen=True)
class ColumnMap:
    """Which column plays each role; only `text` is required."""

    text: str
    time: str | None = None
    customer: str | None = None
    customer_name: str | None = None
    channel: str | None = None
    rating: str | None = None
    product: str | None = None
    id: str | None = None

    def roles(self) -> dict[str, str]:
        """Role -> column, for the roles that are mapped."""
        return {role: col for role, col in asdict(self).items() if col is not None}


def flag_for(role: str) -> str:
    """The command-line option that overrides a role, e.g. "--customer-name-col"."""
    return f"--{role.replace('_', '-')}-col"


def map_columns(columns: list[str], overrides: dict[str, str | None], *, path: str,
                sample_rows: list[dict] | None = None) -> ColumnMap:
    """Map roles to columns: explicit overrides first (None = decide automatically, "" = no such column), then names."""
    listing = ", ".join(columns)
    unknown = set(overrides) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown column roles: {', '.join(sorted(unknown))}")
    chosen: dict[str, str | None] = {}
    for role, wanted in overrides.items():
        if wanted is None:
            continue
        chosen[role] = _find(columns, wanted, role, path, listing) if wanted != "" else None
    used = {col for col in chosen.values() if col}

    # Exact names: every role picks its best-ranked column; a column serves one role, in ROLES order.
    for role in ROLES:
        if role in chosen:
            continue
        ranked = sorted((_LOOKUP[role][_norm(c)], i, c) for i, c in enumerate(columns)
                        if c not in used and _norm(c) in _LOOKUP[role])
        if ranked:
            chosen[role] = ranked[0][2]
            used.add(ranked[0][2])

    if "text" not in chosen:
        chosen["text"] = _guess_text(columns, used, sample_rows or [])
    if chosen.get("text") is None:
        if "text" in overrides and overrides["text"] == "":
            raise InputFileError(path, f"a text column is required; columns are: {listing}")
        raise InputFileError(path, f"no text column found; columns are: {listing}; name one with {flag_for('text')}")
    used.add(chosen["text"])
    if sample_rows:
        if "time" not in chosen:
            chosen["time"] = _guess_time(columns, used, sample_rows)
        if "id" not in chosen:
            chosen["id"] = _guess_id(columns, used, sample_rows)
    return ColumnMap(**{role: col for role, col in chosen.items() if col is not None})


def _find(columns: list[str], wanted: str, role: str, path: str, listing: str) -> str:
    if wanted in columns:
        return wanted
    loose = [c for c in columns if _norm(c) == _norm(wanted)]  # "feedback" for "Feedback "
    if len(loose) == 1:
        return loose[0]
    raise InputFileError(path, f"column '{wanted}' given for {flag_for(role)} not found; columns are: {listing}")


def _values(rows: list[dict], column: str) -> list[Any]:
    return [r.get(column) for r in rows if r.get(column) not in (None, "")]


def _guess_text(columns: list[str], used: set[str], rows: list[dict]) -> str | None:
    free = [c for c in columns if c not in used]
    candidates = [c for c in free if any(p in _norm(c) for p in _TEXT_PARTS)
                  and not _norm(c).endswith(_NOT_TEXT_ENDINGS)]
    if not candidates:
        # A file with one column, e.g. a pasted list of comments, holds the text whatever its header says.
        return free[0] if len(columns) == 1 and free else None

    def mean_length(col: str) -> float:
        values = _values(rows, col)
        return sum(len(str(v)) for v in values) / len(values) if values else 0.0

    return max(candidates, key=lambda c: (mean_length(c), -candidates.index(c)))


def _guess_time(columns: list[str], used: set[str], rows: list[dict]) -> str | None:
    from assistant.text.timeparse import parse_timestamp

    for col in columns:
        if col in used or not any(p in _norm(col) for p in _TIME_PARTS):
            continue
        values = _values(rows, col)[:50]
        ok = 0
        for value in values:
            try:
                ok += parse_timestamp(value) is not None
            except ValueError:
                pass
        # Only a column whose values really are dates: "time_spent" must not become the timestamp.
        if values and ok >= 0.8 * len(values):
            return col
    return None


def _guess_id(columns: list[str], used: set[str], rows: list[dict]) -> str | None:
    for col in columns:
        if col in used or not _norm(col).endswith(_ID_ENDINGS):
            continue
        values = [str(v) for v in _values(rows, col)]
        # A shared value ("session_id") would merge distinct feedback, so only a unique column qualifies.
        if len(values) == len(rows) and len(set(values)) == len(values):
            return col
    return None
