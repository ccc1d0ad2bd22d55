"""Texts written in several languages: ONE validated JSON shape for all of them.

A translated text is stored as ``{"de": "...", "tr": "...", ...}``: German is
required, the other UI languages are optional, empty translations are left
out. Registration questions use it first (issue #17); issue #19 (event and
MSO content per language) is meant to adopt the same shape and helpers::

    clean_translated({"de": " Kinderbetreuung ", "tr": ""})   # {"de": "Kinderbetreuung"}
    pick({"de": "Ja", "tr": "Evet"}, "tr")                    # ("Evet", "tr")
    pick({"de": "Ja"}, "ar")                                  # ("Ja", "de"): German fallback
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import ClassVar

from markupsafe import Markup, escape
from sqlalchemy import JSON, String, cast, func, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import flag_modified

from ..config import DEFAULT_LOCALE, LANGUAGES
from ..database import json_dumps

#: The languages a text may be written in, German (the source) first.
TEXT_LANGUAGES: tuple[str, ...] = (DEFAULT_LOCALE, *(c for c in LANGUAGES if c != DEFAULT_LOCALE))
SOURCE_LANGUAGE = DEFAULT_LOCALE


class InvalidTranslatedText(ValueError):
    """The value does not have the shape; ``code`` says why
    (``not_a_mapping``, ``unknown_language``, ``not_text``, ``too_long``,
    ``german_missing``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean_translated(value, *, max_length: int = 500) -> dict[str, str]:
    """``value`` in the stored shape: known languages only, strings only,
    stripped, empty ones dropped, German present; else ``InvalidTranslatedText``."""
    if not isinstance(value, dict):
        raise InvalidTranslatedText("not_a_mapping")
    cleaned: dict[str, str] = {}
    for language in value:
        if language not in TEXT_LANGUAGES:
            raise InvalidTranslatedText("unknown_language")
    for language in TEXT_LANGUAGES:
        text = value.get(language)
        if text is None:
            continue
        if not isinstance(text, str):
            raise InvalidTranslatedText("not_text")
        text = text.strip()
        if len(text) > max_length:
            raise InvalidTranslatedText("too_long")
        if text:
            cleaned[language] = text
    if SOURCE_LANGUAGE not in cleaned:
        raise InvalidTranslatedText("german_missing")
    return cleaned


def pick(value, language: str | None) -> tuple[str, str]:
    """``(text, language it is in)``: the text in ``language`` where it
    exists, German otherwise (mark the element with the returned language)."""
    value = value if isinstance(value, dict) else {}
    if language and value.get(language):
        return value[language], language
    return value.get(SOURCE_LANGUAGE, ""), SOURCE_LANGUAGE


def missing_languages(value) -> list[str]:
    """The optional languages without a text (the editor lists them)."""
    value = value if isinstance(value, dict) else {}
    return [c for c in TEXT_LANGUAGES if c != SOURCE_LANGUAGE and not value.get(c)]


# --- Content per language (issue #19): events, venues, MSOs, agenda, topics ---
#
# German stays in the model's own columns: it is the source, required, and
# every query, sort and export keeps reading it. Each translatable model has
# ONE JSON column ``translations``::
#
#     {"tr": {"title": {"text": "Yıllık toplantı", "source": "1f3a9c0d2b4e"}}, "ar": {...}}
#
# ``source`` is the first 12 hex digits of the SHA-256 of the German text the
# translation was written (or confirmed) against. "Possibly outdated" is
# derived: a translation whose source differs from the current German text's
# hash. Changing the German text therefore needs no write here.

#: The languages a translation may be written in (every UI language but German).
TRANSLATION_LANGUAGES: tuple[str, ...] = tuple(c for c in TEXT_LANGUAGES if c != SOURCE_LANGUAGE)
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
#: Longest translation of a field without a length of its own (a description).
MAX_TRANSLATION_LENGTH = 20000


def source_hash(german: str | None) -> str:
    """What a translation remembers of the German text it was written against."""
    return hashlib.sha256((german or "").strip().encode("utf-8")).hexdigest()[:12]


def direction_of(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


class Translatable:
    """Mixin: ``translations`` (the validated JSON shape above) and the
    fields that may be translated (each a German text column of the model)."""

    TRANSLATED_FIELDS: ClassVar[tuple[str, ...]] = ()

    translations: Mapped[dict] = mapped_column(
        JSON, nullable=False, default=dict, server_default=sql_text("'{}'"))

    @classmethod
    def translation_max_length(cls, field: str) -> int:
        """The German column's length (a title's 200), else MAX_TRANSLATION_LENGTH."""
        column = cls.__table__.columns.get(field)  # type: ignore[attr-defined]
        length = getattr(getattr(column, "type", None), "length", None)
        return length or MAX_TRANSLATION_LENGTH


@dataclass(frozen=True)
class Localized:
    """One piece of content as a reader gets it: the text, the language it is
    in, whether it is the German fallback, and whether the translation may
    be outdated. ``{{ x }}`` in a template prints the escaped text."""

    text: str
    language: str
    is_fallback: bool = False
    is_outdated: bool = False

    @property
    def direction(self) -> str:
        return direction_of(self.language)

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> Markup:
        return escape(self.text)

    def __bool__(self) -> bool:
        return bool(self.text)


def _entry(obj, language: str, field: str) -> dict | None:
    translations = getattr(obj, "translations", None)
    if not isinstance(translations, dict):
        return None
    entry = (translations.get(language) or {}).get(field)
    return entry if isinstance(entry, dict) and entry.get("text") else None


def localized(obj, field: str, language: str | None) -> Localized:
    """``obj.<field>`` for a reader of ``language``: the translation when there
    is one, else the German column (``is_fallback`` when the reader is not
    German). ``obj`` may also be a ``{"de": …, "tr": …}`` text (questions)."""
    if isinstance(obj, dict):
        return localized_text(obj, language)
    german = getattr(obj, field) or ""
    if language and language != SOURCE_LANGUAGE:
        entry = _entry(obj, language, field)
        if entry is not None:
            return Localized(entry["text"], language, False, entry.get("source") != source_hash(german))
        return Localized(german, SOURCE_LANGUAGE, is_fallback=True)
    return Localized(german, SOURCE_LANGUAGE)


def localized_text(value, language: str | None) -> Localized:
    """A ``{"de": …, "tr": …}`` text (registration questions) as a Localized."""
    text, in_language = pick(value, language)
    return Localized(text, in_language,
                     is_fallback=bool(language) and language != SOURCE_LANGUAGE and in_language != language)


def _check(obj, language: str, field: str) -> None:
    if language not in TRANSLATION_LANGUAGES:
        raise InvalidTranslatedText("unknown_language")
    if field not in type(obj).TRANSLATED_FIELDS:
        raise InvalidTranslatedText("unknown_field")


def set_translation(obj, language: str, field: str, text: str | None) -> None:
    """Write (or, with an empty text, remove) one translation; it is written
    against the current German text."""
    _check(obj, language, field)
    if text is not None and not isinstance(text, str):
        raise InvalidTranslatedText("not_text")
    text = (text or "").strip()
    if len(text) > type(obj).translation_max_length(field):
        raise InvalidTranslatedText("too_long")
    translations = {lang: dict(fields) for lang, fields in (obj.translations or {}).items()}
    fields = translations.setdefault(language, {})
    if text:
        fields[field] = {"text": text, "source": source_hash(getattr(obj, field))}
    else:
        fields.pop(field, None)
        if not fields:
            del translations[language]
    obj.translations = translations
    flag_modified(obj, "translations")


def confirm_translation(obj, language: str, field: str) -> None:
    """Someone checked the translation against the current German text: it
    is no longer possibly outdated. Nothing happens when there is none."""
    _check(obj, language, field)
    if _entry(obj, language, field) is None:
        return
    translations = {lang: dict(fields) for lang, fields in (obj.translations or {}).items()}
    translations[language][field] = {**translations[language][field], "source": source_hash(getattr(obj, field))}
    obj.translations = translations
    flag_modified(obj, "translations")


def is_outdated(obj, language: str, field: str) -> bool:
    """The German text changed since this translation was written or confirmed."""
    entry = _entry(obj, language, field)
    return entry is not None and entry.get("source") != source_hash(getattr(obj, field))


def missing_translations(obj) -> list[str]:
    """The languages lacking a translation of some field whose German text is not empty."""
    fields = [f for f in type(obj).TRANSLATED_FIELDS if (getattr(obj, f) or "").strip()]
    return [lang for lang in TRANSLATION_LANGUAGES if any(_entry(obj, lang, f) is None for f in fields)]


def outdated_translations(obj) -> list[str]:
    """The languages with at least one possibly outdated translation."""
    return [lang for lang in TRANSLATION_LANGUAGES
            if any(is_outdated(obj, lang, f) for f in type(obj).TRANSLATED_FIELDS)]


def clean_translations(value, fields, *, max_length: int | dict[str, int] = MAX_TRANSLATION_LENGTH) -> dict:
    """``value`` in the stored shape, or ``InvalidTranslatedText``: known
    languages (not German) and ``fields`` only, each ``{"text": str,
    "source": 12 hex}``, texts stripped and within ``max_length`` (one number
    or one per field); empty texts and languages are dropped."""
    if not isinstance(value, dict):
        raise InvalidTranslatedText("not_a_mapping")
    cleaned: dict[str, dict] = {}
    for language, per_field in value.items():
        if language not in TRANSLATION_LANGUAGES:
            raise InvalidTranslatedText("unknown_language")
        if not isinstance(per_field, dict):
            raise InvalidTranslatedText("not_a_mapping")
        out: dict[str, dict] = {}
        for field, entry in per_field.items():
            if field not in fields:
                raise InvalidTranslatedText("unknown_field")
            if not isinstance(entry, dict) or set(entry) - {"text", "source"}:
                raise InvalidTranslatedText("not_a_mapping")
            text, source = entry.get("text"), entry.get("source", "")
            if not isinstance(text, str) or not isinstance(source, str):
                raise InvalidTranslatedText("not_text")
            text = text.strip()
            limit = max_length.get(field, MAX_TRANSLATION_LENGTH) if isinstance(max_length, dict) else max_length
            if len(text) > limit:
                raise InvalidTranslatedText("too_long")
            if source and (len(source) != 12 or any(c not in "0123456789abcdef" for c in source)):
                raise InvalidTranslatedText("bad_source")
            if text:
                out[field] = {"text": text, "source": source}
        if out:
            cleaned[language] = out
    return cleaned




def translated_texts(obj_translations, field: str | None = None) -> list[str]:
    """Every translated text in a ``translations`` value (of ``field`` only, if given)."""
    texts = []
    for fields in (obj_translations or {}).values():
        if not isinstance(fields, dict):
            continue
        for name, entry in fields.items():
            if (field is None or name == field) and isinstance(entry, dict) and isinstance(entry.get("text"), str):
                texts.append(entry["text"])
    return texts


def translations_contain(model, text: str, field: str | None = None):
    """SQL: the rows of ``model`` with ``text`` in one of their translated
    texts (of ``field`` only, if given), ignoring case.

    A LIKE over the stored JSON (non-ASCII kept as is by
    ``database.json_dumps``, so Turkish and Arabic are found as typed; the
    wildcards of ``text`` escaped) narrows the rows; the texts of those are
    then checked one by one, so a search for "source" or "title" does not
    find every translated row through the JSON's keys. One extra statement."""
    from ..extensions import db

    needle = json_dumps(text)[1:-1]  # as it is written inside a JSON string
    serialised = cast(model.translations, String)
    candidates = db.session.execute(select(model.id, model.translations).where(or_(
        serialised.contains(needle, autoescape=True),
        func.lower(serialised).contains(needle.lower(), autoescape=True))))
    wanted = text.casefold()
    ids = [row_id for row_id, value in candidates
           if any(wanted in t.casefold() for t in translated_texts(value, field))]
    return model.id.in_(ids)


def translations_from_form(form, fields) -> dict[str, dict[str, tuple[str, bool]]]:
    """What an editing form sent: ``{language: {field: (text, still_correct)}}``
    from the inputs ``tr-<language>-<field>`` and the checkboxes
    ``tr-<language>-<field>-ok`` (``templates/_content.html``,
    ``translation_fields``). Languages and fields not offered are ignored."""
    sent: dict[str, dict[str, tuple[str, bool]]] = {}
    for language in TRANSLATION_LANGUAGES:
        for field in fields:
            name = f"tr-{language}-{field}"
            if name in form:
                sent.setdefault(language, {})[field] = (form.get(name) or "", bool(form.get(name + "-ok")))
    return sent


def apply_translations(obj, sent: dict[str, dict[str, tuple[str, bool]]]) -> bool:
    """Store what an editor sent (after the German text was saved): a changed
    text is written against the current German text, an unchanged one stays
    as it is (possibly outdated) unless "still correct" was ticked, an
    emptied one is removed. True when anything changed.
    ``InvalidTranslatedText`` (nothing is half written: the request rolls back)."""
    changed = False
    for language, fields in sent.items():
        for field, (text, still_correct) in fields.items():
            if text is not None and not isinstance(text, str):
                raise InvalidTranslatedText("not_text")
            text = (text or "").strip()
            entry = _entry(obj, language, field)
            if text != (entry["text"] if entry else ""):
                set_translation(obj, language, field, text)
                changed = True
            elif entry is not None and still_correct and is_outdated(obj, language, field):
                confirm_translation(obj, language, field)
                changed = True
    return changed


def save_translations(obj, sent: dict[str, dict[str, tuple[str, bool]]]) -> bool:
    """``apply_translations`` for the services, with a refusal people can
    read (a ``DomainError``) instead of ``InvalidTranslatedText``. The
    service checks who may edit ``obj`` first."""
    from flask_babel import lazy_gettext as _l

    from ..errors import DomainError

    try:
        return apply_translations(obj, sent)
    except InvalidTranslatedText as err:
        if err.code == "too_long":
            raise DomainError("translation_too_long", _l("A translation is too long.")) from err
        raise DomainError("translation_invalid", _l("A translation could not be read.")) from err
