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

from ..config import DEFAULT_LOCALE, LANGUAGES

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
