"""Which tool answers a request, with which arguments.

Two routers fill the same schema (`Route`): `route_by_rules` (no model: keywords and patterns in English
and Chinese, the data's own channel/tier/category names) and `route_with_model` (one constrained,
schema-checked model call: small local models pick tools badly when left free). A model's route is
validated against the data (a category must exist in the taxonomy, a customer in the store) and
falls back to the rules field by field. Time windows are never left to a model: `timeexpr` resolves
them against 'now'.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from ..text.timeexpr import TimeWindow, resolve_time, strip_time
from .context import DataContext
from .registry import ROUTABLE



class Route(BaseModel):
    """The one tool to run and its arguments (the model fills this; code checks it)."""

    tool: Literal[ROUTABLE]  # type: ignore[valid-type]  (the registry's names)
    query: str | None = Field(None, description="The text to analyse (analyze_text), or what the feedback is about.")
    topic: str | None = Field(None, description="What the feedback is about when that is not a category: a product, "
                              "feature or problem in the user's words ('lost luggage', '配送'), without dates; or null.")
    category: str | None = Field(None, description="A demand category name from the list, only when the question "
                                 "names that kind of demand; or null.")
    channel: str | None = Field(None, description="A channel name from the list, only when the question names it.")
    tier: str | None = Field(None, description="A customer tier from the list, only when the question names it.")
    product: str | None = Field(None, description="A product from the list, only when the question names it.")
    sentiment: Literal["positive", "neutral", "negative"] | None = Field(
        None, description="negative for complaints or problems, positive for praise, neutral for questions; or null.")
    customer_id: str | None = Field(None, description="A customer id quoted in the request, or null.")
    feedback_id: str | None = Field(None, description="A feedback id quoted in the request, or null.")
    action_date: str | None = Field(None, description="YYYY-MM-DD of an action (fix, change) named, or null.")
    by: Literal["category", "theme", "channel"] | None = Field(None, description="Trend grouping, or null.")


class Resolved(BaseModel):
    """A route plus what code resolved: the time window and how the route was decided."""

    route: Route
    window: dict | None = None  # since/until ISO strings + label
    decided_by: str = "rules"
    notes: list[str] = []


# --------------------------------------------------------------------------- rules
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("draft_plan", re.compile(r"\b(?:(?:action|response|improvement|mitigation)\s+plan|plan\s+(?:for|to\s+(?:fix|address|"
                              r"handle|respond|tackle))|(?:draft|write|make|create|propose|need)\s+(?:me\s+)?(?:a|an|the)?\s*"
                              r"plan|roadmap)\b|方案|行动计划|应对计划|改进计划|怎么应对|如何应对", re.I)),
    ("draft_reply", re.compile(r"\b(reply|respond|response to|answer (?:the|this) customer|write back)\b|回复|回信|答复", re.I)),
    ("evaluate_effect", re.compile(
        r"\b(after the (?:fix|change|release|update|launch)|did .{0,80}\b(?:drop|fall|decrease|decline|go down|improve|work|stop)"
        r"|effect of|impact of|since the (?:fix|change|release))|修复后|改进后|之后.{0,12}(?:下降|减少|变少|好转)|有没有(?:下降|减少)|效果", re.I)),
    ("trends", re.compile(r"\b(trend|trending|over time|spike|spiking|emerging|week by week|per week|per day)\b"
                          r"|趋势|激增|暴增|新出现|新兴|走势|变化", re.I)),
    ("top_demands", re.compile(r"\b(top|most|biggest|main|major|priorit\w*|ranked|rank|"
                               r"what (?:do|did) .{0,40} (?:complain|praise|like|love|hate))\b"
                               r"|最多|最主要|主要|排名|优先|前几|最大|最不满|最常|最集中|最关心", re.I)),
    ("analyze_text", re.compile(r"^(?:analy[sz]e|classify|categori[sz]e|what is the sentiment of)\b|分析这条|分析一下这", re.I)),
]
_COMPLAINT = re.compile(r"complain|complaint|problem|issue|bug|angry|unhappy|negative|bad|worst|frustrat|disappoint"
                        r"|投诉|问题|不满|差评|抱怨|吐槽|负面", re.I)
_PRAISE = re.compile(r"\b(?:prais\w*|positive|compliment\w*|like|likes|love|loves|happy|satisf\w+|good things|"
                     r"what (?:works|went) well)\b|好评|表扬|称赞|夸|满意|正面|喜欢", re.I)
_QUESTIONS = re.compile(r"\b(?:questions?|asking)\b|疑问|咨询|提问", re.I)
# praise words turned into complaints: "not happy", "dissatisfied", "不满意"
_NEGATED_PRAISE = re.compile(r"\b(?:not|never|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|un|dis)[\s-]*"
                             r"(?:happy|satisf\w+|like\w*|love\w*|pleased)\b|\b(?:unhappy|dissatisf\w+|displeased)\b|"
                             r"不满意|不满|不喜欢|不好评|不开心", re.I)
# a channel named explicitly: "submitted by phone", "via email", "通过微博"
_VIA = re.compile(r"\b(?:via|through|submitted\s+(?:by|via|through|on)|sent\s+(?:by|via))\s+(?:the\s+|an?\s+)?"
                  r"([A-Za-z][\w-]{1,30})|通过\s*([\u4e00-\u9fffA-Za-z]{2,12}?)(?:渠道|提交|反馈|发来)", re.I)
_CUSTOMER = re.compile(r"\b(?:customer|client|user)\s+(?:id\s+)?([A-Za-z0-9][\w\-*@.]{2,})|客户\s*([\w\-*]{2,})", re.I)
_FEEDBACK = re.compile(r"\b(?:feedback|item|ticket)\s+(?:id\s+)?#?([0-9a-f]{16}|[A-Z]{1,4}-\d{2,})\b", re.I)
_DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b|(\d{1,2})月(\d{1,2})[日号]")
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"], 1)}
_MONTH_DAY = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I)
_FILLER = re.compile(
    r"\b(what|which|who|show|me|list|find|give|tell|are|is|the|a|an|about|of|on|in|for|any|were|was|there|do|does|"
    r"did|top|most|main|biggest|customers?|complaints?|complain|feedback|items?|please|this|last|week|month|"
    r"after|before|drop|fall|go|down|fix|fixed|ones?|mentions?|mentioning|regarding|related|to|with|and|we|our|"
    r"say|says|said|saying|think|thinks|people|users?|clients?|buyers?|shoppers?|guests?|diners?|passengers?|"
    r"travell?ers?|consumers?|patients?|members?|praise\w*|positive|negative|compliments?|like|love|happy|"
    r"problems?|issues?|questions?|asking|good|bad|things?|any|anything|everything|something|how|doing|going|"
    r"lately|recently|currently|overall|generally|mostly|usually|often|common|commonly|ask|asks|asked|"
    r"requests?|requested|requesting|wants?|wanted|suggest\w*|mention\w*|has|from|by|volume|number|"
    r"count|many|much|changed|changes?|changing|submitted|sent|via|through|reviews?|opinions?|comments?|"
    r"thoughts?|views?|feel|feels|feelings?|"
    r"have|had|got|get)\b|[?？!！,，。.]|有哪些|哪些|关于|有关|的|投诉|反馈|是什么|有什么|吗|呢|请|列出|给我|看看|"
    r"客户|用户|顾客|大家|好评|差评|表扬|称赞|负面|正面|问题|最近|有没有|什么|怎么样|怎样|如何|情况|多少|抱怨|吐槽|不满意|不满|满意|建议|提到|主要是|主要|最多|之后|以后|以来|通过|类产品|产品|商品|评价|评论|看法|意见|说法|感受", re.I)


_SEARCH = re.compile(r"\b(about|regarding|mention\w*|say|said|saying|feedback (?:on|from)|show|find|list|examples?)\b"
                     r"|关于|有哪些|提到|说了什么|怎么说|评价|反馈|怎么样|如何", re.I)


def rules_confident(question: str, route: Route, window=None) -> bool:
    """True when a rule recognised the request (not just the search fallback) and its ids resolved.

    A search is recognised when the question asks to see feedback ("有哪些", "what do people say") about
    something, in some scope (a topic, a filter or a window), or is a bare keyword or two ("sushi"). The
    model step costs seconds before the first word, and on real questions a 1.5B model mostly added
    filters nobody asked for (docs/quality.md), so it is kept for requests the rules do not read."""
    if route.tool in ("draft_reply", "customer_history"):
        return bool(route.customer_id or route.feedback_id)
    if route.tool == "search_feedback":
        scoped = bool(route.query or route.category or route.channel or route.tier or route.product
                      or route.sentiment or window)
        bare = len(re.findall(r"[A-Za-z]+|[\u4e00-\u9fff]{1,6}", question)) <= 2
        return (bool(_SEARCH.search(question)) and scoped) or (bare and bool(route.query))
    return True


def route_by_rules(question: str, ctx: DataContext, window: TimeWindow | None = None) -> Route:
    text = question.strip()
    tool = next((name for name, pattern in _PATTERNS if pattern.search(text)), "search_feedback")
    customer = _customer(text, ctx)
    feedback = _FEEDBACK.search(text)
    if tool in ("search_feedback", "top_demands") and customer:
        tool = "customer_history"
    if tool == "draft_reply" and not (customer or feedback):
        tool = "search_feedback"  # "how should we respond to ..." without a customer: show the evidence
    rest = strip_time(text, window) if window else text
    query = _FILLER.sub(" ", rest)
    query = " ".join(query.split()) or None
    if tool == "analyze_text":
        query = re.sub(r"^(?:analy[sz]e|classify|categori[sz]e|what is the sentiment of)\s*(?:this)?\s*:?\s*", "",
                       text, flags=re.I).strip(" \"'“”") or query
    category, channel, tier = _category(text, ctx), channel_asked(text, ctx), _value_in(text, _tiers(ctx))
    product = _value_in(text, _products(ctx))
    about = re.sub(r"\bplans?\b", " ", query or "", flags=re.I) if tool == "draft_plan" else query
    topic = None if tool in ("analyze_text", "customer_history", "draft_reply") else \
        _topic(about, category, [channel, tier, product], ctx)
    if topic and category and not _says_category_name(text, category):
        category = None  # "price increase" is a topic; zero-shot categories would only lose some of its items
    return Route(
        tool=tool, query=topic if tool == "search_feedback" else query, topic=topic, category=category,
        channel=channel, tier=tier, product=product, sentiment=sentiment_asked(text), customer_id=customer,
        feedback_id=feedback.group(1) if feedback else None, action_date=_action_date(text, ctx), by=_by(text),
    )


def _says_category_name(text: str, name: str) -> bool:
    """True when the question names the category itself ("pricing", "debt collection"), not just a word near it."""
    lowered = text.lower()
    return any(re.search(rf"\b{re.escape(w)}", lowered) for w in (name.lower(), name.lower().replace("_", " ")))


def sentiment_asked(text: str) -> str | None:
    """The sentiment a question asks about: complaints -> negative, praise -> positive, questions -> neutral;
    None when it names none or more than one. Negated praise ("not happy", "不满意") is a complaint."""
    asked = {"negative"} if _NEGATED_PRAISE.search(text) else set()
    text = _NEGATED_PRAISE.sub(" ", text)
    asked |= {name for name, pattern in (("negative", _COMPLAINT), ("positive", _PRAISE), ("neutral", _QUESTIONS))
              if pattern.search(text)}
    return asked.pop() if len(asked) == 1 else None


def channel_asked(text: str, ctx: DataContext) -> str | None:
    """The channel a question names: a known channel's name, or one it asks for explicitly ("submitted by
    phone") even when no feedback came that way (the answer then says so, with the channels there are)."""
    known = _value_in(text, _channels(ctx))
    if known:
        return known
    m = _VIA.search(text)
    if not m:
        return None
    word = (m.group(1) or m.group(2) or "").strip()
    return None if word.lower() in _NOT_CHANNELS else word


_NOT_CHANNELS = {"the", "a", "an", "it", "them", "us", "me", "week", "day", "month", "year", "customers", "users"}


_TREND_WORDS = re.compile(r"\b(trends?|trending|over time|spikes?|spiking|emerging|week by week|per (?:week|day)|"
                          r"(?:after|since) the (?:fix|change|release|update|launch)|did|drop|fall|decrease|decline|"
                          r"go down|improve|work|stop|effect|impact|demands?|write|draft|make|create|propose|need|"
                          r"(?:action|response|improvement|mitigation) plan|plan for|roadmap|"
                          r"weeks?|days?|months?|years?)\b|趋势|激增|暴增|新出现|新兴|走势|变化|修复后|改进后|之后|下降|减少|变少|"
                          r"好转|效果|行动计划|应对计划|改进计划|方案|怎么应对|如何应对|应对|针对|制定|一个|帮我|需求|条|反馈", re.I)


def _topic(rest: str | None, category: str | None, values: list[str | None], ctx: DataContext) -> str | None:
    """What the question is about beyond its category, channel, tier and sentiment ("lost luggage",
    "客服态度"), or None when nothing is left."""
    if not rest:
        return None
    for value in values:  # a Chinese value inside a word: "对手机" names the product 手机
        if value and not str(value).isascii():
            rest = rest.replace(str(value), " ")
    named = {w for v in values if v for w in str(v).lower().split()}
    if category:
        named |= {category.lower(), *category.lower().split("_"), *_CATEGORY_WORDS.get(category, ())}
    words = [re.sub(r"^对(?=[\u4e00-\u9fff]{2})", "", w)  # "(顾客)对服务员": toward the waiters
             for w in re.split(r"\s+", _TREND_WORDS.sub(" ", rest)) if w and not re.fullmatch(r"[\u4e00-\u9fff]", w)]
    named |= {w.rstrip("s") for w in named}
    content = [w for w in words if w.lower() not in named and w.lower().rstrip("s") not in named
               and re.search(r"[A-Za-z]{3,}|[\u4e00-\u9fff]{2,}", w) and not _is_number(w)]
    content = [w for w in content if not all(c in "".join(named) for c in w if "\u4e00" <= c <= "\u9fff")
               or re.search(r"[A-Za-z]", w)]
    if not content:
        return None
    values_named = {w for v in values if v for w in str(v).lower().split()}
    return " ".join(w for w in words if not _is_number(w) and w.lower() not in values_named).strip(" /、") or None


def _is_number(word: str) -> bool:
    return bool(re.fullmatch(r"[\d.,%/-]+", word))


def _customer(text: str, ctx: DataContext) -> str | None:
    m = _CUSTOMER.search(text)
    if not m:
        return None
    candidate = (m.group(1) or m.group(2)).rstrip(".,?")
    ids = set(ctx.frame()["customer_id"].dropna().astype(str))
    return candidate if candidate in ids else None


def implied_category(text: str, ctx: DataContext) -> str | None:
    """The category a question's words point at (its name, or a word users say for it), if any."""
    return _category(text, ctx)


def _category(text: str, ctx: DataContext) -> str | None:
    lowered = text.lower()
    for name in ctx.categories():
        words = [name.lower(), name.lower().replace("_", " ")] + [w for w in name.lower().split("_") if len(w) >= 5]
        if any(re.search(rf"\b{re.escape(w)}", lowered) for w in words):
            return name
    for name, words in _CATEGORY_WORDS.items():
        if name in ctx.categories() and any(w in lowered for w in words):
            return name
    return None


# names users say for the default taxonomy's categories (a custom taxonomy is matched by its names)
_CATEGORY_WORDS = {
    "pricing": ("price", "pricing", "expensive", "cost", "价格", "涨价", "太贵", "收费", "定价"),
    "service_quality": ("customer service", "support team", "客服", "服务质量"),
    "product_feature": ("feature", "功能"),
    "user_experience": ("user experience", "usability", "ux", "体验"),
}


def _channels(ctx: DataContext) -> list[str]:
    return sorted(ctx.frame()["channel"].dropna().astype(str).unique().tolist(), key=len, reverse=True)


def _tiers(ctx: DataContext) -> list[str]:
    return sorted(ctx.frame()["tier"].dropna().astype(str).unique().tolist(), key=len, reverse=True)


def _products(ctx: DataContext) -> list[str]:
    """The values of the product column (a filter only when there are few of them: a catalogue, not free text)."""
    values = ctx.frame()["product"].dropna().astype(str).unique().tolist()
    return sorted(values, key=len, reverse=True) if len(values) <= 200 else []


def _value_in(text: str, values: list[str]) -> str | None:
    lowered = text.lower()
    for v in values:
        if re.search(rf"(?<![\w]){re.escape(v.lower())}(?![\w])", lowered) or (not v.isascii() and v in text):
            return v
    if "企业" in text and "enterprise" in values:
        return "enterprise"
    return None


def _action_date(text: str, ctx: DataContext) -> str | None:
    """The date of an action a question names: a day, or a month (its first day: "after March 2019",
    "2019年2月之后")."""
    year = ctx.clock().year
    m = _DATE.search(text)
    if m:
        return m.group(1) or f"{year}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    m = _MONTH_DAY.search(text)
    if m:
        return f"{year}-{_MONTHS[m.group(1)[:3].lower()]:02d}-{int(m.group(2)):02d}"
    m = _MONTH_ONLY.search(text)
    if m:
        if m.group(1):
            return f"{int(m.group(1))}-{int(m.group(2)):02d}-01"
        return f"{int(m.group(4) or year)}-{_MONTHS[m.group(3)[:3].lower()]:02d}-01"
    return None


_MONTH_ONLY = re.compile(r"((?:19|20)\d\d)\s*年\s*(1[0-2]|0?[1-9])\s*月|\b(?:since|after|from)\s+"
                         r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:\s+((?:19|20)\d\d))?\b", re.I)


def _by(text: str) -> str | None:
    lowered = text.lower()
    if "theme" in lowered or "主题" in text:
        return "theme"
    if "channel" in lowered or "渠道" in text:
        return "channel"
    return None


# --------------------------------------------------------------------------- model
def vet_filters(question: str, proposed: dict, ctx: DataContext, *, history: list[tuple[str, str]] | None = None
                ) -> tuple[dict, list[str]]:
    """A model's filter values, kept only where they exist in the data and the question asked for them.

    Unknown category, channel or tier values are dropped with a notice (never applied silently: an unknown
    channel would hide every item). A channel or tier the question (or the conversation) does not name is
    dropped too, and so is a category it gives no word for: "what did customers say today?" must not
    come back filtered to one channel or category."""
    said = " ".join([question] + [text for role, text in (history or []) if role == "user"])
    lowered = said.lower()
    out, notes = dict(proposed), []
    categories = ctx.categories()
    value = out.get("category")
    if value:
        canonical = next((c for c in categories if c.casefold() == str(value).strip().casefold()), None)
        if canonical is None:
            notes.append(f"ignored category {value!r}: not a category of this store ({', '.join(categories)})")
            out["category"] = None
        elif _category(said, ctx) != canonical and not _names_category(lowered, canonical, ctx):
            notes.append(f"ignored category {canonical!r}: the question does not ask for it")
            out["category"] = None
        else:
            out["category"] = canonical
    for key, known in (("channel", _channels(ctx)), ("tier", _tiers(ctx)), ("product", _products(ctx))):
        value = out.get(key)
        if not value:
            continue
        canonical = next((v for v in known if v.casefold() == str(value).strip().casefold()), None)
        if canonical is None:
            notes.append(f"ignored {key} {value!r}: no feedback has it" + (f" (known: {', '.join(known[:8])})"
                                                                          if known else ""))
            out[key] = None
        elif _value_in(said, [canonical]) is None:
            notes.append(f"ignored {key} {canonical!r}: the question does not ask for it")
            out[key] = None
        else:
            out[key] = canonical
    return out, notes


def _names_category(lowered: str, name: str, ctx: DataContext) -> bool:
    """True when the question uses a word of the category's name or one of its keywords."""
    words = {name.lower(), name.lower().replace("_", " "), *(w for w in name.lower().split("_") if len(w) >= 4),
             *_CATEGORY_WORDS.get(name, ())}
    words |= {k.lower() for k in ctx.category_keywords(name) if len(k) >= 2}
    return any(w in lowered for w in words)


def _checked(route: Route, rules: Route, ctx: DataContext, question: str) -> tuple[Route, list[str]]:
    """Keep what the model said only where it names things that exist and were asked for; fill the rest
    from the rules."""
    data = {k: (None if isinstance(v, str) and v.strip().lower() in _NULLISH else v)
            for k, v in route.model_dump().items()}  # small models write "none" for an empty field
    vetted, notes = vet_filters(question, {k: data[k] for k in ("category", "channel", "tier", "product")}, ctx)
    data.update(vetted)
    if route.customer_id and route.customer_id not in set(ctx.frame()["customer_id"].dropna().astype(str)):
        data["customer_id"] = rules.customer_id
    if route.action_date and not re.fullmatch(r"20\d\d-\d\d-\d\d", route.action_date):
        data["action_date"] = rules.action_date
    for key in ("category", "channel", "tier", "product", "customer_id", "feedback_id", "action_date"):
        if data[key] is None and getattr(rules, key) is not None and route.tool == rules.tool:
            data[key] = getattr(rules, key)
    if route.sentiment and route.sentiment != rules.sentiment and not rules.sentiment:
        notes.append(f"ignored sentiment {route.sentiment!r}: the question does not ask for it")
    data["sentiment"] = rules.sentiment  # the question's own words (complaints, praise, questions) decide
    if data["tool"] in ("draft_reply", "customer_history") and not (data["customer_id"] or data["feedback_id"]):
        notes.append(f"model chose {data['tool']} without a customer or feedback id")
        data["tool"] = rules.tool if rules.tool not in ("draft_reply", "customer_history") else "search_feedback"
    topic = (data.get("topic") or "").strip() or None
    if topic and not _in_question(topic, question):
        notes.append(f"ignored topic {topic!r}: the question does not say it")
        topic = None
    if topic and topic.lower().replace(" ", "_") in {c.lower() for c in ctx.categories()}:
        topic = None  # a category's name, not a topic within it
    data["topic"] = topic if topic is not None else rules.topic
    if data["tool"] == "search_feedback":
        data["query"] = data["topic"]
    elif not data.get("query"):
        data["query"] = rules.query
    return Route(**data), notes


_NULLISH = {"", "none", "null", "n/a", "na", "nil", "-", "all", "any", "无", "空"}


def _in_question(topic: str, question: str) -> bool:
    """True when a model's topic is in the user's words: one of its English words (by stem) or Chinese word
    pairs occurs in the question (a 1.5B model has offered every product of the store as the topic)."""
    lowered = question.lower()
    words = [w[:5] for w in re.findall(r"[a-z]{3,}", topic.lower()) if w not in ("the", "and", "for", "about")]
    pairs = [run[i:i + 2] for run in re.findall(r"[\u4e00-\u9fff]{2,}", topic) for i in range(len(run) - 1)]
    return any(w in lowered for w in words) or any(p in question for p in pairs)


def route_with_model(chat_model, question: str, ctx: DataContext, rules: Route, prompts_dir=None) -> tuple[Route, list[str]]:
    """One schema-constrained model call; raises LLMError when the output does not validate."""
    from ..llm import structured_call
    from .prompts import load_prompt, to_langchain

    prompt = load_prompt("route", prompts_dir)
    messages = prompt.render(
        question=question,
        categories=", ".join(ctx.categories()),
        channels=", ".join(_channels(ctx)[:20]),
        tiers=", ".join(_tiers(ctx)) or "none",
        products=", ".join(_products(ctx)[:30]) or "none",
        today=ctx.clock().date().isoformat(),
    )
    route = structured_call(chat_model, Route, to_langchain(messages))
    return _checked(route, rules, ctx, question)


_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|same (?:for|but)|only|just|now)\b|^\s*(那|那么|再|还有|只看|换成)"
                        r"|呢\s*[?？]?\s*$", re.I)


def follow_up_of(question: str, history: list[tuple[str, str]] | None) -> str | None:
    """The earlier question a short follow-up ("and last month?", "那企业客户呢?") refines, if any."""
    earlier = [text for role, text in (history or []) if role == "user"]
    if not earlier:
        return None
    recognised = any(pattern.search(question) for _, pattern in _PATTERNS)
    if _FOLLOW_UP.search(question) and not recognised:
        return earlier[-1]
    return None


def _overlay(base: Route, new: Route, question: str) -> Route:
    """The earlier route with what the follow-up names (category, channel, tier) put on top."""
    data = base.model_dump()
    for key in ("category", "channel", "tier", "product", "customer_id", "sentiment"):
        if getattr(new, key):
            data[key] = getattr(new, key)
    return Route(**data)


def resolve(question: str, ctx: DataContext, chat_model=None, prompts_dir=None,
            history: list[tuple[str, str]] | None = None) -> Resolved:
    """The route for a question: the model's (checked) when one is given and answers, else the rules'.

    A short follow-up ("and last month?", "那企业客户呢?") keeps the earlier question's tool and filters
    and changes only what it names; without a time of its own it keeps the earlier window.
    """
    window = resolve_time(question, ctx.clock(), ctx.settings.timezone)
    earlier = follow_up_of(question, history)
    if earlier:
        earlier_window = resolve_time(earlier, ctx.clock(), ctx.settings.timezone)
        base = route_by_rules(earlier, ctx, earlier_window)
        route = _overlay(base, route_by_rules(question, ctx, window), question)
        window = window or earlier_window
        return Resolved(route=route, window=window.span() if window else None, decided_by="follow-up",
                        notes=[f"read as a follow-up to: {earlier}"])
    rules = route_by_rules(question, ctx, window)
    notes: list[str] = []
    decided = "rules"
    route = rules
    mode = ctx.settings.agent_routing
    if chat_model is not None and (mode == "model" or (mode == "auto" and not rules_confident(question, rules, window))):
        try:
            route, notes = route_with_model(chat_model, question, ctx, rules, prompts_dir)
            decided = "model"
        except Exception as exc:  # LLMError, validation, transport: the rules still answer
            from ..errors import AssistantError

            if not isinstance(exc, AssistantError) and exc.__class__.__module__.startswith("assistant"):
                raise
            notes.append(f"the model's routing step failed ({str(exc).splitlines()[0][:160]}); used the rules")
    if route.channel and route.channel not in _channels(ctx):
        known = _channels(ctx)
        notes.append(f"no feedback came via {route.channel!r}" + (f" (channels in this store: {', '.join(known[:10])})"
                                                                  if known else " (no item records its channel)"))
    return Resolved(route=route, window=window.span() if window else None, decided_by=decided, notes=notes)
