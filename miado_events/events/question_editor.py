"""Staff edit an event's registration questions: add, change, order, delete,
and the ready-made ones (texts in all languages). The questions are asked
and answered through ``events.questions``."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..models.events import Event
from ..models.questions import CHOICE_KINDS, QuestionAnswer, QuestionKind, RegistrationQuestion
from ..models.translated import InvalidTranslatedText, clean_translated
from ..permissions import ensure, is_staff
from .questions import questions_for

#: At most this many questions per event, and choices per question.
MAX_QUESTIONS = 30
MAX_CHOICES = 30
MAX_TEXT_LENGTH = 300


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
