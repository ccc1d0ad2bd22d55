"""Content in the reader's language (issue #19): German in the model's own
columns, translations in one validated JSON column, "possibly outdated"
derived from the German text's hash."""
from __future__ import annotations

import pytest
from markupsafe import Markup
from sqlalchemy import select

from miado_events.models.events import Event, Venue
from miado_events.models.meetings import AgendaItem
from miado_events.models.orgs import Organisation
from miado_events.models.translated import (
    InvalidTranslatedText, Localized, clean_translations, confirm_translation, is_outdated, localized,
    localized_text, missing_translations, outdated_translations, set_translation, source_hash)
from miado_events.models.voting import Topic


@pytest.fixture
def event(make_event):
    event = make_event()
    event.title = "Jahresversammlung"
    event.description = "Wir wählen den Vorstand."
    event.audience_note = None
    return event


def test_the_reader_gets_the_translation_in_their_language(event):
    set_translation(event, "tr", "title", "Yıllık toplantı")

    shown = localized(event, "title", "tr")

    assert shown == Localized("Yıllık toplantı", "tr", is_fallback=False, is_outdated=False)


def test_without_a_translation_the_german_text_is_shown_and_marked_as_the_fallback(event):
    set_translation(event, "tr", "title", "Yıllık toplantı")

    shown = localized(event, "title", "ar")

    assert (shown.text, shown.language, shown.is_fallback, shown.direction) == (
        "Jahresversammlung", "de", True, "ltr")


def test_german_readers_get_german_and_no_fallback_mark(event):
    set_translation(event, "tr", "title", "Yıllık toplantı")

    shown = localized(event, "title", "de")

    assert (shown.text, shown.language, shown.is_fallback) == ("Jahresversammlung", "de", False)


def test_an_arabic_translation_reads_right_to_left(event):
    set_translation(event, "ar", "title", "الاجتماع السنوي")

    assert localized(event, "title", "ar").direction == "rtl"


def test_localized_prints_as_its_text_and_escapes_it_in_templates(event):
    set_translation(event, "en", "title", "<b>Annual</b> meeting")
    shown = localized(event, "title", "en")

    assert str(shown) == "<b>Annual</b> meeting"
    assert Markup("{}").format(shown) == "&lt;b&gt;Annual&lt;/b&gt; meeting"


def test_a_changed_german_text_marks_the_translation_possibly_outdated(event):
    set_translation(event, "tr", "title", "Yıllık toplantı")

    event.title = "Jahreshauptversammlung"

    assert is_outdated(event, "tr", "title")
    assert localized(event, "title", "tr").is_outdated
    assert outdated_translations(event) == ["tr"]


def test_confirming_a_translation_clears_the_outdated_mark(event):
    set_translation(event, "tr", "title", "Yıllık toplantı")
    event.title = "Jahreshauptversammlung"

    confirm_translation(event, "tr", "title")

    assert not is_outdated(event, "tr", "title")
    assert localized(event, "title", "tr").text == "Yıllık toplantı"


def test_editing_a_translation_writes_it_against_the_current_german_text(event):
    set_translation(event, "tr", "title", "Yıllık toplantı")
    event.title = "Jahreshauptversammlung"

    set_translation(event, "tr", "title", "Yıllık genel kurul")

    assert not is_outdated(event, "tr", "title")
    assert event.translations["tr"]["title"]["source"] == source_hash("Jahreshauptversammlung")


def test_an_empty_translation_removes_it(event):
    set_translation(event, "tr", "title", "Yıllık toplantı")

    set_translation(event, "tr", "title", "   ")

    assert event.translations == {}
    assert localized(event, "title", "tr").is_fallback


def test_translations_are_stored_and_read_back_with_non_ascii_text_as_is(db, event):
    set_translation(event, "ar", "description", "ننتخب مجلس الإدارة.")
    db.session.commit()
    db.session.expire_all()

    event = db.session.get(Event, event.id)
    raw = db.session.execute(select(Event.translations.cast(db.String)).where(Event.id == event.id)).scalar()

    assert localized(event, "description", "ar").text == "ننتخب مجلس الإدارة."
    assert "ننتخب" in raw  # not \u escapes: a LIKE over the column finds it


def test_missing_translations_lists_languages_lacking_a_field_with_german_text(event):
    for language in ("en", "tr", "ar", "ru", "uk", "pl"):
        set_translation(event, language, "title", "x")
    set_translation(event, "tr", "description", "Yönetim kurulunu seçiyoruz.")

    # audience_note has no German text: nothing to translate there
    assert missing_translations(event) == ["en", "ar", "ru", "uk", "pl"]


def test_every_translatable_model_names_its_german_columns():
    for model in (Event, Venue, Organisation, AgendaItem, Topic):
        assert model.TRANSLATED_FIELDS
        for field in model.TRANSLATED_FIELDS:
            assert field in model.__table__.columns
        assert "translations" in model.__table__.columns


@pytest.mark.parametrize(("language", "field", "text", "code"), [
    ("de", "title", "Titel", "unknown_language"),
    ("xx", "title", "Titel", "unknown_language"),
    ("tr", "status", "Titel", "unknown_field"),
    ("tr", "title", 7, "not_text"),
    ("tr", "title", "x" * 201, "too_long"),
])
def test_set_translation_refuses_bad_input_and_changes_nothing(event, language, field, text, code):
    with pytest.raises(InvalidTranslatedText) as refused:
        set_translation(event, language, field, text)

    assert refused.value.code == code
    assert event.translations in ({}, None)


def test_a_description_may_be_long(event):
    set_translation(event, "tr", "description", "y" * 5000)

    assert len(localized(event, "description", "tr").text) == 5000


FIELDS = ("title", "description")


def test_clean_translations_keeps_the_shape_and_drops_empty_texts():
    cleaned = clean_translations({
        "tr": {"title": {"text": " Yıllık toplantı ", "source": "0123456789ab"},
               "description": {"text": "  ", "source": ""}},
        "ar": {"title": {"text": ""}},
    }, FIELDS)

    assert cleaned == {"tr": {"title": {"text": "Yıllık toplantı", "source": "0123456789ab"}}}


@pytest.mark.parametrize(("value", "code"), [
    (["tr"], "not_a_mapping"),
    ({"de": {"title": {"text": "Titel"}}}, "unknown_language"),
    ({"xx": {"title": {"text": "Titel"}}}, "unknown_language"),
    ({"tr": {"status": {"text": "x"}}}, "unknown_field"),
    ({"tr": {"title": "Yıllık"}}, "not_a_mapping"),
    ({"tr": {"title": {"text": 5}}}, "not_text"),
    ({"tr": {"title": {"text": "x", "html": "<b>"}}}, "not_a_mapping"),
    ({"tr": {"title": {"text": "x" * 201}}}, "too_long"),
    ({"tr": {"title": {"text": "x", "source": "not-a-hash!!"}}}, "bad_source"),
])
def test_clean_translations_refuses_what_is_not_the_shape(value, code):
    with pytest.raises(InvalidTranslatedText) as refused:
        clean_translations(value, FIELDS, max_length={"title": 200})

    assert refused.value.code == code


def test_a_question_text_goes_through_the_same_localized_result():
    text = {"de": "Kinderbetreuung?", "tr": "Çocuk bakımı?"}

    assert localized_text(text, "tr") == Localized("Çocuk bakımı?", "tr")
    assert localized_text(text, "ar") == Localized("Kinderbetreuung?", "de", is_fallback=True)
    assert localized(text, "", "de") == Localized("Kinderbetreuung?", "de")


def test_the_form_reads_offered_languages_and_fields_only():
    from werkzeug.datastructures import MultiDict

    from miado_events.models.translated import translations_from_form

    sent = translations_from_form(MultiDict({
        "tr-tr-title": "Yıllık toplantı", "tr-tr-title-ok": "1", "tr-ar-description": "",
        "tr-de-title": "Titel", "tr-xx-title": "x", "tr-tr-status": "cancelled", "title": "Jahresversammlung",
    }), ("title", "description"))

    assert sent == {"tr": {"title": ("Yıllık toplantı", True)}, "ar": {"description": ("", False)}}


def test_an_unchanged_translation_stays_possibly_outdated_unless_confirmed(event):
    from miado_events.models.translated import apply_translations

    set_translation(event, "tr", "title", "Yıllık toplantı")
    event.title = "Jahreshauptversammlung"

    assert not apply_translations(event, {"tr": {"title": ("Yıllık toplantı", False)}})
    assert is_outdated(event, "tr", "title")
    assert apply_translations(event, {"tr": {"title": (" Yıllık toplantı ", True)}})
    assert not is_outdated(event, "tr", "title")


def test_a_search_finds_translated_texts_but_not_the_stored_keys(db, event):
    from miado_events.models.translated import translations_contain

    set_translation(event, "tr", "title", "Yıllık toplantı")
    set_translation(event, "ar", "description", "ننتخب مجلس الإدارة")
    db.session.commit()

    def found(text, field=None):
        return db.session.scalars(select(Event.id).where(translations_contain(Event, text, field))).all()

    assert found("yıllık") == [event.id]
    assert found("مجلس") == [event.id]
    assert found("مجلس", "title") == []
    for text in ("source", "title", "text", "tr", "%", "_", '"'):
        assert found(text) == [], text
