"""Tool results -> text, in English or Chinese: the no-LLM answer, and the facts a model phrases.

Every item a text refers to carries a marker `[n]`; `Citations` maps markers to feedback ids. The
same facts go to a language model (which only rephrases them) and to users without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .guard import safe_for_model
from .tools import ToolResult

CJK = re.compile(r"[\u4e00-\u9fff]")
MARKER = re.compile(r"\[(\d{1,3})\]")


def language_of(text: str) -> str:
    """'zh' when the question is mostly Chinese characters, else 'en'."""
    cjk = len(CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]{2,}", text))
    return "zh" if cjk and cjk >= latin else "en"


@dataclass
class Citations:
    """Marker numbers for the ids the tools returned, in order of first mention."""

    ids: list[str] = field(default_factory=list)

    def mark(self, item_id: str) -> str:
        if item_id not in self.ids:
            self.ids.append(item_id)
        return f"[{self.ids.index(item_id) + 1}]"

    def marks(self, ids) -> str:
        return "".join(self.mark(i) for i in ids)


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def clip(text: str, limit: int = 140) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _item_line(item_id: str, ev: dict, cites: Citations, zh: bool, brief: bool = False) -> str:
    if brief:  # a small model's prompt: every token delays its first word
        return f"{cites.mark(item_id)} {ev.get('date') or ''} “{clip(safe_for_model(ev.get('text') or ''), 60)}”"
    bits = [b for b in (ev.get("date"), ev.get("channel"), ev.get("sentiment"), ev.get("category")) if b]
    return f"{cites.mark(item_id)} {' · '.join(str(b) for b in bits)} — “{clip(safe_for_model(ev.get('text') or ''))}”"


def describe(result: ToolResult, evidence: dict[str, dict], cites: Citations, lang: str, scope: str = "",
             *, brief: bool = False) -> str:
    """Plain text of one tool result with [n] markers (registered in `cites`).

    `brief` keeps the first few items with short quotes (for a small model's prompt: its first token
    comes ~1 s later per 100 prompt tokens); its markers are a prefix of the full text's.
    """
    zh = lang == "zh"
    if result.data.get("error"):  # the tool could not answer as asked: its reason is the answer
        return ("无法回答:" if zh else "Cannot answer this from the data: ") + result.data["error"]
    fn = _DESCRIBERS.get(result.name)
    if not fn:
        return str(result.data)
    if brief:
        result = _briefer(result)
    return fn(result, evidence, cites, zh, scope)


def _briefer(result: ToolResult) -> ToolResult:
    from dataclasses import replace

    data = dict(result.data, brief=True)
    if result.name == "top_demands":
        data["demands"] = data.get("demands", [])[:3]
    if result.name == "trends":
        data["spikes"], data["emerging"] = data.get("spikes", [])[:3], data.get("emerging", [])[:2]
    return replace(result, ids=result.ids[:4] if result.name in ("search_feedback", "customer_history") else result.ids,
                   data=data)


def _topic_line(r: ToolResult, zh: bool) -> str:
    """How many items a topic matched (by meaning, by words), or '' without a topic."""
    t = r.data.get("topic")
    if not t:
        return ""
    if zh:
        return f"关于{t['topic']}的反馈共 {t['in_window']} 条(按语义匹配 {t['by_meaning']} 条、按关键词匹配 {t['by_words']} 条,不限时间)。"
    return (f"{t['in_window']} items are about {t['topic']} in this scope ({t['by_meaning']} matched by meaning, "
            f"{t['by_words']} by their words, at any time).")


def _search(r: ToolResult, ev: dict, cites: Citations, zh: bool, scope: str) -> str:
    hits = [i for i in r.ids if i in ev]
    query = (r.data.get("topic") or {}).get("topic") or r.arguments.get("query", "")
    matched = r.data.get("matched", len(hits))
    if not hits:
        if query:
            return (f"没有关于{query}的反馈{scope}。" if zh else f"No feedback is about {query}{scope}.")
        return f"这个范围内没有反馈{scope}。" if zh else f"No feedback in this scope{scope}."
    if query:
        head = (f"关于{query}的反馈共 {matched} 条{scope};最相关的几条:" if zh
                else f"{matched} items are about {query}{scope}; the closest ones:")
    else:
        head = (f"这个范围内共 {matched} 条反馈{scope};优先级最高的几条:" if zh
                else f"{matched} items{scope}; the highest-priority ones:")
    lines = [head] + [_item_line(i, ev[i], cites, zh, bool(r.data.get("brief"))) for i in hits]
    themes = r.data.get("themes") or []
    if themes and not r.data.get("brief"):  # a small model reads a theme's count as the answer's total
        if zh:
            lines.append("这些反馈主要属于以下主题(同一范围内的条数):" + ";".join(
                f"{t['label']}:{t['items']} 条" for t in themes))
        else:
            lines.append("Most of them belong to these themes (items in the same scope): " + "; ".join(
                f"{t['label']}: {t['items']} items" for t in themes))
    return "\n".join(lines)


def _demands(r: ToolResult, ev: dict, cites: Citations, zh: bool, scope: str) -> str:
    demands = r.data.get("demands", [])
    topic = r.data.get("topic")
    about = (f"关于{topic['topic']}的" if zh else f" about {topic['topic']}") if topic else ""
    if not demands:
        if topic:
            return (f"没有关于{topic['topic']}的反馈{scope}。" if zh
                    else f"No feedback is about {topic['topic']}{scope}.")
        return (f"这个范围内没有反馈{scope}。" if zh else f"No feedback in this window{scope}.")
    total = r.data.get("items", 0)
    praise = r.data.get("sentiment") == "positive"
    if zh:
        lines = [f"{about}{'最受好评的' if praise else '优先级最高的'} {len(demands)} 个主题{scope}(共 {total} 条反馈):"]
    else:
        lines = [f"{'Most praised' if praise else 'Top'} {len(demands)} {'themes' if praise else 'demands'}{about}"
                 f"{scope} ({total} items):"]
    for n, d in enumerate(demands, 1):
        growth = d.get("growth") or {}
        grow = ""
        if growth.get("previous") is not None and growth.get("current") is not None:
            grow = (f",{growth['previous']}→{growth['current']} 条" if zh
                    else f", {growth['previous']} → {growth['current']} vs the previous window")
        marks = cites.marks([i for i in d["evidence"] if i in ev][:2])
        if r.data.get("brief"):  # label, size, trend: what a summary needs, in few tokens
            lines.append(f"{n}. {d['label']}: {d['count']} {'条' if zh else 'items'} ({_pct(d['share'])}), "
                         f"{_pct(d['negative_share'])} {'负面' if zh else 'negative'}{grow} {marks}")
        elif zh:
            lines.append(f"{n}. {d['label']}({d['category']}):优先级 {d['priority']:.0f}/100,{d['count']} 条"
                         f"(占 {_pct(d['share'])}),负面 {_pct(d['negative_share'])},{d['customers']} 位客户{grow} {marks}")
        else:
            lines.append(f"{n}. {d['label']} ({d['category']}): priority {d['priority']:.0f}/100, {d['count']} items "
                         f"({_pct(d['share'])}), {_pct(d['negative_share'])} negative, {d['customers']} customers"
                         f"{grow} {marks}")
        for i in [i for i in d["evidence"] if i in ev][:1]:
            limit = 40 if r.data.get("brief") else 120
            lines.append(f"   {cites.mark(i)} “{clip(safe_for_model(ev[i].get('text') or ''), limit)}”")
    return "\n".join(lines)


def _trends(r: ToolResult, ev: dict, cites: Citations, zh: bool, scope: str) -> str:
    totals = r.data.get("totals", [])
    if not r.data.get("items", len(totals)):
        topic = r.data.get("topic")
        if topic:
            return (f"没有关于{topic['topic']}的反馈{scope}。" if zh else f"No feedback is about {topic['topic']}{scope}.")
        return f"这个范围内没有反馈{scope}。" if zh else f"No feedback in this window{scope}."
    lines = [line] if (line := _topic_line(r, zh)) else []
    if totals:
        recent = totals[-4:]
        per = "、".join(f"{t['period']} {t['count']} 条" for t in recent) if zh else \
            ", ".join(f"{t['period']}: {t['count']}" for t in recent)
        lines.append(f"最近几个周期的反馈量{scope}:{per}。" if zh else f"Volume in the latest periods{scope}: {per}.")
    for s in r.data.get("spikes", []):
        marks = cites.marks([i for i in s.get("evidence", []) if i in ev])
        lines.append(f"激增:{s['label']} 在 {s['period']}({s['start']})有 {s['count']} 条,预期 {s['expected']:.1f} 条"
                     f"({s['ratio']:.1f} 倍,{s['test']},p = {s['p_value']:.2g}){marks}" if zh else
                     f"Spike: {s['label']} in {s['period']} ({s['start']}): {s['count']} items vs {s['expected']:.1f} "
                     f"expected ({s['ratio']:.1f}x; {s['test']}, p = {s['p_value']:.2g}) {marks}")
    for e in r.data.get("emerging", []):
        marks = cites.marks([i for i in e.get("evidence", []) if i in ev])
        what = ("新出现" if e["new"] else f"占比上升 {e['rate_ratio']:.1f} 倍") if zh else \
            ("new" if e["new"] else f"share up {e['rate_ratio']:.1f}x")
        lines.append(f"新兴:{e['label']}({what},首次出现 {e['first_seen']}),近期 {e['recent_count']} 条,"
                     f"之前 {e['earlier_count']} 条(p = {e['p_value']:.2g}){marks}" if zh else
                     f"Emerging: {e['label']} ({what}, first seen {e['first_seen']}): {e['recent_count']} recent "
                     f"items vs {e['earlier_count']} before (p = {e['p_value']:.2g}) {marks}")
    if not r.data.get("spikes") and not r.data.get("emerging"):
        lines.append("没有显著的激增或新兴主题。" if zh else "No significant spikes or emerging themes.")
    return "\n".join(lines)


def _customer(r: ToolResult, ev: dict, cites: Citations, zh: bool, scope: str) -> str:
    p = r.data["profile"]
    if not p["items"]:
        return f"没有客户 {p['customer_id']} 的反馈。" if zh else f"No feedback from customer {p['customer_id']}."
    who = p.get("name") or p["customer_id"]
    tier = p.get("tier") or ("未知" if zh else "unknown")
    channels = p["channels"] or (["未知"] if zh else ["unknown channels"])
    head = (f"客户 {who}(等级:{tier})共有 {p['items']} 条反馈,其中 {p['negative']} 条负面,"
            f"{p['first']} 至 {p['last']},渠道:{'、'.join(channels)}。" if zh else
            f"Customer {who} (tier: {tier}) has {p['items']} items, {p['negative']} negative, from {p['first']} to "
            f"{p['last']}, via {', '.join(channels)}.")
    return "\n".join([head] + [_item_line(i, ev[i], cites, zh, bool(r.data.get("brief"))) for i in r.ids[:8] if i in ev])


def _analyzed(r: ToolResult, ev: dict, cites: Citations, zh: bool, scope: str) -> str:
    d = r.data
    ents = ", ".join(f"{e['kind']}: {e['text']}" for e in d.get("entities", [])) or ("无" if zh else "none")
    similar = cites.marks([i for i in d.get("similar", []) if i in ev])
    if zh:
        return (f"情感:{d['sentiment']}({d['sentiment_score']:+.2f});类别:{d['category']}(置信度 "
                f"{d['category_confidence']:.2f});优先级 {d['priority']:.0f}/100;实体:{ents}。相似反馈:{similar}")
    return (f"Sentiment: {d['sentiment']} ({d['sentiment_score']:+.2f}); category: {d['category']} (confidence "
            f"{d['category_confidence']:.2f}); triage priority {d['priority']:.0f}/100; entities: {ents}. "
            f"Similar stored feedback: {similar}")


def _effect(r: ToolResult, ev: dict, cites: Citations, zh: bool, scope: str) -> str:
    d = r.data
    b, a = d["before"], d["after"]
    verdict = d["verdict_zh"] if zh else d["verdict"]
    source = {"given": "", "recorded": " (recorded action)", "estimated": " (estimated from the data)"}[d["date_source"]]
    if zh:
        source = {"given": "", "recorded": "(已记录的行动)", "estimated": "(根据数据估计)"}[d["date_source"]]
        lines = [f"{d['target']}:行动日期 {d['action_date']}{source},前后各 {d['window_days']} 天。",
                 f"之前:{b['target']} / {b['items']} 条;之后:{a['target']} / {a['items']} 条。", verdict]
    else:
        lines = [f"{d['target']}: action on {d['action_date']}{source}, {d['window_days']} days each side.",
                 f"Before: {b['target']} of {b['items']} items; after: {a['target']} of {a['items']} items.", verdict]
    for name, key in (("之前" if zh else "Before", "evidence_before"), ("之后" if zh else "After", "evidence_after")):
        for i in [i for i in d.get(key, []) if i in ev][:1]:
            lines.append(f"{name}: {cites.mark(i)} “{clip(safe_for_model(ev[i].get('text') or ''), 120)}”")
    if d.get("topic"):
        t = d["topic"]
        lines.append(f"按语义或关键词,共 {t['matched']} 条反馈与{t['topic']}相关。" if zh else
                     f"{t['matched']} items are about {t['topic']} (by meaning or by their words).")
    lines += [n for n in d.get("notes", [])]
    return "\n".join(lines)


_DESCRIBERS = {"search_feedback": _search, "top_demands": _demands, "trends": _trends,
               "customer_history": _customer, "analyze_text": _analyzed, "evaluate_effect": _effect}


def finalize(text: str, cites: Citations, *, limit: int | None = None) -> tuple[str, list[str]]:
    """Drop every marker that does not point at a tool result; return (text, cited ids in order of use).

    Marker numbers are kept as the facts numbered them (the streamed text and the final text agree), so
    an answer can never cite an id the tools did not return.
    """
    allowed = cites.ids[:limit] if limit else cites.ids
    order: list[str] = []

    def keep(match: re.Match) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(allowed):
            return ""
        if allowed[n - 1] not in order:
            order.append(allowed[n - 1])
        return match.group(0)

    cleaned = MARKER.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([,.;:!?,。;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned.strip(), order
