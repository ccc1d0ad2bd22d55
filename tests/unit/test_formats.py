"""Numbers, lists and durations as each language writes them (Babel), not
as German does: "%75" in Turkish, "A, B und C", "1 Woche" for 168 hours."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from miado_events.i18n import with_formats
from miado_events.web import hours_duration, listing, percent


@pytest.mark.parametrize(("lang", "expected"), [
    ("de", "75\xa0%"), ("tr", "%75"), ("en", "75%"), ("ar", "75"),
])
def test_percent_follows_the_language(app, lang, expected):
    with app.test_request_context("/"), force_locale(with_formats(lang)):
        assert expected in percent(0.75)
        assert percent(None) == "–"


def test_lists_use_the_languages_own_conjunction(app):
    with app.test_request_context("/"), force_locale("de"):
        assert listing(["Hörde", "Eving", "Brackel"]) == "Hörde, Eving und Brackel"
        assert listing([]) == ""
    with app.test_request_context("/"), force_locale("en_GB"):
        assert listing(["Hörde", "Eving"]) == "Hörde and Eving"


def test_hours_become_the_unit_people_use(app):
    with app.test_request_context("/"), force_locale("de"):
        assert hours_duration(168) == "1 Woche"
        assert hours_duration(48) == "2 Tage"
        assert hours_duration(2) == "2 Stunden"
    with app.test_request_context("/"), force_locale("en_GB"):
        assert hours_duration(24) == "1 day"


def test_text_people_entered_is_isolated_and_escaped():
    from miado_events.web import bdi

    assert str(bdi("Treffen: Fördermittel!")) == "<bdi>Treffen: Fördermittel!</bdi>"
    assert str(bdi("<script>x</script>")) == "<bdi>&lt;script&gt;x&lt;/script&gt;</bdi>"
    assert str(bdi(None)) == "<bdi></bdi>"


def test_an_event_title_on_an_arabic_page_is_isolated(app, db, client):
    from datetime import timedelta

    from miado_events.database import utcnow
    from miado_events.models.events import Event, EventSession

    event = Event(kind="seminar", title="Fördermittel 2027: Wie?", description="", status="published",
                  capacity=10, languages=["de"])
    start = utcnow() + timedelta(days=3)
    event.sessions.append(EventSession(starts_at=start, ends_at=start + timedelta(hours=2)))
    db.session.add(event)
    db.session.commit()
    page = client.get(f"/events/{event.id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    # German on the Arabic page: isolated and marked as German (issue #19), with the "(in German)" hint
    assert '<h1><bdi lang="de" dir="ltr">Fördermittel 2027: Wie?</bdi> <small class="content-hint">' in page
