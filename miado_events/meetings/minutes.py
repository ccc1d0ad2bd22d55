"""Minutes of a session: Markdown written by staff, shown as sanitised HTML.

``render_markdown`` is the one function every page that shows minutes uses:
markdown-it-py turns the text into HTML without passing any raw HTML
through (``html=False``), then nh3 (the Ammonia sanitiser) keeps only an
allow-list of tags and attributes: no scripts, no ``on…`` handlers, no
images (a page must not load anything from a third party), links only to
http(s) and mailto, each with ``rel="noopener noreferrer"``.
"""
from __future__ import annotations

import functools

import nh3
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .. import audit
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models.accounts import User
from ..models.materials import ItemVisibility, SessionMinutes
from ..permissions import ensure, is_staff
from .materials import check_visibility

MAX_MINUTES = 100_000  # characters

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h4", "h5", "h6", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
#: Minutes sit under a page's h1, a section's h2 and their own h3: "# Title" becomes an h4.
HEADING_OFFSET = 3

def _image_as_text(renderer, tokens, idx, options, env) -> str:
    """An image shows as its description: minutes load nothing from elsewhere."""
    from markdown_it.common.utils import escapeHtml

    return escapeHtml(renderer.renderInlineAsText(tokens[idx].children or [], options, env))


@functools.cache
def _parser():
    """The Markdown parser, built by the first minutes shown: a web worker that
    never shows any does not load markdown-it-py."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"])
    parser.add_render_rule("image", _image_as_text)
    return parser


def render_markdown(text: str | None) -> Markup:
    """``text`` (Markdown) as safe HTML."""
    _markdown = _parser()
    tokens = _markdown.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + HEADING_OFFSET, 6)}"
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                            url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
                            strip_comments=True))


def minutes_of(session) -> SessionMinutes | None:
    return db.session.get(SessionMinutes, session.id)


def clean_body(body: str | None) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise DomainError("minutes_empty", _l("Please write the minutes."))
    if len(body) > MAX_MINUTES:
        raise DomainError("minutes_too_long", _l("The minutes are too long (at most %(n)d characters).",
                                                 n=MAX_MINUTES))
    return body


def save_minutes(actor: User, session, body: str | None,
                 visibility: str = ItemVisibility.PARTICIPANTS.value, *, now=None) -> SessionMinutes:
    """Staff write or change the minutes of ``session``. New minutes are a
    draft until published (``materials.publish``); published ones stay
    published with the new text."""
    ensure(is_staff, actor)
    body = clean_body(body)
    check_visibility(visibility)
    now = now or utcnow()
    minutes = minutes_of(session)
    if minutes is None:
        minutes = SessionMinutes(session_id=session.id, body=body)
        db.session.add(minutes)
    minutes.body, minutes.visibility = body, visibility
    minutes.updated_by_id, minutes.updated_at = actor.id, now
    db.session.flush()
    audit.record(actor, "minutes.save", session.event, session.event.title, session_id=session.id,
                 published=minutes.is_published)
    return minutes
