"""Staff write to the MSOs (compose, preview, send, archive); anyone with
an unsubscribe link stops the office's news; a person chooses on their
account page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import unit_of_work
from ..database import paginate, utcnow
from ..errors import DomainError
from ..events import queries as event_queries
from ..extensions import csrf, db
from ..inputs import get_by_id
from ..models.events import Event, EventStatus
from ..models.accounts import User
from ..models.mail import Mailing
from ..models.orgs import FIELDS_OF_WORK, TagKind
from ..orgs.labels import FIELD_LABELS, language_name
from ..permissions import is_staff, require
from . import services
from . import unsubscribe as links
from .forms import ComposeForm, OfficeNewsForm, StopNewsForm

bp = Blueprint("outreach", __name__)

PER_PAGE = 30


def _events() -> list[Event]:
    """Events that can be attached: published ones, upcoming first."""
    query = event_queries.staff_events(utcnow(), status=EventStatus.PUBLISHED.value).limit(200)
    return list(db.session.scalars(query))


@bp.route("/staff/outreach", methods=["GET", "POST"])
@require(is_staff)
def compose():
    events = _events()
    form = ComposeForm(events=events)
    if request.method == "GET":
        event = get_by_id(Event, request.args.get("event"))
        if event is not None and event.is_published and not event.is_cancelled:
            form.event.data = event.id
            form.subject.data, form.body.data = services.suggested_text(event)
        return render_template("outreach/compose.html", form=form)
    if not form.validate_on_submit() or request.form.get("action") == "edit":
        return render_template("outreach/compose.html", form=form), 400 if form.errors else 200
    event = get_by_id(Event, form.event.data) if form.event.data else None
    draft = form.to_draft(event)
    if request.form.get("action") == "send":
        sent = {}

        def send():
            sent["mailing"] = services.send_office_news(current_user, draft)

        if unit_of_work.attempt(send):
            mailing = sent["mailing"]
            flash(_("The message is on its way to %(n)d addresses.", n=mailing.recipients), "success")
            return redirect(url_for("outreach.mailing", mailing_id=mailing.id))
        return render_template("outreach/compose.html", form=form)
    try:
        audience = services.preview(current_user, draft)
    except DomainError as err:
        unit_of_work.refuse(err)
        return render_template("outreach/compose.html", form=form)
    return render_template("outreach/preview.html", form=form, draft=draft, audience=audience,
                           filter_labels=_filter_labels(draft.filters.as_dict()))


def _filter_labels(filters: dict) -> list[tuple[str, list[str]]]:
    """The chosen filters as people read them: (kind, [values])."""
    names = {TagKind.DISTRICT.value: _("Districts"), TagKind.REGION.value: _("Regions of origin"),
             TagKind.LANGUAGE.value: _("Languages"), TagKind.FIELD.value: _("Fields of work")}
    label = {TagKind.LANGUAGE.value: language_name,
             TagKind.FIELD.value: lambda v: str(FIELD_LABELS[v]) if v in FIELDS_OF_WORK else v}
    return [(names[kind], [label.get(kind, str)(v) for v in values])
            for kind, values in (filters or {}).items() if kind in names]


@bp.route("/staff/outreach/mailings")
@require(is_staff)
def mailings():
    page = paginate(services.office_mailings(), per_page=PER_PAGE)
    return render_template("outreach/mailings.html", page=page, stop_form=StopNewsForm())


@bp.route("/staff/outreach/stop", methods=["POST"])
@require(is_staff)
def stop_news():
    """Someone asked by e-mail to stop the news (the mail link of List-Unsubscribe)."""
    form = StopNewsForm()
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: services.stop_news_for_address(current_user, form.address.data),
                             _("The office's news no longer go to %(address)s.", address=form.address.data))
    else:
        flash(_("Please enter an e-mail address."), "error")
    return redirect(url_for("outreach.mailings"))


@bp.route("/staff/outreach/mailings/<int:mailing_id>")
@require(is_staff)
def mailing(mailing_id: int):
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or not mailing.is_office_news:
        abort(404)
    return render_template("outreach/mailing.html", mailing=mailing,
                           filter_labels=_filter_labels(mailing.filters))


# --- stopping the news ----------------------------------------------------------------------

@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST without a session; the secret link authenticates
def unsubscribe(token: str):
    who = links.target(token)
    if who is None:
        return render_template("outreach/unsubscribe.html", who=None), 404
    is_person = isinstance(who, User)
    if request.method == "POST":
        services.unsubscribe_by_link(token)
        return render_template("outreach/unsubscribe.html", who=who, is_person=is_person, done=True)
    return render_template("outreach/unsubscribe.html", who=who, is_person=is_person, done=False, token=token)


@bp.route("/account/office-news", methods=["POST"])
@login_required
def office_news():
    form = OfficeNewsForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_office_news(current_user, bool(form.wanted.data))
    flash(_("You will receive the office's news.") if form.wanted.data
          else _("You will no longer receive the office's news. Mail about your own registrations still comes."),
          "success")
    return redirect(url_for("accounts.account"))
