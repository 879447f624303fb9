"""The questions bench/agent_eval.py asks, written before any answer was seen, with what a right answer rests on.

Each question names the store it is asked of, the day it is asked on (`as_of`, inside the data), the tool(s)
that can answer it, the filters it asks for (window, category, channel, sentiment, topic, action date) and a
gold predicate over an item: the hidden labels (CFPB product / issue / sub-issue / state / channel; SemEval
aspect category + polarity; online_shopping product type + label) that every item the answer cites should
satisfy. Windows are inclusive dates. Whether a question's right answer is "nothing found" is not written
here: the harness counts the items that satisfy its window and predicate in the store.

Conventions for the filters, from what the question says and nothing else:
- "complaints / problems / negative / 投诉 / 差评 / 不满" -> sentiment negative; "praise / love / 好评" -> positive;
- a subject that is one of the store's categories (the user's own taxonomy) -> `category`, and a topic
  filter on the same words is accepted instead (`or_topic`);
- any other subject ("credit report errors", "slow delivery", "手机") -> `topic`; `allow` lists filters that
  are acceptable beside it (e.g. category credit_reporting for "credit report errors").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Gold:
    """A predicate over an item's hidden labels and metadata, with the words that describe it."""

    describe: str
    test: Callable[[dict], bool]

    def __call__(self, row: dict) -> bool:
        return bool(self.test(row))

    def __and__(self, other: "Gold") -> "Gold":
        return Gold(f"{self.describe} and {other.describe}", lambda r: self(r) and other(r))

    def __or__(self, other: "Gold") -> "Gold":
        return Gold(f"({self.describe} or {other.describe})", lambda r: self(r) or other(r))


ANY = Gold("any item", lambda r: True)


def text(pattern: str) -> Gold:
    rx = re.compile(pattern, re.I)
    return Gold(f"text ~ /{pattern}/", lambda r: bool(rx.search(str(r.get("text") or ""))))


def field_in(name: str, *values: str) -> Gold:
    wanted = set(values)
    return Gold(f"{name} in {sorted(wanted)}", lambda r: str(r.get(name) or "") in wanted)


def field_has(name: str, pattern: str) -> Gold:
    rx = re.compile(pattern, re.I)
    return Gold(f"{name} ~ /{pattern}/", lambda r: bool(rx.search(str(r.get(name) or ""))))


def aspect(category: str | None = None, polarity: str | None = None) -> Gold:
    """SemEval: the sentence carries an aspect category (and polarity) among its gold annotations."""
    def test(r: dict) -> bool:
        return any((category is None or c == category) and (polarity is None or p == polarity)
                   for c, p in r.get("aspects") or [])
    return Gold(f"aspect {category or '*'}/{polarity or '*'}", test)


def shop(cat: str | None = None, label: int | None = None) -> Gold:
    """online_shopping: product type and label (1 positive, 0 negative)."""
    def test(r: dict) -> bool:
        return (cat is None or r.get("cat") == cat) and (label is None or r.get("label") == label)
    return Gold(f"cat={cat or '*'} label={'*' if label is None else label}", test)


# CFPB gold groups (issue and sub-issue names as CFPB files them)
CREDIT_ERRORS = (field_in("issue", "Incorrect information on your report",
                          "Problem with a credit reporting company's investigation into an existing problem")
                 | field_has("sub_issue", r"incorrect|inaccurate|belongs to someone else|old information"))
IDENTITY_THEFT = (field_has("sub_issue", r"identity theft|belongs to someone else|don't recognize")
                  | field_has("issue", r"identity theft|fraud") | text(r"identity theft|stolen identity|identity (was|had been) stolen"))
LATE_FEES = text(r"late (fee|charge|payment fee)s?") | field_has("sub_issue", r"fee") | field_has("issue", r"\bfees?\b")
HARASSMENT = (field_in("issue", "Communication tactics", "Took or threatened to take negative or legal action",
                       "False statements or representation",
                       "Threatened to contact someone or share information improperly")
              | field_has("sub_issue", r"repeated calls|threat|stop contacting|before 8am")
              | text(r"harass|threaten"))
DISPUTES = (field_in("issue", "Problem with a credit reporting company's investigation into an existing problem")
            | field_has("sub_issue", r"dispute|investigation"))
INQUIRIES = (field_has("sub_issue", r"inquir") | field_in("issue", "Improper use of your report")
             | text(r"hard inquir|inquiries"))
OVERDRAFT = text(r"overdraft") | field_has("sub_issue", r"overdraft") | field_in("issue", "Problem caused by your funds being low")
FORECLOSURE = text(r"foreclos") | field_in("product", "Mortgage")
STUDENT_LOANS = field_in("product", "Student loan") | text(r"student loan|forgiveness")
WEB = field_in("channel", "Web")
DELIVERY_ZH = text(r"物流|快递|配送|送货|发货|到货|送到|运输")


@dataclass(frozen=True)
class Question:
    store: str  # cfpb | semeval | shopping
    question: str
    as_of: str  # YYYY-MM-DD, asked at the end of that day
    tools: frozenset[str]
    gold: Gold = ANY
    since: str | None = None  # the window the question asks for (inclusive dates)
    until: str | None = None
    category: str | None = None
    or_topic: bool = False  # a topic filter on the category's words is accepted instead of the category
    channel: str | None = None
    sentiment: str | None = None  # negative | positive
    topic: str | None = None
    action_date: str | None = None
    allow: dict = field(default_factory=dict)  # filters acceptable although not asked for: name -> values
    simple: bool = False  # a plain search, no follow-up

    @property
    def lang(self) -> str:
        return "zh" if re.search(r"[\u4e00-\u9fff]", self.question) else "en"


S, T, E, R = "search_feedback", "top_demands", "evaluate_effect", "trends"
LIST = frozenset({S, T})
NEG, POS = "negative", "positive"

QUESTIONS: list[Question] = [
    # ------------------------------------------------------------------ CFPB complaints (2015-2020, mostly 2019)
    Question("cfpb", "What are the top complaints about credit report errors in March 2019?", "2019-04-15", LIST,
             CREDIT_ERRORS, "2019-03-01", "2019-03-31", sentiment=NEG, topic="credit report errors",
             allow={"category": {"credit_reporting"}}),
    Question("cfpb", "Show me complaints about identity theft from last month.", "2019-02-10", LIST,
             IDENTITY_THEFT, "2019-01-01", "2019-01-31", sentiment=NEG, topic="identity theft",
             allow={"category": {"credit_reporting"}}),
    Question("cfpb", "What do people say about late fees?", "2020-03-31", frozenset({S}), LATE_FEES,
             topic="late fees"),
    Question("cfpb", "Top debt collection complaints in the last 30 days", "2019-07-31", LIST,
             field_in("product", "Debt collection"), "2019-07-02", "2019-07-31", category="debt_collection",
             or_topic=True, sentiment=NEG),
    Question("cfpb", "Are there complaints about harassment by debt collectors this week?", "2019-07-31", LIST,
             HARASSMENT, "2019-07-29", "2019-07-31", sentiment=NEG, topic="harassment by debt collectors",
             allow={"category": {"debt_collection"}}),
    Question("cfpb", "Which mortgage problems came up most in 2019?", "2019-12-31", frozenset({T}),
             field_in("product", "Mortgage"), "2019-01-01", "2019-12-31", category="mortgage", or_topic=True,
             sentiment=NEG),
    Question("cfpb", "Any complaints from customers in Texas about debt collection in 2019?", "2019-12-31", LIST,
             field_in("state", "TX") & field_in("product", "Debt collection"), "2019-01-01", "2019-12-31",
             category="debt_collection", or_topic=True, sentiment=NEG, allow={"topic": {"texas"}}),
    Question("cfpb", "How has the volume of credit reporting feedback changed week by week since 2019-01-01?",
             "2019-03-31", frozenset({R}), field_in("product", "Credit reporting, credit repair services, or other "
                                                    "personal consumer reports"),
             "2019-01-01", "2019-03-31", category="credit_reporting", or_topic=True),
    Question("cfpb", "Which issues are spiking this month?", "2019-07-31", frozenset({R}), ANY,
             "2019-07-01", "2019-07-31", allow={"sentiment": {NEG}}),
    Question("cfpb", "Did complaints about credit report disputes drop after 2019-03-01?", "2019-06-30",
             frozenset({E}), DISPUTES, sentiment=None, topic="credit report disputes", action_date="2019-03-01",
             allow={"category": {"credit_reporting"}, "sentiment": {NEG}}),
    Question("cfpb", "What did customers complain about last week?", "2020-02-20", LIST, ANY,
             "2020-02-10", "2020-02-16", sentiment=NEG),
    Question("cfpb", "What do customers say about the mobile app's dark mode?", "2020-03-31", frozenset({S}),
             text(r"dark mode"), topic="dark mode"),
    Question("cfpb", "What complaints were submitted via the web in July 2019?", "2019-08-15", LIST, WEB,
             "2019-07-01", "2019-07-31", channel="web", sentiment=NEG),
    Question("cfpb", "Show complaints submitted by phone in 2019.", "2019-12-31", LIST,
             field_in("channel", "Phone"), "2019-01-01", "2019-12-31", sentiment=NEG,
             allow={"channel": {"phone"}}),
    Question("cfpb", "student loan forgiveness", "2020-03-31", frozenset({S}), STUDENT_LOANS,
             topic="student loan forgiveness", simple=True,
             allow={"category": {"student_loan"}}),  # a category of the user's taxonomy (convention above)
    Question("cfpb", "foreclosure", "2020-03-31", frozenset({S}), FORECLOSURE, topic="foreclosure", simple=True),
    Question("cfpb", "Top complaints about hard inquiries I didn't authorize in 2019", "2019-12-31", LIST, INQUIRIES,
             "2019-01-01", "2019-12-31", sentiment=NEG, topic="unauthorized hard inquiries",
             allow={"category": {"credit_reporting"}}),
    Question("cfpb", "What are people saying about overdraft fees?", "2020-03-31", frozenset({S}), OVERDRAFT,
             topic="overdraft fees", allow={"category": {"bank_account"}}),
    Question("cfpb", "2019年3月关于信用报告错误的投诉有哪些?", "2019-04-15", LIST, CREDIT_ERRORS,
             "2019-03-01", "2019-03-31", sentiment=NEG, topic="信用报告错误",
             allow={"category": {"credit_reporting"}}),
    Question("cfpb", "上个月有哪些关于催收骚扰的投诉?", "2019-08-05", LIST, HARASSMENT,
             "2019-07-01", "2019-07-31", sentiment=NEG, topic="催收骚扰", allow={"category": {"debt_collection"}}),
    Question("cfpb", "最近三天的投诉主要是什么?", "2019-07-31", frozenset({T}), ANY,
             "2019-07-29", "2019-07-31", sentiment=NEG),
    Question("cfpb", "身份被盗用的投诉在2019年2月之后有没有减少?", "2019-06-30", frozenset({E}), IDENTITY_THEFT,
             topic="身份被盗用", action_date="2019-02-01",
             allow={"category": {"credit_reporting"}, "sentiment": {NEG}}),
    # ------------------------------------------------------------------ SemEval-2014 restaurants (synthetic dates)
    Question("semeval", "What do diners complain about regarding the ambience?", "2024-04-14", LIST,
             aspect("ambience", NEG), category="ambience", or_topic=True, sentiment=NEG),
    Question("semeval", "What do customers praise this week?", "2024-04-14", LIST, aspect(None, POS),
             "2024-04-08", "2024-04-14", sentiment=POS),
    Question("semeval", "Top complaints about slow service last month", "2024-04-14", LIST,
             aspect("service", NEG), "2024-03-01", "2024-03-31", sentiment=NEG, topic="slow service",
             allow={"category": {"service"}}),
    Question("semeval", "What do people love about the food?", "2024-04-14", LIST, aspect("food", POS),
             category="food", or_topic=True, sentiment=POS),
    Question("semeval", "What do customers say about prices?", "2024-04-14", frozenset({S}), aspect("price"),
             category="price", or_topic=True),
    Question("semeval", "Negative feedback about the staff in the last 7 days", "2024-04-14", LIST,
             aspect("service", NEG), "2024-04-08", "2024-04-14", sentiment=NEG, topic="staff",
             allow={"category": {"service"}}),
    Question("semeval", "How has feedback about service changed week by week?", "2024-04-14", frozenset({R}),
             aspect("service"), category="service", or_topic=True),
    Question("semeval", "Top demands in March 2024", "2024-04-14", frozenset({T}), ANY, "2024-03-01", "2024-03-31"),
    Question("semeval", "What did diners complain about in January 2024?", "2024-04-14", LIST, ANY,
             "2024-01-01", "2024-01-31", sentiment=NEG),
    Question("semeval", "Any complaints about the wifi?", "2024-04-14", LIST, text(r"wi-?fi"), sentiment=NEG,
             topic="wifi"),
    Question("semeval", "sushi", "2024-04-14", frozenset({S}), text(r"sushi|sashimi|\broll"), topic="sushi",
             simple=True),
    Question("semeval", "What do people complain about regarding waiting times?", "2024-04-14", LIST,
             aspect("service", NEG) | (text(r"wait|slow|took|long|hour|minutes") & aspect(None, NEG)),
             sentiment=NEG, topic="waiting times", allow={"category": {"service"}}),
    Question("semeval", "Did complaints about service go down after 2024-03-25?", "2024-04-14", frozenset({E}),
             aspect("service"), category="service", or_topic=True, action_date="2024-03-25",
             allow={"sentiment": {NEG}}),
    Question("semeval", "顾客对服务员的态度有哪些差评?", "2024-04-14", LIST, aspect("service", NEG), sentiment=NEG,
             topic="服务员的态度", allow={"category": {"service"}}),
    Question("semeval", "上周关于食物的好评有哪些?", "2024-04-14", LIST, aspect("food", POS),
             "2024-04-01", "2024-04-07", category="food", or_topic=True, sentiment=POS),
    # ------------------------------------------------------------------ online_shopping_9_cats (Chinese, synthetic dates)
    Question("shopping", "最近三天有哪些负面反馈?", "2023-11-19", LIST, shop(label=0), "2023-11-17", "2023-11-19",
             sentiment=NEG),
    Question("shopping", "上周关于物流/配送的投诉有哪些?", "2023-11-19", LIST, DELIVERY_ZH & shop(label=0),
             "2023-11-06", "2023-11-12", sentiment=NEG, topic="物流/配送"),
    Question("shopping", "顾客对手机有哪些好评?", "2023-11-19", LIST, shop("手机", 1), sentiment=POS, topic="手机",
             allow={"product": {"手机"}}),
    Question("shopping", "热水器的主要问题是什么?", "2023-11-19", frozenset({T}), shop("热水器", 0), sentiment=NEG,
             topic="热水器", allow={"product": {"热水器"}}),
    Question("shopping", "本月关于水果质量的投诉", "2023-11-19", LIST, shop("水果", 0), "2023-11-01", "2023-11-19",
             sentiment=NEG, topic="水果质量", allow={"product": {"水果"}}),
    Question("shopping", "书籍的评价怎么样?", "2023-11-19", frozenset({S}), shop("书籍"), topic="书籍",
             allow={"product": {"书籍"}}),
    Question("shopping", "2023年10月客户最不满意的是什么?", "2023-11-19", frozenset({T}), shop(label=0),
             "2023-10-01", "2023-10-31", sentiment=NEG),
    Question("shopping", "洗发水用了以后头皮痒的反馈", "2023-11-19", frozenset({S}), shop("洗发水"),
             topic="洗发水 头皮痒", allow={"product": {"洗发水"}, "sentiment": {NEG}}),
    Question("shopping", "最近一个月好评最多的是什么?", "2023-11-19", frozenset({T}), shop(label=1),
             "2023-10-20", "2023-11-19", sentiment=POS),
    Question("shopping", "2023年5月有哪些投诉?", "2023-11-19", LIST, shop(label=0), "2023-05-01", "2023-05-31",
             sentiment=NEG),
    Question("shopping", "有没有关于停车位的投诉?", "2023-11-19", LIST, text(r"停车"), sentiment=NEG, topic="停车位"),
    Question("shopping", "衣服尺码偏小的评价", "2023-11-19", frozenset({S}), shop("衣服"), topic="衣服尺码偏小",
             allow={"product": {"衣服"}, "sentiment": {NEG}}),
    Question("shopping", "计算机类产品的差评趋势", "2023-11-19", frozenset({R}), shop("计算机", 0), sentiment=NEG,
             topic="计算机", allow={"product": {"计算机"}}),
    Question("shopping", "What do customers complain about regarding water heaters?", "2023-11-19", LIST,
             shop("热水器", 0), sentiment=NEG, topic="water heaters", allow={"product": {"热水器"}}),
    Question("shopping", "蒙牛牛奶的口味怎么样?", "2023-11-19", frozenset({S}), shop("蒙牛"), topic="蒙牛牛奶的口味",
             allow={"product": {"蒙牛"}}),
    Question("shopping", "物流慢的投诉在11月1日之后有没有减少?", "2023-11-19", frozenset({E}), DELIVERY_ZH,
             topic="物流慢", action_date="2023-11-01", allow={"sentiment": {NEG}}),
    Question("shopping", "今天有什么新反馈?", "2023-11-19", frozenset({S}), ANY, "2023-11-19", "2023-11-19"),
    Question("shopping", "平板电脑", "2023-11-19", frozenset({S}), shop("平板"), topic="平板电脑", simple=True,
             allow={"product": {"平板"}}),
]
