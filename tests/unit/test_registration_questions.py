"""Registration questions (issue #17 point 4): the rules of answering
(required, choice keys, replacing earlier answers), who sees sensitive
answers, the reader's language with German fallback, the translated-text
shape, the staff editor's rules, and that answers go with the person's data
(export, account deletion, the nightly purge) and into the exports."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from miado_events.errors import DomainError, PermissionDenied
from miado_events.events import question_editor, questions
from miado_events.events.question_editor import QuestionData
from miado_events.privacy import services as privacy
from miado_events.models.events import Registration
from miado_events.models.questions import QuestionAnswer
from miado_events.models.translated import InvalidTranslatedText, clean_translated, pick

from .events_support import NOW, SESSION_START, assert_code, register, slot_of


def _add(staff, event, kind="short_text", **kw):
    text = kw.pop("text", {"de": "Frage?"})
    return question_editor.add_question(staff, event, QuestionData(kind=kind, text=text, **kw))


LANGS = [{"key": "", "text": {"de": "Türkisch", "tr": "Türkçe"}}, {"key": "", "text": {"de": "Arabisch"}}]


@pytest.fixture
def event(db, make_event):
    return make_event(capacity=5)


@pytest.fixture
def asked(db, staff, event):
    """An event asking: interpreting (one choice, required), access needs
    (short text, sensitive), childcare (yes/no, optional)."""
    lang = _add(staff, event, "one_choice", required=True, choices=LANGS,
                text={"de": "Übersetzung in welche Sprache?", "tr": "Hangi dile tercüme?"})
    access = _add(staff, event, "short_text", sensitive=True, text={"de": "Zugang?"})
    child = _add(staff, event, "yes_no", text={"de": "Kinderbetreuung?"})
    db.session.commit()
    return lang, access, child


def form_for(event, **data):
    return questions.answer_form(event, MultiDict(data))


def registration_of(db, person, event):
    return register(db, person, slot_of(event)).registration


# --- the translated-text shape ---------------------------------------------------------------------

def test_translated_text_needs_german_and_drops_empty_translations():
    assert clean_translated({"de": " Ja ", "tr": "", "ar": "نعم"}) == {"de": "Ja", "ar": "نعم"}
    for bad, code in [({"tr": "Evet"}, "german_missing"), ({"de": "Ja", "xx": "?"}, "unknown_language"),
                      ({"de": 3}, "not_text"), ("Ja", "not_a_mapping"), ({"de": "x" * 501}, "too_long")]:
        with pytest.raises(InvalidTranslatedText) as excinfo:
            clean_translated(bad)
        assert excinfo.value.code == code


def test_reader_language_with_german_fallback():
    assert pick({"de": "Ja", "tr": "Evet"}, "tr") == ("Evet", "tr")
    assert pick({"de": "Ja", "tr": "Evet"}, "ar") == ("Ja", "de")


# --- staff edit the questions --------------------------------------------------------------------

def test_only_staff_edit_questions(db, event, make_user):
    with pytest.raises(PermissionDenied):
        _add(make_user(), event)


def test_a_question_needs_german_text(db, staff, event):
    with pytest.raises(DomainError) as excinfo:
        _add(staff, event, text={"en": "Childcare?"})
    assert_code(excinfo, "german_text_required")


def test_choice_questions_need_two_choices_and_keep_their_keys(db, staff, event):
    with pytest.raises(DomainError) as excinfo:
        _add(staff, event, "one_choice", choices=LANGS[:1])
    assert_code(excinfo, "choices_required")
    question = _add(staff, event, "several_choices", choices=LANGS)
    assert question.choice_keys == ["c1", "c2"]
    # Edit: rename the first, drop the second, add a new one: c1 stays, the new one is c3.
    question_editor.update_question(staff, question, QuestionData(
        kind="several_choices", text={"de": "Sprachen?"},
        choices=[{"key": "c1", "text": {"de": "Türkçe"}}, {"key": "", "text": {"de": "Kurdisch"}}]))
    assert question.choice_keys == ["c1", "c3"]


def test_sensitive_answers_never_go_on_the_sign_in_sheet(db, staff, event):
    with pytest.raises(DomainError) as excinfo:
        _add(staff, event, sensitive=True, on_sign_in_sheet=True)
    assert_code(excinfo, "sensitive_on_sheet")
    question = _add(staff, event, sensitive=True)
    db.session.commit()
    question.on_sign_in_sheet = True
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_reorder_questions(db, staff, event, asked):
    lang, access, child = asked
    question_editor.move_question(staff, child, -1)
    assert questions.questions_for(event) == [lang, child, access]
    question_editor.move_question(staff, lang, -1)  # already first: stays
    assert questions.questions_for(event) == [lang, child, access]


def test_deleting_an_answered_question_asks_again_and_deletes_the_answers(db, staff, event, asked,
                                                                        make_user):
    lang, access, child = asked
    reg = registration_of(db, make_user(), event)
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c1", f"q_{child.id}": "yes"}))
    db.session.commit()
    with pytest.raises(DomainError) as excinfo:
        question_editor.delete_question(staff, lang)
    assert_code(excinfo, "question_has_answers")
    assert question_editor.delete_question(staff, lang, delete_answers_too=True) == 1
    db.session.commit()
    assert questions.questions_for(event) == [access, child]
    assert db.session.scalar(select(func.count(QuestionAnswer.id))) == 1  # the childcare answer


def test_templates_give_ready_made_questions(db, staff, event):
    access = question_editor.add_from_template(staff, event, "access")
    assert access.sensitive and access.text["tr"]
    interpreting = question_editor.add_from_template(staff, event, "interpreting")
    assert interpreting.kind == "several_choices" and len(interpreting.choices) > 2
    with pytest.raises(DomainError) as excinfo:
        question_editor.add_from_template(staff, event, "nonsense")
    assert_code(excinfo, "unknown_template")


# --- answering ---------------------------------------------------------------------------------

def test_a_missing_required_answer_is_refused_and_changes_nothing(db, event, asked, make_user):
    lang, access, child = asked
    reg = registration_of(db, make_user(), event)
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c2"}))
    db.session.commit()
    with pytest.raises(DomainError) as excinfo:
        questions.save_answers(reg, form_for(event, **{f"q_{access.id}": "Rollstuhl"}))
    assert_code(excinfo, "answer_required")
    assert excinfo.value.question_id == lang.id
    db.session.rollback()
    assert questions.answer_values([reg.id]) == {reg.id: {lang.id: "c2"}}


def test_an_unknown_choice_key_is_refused(db, event, asked, make_user):
    lang, access, child = asked
    reg = registration_of(db, make_user(), event)
    for value, question in (("c9", lang), ("maybe", child)):
        with pytest.raises(DomainError) as excinfo:
            questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c1", f"q_{question.id}": value}))
        assert_code(excinfo, "unknown_choice")


def test_the_form_shows_the_problem_next_to_the_question(app, db, event, asked):
    lang, access, child = asked
    form = form_for(event, **{f"q_{child.id}": "maybe"})
    assert not form.validate()
    assert form[f"q_{lang.id}"].errors and form[f"q_{child.id}"].errors
    assert not form[f"q_{access.id}"].errors


def test_answers_replace_earlier_ones(db, event, asked, make_user):
    lang, access, child = asked
    reg = registration_of(db, make_user(), event)
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c1", f"q_{child.id}": "yes"}))
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c2", f"q_{access.id}": " Rampe "}))
    db.session.commit()
    assert questions.answer_values([reg.id])[reg.id] == {lang.id: "c2", access.id: "Rampe"}


def test_several_choices_store_known_keys_once(db, staff, event, make_user):
    several = _add(staff, event, "several_choices", choices=LANGS)
    reg = registration_of(db, make_user(), event)
    questions.save_answers(reg, questions.answer_form(
        event, MultiDict([(f"q_{several.id}", "c2"), (f"q_{several.id}", "c1"), (f"q_{several.id}", "c2")])))
    assert questions.answer_values([reg.id])[reg.id] == {several.id: ["c1", "c2"]}


def test_the_form_speaks_the_readers_language_and_marks_german_fallback(app, db, event, asked):
    lang, access, child = asked
    with app.test_request_context("/", headers={"Accept-Language": "tr"}):
        form = questions.answer_form(event, MultiDict())
        field = form[f"q_{lang.id}"]
        assert field.label.text == "Hangi dile tercüme?" and str(field.text_attrs) == ""
        assert dict(field.choices) == {"c1": "Türkçe", "c2": "Arabisch"}
        assert 'lang="de"' in str(field.choice_attrs["c2"])
        assert 'lang="de"' in str(form[f"q_{child.id}"].text_attrs)
        assert form[f"q_{access.id}"].description  # "only the office staff see your answer"


# --- who sees what --------------------------------------------------------------------------------

def test_sensitive_answers_only_for_staff(db, staff, event, asked, make_user):
    lang, access, child = asked
    person = make_user()
    reg = registration_of(db, person, event)
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c1", f"q_{access.id}": "Rollstuhl"}))
    db.session.commit()
    for_staff = questions.answers_for([reg], viewer=staff)[reg.id]
    assert [a.text for a in for_staff] == ["Türkisch", "Rollstuhl"]
    for_person = questions.answers_for([reg], viewer=person)[reg.id]
    assert [a.text for a in for_person] == ["Türkisch"]
    assert [q.id for q in questions.visible_questions(event, person)] == [lang.id, child.id]


def test_export_columns_one_per_question_and_sheet_only_chosen(db, staff, event, asked, make_user):
    lang, access, child = asked
    child.on_sign_in_sheet = True
    reg = registration_of(db, make_user(), event)
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c1", f"q_{access.id}": "Rampe",
                                                   f"q_{child.id}": "no"}))
    headers, cells = questions.export_columns(event, [reg.id])
    assert headers == ["Übersetzung in welche Sprache?", "Zugang?", "Kinderbetreuung?"]
    no = gettext("No")  # "Nein" once the catalogues have the new msgids
    assert cells[reg.id] == ["Türkisch", "Rampe", no]
    headers, cells = questions.export_columns(event, [reg.id], sign_in_sheet=True)
    assert headers == ["Kinderbetreuung?"] and cells[reg.id] == [no]


# --- personal data ---------------------------------------------------------------------------------

@pytest.fixture
def answered(db, event, asked, make_user):
    """A person who answered all three questions (the access need is sensitive)."""
    lang, access, child = asked
    person = make_user(name="Zofia Quendelwirth")
    reg = registration_of(db, person, event)
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c2", f"q_{access.id}": "Rollstuhl",
                                                   f"q_{child.id}": "yes"}))
    db.session.commit()
    return person, reg


def answer_rows(db) -> int:
    return db.session.scalar(select(func.count(QuestionAnswer.id)))


def test_the_personal_data_export_holds_the_answers_sensitive_ones_too(app, db, answered):
    person, reg = answered
    with app.test_request_context("/"):
        data = privacy.export_data(person)
    [registration] = data["registrations"]
    assert [(a["question"], a["answer"]) for a in registration["answers"]][:2] == [
        ("Übersetzung in welche Sprache?", "Arabisch"), ("Zugang?", "Rollstuhl")]


def test_deleting_the_account_deletes_the_answers(db, answered):
    person, reg = answered
    privacy.delete_account(person, now=NOW)
    db.session.commit()
    assert answer_rows(db) == 0
    assert db.session.get(Registration, reg.id) is None or db.session.get(Registration, reg.id).user_id is None


def test_the_nightly_purge_deletes_the_answers_of_past_events(db, answered, make_user, make_event):
    person, reg = answered
    other_event = make_event(capacity=5)
    other = registration_of(db, make_user(), other_event)
    db.session.add(QuestionAnswer(registration_id=other.id, question_id=questions.questions_for(reg.event)[0].id,
                                  value="c1"))
    db.session.commit()
    privacy.purge(months=1, now=NOW)  # nothing is old yet
    db.session.commit()
    assert answer_rows(db) == 4
    privacy.purge(months=1, now=SESSION_START + timedelta(days=60))
    db.session.commit()
    assert answer_rows(db) == 0
    db.session.refresh(reg)
    assert reg.user_id is None and reg.status == "confirmed"  # the registration stays, anonymous


def test_a_chosen_answer_cannot_be_removed_but_renamed(db, staff, event, asked, make_user):
    lang, access, child = asked
    reg = registration_of(db, make_user(), event)
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c2"}))
    edit = QuestionData(kind="one_choice", required=True, text=lang.text,
                        choices=[{"key": "c1", "text": {"de": "Türkisch"}}, {"key": "", "text": {"de": "Kurdisch"}}])
    with pytest.raises(DomainError) as excinfo:
        question_editor.update_question(staff, lang, edit)
    assert_code(excinfo, "choice_answered")
    edit.choices.append({"key": "c2", "text": {"de": "Arabisch (Levante)"}})
    question_editor.update_question(staff, lang, edit)
    assert questions.answer_values([reg.id])[reg.id] == {lang.id: "c2"}
    assert questions.export_columns(event, [reg.id])[1][reg.id][0] == "Arabisch (Levante)"


def test_a_form_without_the_sensitive_questions_keeps_their_answers(db, event, asked, make_user):
    """For a representative registering a colleague: the sensitive question is
    not asked (nor required), and an answer the person gave stays."""
    lang, access, child = asked
    access.required = True
    reg = registration_of(db, make_user(), event)
    questions.save_answers(reg, form_for(event, **{f"q_{lang.id}": "c1", f"q_{access.id}": "Rollstuhl"}))
    form = questions.answer_form(event, MultiDict({f"q_{lang.id}": "c2"}), include_sensitive=False)
    assert [q.id for q in form.questions] == [lang.id, child.id] and f"q_{access.id}" not in form
    questions.save_answers(reg, form)
    assert questions.answer_values([reg.id])[reg.id] == {lang.id: "c2", access.id: "Rollstuhl"}
