"""Every language of the switcher: the page speaks it, Arabic runs right to
left, dates follow the locale, and the choice follows the documented order
(saved preference → switcher cookie → Accept-Language → German)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from flask_babel import force_locale, format_date

from miado_events.config import LANGUAGES

SKIP_LINK = {
    "de": "Zum Inhalt springen", "en": "Skip to content", "tr": "İçeriğe geç",
    "ar": "الانتقال إلى المحتوى", "ru": "Перейти к содержанию",
    "uk": "Перейти до основного вмісту", "pl": "Przejdź do treści",
}


def html_tag(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.get_data(as_text=True))
    assert match, "no <html lang dir>"
    return match.group(1), match.group(2)


def test_the_switcher_offers_seven_languages_by_their_own_names(client):
    assert set(LANGUAGES) == {"de", "en", "tr", "ar", "ru", "uk", "pl"}
    page = client.get("/").get_data(as_text=True)
    for code, name in LANGUAGES.items():
        assert f'value="{code}" lang="{code}"' in page
        assert name in page


@pytest.mark.parametrize("lang", sorted(SKIP_LINK))
def test_each_language_from_accept_language(app, lang):
    client = app.test_client()
    response = client.get("/", headers={"Accept-Language": f"{lang};q=1.0"})
    assert html_tag(response) == (lang, "rtl" if lang == "ar" else "ltr")
    assert SKIP_LINK[lang] in response.get_data(as_text=True)


def test_cookie_beats_accept_language_and_saved_preference_beats_both(client, db, make_user, login):
    client.set_cookie("lang", "uk")
    assert html_tag(client.get("/", headers={"Accept-Language": "tr"}))[0] == "uk"
    login(make_user(locale="ar"))
    assert html_tag(client.get("/", headers={"Accept-Language": "tr"})) == ("ar", "rtl")


def test_unknown_cookie_falls_back_to_accept_language_then_german(app):
    client = app.test_client()
    client.set_cookie("lang", "xx")
    assert html_tag(client.get("/", headers={"Accept-Language": "pl"}))[0] == "pl"
    assert html_tag(client.get("/", headers={"Accept-Language": "fr"}))[0] == "de"


def test_switcher_saves_the_choice(client, db, make_user, login):
    user = make_user(locale="en")
    login(user)
    response = client.post("/language", data={"locale": "tr", "next": "/"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.locale == "tr"
    assert html_tag(client.get("/"))[0] == "tr"


@pytest.mark.parametrize(("lang", "month"), [
    ("de", "März"), ("en", "March"), ("tr", "Mart"), ("ru", "марта"), ("uk", "березня"),
    ("pl", "marca"), ("ar", "مارس"),
])
def test_dates_follow_the_locale(app, lang, month):
    with force_locale(lang):
        assert month in format_date(datetime(2027, 3, 10, 17, tzinfo=timezone.utc), "long")


def test_english_pages_use_the_24_hour_clock_and_day_month_order(app, db):
    from flask_babel import format_datetime

    from miado_events.i18n import with_formats

    moment = datetime(2027, 3, 10, 17, 30, tzinfo=timezone.utc)  # 18:30 in Dortmund
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        app.preprocess_request()
        assert format_date(moment, "long") == "10 March 2027"
        assert format_datetime(moment, "short").endswith("18:30")
        assert "PM" not in format_datetime(moment, "short")
    # Mail to an English reader (mail.render_message formats this way), while the request speaks German.
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        with force_locale(with_formats("en")):
            assert format_datetime(moment, "short").endswith("18:30")


def test_english_keeps_its_plain_language_code_in_the_page(app):
    response = app.test_client().get("/", headers={"Accept-Language": "en"})
    assert html_tag(response) == ("en", "ltr")
    assert "en_GB" not in response.get_data(as_text=True)
