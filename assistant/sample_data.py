"""Bundled bilingual sample feedback for FreshBox / 鲜盒, a fictional meal-kit subscription with an app.

`build_records` makes the items in memory, with ground-truth labels; `generate_sample` writes them as the
files a user would ingest (CSV, JSONL, JSON, XLSX or GBK CSV) and, only if asked, the labels to a
separate file. Planted events (`EVENTS`) give the analysis something real to find. Everything is
derived from one `random.Random(seed)`, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from assistant import sample_texts as T

DEFAULT_START = date(2026, 8, 3)
KINDS = ("support_ticket", "app_review", "social_post", "nps_survey")

# Day offsets of the planted events from `start` (week n starts at day 7 * (n - 1)).
PRICE_DAY, FIX_DAY, OUTAGE_DAY = 35, 49, 57
BASE_PER_DAY = 23.5
ZH_SHARE = 0.43  # of customers and of activity; ~9% of Chinese speakers' items end in English (mixed)
WEEKDAY = (1.15, 1.10, 1.05, 1.0, 0.95, 0.62, 0.58)  # Mon..Sun: fewer items at weekends
HOURS = (1, .6, .4, .3, .3, .5, 1, 2, 3, 4, 4.5, 4.5, 4, 4, 4, 4, 4, 4, 4.5, 5, 5, 4, 3, 2)  # UTC
ANDROID_VERSIONS = (("4.2.0", "4.2.1", "4.2.3"), ("4.3.0", "4.3.1"))  # before / after the checkout fix
IOS_VERSIONS = (("4.2.0", "4.2.2"), ("4.3.0", "4.3.2"))
PRODUCTS = {plan: f"FreshBox {plan}" for plan in ("Classic", "Family", "Veggie", "Office")}
TIER_ZH = {"free": "免费版", "pro": "专业版", "enterprise": "企业版"}
NPS_HEADER = ["编号", "日期", "客户ID", "客户名称", "客户类型", "评分", "反馈"]


@dataclass(frozen=True)
class Customer:
    """One member of the stable customer pool; `name` is the company for enterprise customers."""

    id: str
    name: str
    contact: str
    tier: str
    lang: str
    platform: str
    plan: str
    city: str
    handle: str
    app_user: str
    email: str
    phone: str
    since_year: int
    activity: float


@dataclass
class SampleRecord:
    """One generated item plus its ground truth (category, theme, sentiment, event), which no ingested file carries."""

    kind: str
    ts: datetime
    text: str
    lang: str
    category: str
    theme: str
    sentiment: str
    customer: Customer | None
    author: str
    rating: int | None = None
    event: str = ""
    platform: str = ""
    app_version: str = ""
    ticket_channel: str = ""
    subject: str = ""
    product: str = ""
    likes: int = 0
    id: str = ""

    @property
    def customer_id(self) -> str:
        return self.customer.id if self.customer else ""


def events_for(start: date = DEFAULT_START, weeks: int = 14) -> list[dict]:
    """The planted events for data starting at `start` and spanning `weeks`; dates are ISO strings."""
    day = lambda n: (start + timedelta(days=n)).isoformat()  # noqa: E731
    last = weeks * 7 - 1
    events = [
        dict(name="price_increase", kind="spike", start=day(PRICE_DAY), end=day(PRICE_DAY + 13),
             week=PRICE_DAY // 7 + 1,
             category="pricing", theme="price_increase",
             keywords=["price increase", "raised the price", "$69.99", "涨价", "从399涨到459"],
             description="Plan price rises ($59.99 -> $69.99 a week, 月卡 399 -> 459) on the first day of the week, "
                         "announced by e-mail at 09:00 UTC.",
             expected="Pricing complaints several times baseline that week and the next, then decaying but "
                      "staying above the pre-increase level until the end of the data."),
        dict(name="outage", kind="outage", start=day(OUTAGE_DAY), end=day(OUTAGE_DAY + 1), week=OUTAGE_DAY // 7 + 1,
             category="user_experience", theme="outage_login",
             keywords=["app down", "can't log in", "502", "无法登录", "打不开", "崩了"],
             description="App and website down from about 10:05 to 14:40 UTC; a few follow-ups the next morning.",
             expected="That day has about three times a normal day's volume, mostly social posts and tickets, "
                      "dominated by login / 502 / 打不开 complaints; nothing similar on other days."),
        dict(name="pause_subscription", kind="steady_request", start=day(0), end=day(last), week=1,
             category="product_feature", theme="pause_subscription",
             keywords=["pause my subscription", "skip a week", "vacation hold", "暂停订阅", "跳过本周"],
             description="Customers keep asking to pause or skip a week instead of cancelling.",
             expected="A steady top feature request every week, from many different customers, growing mildly "
                      "(about +6% per week)."),
        dict(name="android_checkout_crash", kind="fixed", start=day(0), end=day(FIX_DAY - 1), week=FIX_DAY // 7 + 1,
             fix_date=day(FIX_DAY), category="user_experience", theme="android_checkout_crash",
             keywords=["Android", "crashes at checkout", "place order", "安卓", "结账闪退", "支付闪退"],
             description="The Android app crashes at checkout until app version 4.3.0 ships on fix_date.",
             expected="A frequent complaint (about 12 a week) before fix_date, a few 'fixed, thanks' items in the "
                      "days after it, then a residual of about one complaint a week."),
    ]
    # An event counts only if its defining day (the fix, for a fixed problem) falls inside the data.
    return [e for e in events if e.get("fix_date", e["start"]) <= day(last)]


EVENTS = events_for(DEFAULT_START, 14)


def build_records(*, seed: int = 7, start: date = DEFAULT_START, weeks: int = 14,
                  scale: float = 1.0) -> list[SampleRecord]:
    """All sample items in time order, with ids and ground truth, without writing anything."""
    if weeks < 1 or scale <= 0:
        raise ValueError("weeks must be at least 1 and scale positive")
    rng = random.Random(seed)
    gen = _Generator(rng, build_customers(rng), start)
    week_noise = [max(0.7, rng.gauss(1.0, 0.08)) for _ in range(weeks)]
    for d in range(weeks * 7):
        day, week = start + timedelta(days=d), d // 7
        wd = WEEKDAY[day.weekday()]
        for _ in range(_poisson(rng, BASE_PER_DAY * wd * (1 + 0.01 * week) * week_noise[week] * scale)):
            gen.baseline(day)
        for _ in range(_poisson(rng, 0.85 * (1 + 0.06 * week) * wd * scale)):
            gen.event(day, "pause_subscription", (0.4, 0.15, 0.15, 0.3))
        crash = dict(theme="android_checkout_crash", weights=(0.35, 0.5, 0.15, 0.0), platform="Android")
        if d < FIX_DAY:
            for _ in range(_poisson(rng, 1.8 * wd * scale)):
                gen.event(day, **crash, sentiment="neg")
        else:
            for _ in range(_poisson(rng, (0.6 if d < FIX_DAY + 4 else 0.0) * scale)):
                gen.event(day, **crash, sentiment="pos")
            for _ in range(_poisson(rng, 0.15 * scale)):
                gen.event(day, **crash, sentiment="neg", variant="after")
        if d >= PRICE_DAY:
            lam = (15 * math.exp(-(d - PRICE_DAY) / 8) + 0.9) * scale
            window = (9 * 60, 24 * 60 - 1) if d == PRICE_DAY else None
            for _ in range(_poisson(rng, lam)):
                gen.event(day, "price_increase", (0.3, 0.15, 0.3, 0.25), window=window)
        if d == OUTAGE_DAY:
            for _ in range(_poisson(rng, 70 * scale)):
                gen.event(day, "outage_login", (0.3, 0.15, 0.55, 0.0), window=(10 * 60 + 5, 14 * 60 + 40))
        if d == OUTAGE_DAY + 1:
            for _ in range(_poisson(rng, 8 * scale)):
                gen.event(day, "outage_login", (0.4, 0.1, 0.5, 0.0), window=(30, 9 * 60), sentiment="neg",
                          variant="after")
    records = sorted(gen.records, key=lambda r: r.ts)  # stable: equal times keep generation order
    prefixes = {"support_ticket": "TK-", "app_review": "AR-", "social_post": "SP-", "nps_survey": "NPS-"}
    counters = dict.fromkeys(KINDS, 0)
    for r in records:
        counters[r.kind] += 1
        r.id = f"{prefixes[r.kind]}{counters[r.kind] + (100000 if r.kind == 'support_ticket' else 0):05d}"
    return records


def generate_sample(out_dir: Path, *, seed: int = 7, start: date = DEFAULT_START, weeks: int = 14, scale: float = 1.0,
                    labels_path: Path | None = None, nps_format: str = "auto") -> list[Path]:
    """Write the bilingual sample feedback files into out_dir and return their paths.

    `nps_format` is "xlsx", "csv" (GBK-encoded) or "auto" (xlsx when openpyxl is importable). Ground-truth
    labels go to `labels_path` only if given; keep it outside out_dir so a folder ingest does not read it.
    """
    if nps_format == "auto":
        try:
            import openpyxl  # noqa: F401
            nps_format = "xlsx"
        except ImportError:
            nps_format = "csv"
    if nps_format not in ("xlsx", "csv"):
        raise ValueError(f"nps_format must be 'auto', 'xlsx' or 'csv', not {nps_format!r}")
    records = build_records(seed=seed, start=start, weeks=weeks, scale=scale)
    by_kind = {k: [r for r in records if r.kind == k] for k in KINDS}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "support_tickets.csv", out_dir / "app_reviews.jsonl", out_dir / "social_posts.json",
             out_dir / f"nps_survey.{nps_format}"]
    # A survey file left by an earlier run in the other format would be ingested twice.
    (out_dir / f"nps_survey.{'csv' if nps_format == 'xlsx' else 'xlsx'}").unlink(missing_ok=True)
    _write_tickets(paths[0], by_kind["support_ticket"])
    _write_reviews(paths[1], by_kind["app_review"])
    _write_social(paths[2], by_kind["social_post"])
    export_time = datetime.combine(start + timedelta(days=weeks * 7), time(), tzinfo=timezone.utc)
    _write_nps(paths[3], by_kind["nps_survey"], nps_format, export_time)
    if labels_path is not None:
        write_labels(Path(labels_path), records, {k: p.name for k, p in zip(KINDS, paths)})
    return paths


def write_labels(path: Path, records: list[SampleRecord], files: dict[str, str]) -> Path:
    """Ground truth per item (join on `id`, or on `file` + `record`, the 1-based position in that file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    position: dict[str, int] = dict.fromkeys(KINDS, 0)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "file", "record", "date", "channel", "lang", "customer_id", "tier", "category", "theme",
                    "sentiment", "rating", "event", "text"])
        for r in records:
            position[r.kind] += 1
            w.writerow([r.id, files[r.kind], position[r.kind], r.ts.date().isoformat(), r.kind, r.lang, r.customer_id,
                        r.customer.tier if r.customer else "", r.category, r.theme, _SENTIMENT[r.sentiment],
                        "" if r.rating is None else r.rating, r.event, r.text])
    return path


_SENTIMENT = {"neg": "negative", "neu": "neutral", "pos": "positive"}


def build_customers(rng: random.Random, n: int = 300) -> list[Customer]:
    """A stable pool of customers: ids C0001.., English and Chinese names, tiers with few enterprise accounts."""
    customers: list[Customer] = []
    seen: set[str] = set()
    for i in range(1, n + 1):
        lang = "zh" if rng.random() < ZH_SHARE else "en"
        r = rng.random()
        tier = "enterprise" if r < 0.08 else "pro" if r < 0.38 else "free"
        while True:
            if lang == "en":
                first, last = rng.choice(T.EN_FIRST), rng.choice(T.EN_LAST)
                person, local = f"{first} {last}", f"{first}.{last}".lower()
            else:
                (sur, sur_py), (given, given_py) = rng.choice(T.ZH_SURNAMES), rng.choice(T.ZH_GIVEN)
                first, person, local = given, sur + given, given_py + sur_py
            name = person
            if tier == "enterprise":
                if lang == "en":
                    name = f"{rng.choice(T.EN_COMPANY_A)} {rng.choice(T.EN_COMPANY_B)}"
                else:
                    city = rng.choice(["上海", "杭州", "深圳", "北京"])
                    name = f"{city}{rng.choice(T.ZH_COMPANY_A)}{rng.choice(T.ZH_COMPANY_B)}"
            if name not in seen:
                seen.add(name)
                break
        if lang == "en":
            handle = rng.choice([f"{first.lower()}{rng.choice(['', '_', '.'])}{last.lower()[:rng.randint(1, 4)]}",
                                 f"{first.lower()}eats{rng.randint(1, 99)}",
                                 f"{last.lower()}_{first.lower()[0]}{rng.randint(70, 99)}"])
            app_user = rng.choice([f"{first} {last[0]}.", handle, first + str(rng.randint(1, 999))])
            phone = f"+1 {rng.choice([206, 415, 512, 617, 303, 503, 312, 408, 718])}-555-01{rng.randint(0, 99):02d}"
        else:
            handle = rng.choice(T.ZH_NICK_A) + rng.choice(T.ZH_NICK_B) + rng.choice(T.ZH_NICK_C)
            app_user = rng.choice([handle, f"鲜盒用户{rng.randint(1000, 9999)}", person[0] + "**"])
            phone = f"1{rng.choice(['38', '39', '86', '59', '50', '77'])}{rng.randint(0, 99999999):08d}"
        if tier == "enterprise":
            handle = local.replace(".", "_") + "_office" if lang == "en" else name[2:4] + "行政部"
        domain = rng.choice(T.EMAIL_DOMAINS[lang])
        number = rng.randint(10**7, 10**10) if domain == "qq.com" else rng.randint(1, 99)
        email = f"{number}@qq.com" if domain == "qq.com" else f"{local}{number}@{domain}"
        customers.append(Customer(
            id=f"C{i:04d}", name=name, contact=person, tier=tier, lang=lang,
            platform="Android" if rng.random() < (0.65 if lang == "zh" else 0.4) else "iOS",
            plan="Office" if tier == "enterprise" else rng.choice(["Classic", "Family", "Veggie"]),
            city=rng.choice(T.SLOT_VALUES[lang]["city"]), handle=handle, app_user=app_user, email=email, phone=phone,
            since_year=rng.randint(2019, 2025),
            activity=rng.lognormvariate(0, 0.7) * (1.8 if tier == "enterprise" else 1.0)))
    # Pin each language's share of activity, so the language mix does not swing with a few heavy writers.
    totals = {lang: sum(c.activity for c in customers if c.lang == lang) for lang in ("en", "zh")}
    target = {"zh": ZH_SHARE, "en": 1 - ZH_SHARE}
    return [replace(c, activity=c.activity * target[c.lang] / totals[c.lang]) for c in customers]


class _Generator:
    """Makes one record at a time; holds the pool and the precomputed weights so picks stay cheap."""

    def __init__(self, rng: random.Random, customers: list[Customer], start: date):
        self.rng, self.customers, self.start = rng, customers, start
        self.records: list[SampleRecord] = []
        self.android = [c for c in customers if c.platform == "Android"]
        self.base_themes = [k for k, v in T.THEMES.items() if v["weight"] > 0]
        self.base_weights = [T.THEMES[k]["weight"] for k in self.base_themes]
        self.ent_themes = [k for k, v in T.THEMES.items() if v.get("ent", 0) > 0]
        self.ent_weights = [T.THEMES[k]["ent"] for k in self.ent_themes]

    def _customer(self, platform: str | None = None) -> Customer:
        pool = self.android if platform == "Android" else self.customers
        return self.rng.choices(pool, weights=[c.activity for c in pool])[0]

    def baseline(self, day: date) -> None:
        rng = self.rng
        if rng.random() < 0.82:
            cust = self._customer()
            weights = (0.7, 0.04, 0.04, 0.22) if cust.tier == "enterprise" else (0.36, 0.26, 0.2, 0.18)
            kind = rng.choices(KINDS, weights=weights)[0]
        else:
            cust, kind = None, rng.choices(KINDS[1:3], weights=(0.55, 0.45))[0]
        if cust and cust.tier == "enterprise" and rng.random() < 0.45:
            theme = rng.choices(self.ent_themes, weights=self.ent_weights)[0]
        else:
            theme = rng.choices(self.base_themes, weights=self.base_weights)[0]
        self._add(day, kind, theme, cust)

    def event(self, day: date, theme: str, weights: tuple, *, platform: str | None = None,
              sentiment: str | None = None, variant: str | None = None, window: tuple[int, int] | None = None) -> None:
        rng = self.rng
        kind = rng.choices(KINDS, weights=weights)[0]
        needs_customer = kind in ("support_ticket", "nps_survey")
        cust = self._customer(platform) if needs_customer or rng.random() < 0.75 else None
        self._add(day, kind, theme, cust, sentiment=sentiment, variant=variant, window=window, platform=platform,
                  event=theme if theme != "outage_login" else "outage")

    def _add(self, day, kind, theme, cust, *, sentiment=None, variant=None, window=None, platform=None, event=""):
        rng, spec = self.rng, T.THEMES[theme]
        if cust:
            lang = cust.lang
        else:
            lang = "zh" if rng.random() < ZH_SHARE else "en"
        mixed = rng.random() < (0.09 if lang == "zh" else 0.02)
        if sentiment is None:
            bank = spec[lang]
            # Only sentiments this language has texts for (a few themes lack, say, Chinese praise).
            weights = [p if s in bank else 0 for s, p in zip(("neg", "neu", "pos"), spec["sent"])]
            sentiment = rng.choices(("neg", "neu", "pos"), weights=weights)[0]
        lo, hi = window or (0, 24 * 60 - 1)
        minute = rng.randint(lo, hi) if window else rng.choices(range(24), weights=HOURS)[0] * 60 + rng.randint(0, 59)
        midnight = datetime.combine(day, time(), tzinfo=timezone.utc)
        ts = midnight + timedelta(minutes=min(minute, hi), seconds=rng.randint(0, 59))
        fixed = (ts.date() - self.start).days >= FIX_DAY
        rec = SampleRecord(kind=kind, ts=ts, text="", lang="mixed" if mixed else lang, category=spec["category"],
                           theme=theme, sentiment=sentiment, customer=cust, author="", event=event)
        if kind == "app_review":
            rec.platform = platform or (cust.platform if cust else rng.choice(("iOS", "Android")))
            rec.app_version = rng.choice((ANDROID_VERSIONS if rec.platform == "Android" else IOS_VERSIONS)[fixed])
            rec.author = cust.app_user if cust else _anonymous(rng, lang)
            rec.rating = _rating(rng, sentiment, 1, 5)
        elif kind == "social_post":
            rec.platform = rng.choices(*(_ZH_SOCIAL if lang == "zh" else _EN_SOCIAL))[0]
            rec.author = cust.handle if cust else _anonymous(rng, lang)
            rec.likes = int(rng.lognormvariate(1.0, 1.3)) * (3 if theme == "outage_login" else 1)
        elif kind == "support_ticket":
            rec.ticket_channel = rng.choices(("email", "web_form", "chat", "phone"), weights=(45, 30, 20, 5))[0]
            subjects = spec["subject"][lang == "zh"]
            rec.subject = rng.choice(subjects) if rng.random() < 0.9 else ""
            app = spec["category"] == "user_experience"
            rec.product = "FreshBox App" if app else PRODUCTS[cust.plan]
            rec.author = cust.name
        else:
            rec.author = cust.name
            rec.rating = _rating(rng, sentiment, 0, 10)
        version = rng.choice(ANDROID_VERSIONS[fixed])
        rec.text = T.compose_text(rng, lang=lang, theme=theme, sentiment=sentiment, variant=variant, kind=kind,
                                  mixed=mixed, when=ts, customer=cust, platform=rec.platform, version=version)
        self.records.append(rec)


_EN_SOCIAL = (("twitter", "reddit", "facebook"), (0.6, 0.2, 0.2))
_ZH_SOCIAL = (("weibo", "xiaohongshu", "douyin"), (0.6, 0.3, 0.1))


def _anonymous(rng: random.Random, lang: str) -> str:
    if lang == "zh":
        return rng.choice([f"鲜盒用户{rng.randint(10000, 99999)}", rng.choice(T.ZH_NICK_A) + rng.choice(T.ZH_NICK_B)])
    return rng.choice([f"user{rng.randint(1000, 99999)}", f"{rng.choice(T.EN_FIRST).lower()}_{rng.randint(1, 999)}"])


def _rating(rng: random.Random, sentiment: str, low: int, high: int) -> int:
    """Rating that follows the sentiment, with some noise (people mis-tap, or are kind despite a complaint)."""
    if rng.random() < 0.07:
        return rng.randint(low, high)
    if high == 5:
        options = {"neg": ((1, 2, 3), (60, 30, 10)), "neu": ((2, 3, 4), (25, 50, 25)), "pos": ((4, 5), (35, 65))}
    else:
        options = {"neg": (tuple(range(0, 7)), (10, 8, 14, 18, 18, 17, 15)), "neu": ((5, 6, 7, 8), (15, 30, 35, 20)),
                   "pos": ((8, 9, 10), (25, 35, 40))}
    values, weights = options[sentiment]
    return rng.choices(values, weights=weights)[0]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _write_tickets(path: Path, records: list[SampleRecord]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["ticket_id", "created_at", "customer_id", "customer_name", "tier", "channel", "product", "subject",
                    "body"])
        for r in records:
            w.writerow([r.id, r.ts.strftime("%Y-%m-%d %H:%M"), r.customer_id, r.author, r.customer.tier,
                        r.ticket_channel, r.product, r.subject, r.text])


def _write_reviews(path: Path, records: list[SampleRecord]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            row = {"id": r.id, "date": r.ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "user": r.author, "platform": r.platform,
                   "app_version": r.app_version, "rating": r.rating, "text": r.text}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_social(path: Path, records: list[SampleRecord]) -> None:
    rows = [{"id": r.id, "time": int(r.ts.timestamp()), "handle": r.author, "platform": r.platform,
             "likes": r.likes, "text": r.text} for r in records]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")


def _write_nps(path: Path, records: list[SampleRecord], fmt: str, export_time: datetime) -> None:
    rows = [[r.id, f"{r.ts.year}年{r.ts.month}月{r.ts.day}日", r.customer_id, r.author, TIER_ZH[r.customer.tier],
             r.rating, r.text] for r in records]
    if fmt == "csv":
        # GBK is what Excel on a Chinese-locale Windows writes; it exercises encoding detection on ingest.
        with path.open("w", encoding="gbk", newline="") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(NPS_HEADER)
            w.writerows(rows)
        return
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "问卷结果"
    ws.append(NPS_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col, width in zip("ABCDEFG", (12, 14, 10, 24, 10, 6, 80)):
        ws.column_dimensions[col].width = width
    wb.properties.creator = "FreshBox survey export"
    buf = io.BytesIO()
    wb.save(buf)
    _write_stable_zip(buf.getvalue(), path, export_time)


def _write_stable_zip(data: bytes, path: Path, when: datetime) -> None:
    """Rewrite an xlsx with fixed zip entry times and document dates: openpyxl stamps the current time."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                                 rb"\g<1>" + stamp.encode() + rb"\g<3>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            zout.writestr(entry, content)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write the FreshBox / 鲜盒 sample feedback files.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--labels", type=Path, default=None, help="also write ground truth here (outside out_dir)")
    args = parser.parse_args()
    for p in generate_sample(args.out_dir, seed=args.seed, scale=args.scale, labels_path=args.labels):
        print(p)
