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

Staff edit the questions with ``add_question`` / ``update_question`` /
``move_question`` / ``delete_question`` / ``add_from_template``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import delete, func, select
from wtforms import RadioField, StringField

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..i18n import text_direction, ui_language
from ..models.events import Event, Registration
from ..models.questions import (CHOICE_KINDS, MAX_ANSWER_LENGTH, QuestionAnswer, QuestionKind,
                                RegistrationQuestion)
from ..models.translated import InvalidTranslatedText, clean_translated, localized_text
from ..orgs.forms import CheckboxesField
from ..permissions import ensure, is_staff

#: At most this many questions per event, and choices per question.
MAX_QUESTIONS = 30
MAX_CHOICES = 30
MAX_TEXT_LENGTH = 300
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


# --- staff: editing the questions ----------------------------------------------------------------

@dataclass
class QuestionData:
    kind: str
    text: dict
    required: bool = False
    sensitive: bool = False
    on_sign_in_sheet: bool = False
    #: ``[{"key": "c1" or "" for a new one, "text": {...}}]``
    choices: list = field(default_factory=list)


def _invalid(code: str, message) -> DomainError:
    return DomainError(code, message)


def _clean_text(value, what) -> dict:
    try:
        return clean_translated(value, max_length=MAX_TEXT_LENGTH)
    except InvalidTranslatedText as err:
        if err.code == "german_missing":
            raise _invalid("german_text_required", _l("Please write %(what)s in German.", what=what)) from None
        if err.code == "too_long":
            raise _invalid("text_too_long", _l("Texts may be at most %(n)d characters long.",
                                               n=MAX_TEXT_LENGTH)) from None
        raise _invalid("text_invalid", _l("The text could not be read.")) from None


def _clean_data(data: QuestionData, question: RegistrationQuestion | None) -> tuple[dict, list]:
    if data.kind not in QuestionKind.values():
        raise _invalid("unknown_kind", _l("Please choose a kind of question."))
    if data.sensitive and data.on_sign_in_sheet:
        raise _invalid("sensitive_on_sheet", _l("Answers to a sensitive question cannot go on the "
                                                "sign-in sheet: everybody at the door can read it."))
    text = _clean_text(data.text, _l("the question"))
    choices: list = []
    if data.kind in CHOICE_KINDS:
        old_keys = set(question.choice_keys) if question is not None else set()
        used = [int(k[1:]) for k in old_keys if k[1:].isdigit()]
        next_number = max(used, default=0) + 1
        for choice in data.choices:
            raw = choice.get("text") or {}
            if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
                continue  # an empty row of the editor
            key = choice.get("key") or ""
            if key not in old_keys or key in {c["key"] for c in choices}:
                key = f"c{next_number}"
                next_number += 1
            choices.append({"key": key, "text": _clean_text(raw, _l("each answer"))})
        if len(choices) < 2:
            raise _invalid("choices_required", _l("Please give at least two answers to choose from."))
        if len(choices) > MAX_CHOICES:
            raise _invalid("too_many_choices", _l("At most %(n)d answers to choose from.", n=MAX_CHOICES))
    return text, choices


def _record(actor, event: Event, what: str, question: RegistrationQuestion) -> None:
    audit.record(actor, "event.questions", event, f"{event.title}: {question.text.get('de', '')}",
                 change=what, question_id=question.id)


def add_question(actor, event: Event, data: QuestionData) -> RegistrationQuestion:
    ensure(is_staff, actor)
    text, choices = _clean_data(data, None)
    existing = questions_for(event)
    if len(existing) >= MAX_QUESTIONS:
        raise _invalid("too_many_questions", _l("An event can have at most %(n)d questions.", n=MAX_QUESTIONS))
    question = RegistrationQuestion(
        event_id=event.id, position=(max((q.position for q in existing), default=-1) + 1),
        kind=data.kind, required=bool(data.required), sensitive=bool(data.sensitive),
        on_sign_in_sheet=bool(data.on_sign_in_sheet), text=text, choices=choices)
    db.session.add(question)
    db.session.flush()
    _record(actor, event, "add", question)
    return question


def update_question(actor, question: RegistrationQuestion, data: QuestionData) -> None:
    ensure(is_staff, actor)
    if data.kind != question.kind and answer_count(question):
        raise _invalid("kind_fixed", _l("People have answered this question already: its kind "
                                        "cannot change any more. Add a new question instead."))
    text, choices = _clean_data(data, question)
    removed = set(question.choice_keys) - {c["key"] for c in choices}
    chosen = removed & _chosen_keys(question)
    if chosen:
        name = question.choice_text(sorted(chosen)[0], "de")[0]
        raise _invalid("choice_answered", _l("People have chosen “%(choice)s”: it cannot be removed. "
                                             "Change its text instead.", choice=name))
    question.kind, question.text, question.choices = data.kind, text, choices
    question.required, question.sensitive = bool(data.required), bool(data.sensitive)
    question.on_sign_in_sheet = bool(data.on_sign_in_sheet)
    db.session.flush()
    _record(actor, question.event, "update", question)


def _chosen_keys(question: RegistrationQuestion) -> set[str]:
    """The choice keys somebody's answer holds."""
    keys: set[str] = set()
    for value in db.session.scalars(select(QuestionAnswer.value).where(QuestionAnswer.question_id == question.id)):
        keys.update(value if isinstance(value, list) else [value] if isinstance(value, str) else [])
    return keys


def move_question(actor, question: RegistrationQuestion, step: int) -> None:
    """Move one place up (``step=-1``) or down (``+1``); positions become 0..n-1."""
    ensure(is_staff, actor)
    ordered = questions_for(question.event)
    index = next(i for i, q in enumerate(ordered) if q.id == question.id)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, q in enumerate(ordered):
        q.position = position
    db.session.flush()


def answer_count(question: RegistrationQuestion) -> int:
    return db.session.scalar(select(func.count(QuestionAnswer.id))
                             .where(QuestionAnswer.question_id == question.id)) or 0


def delete_question(actor, question: RegistrationQuestion, *, delete_answers_too: bool = False) -> int:
    """Delete a question. One people have answered is deleted only with
    ``delete_answers_too`` (the editor asks again); returns how many answers went."""
    ensure(is_staff, actor)
    count = answer_count(question)
    if count and not delete_answers_too:
        raise _invalid("question_has_answers",
                       _l("%(n)d people have answered this question. Confirm again to delete the "
                          "question with their answers.", n=count))
    event = question.event
    _record(actor, event, "delete", question)
    db.session.execute(delete(QuestionAnswer).where(QuestionAnswer.question_id == question.id)
                       .execution_options(synchronize_session=False))
    db.session.delete(question)
    db.session.flush()
    return count


# --- ready-made questions --------------------------------------------------------------------------

def _t(de, en, tr, ar, ru, uk, pl) -> dict:
    return {"de": de, "en": en, "tr": tr, "ar": ar, "ru": ru, "uk": uk, "pl": pl}


_LANGUAGE_CHOICES = [
    _t("Türkisch", "Turkish", "Türkçe", "التركية", "Турецкий", "Турецька", "Turecki"),
    _t("Arabisch", "Arabic", "Arapça", "العربية", "Арабский", "Арабська", "Arabski"),
    _t("Russisch", "Russian", "Rusça", "الروسية", "Русский", "Російська", "Rosyjski"),
    _t("Ukrainisch", "Ukrainian", "Ukraynaca", "الأوكرانية", "Украинский", "Українська", "Ukraiński"),
    _t("Polnisch", "Polish", "Lehçe", "البولندية", "Польский", "Польська", "Polski"),
    _t("Englisch", "English", "İngilizce", "الإنجليزية", "Английский", "Англійська", "Angielski"),
    _t("Andere Sprache", "Other language", "Başka bir dil", "لغة أخرى", "Другой язык", "Інша мова",
       "Inny język"),
]

#: Questions staff add with one click: ``{key: (label, QuestionData factory)}``.
TEMPLATES = {
    "interpreting": (_l("Interpreting (which language)"), lambda: QuestionData(
        kind=QuestionKind.SEVERAL_CHOICES.value,
        text=_t("Brauchen Sie eine Übersetzung? In welche Sprache?",
                "Do you need interpreting? Into which language?",
                "Tercümeye ihtiyacınız var mı? Hangi dile?",
                "هل تحتاج إلى ترجمة فورية؟ إلى أي لغة؟",
                "Вам нужен перевод? На какой язык?",
                "Вам потрібен переклад? На яку мову?",
                "Czy potrzebujesz tłumaczenia? Na jaki język?"),
        choices=[{"key": f"c{i}", "text": text} for i, text in enumerate(_LANGUAGE_CHOICES, 1)])),
    "childcare": (_l("Childcare"), lambda: QuestionData(
        kind=QuestionKind.YES_NO.value,
        text=_t("Brauchen Sie eine Kinderbetreuung während der Veranstaltung?",
                "Do you need childcare during the event?",
                "Etkinlik sırasında çocuk bakımına ihtiyacınız var mı?",
                "هل تحتاج إلى رعاية أطفال أثناء الفعالية؟",
                "Нужен ли вам присмотр за детьми во время мероприятия?",
                "Чи потрібен вам догляд за дітьми під час заходу?",
                "Czy potrzebujesz opieki nad dziećmi podczas wydarzenia?"))),
    "access": (_l("Step-free access and other access needs (sensitive)"), lambda: QuestionData(
        kind=QuestionKind.SHORT_TEXT.value, sensitive=True,
        text=_t("Brauchen Sie einen stufenlosen Zugang oder andere Unterstützung (z. B. Gebärdensprache, "
                "Induktionsschleife)?",
                "Do you need step-free access or other support (e.g. sign language, hearing loop)?",
                "Basamaksız erişime veya başka bir desteğe (ör. işaret dili, indüksiyon döngüsü) "
                "ihtiyacınız var mı?",
                "هل تحتاج إلى مدخل بدون درجات أو دعم آخر (مثل لغة الإشارة أو حلقة السمع)؟",
                "Нужен ли вам доступ без ступенек или другая поддержка (например, язык жестов, "
                "индукционная петля)?",
                "Чи потрібен вам доступ без сходинок або інша підтримка (наприклад, мова жестів, "
                "індукційна петля)?",
                "Czy potrzebujesz dostępu bez schodów lub innego wsparcia (np. język migowy, "
                "pętla indukcyjna)?"))),
    "dietary": (_l("Dietary needs"), lambda: QuestionData(
        kind=QuestionKind.SEVERAL_CHOICES.value,
        text=_t("Haben Sie Wünsche zur Verpflegung?", "Do you have dietary needs?",
                "Yemekle ilgili özel istekleriniz var mı?", "هل لديك احتياجات غذائية خاصة؟",
                "Есть ли у вас пожелания по питанию?", "Чи маєте ви побажання щодо харчування?",
                "Czy masz specjalne wymagania dietetyczne?"),
        choices=[{"key": f"c{i}", "text": text} for i, text in enumerate([
            _t("Vegetarisch", "Vegetarian", "Vejetaryen", "نباتي", "Вегетарианское", "Вегетаріанське",
               "Wegetariańskie"),
            _t("Vegan", "Vegan", "Vegan", "نباتي صرف", "Веганское", "Веганське", "Wegańskie"),
            _t("Halal", "Halal", "Helal", "حلال", "Халяль", "Халяль", "Halal"),
            _t("Ohne Schweinefleisch", "No pork", "Domuz eti içermeyen", "بدون لحم خنزير", "Без свинины",
               "Без свинини", "Bez wieprzowiny"),
            _t("Glutenfrei", "Gluten-free", "Glutensiz", "خالٍ من الغلوتين", "Без глютена", "Без глютену",
               "Bezglutenowe"),
        ], 1)])),
}


def add_from_template(actor, event: Event, key: str) -> RegistrationQuestion:
    if key not in TEMPLATES:
        raise _invalid("unknown_template", _l("Please choose one of the ready-made questions."))
    return add_question(actor, event, TEMPLATES[key][1]())
