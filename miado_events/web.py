"""Request-wide behaviour: security headers, template helpers, proxy set-up."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from markupsafe import Markup
from babel.lists import format_list
from flask_babel import format_percent, format_timedelta, get_locale, gettext
from werkzeug.middleware.proxy_fix import ProxyFix

from . import permissions
from .database import utcnow
from .models.accounts import Role
from .models.translated import (TRANSLATION_LANGUAGES, Localized, localized,
                                missing_translations, outdated_translations)
from .i18n import text_direction, ui_language

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def percent(share) -> str:
    """A share (0.75) as the reader's language writes a percentage: "75 %",
    "%75", "75%" …; "–" when there is nothing to divide."""
    return "–" if share is None else format_percent(share)


def listing(items) -> str:
    """Items joined as the reader's language lists them ("A, B und C")."""
    items = [str(item) for item in items or ()]
    return format_list(items, locale=get_locale()) if items else ""


def hours_duration(hours: int) -> str:
    """A number of hours as people say it: "2 Stunden", "1 Tag", "1 Woche"."""
    return format_timedelta(timedelta(hours=hours), threshold=1)


def bdi(text) -> Markup:
    """Text people entered (a title, a name, an address), isolated from the
    text around it, so that a German title's punctuation stays at its end
    on an Arabic page and an Arabic name does not reorder a German sentence."""
    return Markup("<bdi>{}</bdi>").format("" if text is None else text)


def content(obj, field: str | None = None, language: str | None = None) -> Localized:
    """A piece of content (``content(event, "title")``, or a question's
    ``{"de": …, "tr": …}`` text) in ``language``, by default the page's; the
    German text where there is no translation. ``templates/_content.html``
    wraps it with its ``lang`` and ``dir`` when those differ from the page's."""
    return localized(obj, field or "", language or ui_language())


#: The elements content_html may wrap a text in.
CONTENT_TAGS = frozenset({"bdi", "span", "div", "p", "strong"})


def content_html(obj, field: str, *, tag: str = "bdi", class_: str = "", hint: bool = False,
                 block: bool = False, language: str | None = None) -> Markup:
    """``obj.<field>`` for the page's reader, in ``<tag>`` with ``lang`` and
    ``dir`` when its language is not the page's (WCAG 3.1.2), followed by
    "(in German)" with ``hint`` where the German fallback is shown (a
    paragraph after a ``block``). ``language="de"``: the German text itself
    (staff pages). Nothing for an empty text. ``templates/_content.html``."""
    page = ui_language()
    shown = localized(obj, field, language or page)
    if not shown.text:
        return Markup("")
    tag = tag if tag in CONTENT_TAGS else "bdi"
    attributes = Markup("")
    if class_:
        attributes += Markup(' class="{}"').format(class_)
    if shown.language != page:
        attributes += Markup(' lang="{}" dir="{}"').format(shown.language, shown.direction)
    html = Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), attributes, shown)
    if hint and shown.is_fallback and shown.language != page:
        html += Markup('<p class="content-hint">({})</p>' if block else ' <small class="content-hint">({})</small>'
                       ).format(gettext("in German"))
    return html


def translation_state(obj, language: str, field: str) -> Localized:
    """The stored translation of ``obj.<field>`` (text "" when there is none;
    ``obj`` None for a new one), for the editing form."""
    shown = localized(obj, field, language) if obj is not None else None
    if shown is None or shown.language != language:
        return Localized("", language)
    return shown


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        content=content, content_html=content_html, page_language=ui_language, translation_state=translation_state,
        translation_languages=lambda: [(c, app.config["LANGUAGES"][c]) for c in TRANSLATION_LANGUAGES],
        missing_translations=missing_translations, outdated_translations=outdated_translations)
    app.jinja_env.filters.update(percent=percent, listing=listing, hours_duration=hours_duration, bdi=bdi)
    if app.config.get("PROXY_FIX"):
        n = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.context_processor
    def _template_helpers():
        locale = ui_language()
        return {
            "can": permissions.can,
            "current_locale": locale,
            "text_dir": text_direction(locale),
            "ui_languages": app.config["LANGUAGES"],
            "now": utcnow,
            "contact_email": app.config["CONTACT_EMAIL"],
            "role_label": Role.label_of,
        }
