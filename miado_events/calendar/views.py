"""Calendar feeds and the page where a person subscribes to their own."""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..events import queries as event_queries
from ..events.labels import KIND_LABELS
from ..extensions import db
from ..database import paginate
from ..i18n import person_language, requested_language, with_formats
from ..models.events import EventSession
from ..models.replies import CalendarReply
from ..pagecache import LRUStore
from ..permissions import is_staff, login_required, require
from ..urls import external_url
from .. import unit_of_work
from . import feeds, ical, replies

bp = Blueprint("calendar", __name__)


@bp.record_once
def _init(state) -> None:
    state.app.extensions[feeds.STORE] = feeds.FeedStore()
    state.app.extensions["miado_vevents"] = LRUStore(ical.VEVENT_CACHE_SIZE)


def _client_has(etag: str, modified) -> bool:
    """Whether the request's validators match this copy of the feed."""
    if request.if_none_match:
        return request.if_none_match.contains(etag)
    since = request.if_modified_since
    return bool(since and modified <= since)


def _feed_response(copy: feeds.FeedCopy, *, private: bool, language: str) -> Response:
    """The kept feed, or a 304 when the client's copy is the same."""
    if copy.body is None or _client_has(copy.etag, copy.modified):
        response = Response(status=304)
    else:
        response = Response(copy.body, mimetype="text/calendar")
    response.set_etag(copy.etag)
    response.headers["Content-Language"] = language
    response.last_modified = copy.modified
    response.headers["Cache-Control"] = ("private" if private else "public") + ", max-age=300"
    if not private and "lang" not in request.args:  # in the reader's language, chosen by these
        response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.route("/feeds/public.ics")
def public_feed():
    language = requested_language()
    with force_locale(with_formats(language)):
        return _feed_response(feeds.public_feed(name=_("MIA-DO Events"), language=language,
                                                client_has=_client_has), private=False, language=language)


@bp.route("/feeds/<kind>.ics")
def kind_feed(kind: str):
    if kind not in KIND_LABELS:
        abort(404)
    language = requested_language()
    with force_locale(with_formats(language)):
        return _feed_response(feeds.public_feed(kind, name=f"{_('MIA-DO Events')}: {KIND_LABELS[kind]}",
                                                language=language, client_has=_client_has),
                              private=False, language=language)


@bp.route("/feeds/me/<token>.ics")
def personal_feed(token: str):
    """In the owner's language, whoever fetches it (a calendar app sends none)."""
    owner = feeds.feed_owner(token)
    if owner is None:
        abort(404)
    language = person_language(owner)
    with force_locale(with_formats(language)):
        return _feed_response(feeds.personal_feed(owner, name=_("My events (MIA-DO Events)"), language=language,
                                                  client_has=_client_has),
                              private=True, language=language)


def _feed_urls(token: str) -> dict:
    https = external_url("calendar.personal_feed", token=token)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@bp.route("/my/calendar")
@login_required
def my_calendar():
    user = current_user._get_current_object()
    if not user.feed_token:
        feeds.ensure_feed_token(user)
    return render_template("calendar/my_calendar.html", urls=_feed_urls(user.feed_token),
                           form=FlaskForm())


@bp.route("/my/calendar/renew", methods=["POST"])
@login_required
def renew():
    if FlaskForm().validate_on_submit():
        unit_of_work.attempt(lambda: feeds.renew_feed_token(current_user._get_current_object()),
                        _("Your calendar link has been renewed. The old link no longer works; "
                          "subscribe again with the new one."))
    return redirect(url_for("calendar.my_calendar"))


# --- downloads of one event or session ----------------------------------------------------

def _ics_response(data: bytes, filename: str, language: str) -> Response:
    return Response(data, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Content-Language": language})


@bp.route("/events/<int:event_id>/calendar.ics")
def event_ics(event_id: int):
    event = event_queries.visible_event(event_id, current_user, event_queries.EVENT_PAGE_OPTIONS)
    if event is None:
        abort(404)
    language = requested_language()
    with force_locale(with_formats(language)):
        return _ics_response(ical.event_download(event, language), f"event-{event.id}.ics", language)


@bp.route("/sessions/<int:session_id>/calendar.ics")
def session_ics(session_id: int):
    session = db.session.get(EventSession, session_id)
    if session is None or event_queries.visible_event(session.event_id, current_user) is None:
        abort(404)
    language = requested_language()
    with force_locale(with_formats(language)):
        return _ics_response(ical.session_download(session, language), f"session-{session.id}.ics", language)


@bp.route("/staff/calendar-replies")
@require(is_staff)
def replies_for_office():
    """Calendar replies the app could not use (left flagged in the mailbox), with the reason."""
    page = paginate(replies.unusable_replies_query(), per_page=50)
    return render_template("calendar/replies.html", page=page, form=FlaskForm())


@bp.route("/staff/calendar-replies/<int:reply_id>/handled", methods=["POST"])
@require(is_staff)
def reply_handled(reply_id: int):
    """Staff mark a reply they have looked at as done."""
    reply = db.session.get(CalendarReply, reply_id) or abort(404)
    if FlaskForm().validate_on_submit():
        unit_of_work.attempt(lambda: replies.mark_handled(current_user, reply), _("Marked as done."))
    return redirect(url_for("calendar.replies_for_office"))
