"""Registration questions through the test client: staff add, edit, reorder
and delete questions (an answered one only after a second confirmation);
a member answers before the seat is taken (a missing required answer: a
clear message and nothing changes); staff see the answers in the registrant
list and the exports; the sign-in sheet carries only the questions staff put
on it; a representative's booking page never shows sensitive answers."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from miado_events.events import question_editor, questions
from miado_events.events.question_editor import QuestionData
from miado_events.models.accounts import Role
from miado_events.models.events import Registration
from miado_events.models.questions import QuestionAnswer, RegistrationQuestion

from .test_event_views import at, make_event, slot_of


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF, name="Sandra Staff")


@pytest.fixture
def event(db):
    return make_event(db, "Vernetzungstreffen Dezember", [at(3, 10)], kind="networking", capacity=10)


@pytest.fixture
def asked(db, staff, event):
    lang = question_editor.add_question(staff, event, QuestionData(
        kind="one_choice", required=True, text={"de": "Übersetzung in welche Sprache?", "en": "Interpreting into?"},
        choices=[{"key": "", "text": {"de": "Türkisch"}}, {"key": "", "text": {"de": "Arabisch"}}]))
    access = question_editor.add_question(staff, event, QuestionData(
        kind="short_text", sensitive=True, text={"de": "Barrierefreier Zugang?"}))
    db.session.commit()
    return lang, access


def answers_in_db(db) -> int:
    return db.session.scalar(select(func.count(QuestionAnswer.id)))


# --- the staff editor ----------------------------------------------------------------------------

def test_staff_add_edit_reorder_and_delete_a_question(db, client, login, staff, event):
    login(staff)
    page = client.get(f"/staff/events/{event.id}/questions")
    assert page.status_code == 200 and "Add a question" in page.get_data(as_text=True)

    response = client.post(f"/staff/events/{event.id}/questions/new", data={
        "text_de": "Brauchen Sie Kinderbetreuung?", "text_tr": "Çocuk bakımı?", "kind": "yes_no",
        "required": "y"})
    assert response.status_code == 302
    childcare = db.session.scalar(select(RegistrationQuestion))
    assert childcare.text == {"de": "Brauchen Sie Kinderbetreuung?", "tr": "Çocuk bakımı?"} and childcare.required

    response = client.post(f"/staff/events/{event.id}/questions/new", data={
        "text_de": "Welche Sprache?", "kind": "one_choice",
        "choices-0-text_de": "Türkisch", "choices-1-text_de": "Arabisch", "choices-1-text_ar": "العربية",
        "choices-2-text_de": ""})
    assert response.status_code == 302
    language = db.session.scalar(select(RegistrationQuestion).where(RegistrationQuestion.kind == "one_choice"))
    assert [c["text"] for c in language.choices] == [{"de": "Türkisch"}, {"de": "Arabisch", "ar": "العربية"}]

    # Edit: the form comes filled in; German may not be left empty.
    page = client.get(f"/staff/questions/{language.id}").get_data(as_text=True)
    assert 'value="Arabisch"' in page and 'value="c2"' in page
    response = client.post(f"/staff/questions/{language.id}", data={"text_de": "", "kind": "one_choice"})
    assert response.status_code == 200
    db.session.refresh(language)
    assert language.text == {"de": "Welche Sprache?"}

    client.post(f"/staff/questions/{language.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert questions.questions_for(event) == [language, childcare]

    assert client.get(f"/staff/questions/{childcare.id}/delete").status_code == 200
    assert client.post(f"/staff/questions/{childcare.id}/delete").status_code == 302
    db.session.expire_all()
    assert questions.questions_for(event) == [language]


def test_staff_add_a_ready_made_question(db, client, login, staff, event):
    login(staff)
    client.post(f"/staff/events/{event.id}/questions/template", data={"template": "access"})
    question = db.session.scalar(select(RegistrationQuestion))
    assert question.sensitive and question.text["ar"]
    # An unknown template: a message, nothing added.
    response = client.post(f"/staff/events/{event.id}/questions/template", data={"template": "x"},
                           follow_redirects=True)
    assert "ready-made" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RegistrationQuestion.id))) == 1


def test_deleting_an_answered_question_asks_again(db, client, login, staff, event, asked, make_user):
    lang, access = asked
    member = make_user()
    login(member)
    client.post(f"/events/{event.id}/slots/{slot_of(db, event).id}/register",
                data={"answering": "1", f"q_{lang.id}": "c1"})
    assert answers_in_db(db) == 1
    client.post("/logout")
    login(staff)
    page = client.get(f"/staff/questions/{lang.id}/delete").get_data(as_text=True)
    assert "1 person has answered this question" in page
    response = client.post(f"/staff/questions/{lang.id}/delete", follow_redirects=True)
    assert "Confirm again" in response.get_data(as_text=True)
    assert db.session.get(RegistrationQuestion, lang.id) is not None and answers_in_db(db) == 1
    client.post(f"/staff/questions/{lang.id}/delete", data={"with_answers": "y"})
    db.session.expire_all()
    assert db.session.get(RegistrationQuestion, lang.id) is None and answers_in_db(db) == 0


def test_members_cannot_edit_questions(db, client, login, event, asked, make_user):
    login(make_user())
    lang, _access = asked
    assert client.get(f"/staff/events/{event.id}/questions").status_code == 403
    assert client.post(f"/staff/questions/{lang.id}/delete", data={"with_answers": "y"}).status_code == 403
    assert db.session.get(RegistrationQuestion, lang.id) is not None


# --- a member answers -------------------------------------------------------------------------------

def test_member_answers_before_the_seat_is_taken(db, client, login, event, asked, make_user):
    lang, access = asked
    member = make_user()
    login(member)
    slot = slot_of(db, event)
    register_url = f"/events/{event.id}/slots/{slot.id}/register"
    # The event page's button leads to the questions first: no seat yet.
    page = client.post(register_url, data={"organisation_id": ""}).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert "Please answer this question." not in page
    assert "Interpreting into?" in page and 'lang="de"' in page  # the member reads English; German fallback marked
    assert "Only the office staff see your answer." in page

    # The required answer missing: the page again with the problem, no seat.
    response = client.post(register_url, data={"answering": "1", f"q_{access.id}": "Rollstuhl"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please answer this question." in html
    assert db.session.scalar(select(func.count(Registration.id))) == 0 and answers_in_db(db) == 0

    # An unknown choice: the same.
    response = client.post(register_url, data={"answering": "1", f"q_{lang.id}": "c99"})
    assert "Please choose one of the answers offered." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Registration.id))) == 0

    response = client.post(register_url, data={"answering": "1", f"q_{lang.id}": "c2",
                                               f"q_{access.id}": "Rollstuhl"})
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert registration.user_id == member.id and registration.is_confirmed
    assert questions.answer_values([registration.id])[registration.id] == {lang.id: "c2", access.id: "Rollstuhl"}


def test_events_without_questions_register_in_one_click(db, client, login, event, make_user):
    login(make_user())
    slot = slot_of(db, event)
    assert client.get(f"/events/{event.id}/slots/{slot.id}/register").status_code == 302  # back to the event
    assert client.post(f"/events/{event.id}/slots/{slot.id}/register").status_code == 302
    assert db.session.scalar(select(func.count(Registration.id))) == 1


# --- staff see the answers ------------------------------------------------------------------------

def register_with_answers(db, client, login, event, person, data):
    login(person)
    response = client.post(f"/events/{event.id}/slots/{slot_of(db, event).id}/register",
                           data={"answering": "1", **data})
    assert response.status_code == 302


def test_staff_see_answers_in_the_list_and_the_exports(db, client, login, staff, event, asked, make_user):
    lang, access = asked
    register_with_answers(db, client, login, event, make_user(name="Zeynep Yıldız"),
                          {f"q_{lang.id}": "c1", f"q_{access.id}": "Rampe am Eingang"})
    client.post("/logout")
    login(staff)
    page = client.get(f"/staff/events/{event.id}/registrations").get_data(as_text=True)
    assert "Türkisch" in page and "Rampe am Eingang" in page

    text = client.get(f"/staff/events/{event.id}/participants.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    # One column per question, headed in the reader's language (the staff member reads English).
    header = next(r for r in rows if "Interpreting into?" in r)
    row = next(r for r in rows if "Zeynep Yıldız" in r)
    assert row[header.index("Interpreting into?")] == "Türkisch"
    assert row[header.index("Barrierefreier Zugang?")] == "Rampe am Eingang"

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/staff/events/{event.id}/participants.xlsx").data))
    sheet_rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert sheet_rows[0][-2:] == ["Interpreting into?", "Barrierefreier Zugang?"]
    assert sheet_rows[1][-2:] == ["Türkisch", "Rampe am Eingang"]


def test_sign_in_sheet_carries_only_chosen_questions(db, client, login, staff, event, asked, make_user):
    pypdf = pytest.importorskip("pypdf")
    lang, access = asked
    lang.on_sign_in_sheet = True
    db.session.commit()
    register_with_answers(db, client, login, event, make_user(name="Zeynep Yıldız"),
                          {f"q_{lang.id}": "c2", f"q_{access.id}": "Rampe am Eingang"})
    client.post("/logout")
    login(staff)
    response = client.get(f"/staff/events/{event.id}/signin.pdf")
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    assert "Arabisch" in text and "Rampe" not in text


# --- changing one's answers -------------------------------------------------------------------------

def test_member_sees_and_changes_their_answers_nobody_else_can(db, client, login, event, asked, make_user):
    lang, access = asked
    member = make_user()
    register_with_answers(db, client, login, event, member, {f"q_{lang.id}": "c1"})
    registration = db.session.scalar(select(Registration))
    page = client.get("/my/registrations").get_data(as_text=True)
    assert "Interpreting into?" in page and "Türkisch" in page and "Change my answers" in page

    url = f"/registrations/{registration.id}/answers"
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*\bchecked\b[^>]*value="c1"', page)  # the earlier answer, filled in
    response = client.post(url, data={f"q_{access.id}": "Rampe"})  # the required one left out
    assert response.status_code == 200 and "Please answer this question." in response.get_data(as_text=True)
    assert questions.answer_values([registration.id])[registration.id] == {lang.id: "c1"}
    assert client.post(url, data={f"q_{lang.id}": "c2", f"q_{access.id}": "Rampe"}).status_code == 302
    assert questions.answer_values([registration.id])[registration.id] == {lang.id: "c2", access.id: "Rampe"}

    client.post("/logout")
    login(make_user())
    assert client.get(url).status_code == 404
    assert client.post(url, data={f"q_{lang.id}": "c1"}).status_code == 404
    assert questions.answer_values([registration.id])[registration.id][lang.id] == "c2"


def test_a_representative_never_sees_a_colleagues_answers(db, client, login, event, asked, make_user):
    from miado_events.models.orgs import Membership, Organisation

    lang, access = asked
    org = Organisation(name="Kulturbrücke e.V.", legal_form="ev", status="listed")
    member, rep = make_user(), make_user()
    db.session.add_all([org, Membership(organisation=org, user=member, role="member", status="active"),
                        Membership(organisation=org, user=rep, role="representative", status="active")])
    db.session.commit()
    register_with_answers(db, client, login, event, member,
                          {"organisation_id": str(org.id), f"q_{lang.id}": "c1", f"q_{access.id}": "Rollstuhl"})
    registration = db.session.scalar(select(Registration))
    assert registration.organisation_id == org.id
    client.post("/logout")
    login(rep)
    response = client.get(f"/registrations/{registration.id}/answers")
    assert response.status_code == 404 and "Rollstuhl" not in response.get_data(as_text=True)
    # …nor on the MSO's bookings page, which lists the colleague.
    bookings = client.get(f"/my/organisations/{org.id}/bookings")
    assert bookings.status_code == 200 and member.name in bookings.get_data(as_text=True)
    assert "Rollstuhl" not in bookings.get_data(as_text=True)
    assert "Rollstuhl" not in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_staff_change_a_persons_answers_from_the_registrant_list(db, client, login, staff, event, asked,
                                                                 make_user):
    lang, access = asked
    register_with_answers(db, client, login, event, make_user(), {f"q_{lang.id}": "c1"})
    registration = db.session.scalar(select(Registration))
    client.post("/logout")
    login(staff)
    page = client.get(f"/staff/events/{event.id}/registrations").get_data(as_text=True)
    url = f"/registrations/{registration.id}/answers?back=staff"
    assert f'href="{url}"' in page.replace("&amp;", "&")
    response = client.post(url, data={f"q_{lang.id}": "c2", f"q_{access.id}": "Rampe"})
    assert response.headers["Location"].endswith(f"/staff/events/{event.id}/registrations")
    assert questions.answer_values([registration.id])[registration.id] == {lang.id: "c2", access.id: "Rampe"}


def test_an_overlong_answer_text_in_the_editor_is_a_clear_message(db, client, login, staff, event):
    login(staff)
    response = client.post(f"/staff/events/{event.id}/questions/new", data={
        "text_de": "Welche Sprache?", "kind": "one_choice",
        "choices-0-text_de": "Türkisch", "choices-1-text_de": "x" * 301}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "at most 300 characters" in html and "{&#39;" not in html and "{'" not in html
    assert db.session.scalar(select(func.count(RegistrationQuestion.id))) == 0


def test_a_representative_registering_a_colleague_is_not_asked_the_sensitive_questions(
        db, client, login, event, asked, make_user):
    from miado_events.models.orgs import Membership, Organisation

    lang, access = asked
    org = Organisation(name="Kulturbrücke e.V.", legal_form="ev", status="listed")
    rep = make_user()
    db.session.add_all([org, Membership(organisation=org, user=rep, role="representative", status="active")])
    db.session.commit()
    login(rep)
    page = client.get(f"/events/{event.id}/register-person").get_data(as_text=True)
    assert "Interpreting into?" in page and "Barrierefreier Zugang?" not in page
