"""Locale choice: saved preference → switcher cookie → Accept-Language → German."""
from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

LOCALE_COOKIE = "lang"
RTL_LOCALES = frozenset({"ar", "fa", "he", "ur"})
#: The regional variant whose dates, times and numbers a language is shown
#: with: the office is in Dortmund, so English uses the 24-hour clock and
#: day-month order (en_GB), not the US forms of plain "en". Translations are
#: found through the language ("en_GB" falls back to "en").
REGIONAL_FORMATS = {"en": "en_GB"}


def with_formats(language: str) -> str:
    """The locale to format in for a UI language code."""
    return REGIONAL_FORMATS.get(language, language)


def ui_language() -> str:
    """The UI language of this request as a plain code ("de", "en", "ar" …)."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]


def person_language(user) -> str:
    """The language ``user`` chose (``User.locale``): their mails, invites,
    feed, ticket and certificate speak it, whoever asks; the request's
    language when there is nobody (an anonymised registration) or no valid choice."""
    return normalise_locale(getattr(user, "locale", None)) or ui_language()


def requested_language() -> str:
    """The language of a public download (feed, ``.ics``, PDF list):
    ``?lang=<code>`` where given (an unknown code gives German, the default),
    else the request's UI language."""
    if "lang" in request.args:
        return normalise_locale(request.args.get("lang")) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return ui_language()


def supported_locales() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def normalise_locale(value: str | None) -> str | None:
    """A supported locale code for ``value``, or None."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    return with_formats(_select_language())


def _select_language() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = current_user
    if user and getattr(user, "is_authenticated", False):
        saved = normalise_locale(user.locale)
        if saved:
            return saved
    from_cookie = normalise_locale(request.cookies.get(LOCALE_COOKIE))
    if from_cookie:
        return from_cookie
    best = request.accept_languages.best_match(supported_locales())
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def text_direction(locale_code: str) -> str:
    return "rtl" if locale_code.split("_")[0] in RTL_LOCALES else "ltr"
