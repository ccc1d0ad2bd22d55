"""Registration questions: what staff ask, how people answer, who sees what.

The API the registration forms use (member, guest, on someone's behalf):

* ``questions_for(event)`` — the event's questions, in order;
* ``answer_form(event, formdata)`` — a form with one field ``q_<id>`` per
  question (labels in the reader's language, German where no translation);
  it carries no CSRF token of its own, so it can sit inside another form
  (every POST is CSRF-checked app-wide); ``templates/events/_questions.html``
  renders it (``render_questions(form)``);
* ``save_answers(registration, form)`` — checks and stores the answers
  (``DomainError`` when a required one is missing or a choice is unknown),
  replacing earlier ones;
* ``answers_for(registrations, viewer=...)`` — what a list shows; answers to
  sensitive questions (health, access needs) only for staff.

Staff edit the questions through ``events.question_editor``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import delete, func, select
from wtforms import RadioField, StringField

from ..errors import DomainError
from ..extensions import db
from ..i18n import text_direction, ui_language
from ..models.events import Event, Registration
from ..models.questions import (MAX_ANSWER_LENGTH, QuestionAnswer, QuestionKind,
                                RegistrationQuestion)
from ..models.translated import localized_text
from ..orgs.forms import CheckboxesField
from ..permissions import is_staff

YES, NO = "yes", "no"


# --- reading -----------------------------------------------------------------------------------

def questions_for(event: Event) -> list[RegistrationQuestion]:
    """The event's questions in the order staff put them."""
    if event.id is None:
        return []
    return list(db.session.scalars(
        select(RegistrationQuestion).where(RegistrationQuestion.event_id == event.id)
        .order_by(RegistrationQuestion.position, RegistrationQuestion.id)))


def has_questions(event: Event) -> bool:
    return db.session.scalar(select(func.count(RegistrationQuestion.id))
                             .where(RegistrationQuestion.event_id == event.id)) > 0


def events_with_questions(event_ids) -> set[int]:
    """The ids among ``event_ids`` of events that ask questions (one query)."""
    ids = set(event_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(RegistrationQuestion.event_id).where(
        RegistrationQuestion.event_id.in_(ids)).distinct()))


def visible_questions(event: Event, viewer) -> list[RegistrationQuestion]:
    """The questions whose answers ``viewer`` may see (sensitive: staff only)."""
    staff = is_staff(viewer)
    return [q for q in questions_for(event) if staff or not q.sensitive]


def answer_text(question: RegistrationQuestion, value, language: str | None = None) -> str:
    """An answer as people read it (``language``: the reader's, default the UI's)."""
    language = language or ui_language()
    if value is None or value == "" or value == []:
        return ""
    if question.kind == QuestionKind.YES_NO.value:
        return _("Yes") if value is True else _("No")
    if question.kind == QuestionKind.ONE_CHOICE.value:
        return question.choice_text(value, language)[0]
    if question.kind == QuestionKind.SEVERAL_CHOICES.value:
        return ", ".join(question.choice_text(key, language)[0] for key in value)
    return str(value)


@dataclass(frozen=True)
class ShownAnswer:
    question: RegistrationQuestion
    text: str

    @property
    def label(self) -> str:
        return self.question.text_in(ui_language())[0]


def answers_for(registrations, *, viewer) -> dict[int, list[ShownAnswer]]:
    """``{registration_id: [answers in question order]}`` in one query; the
    answers to sensitive questions only when ``viewer`` is staff."""
    ids = [r.id for r in registrations]
    result: dict[int, list[ShownAnswer]] = {}
    if not ids:
        return result
    query = (select(QuestionAnswer, RegistrationQuestion)
             .join(RegistrationQuestion, RegistrationQuestion.id == QuestionAnswer.question_id)
             .where(QuestionAnswer.registration_id.in_(ids))
             .order_by(RegistrationQuestion.position, RegistrationQuestion.id))
    if not is_staff(viewer):
        query = query.where(RegistrationQuestion.sensitive.is_(False))
    language = ui_language()
    for answer, question in db.session.execute(query):
        text = answer_text(question, answer.value, language)
        if text:
            result.setdefault(answer.registration_id, []).append(ShownAnswer(question, text))
    return result


def answer_values(registration_ids) -> dict[int, dict[int, object]]:
    """``{registration_id: {question_id: stored value}}`` (exports, the sign-in sheet)."""
    ids = list(registration_ids)
    result: dict[int, dict[int, object]] = {}
    if not ids:
        return result
    for answer in db.session.scalars(select(QuestionAnswer).where(QuestionAnswer.registration_id.in_(ids))):
        result.setdefault(answer.registration_id, {})[answer.question_id] = answer.value
    return result


def export_columns(event: Event, registration_ids, *, sign_in_sheet: bool = False):
    """``(headers, {registration_id: [cells]})``: one column per question
    (for the sign-in sheet only those staff put on it, never sensitive ones)."""
    questions = [q for q in questions_for(event)
                 if not sign_in_sheet or (q.on_sign_in_sheet and not q.sensitive)]
    values = answer_values(registration_ids)
    language = ui_language()
    headers = [q.text_in(language)[0] for q in questions]
    cells = {rid: [answer_text(q, values.get(rid, {}).get(q.id), language) for q in questions]
             for rid in registration_ids}
    return headers, cells


def own_answers(registration_ids, language: str | None = None) -> dict[int, list[dict]]:
    """``{registration_id: [{"question", "answer"}]}``: everything the person
    answered, sensitive answers included (their own data export)."""
    values = answer_values(registration_ids)
    if not values:
        return {}
    language = language or ui_language()
    questions = {q.id: q for q in db.session.scalars(select(RegistrationQuestion).where(
        RegistrationQuestion.id.in_({qid for answers in values.values() for qid in answers}))
        .order_by(RegistrationQuestion.position, RegistrationQuestion.id))}
    return {rid: [{"question": q.text_in(language)[0], "answer": answer_text(q, answers[q.id], language)}
                  for q in questions.values() if q.id in answers]
            for rid, answers in values.items()}


def delete_answers(registration_ids) -> int:
    """Delete the answers of these registrations (anonymising, purge)."""
    ids = list(registration_ids)
    if not ids:
        return 0
    return db.session.execute(
        delete(QuestionAnswer).where(QuestionAnswer.registration_id.in_(ids))
        .execution_options(synchronize_session=False)).rowcount


# --- answering ---------------------------------------------------------------------------------

def _answer_error(code: str, message, question: RegistrationQuestion) -> DomainError:
    err = DomainError(code, message)
    err.question_id = question.id
    return err


def clean_answer(question: RegistrationQuestion, raw):
    """The value to store for the raw form data of one question (``None``:
    no answer); ``DomainError`` when the answer is not acceptable."""
    kind = question.kind
    if kind == QuestionKind.SHORT_TEXT.value:
        value = (raw or "").strip() if isinstance(raw, str) else ""
        if len(value) > MAX_ANSWER_LENGTH:
            raise _answer_error("answer_too_long", _l("Please answer in at most %(n)d characters.",
                                                      n=MAX_ANSWER_LENGTH), question)
        value = value or None
    elif kind == QuestionKind.YES_NO.value:
        if raw in (None, "", True, False):
            value = raw if isinstance(raw, bool) else None
        elif raw in (YES, NO):
            value = raw == YES
        else:
            raise _answer_error("unknown_choice", _l("Please choose one of the answers offered."), question)
    elif kind == QuestionKind.ONE_CHOICE.value:
        value = raw or None
        if value is not None and value not in question.choice_keys:
            raise _answer_error("unknown_choice", _l("Please choose one of the answers offered."), question)
    else:
        values = raw if isinstance(raw, (list, tuple)) else ([raw] if raw else [])
        keys = question.choice_keys
        if any(v not in keys for v in values):
            raise _answer_error("unknown_choice", _l("Please choose one of the answers offered."), question)
        value = [k for k in keys if k in values] or None  # in the question's order, once each
    if value is None and question.required:
        raise _answer_error("answer_required", _l("Please answer this question."), question)
    return value


class _AnswerFormBase(FlaskForm):
    class Meta:
        csrf = False  # sits inside another form; CSRFProtect checks every POST

    questions: list[RegistrationQuestion] = []

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for question in self.questions:
            f = self[f"q_{question.id}"]
            try:
                clean_answer(question, f.data)
            except DomainError as err:
                f.errors = [*f.errors, str(err.message)]
                ok = False
        return ok


def _field_for(question: RegistrationQuestion, language: str, viewer_is_staff: bool):
    label, _lang = question.text_in(language)
    description = None
    if question.sensitive:
        description = (_l("Sensitive: only staff see the answers.") if viewer_is_staff
                       else _l("Only the office staff see your answer."))
    kwargs = {"label": label, "description": description}
    if question.kind == QuestionKind.SHORT_TEXT.value:
        return StringField(render_kw={"maxlength": MAX_ANSWER_LENGTH}, **kwargs)
    if question.kind == QuestionKind.YES_NO.value:
        return RadioField(choices=[(YES, _l("Yes")), (NO, _l("No"))], validate_choice=False, **kwargs)
    choices = [(c["key"], question.choice_text(c["key"], language)[0]) for c in question.choices or []]
    if question.kind == QuestionKind.ONE_CHOICE.value:
        return RadioField(choices=choices, validate_choice=False, **kwargs)
    return CheckboxesField(choices=choices, validate_choice=False, **kwargs)


def lang_attrs(text_language: str, reader_language: str) -> Markup:
    """`` lang=".." dir=".."`` for a text in another language than the page's
    (WCAG 3.1.2), else nothing."""
    if text_language == reader_language:
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(text_language, text_direction(text_language))


def answer_form(event: Event, formdata=None, *, viewer_is_staff: bool = False,
                registration: Registration | None = None, include_sensitive: bool = True):
    """A form asking the event's questions (fields ``q_<id>``). ``formdata``:
    the posted data (default: the request's, as any Flask-WTF form);
    ``registration``: fill in its earlier answers; ``include_sensitive=False``
    leaves out the sensitive questions (a representative registering a
    colleague: they are the person's to answer, and only staff see them)."""
    questions = [q for q in questions_for(event) if include_sensitive or not q.sensitive]
    language = ui_language()
    attrs = {"questions": questions}
    for question in questions:
        attrs[f"q_{question.id}"] = _field_for(question, language, viewer_is_staff)
    form_class = type("AnswerForm", (_AnswerFormBase,), attrs)
    kwargs = {} if formdata is None else {"formdata": formdata}
    form = form_class(**kwargs)
    for question in questions:
        f = form[f"q_{question.id}"]
        # What the macro needs: the question, the language of its text, required.
        f.question = question
        f.text_attrs = lang_attrs(question.text_in(language)[1], language)
        f.content = localized_text(question.text, language)  # is_fallback: "(in German)" after the label
        f.choice_attrs = {c["key"]: lang_attrs(question.choice_text(c["key"], language)[1], language)
                          for c in question.choices or []}
        if question.required:
            f.flags.required = True
    if registration is not None and not form.is_submitted():
        stored = answer_values([registration.id]).get(registration.id, {})
        for question in questions:
            value = stored.get(question.id)
            if value is None:
                continue
            if question.kind == QuestionKind.YES_NO.value:
                value = YES if value else NO
            form[f"q_{question.id}"].data = value
    return form


def _asked(event: Event, form) -> list[RegistrationQuestion]:
    """The questions ``form`` asked (an ``answer_form``), else all of the event's."""
    asked = getattr(form, "questions", None)
    return list(asked) if asked is not None else questions_for(event)


def read_answers(event: Event, form) -> dict[int, object]:
    """``{question_id: value}`` from a filled ``answer_form`` (no answer: left
    out); the first unacceptable answer raises ``DomainError``."""
    values = {}
    for question in _asked(event, form):
        f = form[f"q_{question.id}"] if f"q_{question.id}" in form else None
        value = clean_answer(question, f.data if f is not None else None)
        if value is not None:
            values[question.id] = value
    return values


def save_answers(registration: Registration, form) -> None:
    """Store the answers given in ``form`` for ``registration``, replacing
    earlier ones. Raises ``DomainError`` (``answer_required``,
    ``unknown_choice``, ``answer_too_long``) and then changes nothing."""
    values = read_answers(registration.event, form)
    store_answers(registration, values, questions=[q.id for q in _asked(registration.event, form)])


def store_answers(registration: Registration, values: dict[int, object], *, questions=None) -> None:
    """Replace the answers of ``registration`` with ``values`` (already
    checked): all earlier ones, or those to ``questions`` (ids) only."""
    if registration.id is None:
        db.session.flush()
    replaced = delete(QuestionAnswer).where(QuestionAnswer.registration_id == registration.id)
    if questions is not None:
        replaced = replaced.where(QuestionAnswer.question_id.in_(list(questions)))
    db.session.execute(replaced.execution_options(synchronize_session=False))
    for question_id, value in values.items():
        db.session.add(QuestionAnswer(registration_id=registration.id, question_id=question_id, value=value))
    db.session.flush()
