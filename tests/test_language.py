"""Language detection: scripts, English vs other Latin languages, mixed Chinese/English, product names."""

from __future__ import annotations

import pytest

from assistant.text.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The app crashes every time I open the settings page", ("en", ["en"])),
        ("login broken", ("en", ["en"])),
        ("Great", ("en", ["en"])),
        ("Refund took two weeks, support wasn't helpful.", ("en", ["en"])),
        ("Don’t like the new layout", ("en", ["en"])),
    ],
)
def test_english(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("每次打开设置页面应用就闪退。", ("zh", ["zh"])),
        ("差", ("zh", ["zh"])),
        ("登录太慢了，同步总是失败！", ("zh", ["zh"])),
        ("價格太貴了", ("zh", ["zh"])),
    ],
)
def test_chinese(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app 又闪退了, really annoying", ("zh", ["en", "zh"])),
        ("The checkout page is broken again, 太烦了", ("en", ["en", "zh"])),
        ("很好 good", ("zh", ["en", "zh"])),
        ("I love 微信", ("en", ["en", "zh"])),
        ("这个功能 is not working at all for me", ("en", ["en", "zh"])),
    ],
)
def test_mixed_chinese_english(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我的iPhone又闪退了",
        "我的iPhone和iPad都闪退",
        "app 又闪退了",
        "这个APP的UI太难用了",
        "iOS 17 更新以后 bug 很多",
        "WiFi 连不上，ok？",
        "我的邮箱是[EMAIL]，电话[PHONE]",
    ],
)
def test_product_names_do_not_make_chinese_mixed(text):
    assert detect_language(text) == ("zh", ["zh"])


def test_a_single_han_character_in_english_is_not_mixed():
    # one Han character out of many English words: under 2 units and under 20%
    assert detect_language("The delivery was late and the box was damaged, 差") == ("en", ["en"])
    assert detect_language("The delivery was late and the box was damaged, 太差了") == ("en", ["en", "zh"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Muy buena aplicación pero se cierra", ("es", ["es"])),
        ("La aplicación no funciona desde ayer", ("es", ["es"])),
        ("Très bien, ça marche", ("fr", ["fr"])),
        ("L'application ne fonctionne pas depuis la mise à jour", ("fr", ["fr"])),
        ("Die App stürzt immer ab und ist sehr langsam", ("de", ["de"])),
        ("O aplicativo não funciona, muito lento", ("pt", ["pt"])),
        ("Questa app non funziona più, molto lenta", ("it", ["it"])),
    ],
)
def test_other_latin_languages(text, expected):
    assert detect_language(text) == expected


def test_english_wins_ties_with_shared_words():
    # "no" is a stopword in English, Spanish, Italian and Portuguese
    assert detect_language("no sound") == ("en", ["en"])


def test_unidentified_latin_language_is_left_out():
    assert detect_language("Ứng dụng rất tốt") == ("und", [])
    assert detect_language("Ứng dụng rất tốt 很好用") == ("zh", ["zh"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("アプリがクラッシュします", ("ja", ["ja"])),
        ("設定画面を開くとアプリが落ちます", ("ja", ["ja"])),
        ("앱이 계속 종료됩니다", ("ko", ["ko"])),
        ("Приложение не работает", ("ru", ["ru"])),
        ("التطبيق لا يعمل", ("ar", ["ar"])),
        ("Η εφαρμογή δεν λειτουργεί", ("el", ["el"])),
        ("האפליקציה לא עובדת", ("he", ["he"])),
        ("แอปพลิเคชันไม่ทำงาน", ("th", ["th"])),
        ("ऐप काम नहीं कर रहा है", ("hi", ["hi"])),
    ],
)
def test_other_scripts(text, expected):
    assert detect_language(text) == expected


def test_japanese_slang_in_chinese_stays_chinese():
    assert detect_language("我の天，这个更新太好了") == ("zh", ["zh"])


def test_katakana_name_in_chinese_adds_japanese():
    assert detect_language("这部动画ドラえもん很好看，推荐给大家看看") == ("zh", ["ja", "zh"])


def test_russian_and_english_mixed():
    text = "Приложение не работает after the update, please fix it"
    assert detect_language(text) == ("en", ["en", "ru"])


@pytest.mark.parametrize("text", ["", "   ", "123 456", "👍👍", "!!! ???", "2024-03-18 10:30", "[", "，。！"])
def test_no_language(text):
    assert detect_language(text) == ("und", [])


def test_long_text_is_classified_on_a_prefix():
    text = "The app is slow. " * 500
    assert detect_language(text) == ("en", ["en"])
    assert detect_language("应用很慢。" * 1000) == ("zh", ["zh"])


def test_one_shared_short_word_does_not_outvote_english():
    # "as" is also Portuguese; a short English review must stay English
    assert detect_language("Amazing as always") == ("en", ["en"])
    assert detect_language("no bueno")[0] == "en"
    assert detect_language("La aplicación no funciona y el pedido no llegó")[0] == "es"
