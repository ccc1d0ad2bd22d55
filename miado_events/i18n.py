"""Locale choice: saved preference → switcher cookie → Accept-Language → German."""
from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

LOCALE_COOKIE = "lang"
RTL_LOCALES = frozenset({"ar", "fa", "he", "ur"})


def supported_locales() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def normalise_locale(value: str | None) -> str | None:
    """A supported locale code for ``value``, or None."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
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
