"""Text banks for the FreshBox / 鲜盒 sample data, and `compose_text`, which assembles one item from them.

Bodies carry `{slot}` placeholders filled per item; with openers, details, closers, rewordings and
typos, a few hundred templates yield thousands of distinct texts. Chinese is written as customers
write it, not translated. Keep the banks free of emoji: NPS comments may be written as GBK, which has
none (emoji are only added to social posts).
"""

from __future__ import annotations

import random
import re
from datetime import datetime

CATEGORIES = ("product_feature", "service_quality", "user_experience", "pricing", "other")

# weight: share of baseline (non-event) volume; ent: share of enterprise-specific volume;
# sent: (negative, neutral, positive) probabilities; bare: never decorated with openers, details or closers.
# Event themes have weight 0: their volume is scheduled by `sample_data`.
THEMES: dict[str, dict] = {
    # ---- product_feature -------------------------------------------------------------------------
    "pause_subscription": dict(category="product_feature", weight=0, sent=(0.35, 0.65, 0.0),
        subject=(["Pause subscription?", "Feature request: skip a week"], ["能暂停订阅吗", "建议：跳过一周"]),
        en=dict(neu=["Would love an option to pause my subscription for a couple of weeks while I'm traveling.",
                     "Any plans to let us skip a week? I'm away for {days} days next month.",
                     "Feature request: pause subscription without cancelling.",
                     "Can you add a 'skip this week' button? I don't need a box every single week.",
                     "Is there a way to pause deliveries over the holidays? Couldn't find it in the app.",
                     "Please add a vacation hold option. I'd rather pause than cancel.",
                     "Would be great if I could skip next week's box, we're eating out a lot.",
                     "Need to skip the next {n} weeks, is that possible without cancelling?",
                     "Please let us pause over the school holidays, the kids are away."],
                neg=["Why is there still no way to pause my subscription? I had to cancel just to skip one week.",
                     "Going on vacation and the only option is to cancel?? Just let me pause it.",
                     "Asking again: please let me skip a week. Cancelling and re-subscribing every time is ridiculous.",
                     "No pause option means I pay for boxes that rot on my porch while I'm away.",
                     "Cancelled because I couldn't pause for {days} days. Will probably come back, but come on."]),
        zh=dict(neu=["能不能加个暂停订阅的功能？出差{days}天不需要配送。",
                     "建议增加“跳过本周”的选项，有时候一周根本吃不完。",
                     "请问可以暂停订阅吗，下个月回老家，不想退订。",
                     "希望能像视频会员一样随时暂停，回来再续上。",
                     "有没有办法跳过一周？在app里找了半天没找到。",
                     "放假那几周能不能先停一下，回来再接着送？", "接下来{n}周不在家，能不能先停掉配送？"],
                neg=["连个暂停订阅都没有，出去玩只能退订，太不方便了。",
                     "说了好几次了，能不能让我们暂停一周？每次退订再重新订很麻烦。",
                     "放假家里没人，菜送过来全坏了，就不能暂停吗？",
                     "为了停{days}天只能先退订，这设计真的离谱。"])),
    "export_excel": dict(category="product_feature", weight=3, sent=(0.2, 0.8, 0.0),
        subject=(["Export order history", "Excel export?"], ["导出订单记录", "能导出Excel吗"]),
        en=dict(neu=["Can I export my order history to Excel? I need it for expenses.",
                     "Please add CSV or Excel export for invoices and past orders.",
                     "Would be handy to download my receipts as a spreadsheet.",
                     "Feature request: export the nutrition info of my meals to Excel."],
                neg=["There's no way to export my order history, I had to copy {n} months of orders by hand."]),
        zh=dict(neu=["能不能支持导出订单记录到Excel？报销要用。", "希望可以批量导出发票和历史订单。",
                     "订单明细能导出表格吗？每个月记账挺麻烦的。"],
                neg=["订单记录导不出来，只能一张张截图，太麻烦了。"])),
    "dark_mode": dict(category="product_feature", weight=2, sent=(0.1, 0.8, 0.1),
        subject=(["Dark mode"], ["深色模式"]),
        en=dict(neu=["Please add dark mode!", "Dark mode when? The app is blinding at night.",
                     "Any chance of a dark theme for the app?",
                     "Would love a dark mode, especially for reading recipes in the evening."],
                neg=["Still no dark mode in 2026? Come on."],
                pos=["Dark mode would make this app perfect, otherwise love it."]),
        zh=dict(neu=["求出个深色模式，晚上看菜谱太刺眼了。", "有没有夜间模式？", "建议加个暗黑模式，跟随系统的那种。"],
                neg=["都2026年了还没有深色模式。"], pos=["app挺好用的，要是有深色模式就完美了。"])),
    "offline_mode": dict(category="product_feature", weight=1.5, sent=(0.3, 0.7, 0.0),
        subject=(["Offline recipes"], ["菜谱离线查看"]),
        en=dict(neu=["It would be great if recipes were available offline. My kitchen has terrible wifi.",
                     "Can you add offline access to the shopping list?", "Please let me download recipes for offline use."],
                neg=["The recipe page won't load without internet, so I'm stuck mid-cooking with no instructions."]),
        zh=dict(neu=["希望菜谱能离线查看，厨房信号不好。", "能不能把菜谱下载下来？做饭的时候老是加载不出来。"],
                neg=["做到一半菜谱加载不出来，没网就用不了，太坑了。"])),
    "api_access": dict(category="product_feature", weight=1, sent=(0.2, 0.8, 0.0),
        subject=(["API / integrations"], ["开放接口"]),
        en=dict(neu=["Do you have a public API? I'd like to sync my meal plan with my calendar.",
                     "Any plans for an API or Zapier integration?",
                     "Would love an integration with Apple Health or MyFitnessPal for the nutrition data."],
                neg=["No API, no integrations, nothing. Hard to use this for a team."]),
        zh=dict(neu=["有没有开放API？想把订单同步到我们自己的系统。", "能不能接入企业微信或者钉钉？",
                     "希望能和健康类app同步营养数据。"])),
    "dietary_options": dict(category="product_feature", weight=3, sent=(0.35, 0.55, 0.1),
        subject=(["More dietary options", "Vegetarian plan"], ["希望多点素食", "口味筛选"]),
        en=dict(neu=["Could you add more vegetarian options? The Veggie plan repeats the same {n} dishes.",
                     "Please add a low-carb or keto plan.", "A gluten-free filter would be really helpful.",
                     "Any plans for halal meal kits?"],
                neg=["As a vegetarian I get the same {item} dish every week. Getting boring.",
                     "Picked 'no nuts' in my preferences and still got a recipe with peanuts. Dangerous."],
                pos=["Love the new vegan recipes, please add more!"]),
        zh=dict(neu=["希望多一些素食选择，轻食套餐翻来覆去就那几样。", "能不能加个低脂减脂的套餐？",
                     "建议菜品可以按口味筛选，比如不吃辣的。", "有没有清真的套餐？"],
                neg=["选了不吃香菜结果每道菜都有香菜，设置了有什么用。", "减脂套餐热量一点都不低，标的和实际差太多了。"],
                pos=["新出的素食套餐很好吃，希望多出一些！"])),
    "delivery_slots": dict(category="product_feature", weight=2.5, sent=(0.4, 0.6, 0.0),
        subject=(["Choose delivery time", "Evening delivery slots"], ["选配送时间段", "晚上能送吗"]),
        en=dict(neu=["Can we choose a delivery time window? Evening slots would help a lot.",
                     "Please add weekend delivery slots.",
                     "Would be great to pick a 2-hour window instead of 'sometime between 8am and 8pm'."],
                neg=["Boxes arrive whenever and I can't choose a time. I work 9 to 6, so everything sits outside for hours."]),
        zh=dict(neu=["能不能选送货时间段？白天上班家里没人。", "希望增加晚上的配送时段，比如7点以后。", "周末能不能也送？"],
                neg=["送货时间不能选，每次都是上班时间送，只能放门口晒着。"])),
    "food_quality": dict(category="product_feature", weight=3.5, sent=(0.9, 0.1, 0.0),
        subject=(["Quality issue", "Spoiled ingredients"], ["食材不新鲜", "质量问题"]),
        en=dict(neg=["Got wilted {item} in my last box.", "Got {item} that smelled off. Had to throw it away.",
                     "The {item} arrived moldy. Not acceptable for food.",
                     "Portions keep getting smaller. Barely any {item} this week.",
                     "The ice packs had melted and the {item} arrived warm."],
                neu=["The {item} arrived a bit bruised this week, not a big deal but FYI."]),
        zh=dict(neg=["这次的{item}都蔫了，根本不新鲜。", "{item}有股怪味，不敢吃，直接扔了。",
                     "打开箱子{item}已经发霉了，吃的东西能不能上点心。", "份量越来越少了，{item}就那么一点点。",
                     "冰袋全化了，{item}都是温的。"],
                neu=["这周的{item}有点压坏了，不影响吃，反馈一下。"])),
    "recipe_praise": dict(category="product_feature", weight=5.5, sent=(0.0, 0.1, 0.9),
        subject=(["Loved this week's box"], ["这周的菜很好吃"]),
        en=dict(pos=["The {item} recipe this week was amazing, my kids asked for seconds!",
                     "Best {item} dish I've had in a while.",
                     "Really fresh ingredients and the recipes are easy to follow.",
                     "Super fresh {item} this week. Best box so far.", "Loving the variety of recipes lately.",
                     "Made the {item} dish tonight, restaurant quality honestly."],
                neu=["Recipes are good but a bit too long for a weeknight."]),
        zh=dict(pos=["这周的{item}太好吃了，孩子都抢着吃！", "食材很新鲜，菜谱也简单，厨房小白也能做。",
                     "{item}特别新鲜，比超市买的好多了。", "最近的菜品花样多了，点赞。", "今晚做了{item}，味道跟饭店差不多。"],
                neu=["菜做出来还行，就是步骤有点多，下班做来不及。"])),
    # ---- service_quality -------------------------------------------------------------------------
    "delivery_late": dict(category="service_quality", weight=5, sent=(0.9, 0.1, 0.0),
        subject=(["Late delivery", "Where is my box?"], ["配送延迟", "还没送到"]),
        en=dict(neg=["My delivery was {hours} hours late again.",
                     "Box was supposed to arrive on {weekday} and showed up {days} days later.",
                     "Order {order} still hasn't arrived, tracking hasn't updated since yesterday.",
                     "The courier keeps missing the delivery window. My food is sitting in a warehouse somewhere.",
                     "Deliveries to {city} have been late three weeks in a row."],
                neu=["Delivery came a bit later than the window today, just letting you know."]),
        zh=dict(neg=["配送太慢了，等了{hours}个小时才送到。", "说好{weekday}送，结果拖了{days}天，菜都不新鲜了。",
                     "{order}到现在还没送到，物流信息一直不更新。", "{city}这边最近配送老是延迟，连续三周了。",
                     "快递员一直说在路上，到底什么时候能送到？"],
                neu=["今天比预计时间晚了一点送到，反馈一下。"])),
    "damaged_package": dict(category="service_quality", weight=2.5, sent=(0.9, 0.1, 0.0),
        subject=(["Damaged box"], ["包装破损"]),
        en=dict(neg=["Box arrived crushed and the eggs were broken.", "The package was torn open and there was no {item} inside.",
                     "Damaged box again. Sauce leaked all over everything.",
                     "The cooler bag was ripped and the {item} got squashed."],
                neu=["The box was a little dented but everything inside was fine."]),
        zh=dict(neg=["包装破了，鸡蛋碎了好几个。", "箱子都压扁了，{item}全压烂了。", "酱料包漏了，整箱都是酱，怎么吃？",
                     "外包装破损，{item}少了一份。"],
                neu=["箱子有点压扁了，还好里面东西没事。"])),
    "missing_items": dict(category="service_quality", weight=2.5, sent=(1.0, 0.0, 0.0),
        subject=(["Missing items"], ["少送了东西"]),
        en=dict(neg=["My box was missing the {item}. Can't cook the recipe without it.",
                     "Missing {n} items from order {order}.", "Paid for the Family box and got half the ingredients."]),
        zh=dict(neg=["少送了{item}，菜谱都做不了。", "{order}少了{n}样东西，麻烦补发。",
                     "买的是家庭装，结果少了一半的食材。", "又漏发了，这已经是第二次了。"])),
    "support_slow": dict(category="service_quality", weight=3.5, sent=(0.95, 0.05, 0.0),
        subject=(["No reply from support", "Waiting for an answer"], ["客服不回复", "催一下"]),
        en=dict(neg=["I've been waiting {days} days for a reply from support.",
                     "Opened a ticket a week ago and nobody has answered.",
                     "Live chat says 'wait time: {minutes} minutes'. Seriously?", "Emailed support three times, zero response."],
                neu=["Just following up on my earlier ticket, haven't heard back yet."]),
        zh=dict(neg=["客服一直不回复，气死了。", "提交工单{days}天了都没人理。", "在线客服排队{minutes}分钟，还是没人接。",
                     "打客服电话一直占线，根本打不进去。", "找客服跟对着墙说话一样。"],
                neu=["之前提的工单还没回复，麻烦看一下。"])),
    "refund_slow": dict(category="service_quality", weight=3, sent=(1.0, 0.0, 0.0),
        subject=(["Refund status", "Where is my refund?"], ["退款进度", "退款还没到账"]),
        en=dict(neg=["Still waiting on my refund of {amount} for the cancelled order.",
                     "You said the refund would take 3-5 business days. It's been over two weeks.",
                     "The refund for order {order} hasn't shown up on my card."]),
        zh=dict(neg=["退款申请了{days}天了还没到账。", "说好3个工作日退款，现在都两周了。",
                     "{order}的退款一直显示处理中，到底什么时候退？", "退个{amount}这么难吗？"])),
    "rude_agent": dict(category="service_quality", weight=1.5, sent=(1.0, 0.0, 0.0),
        subject=(["Complaint about an agent"], ["投诉客服态度"]),
        en=dict(neg=["The agent on the phone was incredibly rude and hung up on me.",
                     "Support agent {agent} basically told me it was my fault that the box was damaged.",
                     "Condescending replies from support. Not how you treat paying customers."]),
        zh=dict(neg=["客服态度太差了，说两句就挂电话。", "客服{agent}一直推卸责任，说是我自己的问题。",
                     "问个问题被怼回来，这服务态度真的服了。"])),
    "support_praise": dict(category="service_quality", weight=4, sent=(0.0, 0.0, 1.0),
        subject=(["Thank you!"], ["表扬客服"]),
        en=dict(pos=["Shoutout to {agent} from support, sorted out my missing box in minutes.",
                     "Support was quick and friendly, refund processed the same day.",
                     "Great customer service, they replaced the damaged items without any hassle.",
                     "Thanks {agent} for the quick refund!", "Had an issue with order {order}, support sorted it the same day."]),
        zh=dict(pos=["客服{agent}态度特别好，很快就帮我处理了。", "反馈了少送的问题，客服马上补发了，点赞。",
                     "退款很快，客服也很耐心。", "{order}的问题客服当天就处理好了。", "谢谢客服{agent}，退款很快就到了。"])),
    "courier_praise": dict(category="service_quality", weight=2.5, sent=(0.0, 0.0, 1.0),
        subject=(["Great delivery"], ["配送好评"]),
        en=dict(pos=["The driver always leaves the box in the shade and texts me. Love it.",
                     "Delivery was early today and everything was still cold. Perfect.",
                     "The courier in {city} is the best, always on time."]),
        zh=dict(pos=["快递小哥很负责，还帮我送上楼了。", "今天提前送到了，冰袋还是冻的，赞。", "{city}这边配送一直很准时，好评。"])),
    # ---- user_experience -------------------------------------------------------------------------
    "android_checkout_crash": dict(category="user_experience", weight=0, sent=(1.0, 0.0, 0.0),
        subject=(["Android app crashes at checkout", "Can't place order"], ["安卓结账闪退", "无法下单"]),
        en=dict(neg=["The Android app crashes at checkout every time. Can't place my order.",
                     "Checkout crashes on my {phone_model}, Android app version {version}.",
                     "Tried 5 times to pay in the Android app, it closes as soon as I tap 'Place order'.",
                     "App crashes when I hit pay. Android. Had to order on my laptop.",
                     "Every time I press 'Pay' on Android the app just disappears.",
                     "Checkout on Android is broken. The app closes and my cart is empty when I reopen it.",
                     "Android user here: crash at the payment screen, {n} tries in a row."],
                neg_after=["Checkout still crashes on my {phone_model} even after updating.",
                           "Android app still closes at checkout for me, version {version}."],
                pos=["The latest Android update fixed the checkout crash, thanks!",
                     "Checkout works again on Android after updating to {version}."]),
        zh=dict(neg=["安卓版结账就闪退，根本下不了单。", "一点支付就闪退，{phone_model}，版本{version}。",
                     "安卓app结算页面一直崩，试了五六次了。", "付款的时候闪退，只能去电脑上下单，太麻烦。",
                     "结账页面点确认就闪退，安卓手机，{phone_model}。", "安卓用户，一到付款就崩，购物车还清空了。",
                     "下单付款那一步必闪退，安卓的，版本{version}。"],
                neg_after=["更新了还是结账闪退，{phone_model}。", "安卓版付款还是会闪退，版本{version}。"],
                pos=["更新到{version}之后结账不闪退了，谢谢。", "安卓版终于修好了，可以正常付款了。"])),
    "outage_login": dict(category="user_experience", weight=0, sent=(0.85, 0.15, 0.0),
        subject=(["App down", "Cannot log in"], ["无法登录", "app打不开"]),
        en=dict(neg=["Is the app down? Can't log in.", "FreshBox app is down, getting a 502 error.",
                     "Can't log in, the app just says 'something went wrong'.",
                     "Website and app both down. I need to change my order before the cutoff!",
                     "502 Bad Gateway on the website, and the app won't load either.",
                     "App down for anyone else?? Can't even see my order.",
                     "Getting 'service unavailable' every time I open the app.", "Been trying to log in for an hour. Nothing.",
                     "Your site is throwing 502s and the order cutoff is in {hours} hours!"],
                neg_after=["Still can't log in this morning. What is going on?",
                           "Yesterday's outage made me miss the cutoff, now I'm stuck with meals I didn't pick."],
                neu=["Is there an outage right now? Login isn't working for me.",
                     "Anyone else getting a 502 from FreshBox right now?"]),
        zh=dict(neg=["app打不开了，一直显示502。", "无法登录，是服务器崩了吗？", "鲜盒崩了？登录不上也下不了单。",
                     "打不开啊，截单前还要改订单，急死了。", "一直提示网络错误，登不上去。",
                     "登录一直转圈，然后提示服务器错误。", "鲜盒是不是挂了？app和网页都打不开。", "试了一个小时都登不上，到底怎么回事？"],
                neg_after=["早上起来还是登不上，到底修好没有？", "昨天崩了一下午，错过了改单时间，这周的菜都不是我选的。"],
                neu=["是不是服务器出问题了？登录不了。", "大家的鲜盒也打不开吗？"])),
    "app_crash": dict(category="user_experience", weight=3, sent=(0.95, 0.05, 0.0),
        subject=(["App keeps crashing"], ["app闪退"]),
        en=dict(neg=["The app crashes every time I open the recipe tab.", "The app keeps crashing after the last update.",
                     "Crashes when I try to change my delivery address.",
                     "App froze and closed while I was selecting meals. Lost my whole selection.",
                     "The app crashed twice today while I was browsing the menu."],
                neu=["The app crashed once today, seems fine after a restart."]),
        zh=dict(neg=["app又闪退了，一打开菜谱就崩。", "更新之后一直闪退。", "改收货地址的时候闪退，试了好几次都不行。",
                     "选菜选到一半直接闪退，白选了。", "刷菜单的时候闪退了两次。"],
                neu=["今天闪退了一次，重启之后好了。"])),
    "confusing_ui": dict(category="user_experience", weight=3, sent=(0.6, 0.4, 0.0),
        subject=(["Hard to find settings"], ["界面不好用"]),
        en=dict(neg=["I couldn't find where to change my delivery day. The menu is a maze.",
                     "Why is 'cancel' hidden under five menus?", "The new layout is confusing, I keep tapping the wrong meals.",
                     "Changing my {plan} plan took {n} tries, the settings are a mess."],
                neu=["Took me a while to find the address settings, maybe make it more visible?",
                     "The meal selection screen could be clearer about what's already in my box."]),
        zh=dict(neg=["改配送日期找了半天都找不到入口。", "新版界面太乱了，老是点错菜。", "退订入口藏得这么深，是故意的吧？", "想把{plan}换一下，点了{n}次都没找到在哪改。"],
                neu=["地址设置有点难找，建议放显眼一点。", "选菜页面能不能标一下哪些已经加进去了？"])),
    "slow_loading": dict(category="user_experience", weight=3, sent=(0.9, 0.1, 0.0),
        subject=(["App is slow"], ["app很卡"]),
        en=dict(neg=["The app takes forever to load the menu.", "Checkout spins for a minute before anything happens.",
                     "It takes {secs} seconds just to open a recipe.",
                     "Every screen takes ages to load, wifi or not."],
                neu=["The menu loads a bit slowly on mobile data."]),
        zh=dict(neg=["app加载太慢了，菜单半天出不来。", "结账一直转圈圈，等了好久。", "打开一个菜谱要等{secs}秒，太卡了。", "每次打开都要加载好久。"],
                neu=["用流量的时候菜单加载有点慢。"])),
    "login_problems": dict(category="user_experience", weight=2.5, sent=(0.85, 0.15, 0.0),
        subject=(["Login issue", "Verification code"], ["登录问题", "收不到验证码"]),
        en=dict(neg=["I never receive the verification code when logging in.", "The password reset email never arrives.",
                     "I get logged out every single day and have to enter my password again.",
                     "The app says my password is wrong even right after I reset it."],
                neu=["How do I change the phone number I use to log in?"]),
        zh=dict(neg=["验证码一直收不到，登录不了。", "每天都要重新登录，烦死了。", "找回密码的邮件一直收不到。", "密码刚重置完还是提示错误。"],
                neu=["请问换手机号了怎么登录？"])),
    "notifications_spam": dict(category="user_experience", weight=1.5, sent=(0.8, 0.2, 0.0),
        subject=(["Too many notifications"], ["推送太多"]),
        en=dict(neg=["Way too many push notifications, {n} promos a day.",
                     "I turned off marketing emails and still get them daily."],
                neu=["Can I turn off promo notifications but keep delivery updates?"]),
        zh=dict(neg=["推送太多了，一天{n}条广告。", "已经关了营销短信还在一直发，骚扰啊。"],
                neu=["能不能只保留配送通知，把广告推送关掉？"])),
    "app_praise": dict(category="user_experience", weight=4.5, sent=(0.0, 0.1, 0.9),
        subject=(["Love the app"], ["app好用"]),
        en=dict(pos=["The app is so easy to use, ordering takes two minutes.", "Love the new meal planner in the app!",
                     "Smooth app, clear recipes, no complaints.", "Reordering my favourite meals takes one tap now, nice update.",
                     "The app finally remembers my dietary preferences. Love it.",
                     "Love that I can swap the {item} dish in one tap."],
                neu=["App is fine, does what it needs to."]),
        zh=dict(pos=["app很好用，下单两分钟搞定。", "新版的选菜界面好看多了。", "菜谱步骤配图很清楚，用起来很顺手。", "现在一键复购很方便。",
                     "app记得我的忌口，很贴心。", "在app里换菜很方便，{item}一键就换好了。", "新版app很流畅，不卡了。"],
                neu=["app还行吧，够用。"])),
    # ---- pricing ---------------------------------------------------------------------------------
    "price_increase": dict(category="pricing", weight=0, sent=(0.9, 0.1, 0.0),
        subject=(["Price increase", "Why did my price go up?"], ["涨价", "扣款金额变了"]),
        en=dict(neg=["You raised the price from {old_price} to {new_price} without any warning?",
                     "{new_price} a week now? That's a 17% increase. Cancelling.", "Price increase with no notice. Not cool.",
                     "Just noticed my card was charged {new_price} instead of {old_price}. When did that happen?",
                     "With the new prices {competitor} is cheaper. Switching.",
                     "Loyal customer for {years} years and this is how you treat us? The price went up and the portions didn't.",
                     "Got the email about the new price. {old_price} was already a stretch, {new_price} is too much.",
                     "Just got charged {new_price}. No heads-up, nothing.",
                     "The price went up by $10 a week and nothing else changed. Why?",
                     "Raising prices by 17% overnight is a great way to lose customers."],
                neu=["Does the new price apply to existing subscribers or only new ones?",
                     "Can I keep the old price if I switch to an annual plan?",
                     "Will the annual plan price also go up?"]),
        zh=dict(neg=["涨价了还不提前通知，准备退订了。", "从{old_price}涨到{new_price}，涨得也太狠了吧。",
                     "一声不吭就涨价，扣款的时候才发现。", "涨价了份量还是那么点，不如去{competitor}买。",
                     "老用户也涨价，一点优惠都没有，寒心。", "刚收到涨价通知，一个月{new_price}，吃不起了。",
                     "又涨价？{old_price}的时候就觉得不便宜了。", "月卡直接涨了60，说涨就涨。",
                     "涨价之前连个通知都没有，扣款短信来了才知道。", "这波涨价劝退了，去{competitor}了。"],
                neu=["请问涨价对老用户也生效吗？", "年卡会不会也跟着涨价？", "涨价之后以前领的优惠券还能用吗？"])),
    "too_expensive": dict(category="pricing", weight=3, sent=(0.8, 0.2, 0.0),
        subject=(["Price"], ["价格太贵"]),
        en=dict(neg=["Too expensive for what you get.", "{amount} for {n} meals is a lot. The supermarket is half the price.",
                     "Love the food but I can't justify the price anymore."],
                neu=["Any discounts for students?"]),
        zh=dict(neg=["太贵了，性价比不高。", "{n}顿饭要{amount}，还不如自己去菜市场买。", "东西是好，就是价格有点劝退。"],
                neu=["有没有学生优惠？"])),
    "hidden_fees": dict(category="pricing", weight=2, sent=(0.9, 0.1, 0.0),
        subject=(["Unexpected fee"], ["乱收费"]),
        en=dict(neg=["Why is there a {fee} at checkout that wasn't shown before?",
                     "Hidden delivery fee added at the last step. Shady.",
                     "The advertised price doesn't include the service fee. Misleading."],
                neu=["What is the {fee} on my receipt for?"]),
        zh=dict(neg=["结账的时候突然多了{fee}，之前根本没写。", "说好包邮，结果还收配送费？", "标价不含服务费，这不是坑人吗？"],
                neu=["请问账单上的{fee}是什么？"])),
    "billing_error": dict(category="pricing", weight=2, sent=(1.0, 0.0, 0.0),
        subject=(["Charged twice", "Billing error"], ["重复扣款", "扣费有误"]),
        en=dict(neg=["I was charged twice for the same box.", "Charged for a week I skipped. Please refund {amount}.",
                     "I cancelled last month and you still charged my card {amount}."]),
        zh=dict(neg=["同一单被重复扣款了两次。", "已经退订了还在自动扣费，扣了{amount}。", "账单金额不对，多扣了{amount}。"])),
    "coupon_issue": dict(category="pricing", weight=1.5, sent=(0.7, 0.3, 0.0),
        subject=(["Promo code"], ["优惠券"]),
        en=dict(neg=["Promo code doesn't work at checkout.", "The referral credit never showed up in my account."],
                neu=["How do I apply a gift card to my next box?"]),
        zh=dict(neg=["优惠券用不了，一直提示不符合条件。", "新人券领了结果不能用，套路。"], neu=["礼品卡怎么用在下一单？"])),
    "annual_plan": dict(category="pricing", weight=1.5, sent=(0.05, 0.8, 0.15),
        subject=(["Annual plan?"], ["年卡"]),
        en=dict(neu=["Do you offer an annual plan? I'd happily pay upfront for a discount.",
                     "Would love a yearly subscription option with a discount."],
                neg=["No annual plan, no loyalty discount. Why stay?"],
                pos=["Switched to the annual plan, saves me a lot, thanks."]),
        zh=dict(neu=["有没有年卡？一次性付费能便宜点吗？", "希望出个季卡或者年卡。"], neg=["连个年卡都没有，老用户没任何优惠。"],
                pos=["办了年卡，算下来便宜不少。"])),
    "good_value": dict(category="pricing", weight=3, sent=(0.0, 0.0, 1.0),
        subject=(["Good value"], ["性价比高"]),
        en=dict(pos=["Great value for the quality.", "Cheaper than eating out and way healthier.",
                     "For what I pay each week this is a steal.", "Worth every cent, the portions are generous.",
                     "Honestly cheaper than my weekly grocery run.",
                     "{meal_price} a meal for this quality? Great deal."]),
        zh=dict(pos=["性价比很高，比点外卖健康多了。", "这个价格买到这么新鲜的菜，很值。", "算下来一顿才{meal_price}，很划算。", "份量足，价格也公道。",
                     "比自己买菜还省钱。"])),
    # ---- enterprise-only themes (ent > 0) --------------------------------------------------------
    "invoicing": dict(category="pricing", weight=0, ent=5, sent=(0.9, 0.1, 0.0),
        subject=(["Invoice", "Missing invoice"], ["发票问题", "开票"]),
        en=dict(neg=["We still haven't received the invoice for {last_month}. Our finance team needs it to close the books.",
                     "The invoice is missing our VAT number and company details again.",
                     "We get {n} separate invoices, one per office. Please send one consolidated monthly invoice.",
                     "The PO number isn't on the invoice, so accounting keeps rejecting it."],
                neu=["Can enterprise accounts get invoices in our company's name?"]),
        zh=dict(neg=["{last_month}的增值税专用发票还没开出来，财务一直在催。", "发票抬头又开错了，麻烦重开。",
                     "我们{n}个办公室每个都单独开票，能不能合并成一张月结发票？", "对公转账之后一直没开票，影响我们报销。"],
                neu=["请问企业账户能开专票吗？"])),
    "account_manager": dict(category="service_quality", weight=0, ent=2.5, sent=(0.75, 0.0, 0.25),
        subject=(["Account manager"], ["客户经理"]),
        en=dict(neg=["Our account manager hasn't responded in two weeks.",
                     "We've had {n} different account managers this year, nobody knows our setup.",
                     "We need a dedicated contact for our office orders, the general support queue isn't working for us."],
                pos=["Our account manager {agent} is fantastic, always sorts things out quickly."]),
        zh=dict(neg=["客户经理两周都没回消息了。", "一年换了{n}个对接人，每次都要重新说一遍需求。", "企业客户也只能排普通客服的队？"],
                pos=["客户经理{agent}很靠谱，有问题都能及时解决。"])),
    "sso": dict(category="product_feature", weight=0, ent=2, sent=(0.3, 0.7, 0.0),
        subject=(["SSO support"], ["单点登录"]),
        en=dict(neu=["Do you support SSO with Okta or Azure AD? Our IT team requires it.",
                     "We need SAML single sign-on before we can roll this out to {n}00 employees."],
                neg=["No SSO means our employees manage yet another password. IT is not happy."]),
        zh=dict(neu=["企业版能不能支持单点登录？我们用的是企业微信。", "希望支持钉钉扫码登录，员工太多一个个注册太麻烦。"],
                neg=["不支持单点登录，员工账号管理太麻烦了。"])),
    "bulk_orders": dict(category="product_feature", weight=0, ent=2, sent=(0.5, 0.5, 0.0),
        subject=(["Bulk order", "Office order"], ["批量下单", "团餐订单"]),
        en=dict(neu=["Is there a way to place one bulk order for the whole office instead of {n} separate ones?",
                     "We'd like to upload a spreadsheet of employee addresses for bulk orders."],
                neg=["Bulk ordering for our team is a nightmare, we have to order one by one.",
                     "Our bulk order for {n}0 people arrived split across three deliveries."]),
        zh=dict(neu=["能不能支持批量下单？公司{n}0个人一个个下太麻烦。", "希望企业账户可以导入员工名单统一下单。"],
                neg=["团餐订单分了三次送，有的同事到下午才拿到。", "批量下单太难用了，改一个人的地址要全部重来。"])),
    # ---- other -----------------------------------------------------------------------------------
    "general_praise": dict(category="other", weight=10, sent=(0.0, 0.0, 1.0),
        subject=(["Thanks", "Happy customer"], ["好评", "谢谢"]),
        en=dict(pos=["great", "Love it!", "Best subscription I have.", "FreshBox has made weeknights so much easier.",
                     "10/10 would recommend.", "Been a customer for {years} years, still love it.", "Thank you FreshBox!",
                     "Really happy with the service overall.", "So good", "Amazing as always", "Best meal kit out there.",
                     "Five stars.", "Couldn't be happier.", "Dinner sorted every week, love it.", "You guys rock",
                     "Never going back to grocery shopping on weeknights.", "Another great box this week.",
                     "Dinner for {n} sorted in 30 minutes. Love it.", "Everything arrived fresh in {city}, thanks!"]),
        zh=dict(pos=["好评！", "太棒了", "一直在用，很满意。", "推荐给朋友了，都说好。", "用了{years}年了，越来越好。",
                     "鲜盒真的省了好多事，下班不用想吃什么了。", "挺好的，继续支持。", "满意", "很不错", "五星",
                     "强烈推荐", "真香", "晚饭终于不用发愁了。", "回购好多次了，一直很稳。",
                     "这周的也很满意。", "{n}口人吃刚刚好，很方便。", "{city}这边送得很及时，菜也新鲜。"])),
    "questions": dict(category="other", weight=5.5, sent=(0.0, 1.0, 0.0),
        subject=(["Question"], ["咨询"]),
        en=dict(neu=["Do you deliver to {city}?", "How do I change my delivery address?",
                     "What's the cutoff time to change this week's meals?", "Can I send a box as a gift?",
                     "Are the ice packs recyclable?", "Do you have a referral program?",
                     "Can I change my plan size in the middle of the month?", "Do you sell gift cards?",
                     "Do you deliver to {city} on weekends?", "Can I add extra {item} to my box?", "Is the {item} organic?"]),
        zh=dict(neu=["请问{city}能送吗？", "怎么修改收货地址？", "本周的菜最晚什么时候可以改？", "可以送给朋友当礼物吗？",
                     "冰袋和保温箱要怎么处理？", "有没有邀请好友的活动？",
                     "套餐可以中途换成家庭装吗？", "有礼品卡卖吗？", "{city}周末能送吗？", "可以单独加一份{item}吗？",
                     "你们的{item}是哪里产的？"])),
    "off_topic": dict(category="other", weight=1.5, sent=(0.0, 0.7, 0.3), bare=True,
        subject=(["Hello"], ["你好"]),
        en=dict(neu=["Anyone have a good recipe for leftover rice?", "Watching the game tonight, snacks sorted.",
                     "Does anyone know if the {city} farmers market is open on Sunday?", "test",
                     "Who else is cooking the {item} tonight?", "Any {city} people here?"],
                pos=["lol my cat tried to steal the salmon again", "Happy Friday everyone!",
                     "My {item} dish looks nothing like the photo lol"]),
        zh=dict(neu=["有没有人知道剩米饭怎么做好吃？", "今天天气真好，适合出去玩。", "测试一下", "{city}今天好热啊",
                     "今晚有人也做{item}吗？", "有{city}的朋友吗？"],
                pos=["哈哈我家猫一直盯着三文鱼", "周末愉快！", "做出来的{item}和图片完全不一样哈哈"])),
    "vague_negative": dict(category="other", weight=2, sent=(1.0, 0.0, 0.0),
        subject=(["Unhappy"], ["不满意"]),
        en=dict(neg=["terrible", "Not happy with FreshBox lately.", "meh", "Disappointed.", "It used to be better.", "worst"]),
        zh=dict(neg=["太差了", "失望", "越来越差了", "不推荐", "没以前好了"])),
    "competitor_comparison": dict(category="other", weight=1.5, sent=(0.45, 0.35, 0.2),
        subject=(["Comparison"], ["对比"]),
        en=dict(neg=["Switched to {competitor}, they're just better right now.", "{competitor} has more choice these days."],
                neu=["How is FreshBox different from {competitor}?"],
                pos=["Tried {competitor} for a month and came back. FreshBox is better."]),
        zh=dict(neg=["{competitor}比你们便宜还送得快。", "已经换成{competitor}了。"], neu=["你们和{competitor}比有什么优势？"],
                pos=["试过{competitor}，还是鲜盒的菜新鲜。"])),
}

OPENERS = {
    ("en", "neg"): ["Hi,", "Hello,", "Ugh.", "Seriously,", "Not happy.", "Hey FreshBox,", "So frustrated.", "Honestly,",
                    "Okay so", "Hi there,"],
    ("en", "neu"): ["Hi,", "Hello,", "Quick question:", "Hey team,", "Just wondering,", "Suggestion:", "FYI,"],
    ("en", "pos"): ["Hi!", "Just wanted to say,", "Hey team,", "Quick shoutout:", "Wow."],
    ("zh", "neg"): ["你好，", "吐槽一下，", "说实话，", "真的无语，", "服了，", "我要投诉，", "客服你好，"],
    ("zh", "neu"): ["你好，", "您好，", "请问一下，", "提个建议，", "想问下，"],
    ("zh", "pos"): ["必须夸一下，", "表扬一下，", "说句公道话，", "你好，"],
}
DETAILS = {
    ("en", "neg"): ["This is the {nth} time this month.", "I've been a subscriber since {since_year}.", "Really disappointed.",
                    "Not the first time either.", "I already contacted support about this.",
                    "This is wasting my time.", "This keeps happening.", "I have photos if you need them.",
                    "Order {order}, in case you need it.", "I'm in {city}, if that matters.", "{weekday} was the last straw."],
    ("en", "neu"): ["Thanks in advance.", "Not urgent.", "I'm on the {plan} plan.", "Otherwise I'm happy with the service.",
                    "I've been a subscriber since {since_year}.",
                    "Order {order} if that helps.", "I'm in {city}."],
    ("en", "pos"): ["Keep it up!", "I've been a subscriber since {since_year}.", "Already recommended you to my friends.",
                    "My family loves it.", "Ordering from {city} since {since_year}."],
    ("zh", "neg"): ["这已经是这个月第{nth}次了。", "之前也反馈过，一直没解决。", "真的很失望。", "我从{since_year}年就开始用了。",
                    "已经联系过客服了。", "太耽误事了。", "有照片可以证明。",
                    "{order}，麻烦查一下。", "我在{city}。", "{weekday}那单也是这样。"],
    ("zh", "neu"): ["谢谢。", "不着急，方便的时候回复一下。", "我订的是{plan}。", "其他方面都还挺满意的。", "我在{city}。", "{order}。"],
    ("zh", "pos"): ["继续加油！", "已经推荐给同事了。", "家里人都很喜欢。", "会一直续费的。", "{city}的朋友可以试试。"],
}
CLOSERS = {
    ("en", "neg"): ["Please fix this.", "Fix it please.", "Very disappointed.", "Thinking about cancelling.", "Not acceptable.",
                    "Do better.", "Please sort this out ASAP.", "Not impressed."],
    ("en", "neu"): ["Thanks!", "Thanks in advance.", "Cheers.", "Would appreciate it.", "Let me know."],
    ("en", "pos"): ["Thanks!", "Keep up the good work!", "Love you guys.", "Thank you!"],
    ("zh", "neg"): ["麻烦尽快处理。", "再这样就退订了。", "太失望了。", "希望给个说法。", "气死了。", "无语。", "请尽快解决！"],
    ("zh", "neu"): ["谢谢！", "麻烦回复一下，谢谢。", "期待改进。", "多谢。"],
    ("zh", "pos"): ["谢谢！", "继续加油！", "爱了爱了。", "五星好评。"],
}
# Code-switching: a Chinese text ends in English, or an English text ends in Chinese.
MIXED_CLOSERS = {
    ("zh", "neg"): ["really annoying", "so frustrating", "pls fix", "seriously??", "ASAP please", "wtf"],
    ("zh", "neu"): ["thanks", "thx", "any update?", "just asking"],
    ("zh", "pos"): ["love it", "thanks!", "good job", "nice"],
    ("en", "neg"): ["气死了", "无语", "太离谱了", "服了", "真的醉了"],
    ("en", "neu"): ["谢谢啦", "求回复", "求改进"],
    ("en", "pos"): ["点赞", "好评", "爱了"],
}
PII = {
    "en": ["You can reach me at {email}.", "Please call me back at {phone}.", "My email is {email} if you need it.",
           "Text me at {phone}, I can't check email at work."],
    "zh": ["我的电话{phone}，麻烦回电。", "联系邮箱：{email}", "手机号{phone}，有问题打给我。", "麻烦加我微信，手机号同号{phone}。"],
}
SIGNOFFS = {"en": ["Thanks,\n{first}", "- {first}", "Regards,\n{full}", "Best,\n{first}"],
            "zh": ["谢谢！\n{full}", "{full}", "辛苦了"]}
SOCIAL = {
    "en": {"prefix": ["@FreshBox ", "@FreshBoxHelp "], "neg": [" #fail", " 😡", " 🙄", " 😤"],
           "neu": [" 🤔", " #FreshBox"], "pos": [" 😍", " 👍", " #mealprep", " 🙌"]},
    "zh": {"prefix": ["@鲜盒官方 ", "#鲜盒# "], "neg": ["[怒]", "[哭]", "😡", "[摊手]"],
           "neu": ["[疑问]", "🤔"], "pos": ["[赞]", "[爱你]", "👍", "❤️"],
           "xhs": {"neg": ["避雷！", "姐妹们，"], "neu": ["求助，", "家人们，"], "pos": ["安利！", "姐妹们，"]}},
}

SLOT_VALUES = {
    "en": {
        "item": ["salmon fillet", "chicken thighs", "spinach", "avocados", "strawberries", "milk", "eggs", "tofu",
                 "beef mince", "sourdough", "broccoli", "shrimp", "bell peppers", "mushrooms", "basil"],
        "city": ["Seattle", "Austin", "Boston", "Denver", "Portland", "Chicago", "San Jose", "Brooklyn", "Oakland"],
        "competitor": ["HelloFresh", "Blue Apron", "Home Chef", "Instacart"],
        "agent": ["Kevin", "Priya", "Sam", "Maria", "Jordan", "Aisha"],
        "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "nth": ["third", "fourth", "fifth", "second"],
        "plan": ["Classic", "Family", "Veggie"],
        "fee": ["$4.99 service fee", "$6.99 delivery fee", "$2.50 packaging fee"],
        "amount": ["$12.99", "$24.50", "$35.96", "$59.99", "$69.99", "$8.99", "$18.00"],
        "meal_price": ["$9", "$8.50"],
        "phone_model": ["Pixel 8", "Galaxy S23", "OnePlus 12", "Pixel 7a", "Galaxy A54"],
        "old_price": ["$59.99"], "new_price": ["$69.99"],
        "months": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                   "November", "December"],
    },
    "zh": {
        "item": ["三文鱼", "鸡腿", "菠菜", "牛油果", "草莓", "牛奶", "鸡蛋", "豆腐", "牛肉", "青菜", "西兰花", "虾仁", "番茄",
                 "香菇", "排骨"],
        "city": ["上海", "杭州", "深圳", "北京", "南京", "成都", "苏州", "广州", "浦东", "朝阳区"],
        "competitor": ["盒马", "叮咚买菜", "美团买菜", "朴朴超市"],
        "agent": ["小王", "小李", "小陈", "小美", "阿杰", "1024号"],
        "weekday": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
        "nth": ["三", "四", "五", "二"],
        "plan": ["经典套餐", "家庭装", "轻食套餐"],
        "fee": ["5块配送费", "8元服务费", "3块包装费"],
        "amount": ["35块", "58元", "99块", "128元", "199块", "399元", "46块"],
        "meal_price": ["二十几块", "25块"],
        "phone_model": ["小米14", "华为Mate60", "OPPO Reno11", "vivo X100", "红米K70", "荣耀90"],
        "old_price": ["399"], "new_price": ["459"],
        "months": [f"{m}月" for m in range(1, 13)],
    },
}
NUM_ZH = {2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}

# People and places for the customer pool. Chinese names come with pinyin for e-mail addresses.
EN_FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Frank", "Grace", "Henry", "Isla", "Jack", "Kate", "Liam", "Maya",
            "Noah", "Olivia", "Paul", "Quinn", "Rachel", "Sam", "Tara", "Umar", "Vera", "Will", "Zoe", "Aaron", "Bella",
            "Carlos", "Dana", "Ethan", "Fiona", "George", "Hannah", "Ivan", "Julia", "Kevin", "Laura", "Mike", "Nina"]
EN_LAST = ["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Moore", "Taylor", "Anderson", "Thomas",
           "Jackson", "White", "Harris", "Martin", "Lee", "Walker", "Young", "King", "Wright", "Lopez", "Hill", "Green",
           "Baker", "Nguyen", "Patel", "Kim", "Cohen", "Murphy", "Rossi"]
ZH_SURNAMES = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
               ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"),
               ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"), ("高", "gao")]
ZH_GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"), ("洋", "yang"),
            ("婷", "ting"), ("强", "qiang"), ("丽", "li"), ("晓雯", "xiaowen"), ("子涵", "zihan"), ("浩然", "haoran"),
            ("欣怡", "xinyi"), ("俊杰", "junjie"), ("雨桐", "yutong"), ("思远", "siyuan"), ("佳琪", "jiaqi"),
            ("志明", "zhiming"), ("梦洁", "mengjie"), ("一鸣", "yiming"), ("晨曦", "chenxi"), ("文博", "wenbo")]
ZH_NICK_A = ["爱吃", "不吃", "想吃", "今天吃", "天天吃", "减肥中的", "下班的", "认真做饭的"]
ZH_NICK_B = ["草莓", "香菜", "火锅", "三文鱼", "小番茄", "西兰花", "牛油果", "排骨"]
ZH_NICK_C = ["的猫", "的小鹿", "的兔子", "酱", "君", "仔", "小姐姐", "", "2024"]
EN_COMPANY_A = ["Northwind", "Bluefin", "Cedar", "Summit", "Brightline", "Orbit", "Harbor", "Pinecone", "Lumen", "Atlas"]
EN_COMPANY_B = ["Labs", "Analytics", "Robotics", "Partners", "Studios", "Logistics", "Health", "Software"]
ZH_COMPANY_A = ["云启", "星河", "远航", "聚点", "青禾", "博远", "智行", "锦程", "蓝湾", "鼎新"]
ZH_COMPANY_B = ["科技有限公司", "信息技术有限公司", "文化传媒有限公司", "网络科技有限公司"]
EMAIL_DOMAINS = {"en": ["gmail.com", "outlook.com", "yahoo.com", "icloud.com"], "zh": ["163.com", "qq.com", "126.com", "gmail.com"]}

# (chance of an opener, chance of a closer) per channel: tickets are letters, survey comments are terse.
_STYLE = {"support_ticket": (0.75, 0.55), "app_review": (0.25, 0.45), "social_post": (0.3, 0.35), "nps_survey": (0.1, 0.3)}
_KEEP_CASE = {"I", "I'm", "I've", "I'd", "FreshBox", "Android", "Apple", "API", "SSO", "Okta"}
_PLAN_ZH = {"Classic": "经典套餐", "Family": "家庭装", "Veggie": "轻食套餐", "Office": "企业套餐"}
_GREETINGS = ("Hi", "Hello", "Hey", "你好", "您好", "客服你好")
_SMS = {"please": "pls", "you": "u", "are": "r", "because": "bc", "thanks": "thx"}
# Meaning-preserving rewordings, each applied half the time, so one template reads several ways.
_PARAPHRASE = {
    "en": (("can't", "cannot"), ("I'm", "I am"), ("doesn't", "does not"), ("isn't", "is not"), ("hasn't", "has not"),
           ("I've", "I have"), ("won't", "will not"), ("the app", "your app"), ("The app", "Your app"),
           ("really", "super"), ("every time", "each time"), ("Love it", "Loving it"), ("quick", "fast"),
           ("a lot", "so much"), ("again", "AGAIN"), ("Still", "STILL"), ("Can you", "Could you"), ("Can I", "Could I"),
           ("How do I", "How can I"), ("amazing", "awesome"), ("FreshBox", "Freshbox"), ("maybe", "perhaps")),
    "zh": (("app", "APP"), ("很", "挺"), ("真的", "真心"), ("怎么", "咋"),
           ("特别", "超级"), ("能不能", "可不可以"), ("谢谢", "谢啦"), ("非常", "特别"), ("挺好", "蛮好"), ("了。", "了！"), ("根本", "完全")),
}
_ZH_SLANG = (("什么", "啥"), ("没有", "木有"), ("这样", "这样子"), ("真的", "真滴"), ("知道", "造"))


def compose_text(rng: random.Random, *, lang: str, theme: str, sentiment: str, variant: str | None, kind: str,
                 mixed: bool, when: datetime, customer, platform: str, version: str) -> str:
    """One feedback text: opener, theme body, details, PII, closer and channel styling, with slots filled.

    `lang` is the base language; `mixed` ends the text in the other language, as code-switching customers do.
    """
    ls = (lang, sentiment)
    bank = THEMES[theme][lang]
    bodies = bank[f"{sentiment}_{variant}"] if variant and f"{sentiment}_{variant}" in bank else bank[sentiment]
    body = rng.choice(bodies)
    p_open, p_close = (0.0, 0.0) if THEMES[theme].get("bare") else _STYLE[kind]
    parts = [body]
    if rng.random() < (0.10 if kind == "support_ticket" else 0.03) and p_open:  # a long, several-sentence item
        first, second = rng.sample(DETAILS[ls], 2)
        others = [b for b in bodies if b != body]
        parts += [first] + ([rng.choice(others)] if others else []) + [second]
    elif rng.random() < 0.4 and p_open:
        parts.append(rng.choice(DETAILS[ls]))
    if rng.random() < (0.10 if kind == "support_ticket" else 0.025) and p_open:
        parts.append(rng.choice(PII[lang]))
    if not mixed and rng.random() < p_close:
        parts.append(rng.choice(CLOSERS[ls]))
    text = _join(parts, lang)
    for old, new in _PARAPHRASE[lang]:
        if old in text and rng.random() < 0.5:  # whole words only in English ("quick" must not hit "quickly")
            text = text.replace(old, new) if lang == "zh" else re.sub(rf"\b{re.escape(old)}\b", new, text)
    if mixed:
        text = text.rstrip("。") if lang == "zh" else text
        sep = " " if text[-1] in "？！?!" or lang == "en" else rng.choice(["，", ", ", " "])
        text += sep + rng.choice(MIXED_CLOSERS[ls])
    if rng.random() < p_open:
        text = _with_opener(rng, rng.choice(OPENERS[ls]), text, lang, kind)
    slots = _Slots(rng, lang, when, customer, version)
    text = text.format_map(slots)
    if rng.random() < 0.35 and text[-1] not in "?？":
        text = _vary_ending(rng, text, lang, sentiment)
    if rng.random() < {"support_ticket": 0.03, "nps_survey": 0.06}.get(kind, 0.10):
        text = _typo_en(rng, text) if lang == "en" else _typo_zh(rng, text)
    if lang == "en" and sentiment == "neg" and len(text) < 40 and rng.random() < 0.15:
        text = text.upper()
    if kind == "support_ticket" and customer and rng.random() < 0.5:
        text += "\n\n" + rng.choice(SIGNOFFS[lang]).format_map(slots)
    if kind == "social_post":
        text = _socialize(rng, text, lang, sentiment, platform)
    return text


def _join(parts: list[str], lang: str) -> str:
    """Sentence-join parts, adding the full stop a part lacks when something follows it."""
    ends = "，。！？：~…!?" if lang == "zh" else ".!?:,"
    fixed = [p if i == len(parts) - 1 or p[-1] in ends else p + ("。" if lang == "zh" else ".") for i, p in enumerate(parts)]
    return ("" if lang == "zh" else " ").join(fixed)


def _with_opener(rng: random.Random, opener: str, text: str, lang: str, kind: str) -> str:
    if kind == "support_ticket" and opener.startswith(_GREETINGS) and rng.random() < 0.6:
        return opener + "\n\n" + text
    if lang == "zh":
        return opener + text
    word = text.split(" ", 1)[0]
    if opener[-1] in ",:" and word not in _KEEP_CASE and len(word) > 1 and word[1].islower():
        text = text[0].lower() + text[1:]
    return opener + " " + text


def _vary_ending(rng: random.Random, text: str, lang: str, sentiment: str) -> str:
    if lang == "zh":
        tail = {"neg": ["！！", "！", "。。。", ""], "neu": ["~", "", "。"], "pos": ["！", "~", "！！"]}[sentiment]
        return text.rstrip("。！!") + rng.choice(tail)
    tail = {"neg": ["!", "!!", "...", "", " :("], "neu": ["", "...", "."], "pos": ["!", "!!", " :)", ""]}[sentiment]
    return text.rstrip(".!") + rng.choice(tail)


def _typo_en(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.3:
        return text.lower()
    if r < 0.45 and "'" in text:
        return text.replace("'", "")
    if r < 0.6:
        return re.sub(r"\b(please|you|are|because|thanks)\b", lambda m: _SMS[m.group(1)], text)
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text.lower()
    i = rng.choice(candidates)
    w = words[i]
    if r < 0.85:  # swap two neighbouring letters
        j = rng.randrange(len(w) - 1)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    else:
        words.insert(i, w)
    return " ".join(words)


def _typo_zh(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.3:
        return text.replace("，", " ")
    if r < 0.55:
        return text.replace("。", "，").rstrip("，") + "!!!"
    if r < 0.75:
        return text.rstrip("。！!") + "。。。"
    for a, b in _ZH_SLANG:
        if a in text:
            return text.replace(a, b, 1)
    return text.replace("，", ",")


def _socialize(rng: random.Random, text: str, lang: str, sentiment: str, platform: str) -> str:
    deco = SOCIAL["zh" if lang == "zh" else "en"]
    if platform == "xiaohongshu" and rng.random() < 0.4:
        text = rng.choice(deco["xhs"][sentiment]) + text
    elif rng.random() < 0.3:
        text = rng.choice(deco["prefix"]) + text
    if rng.random() < 0.45:
        text += rng.choice(deco[sentiment])
    return text


class _Slots(dict):
    """Lazily filled slot values, so a slot used twice in one text gets the same value."""

    def __init__(self, rng: random.Random, lang: str, when: datetime, customer, version: str):
        super().__init__()
        self.rng, self.lang, self.when, self.customer, self.version = rng, lang, when, customer, version

    def __missing__(self, key: str) -> str:
        value = self._make(key)
        self[key] = value
        return value

    def _number(self, low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        return NUM_ZH[n] if self.lang == "zh" and n in NUM_ZH and self.rng.random() < 0.5 else str(n)

    def _make(self, key: str) -> str:
        rng, lang, c = self.rng, self.lang, self.customer
        if key == "order":
            if lang == "en":
                return f"#A{rng.randint(10000, 99999)}"
            placed = self.when.date().toordinal() - rng.randint(0, 3)
            return f"{rng.choice(['订单号', '订单', '单号'])}{datetime.fromordinal(placed):%Y%m%d}{rng.randint(10000, 99999)}"
        if key in ("hours", "days", "years"):
            return self._number(*{"hours": (2, 6), "days": (2, 10), "years": (2, 5)}[key])
        simple = {"minutes": lambda: str(rng.choice([30, 40, 45, 60, 90, 120])), "secs": lambda: str(rng.randint(10, 40)),
                  "n": lambda: str(rng.randint(2, 5)), "version": lambda: self.version,
                  "since_year": lambda: str(c.since_year if c else rng.randint(2019, 2025)),
                  "last_month": lambda: SLOT_VALUES[lang]["months"][(self.when.month - 2) % 12]}
        if key in simple:
            return simple[key]()
        if key == "plan" and c:
            return _PLAN_ZH[c.plan] if lang == "zh" else c.plan
        if key == "city" and c and c.lang == lang and rng.random() < 0.7:
            return c.city
        if key in ("email", "phone"):
            return getattr(c, key) if c else _random_contact(rng, lang, key)
        if key in ("first", "full"):
            if not c:
                return ""
            if c.tier == "enterprise":
                return f"{c.contact}\n{c.name}"
            return c.contact.split(" ")[0] if key == "first" and lang == "en" else c.contact
        return rng.choice(SLOT_VALUES[lang][key])


def _random_contact(rng: random.Random, lang: str, key: str) -> str:
    if key == "phone":
        if lang == "zh":
            return f"1{rng.choice(['38', '39', '86', '59'])}{rng.randint(0, 99999999):08d}"
        return f"+1 {rng.choice([206, 415, 512, 617])}-555-01{rng.randint(0, 99):02d}"
    if lang == "zh":
        return f"{rng.randint(10**7, 10**10)}@qq.com"
    return f"{rng.choice(EN_FIRST).lower()}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS['en'])}"
