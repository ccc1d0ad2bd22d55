"""Agenda pages: the session's page (its published agenda, proposing an
item), the staff agenda of a session (items, order, publishing, deadline,
proposals) and an MSO's proposals for its representatives."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import pagecache, unit_of_work
from ..database import utcnow
from ..events import queries as event_queries
from ..events.forms import ConfirmForm
from ..extensions import db
from ..inputs import get_by_id
from ..models.events import EventSession
from ..models.meetings import AgendaItem, AgendaProposal
from ..models.orgs import Organisation, OrgStatus
from ..models.translated import translations_from_form
from ..permissions import is_staff, login_required, require
from . import agenda, proposals
from .forms import DeadlineForm, DeclineForm, ItemForm, MergeForm, ProposalForm

bp = Blueprint("agenda", __name__)


@bp.app_context_processor
def _template_helpers() -> dict:
    """For the event page and the MSO page (their views live in lower layers)."""
    return {"published_agendas": agenda.published_agendas,
            "agenda_items_presented_by": agenda.items_presented_by,
            "can_view_org_proposals": lambda org: proposals.can_view_org_proposals(current_user, org)}


def _session_or_404(session_id: int) -> EventSession:
    return db.session.get(EventSession, session_id) or abort(404)


def _visible_session(session_id: int) -> EventSession:
    """The session, if its event is visible to the current user (drafts: staff only)."""
    session = _session_or_404(session_id)
    if event_queries.visible_event(session.event_id, current_user) is None:
        abort(404)
    return session


# --- public -----------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>")
def session_page(session_id: int):
    def render():
        session = _visible_session(session_id)
        now = utcnow()
        signed_in = current_user.is_authenticated
        return render_template(
            "meetings/agenda_session.html", event_session=session, event=session.event,
            items=agenda.visible_items(current_user, session),
            published=agenda.is_published(session), agenda_row=agenda.agenda_of(session),
            proposals_open=proposals.proposals_open(session, now),
            can_propose=signed_in and proposals.can_propose(current_user, session, now),
            my_proposals=proposals.my_proposals(current_user, session) if signed_in else [])

    def valid_until(now):
        session = db.session.get(EventSession, session_id)
        row = agenda.agenda_of(session) if session else None
        moments = [session.starts_at, session.ends_at] if session else []
        if row is not None:
            moments.append(row.proposals_until)
        return pagecache.earliest_after(now, moments)

    return pagecache.page(render, valid_until, pagecache.for_session(session_id))


@bp.route("/sessions/<int:session_id>/propose", methods=["GET", "POST"])
@login_required
def propose(session_id: int):
    session = _visible_session(session_id)
    back = url_for("agenda.session_page", session_id=session.id)
    now = utcnow()
    if not proposals.proposals_open(session, now):
        flash(_("Proposals for this agenda are closed."), "info")
        return redirect(back)
    organisations = proposals.proposal_organisations(current_user)
    if not organisations:
        flash(_("Only members of a listed organisation can propose agenda items."), "info")
        return redirect(back)
    form = ProposalForm(organisations=organisations)
    if form.validate_on_submit():
        org = get_by_id(Organisation, form.organisation_id.data)
        if unit_of_work.attempt(lambda: proposals.propose(current_user, session, org, form.to_data()),
                                _("Thank you. The office will decide on your proposal and tell you by e-mail.")):
            return redirect(back)
    return render_template("meetings/propose.html", form=form, event_session=session, event=session.event,
                           agenda_row=agenda.agenda_of(session))


@bp.route("/my/organisations/<int:org_id>/proposals")
@login_required
def org_proposals(org_id: int):
    org = db.session.get(Organisation, org_id) or abort(404)
    if not proposals.can_view_org_proposals(current_user, org):
        abort(403)
    return render_template("meetings/org_proposals.html", org=org,
                           proposals=proposals.proposals_of_organisation(org))


# --- staff ------------------------------------------------------------------------------------

def _listed_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(Organisation.status == OrgStatus.LISTED.value)
                                   .order_by(Organisation.name)))


def _staff_page(session_id: int) -> str:
    return url_for("agenda.staff_agenda", session_id=session_id)


@bp.route("/staff/sessions/<int:session_id>/agenda")
@require(is_staff)
def staff_agenda(session_id: int):
    session = _session_or_404(session_id)
    items = agenda.items_of(session)
    row = agenda.agenda_of(session)
    deadline_form = DeadlineForm()
    deadline_form.fill_from(row)
    return render_template("meetings/staff_agenda.html", event_session=session, event=session.event,
                           items=items, agenda_row=row, published=row is not None and row.is_published,
                           item_form=ItemForm(organisations=_listed_organisations()),
                           deadline_form=deadline_form, confirm=ConfirmForm(),
                           proposals=proposals.proposals_of(session), decline_form=DeclineForm(),
                           merge_form=MergeForm(items=items))


@bp.route("/staff/sessions/<int:session_id>/agenda/items", methods=["POST"])
@require(is_staff)
def add_item(session_id: int):
    session = _session_or_404(session_id)
    form = ItemForm(organisations=_listed_organisations())
    if form.validate_on_submit():
        def add():
            item = agenda.add_item(current_user, session, form.to_data())
            agenda.save_item_translations(current_user, item, translations_from_form(request.form, AgendaItem.TRANSLATED_FIELDS))

        if unit_of_work.attempt(add, _("The item has been added to the agenda.")):
            return redirect(_staff_page(session.id))
    return render_template("meetings/item_form.html", form=form, event_session=session, item=None)


@bp.route("/staff/agenda-items/<int:item_id>", methods=["GET", "POST"])
@require(is_staff)
def edit_item(item_id: int):
    item = db.session.get(AgendaItem, item_id) or abort(404)
    form = ItemForm(organisations=_listed_organisations())
    if request.method == "GET":
        form.fill_from(item)
    elif form.validate_on_submit():
        def save():
            agenda.update_item(current_user, item, form.to_data())
            agenda.save_item_translations(current_user, item, translations_from_form(request.form, AgendaItem.TRANSLATED_FIELDS))

        if unit_of_work.attempt(save, _("The item has been saved.")):
            return redirect(_staff_page(item.session_id))
    return render_template("meetings/item_form.html", form=form, event_session=item.session, item=item)


@bp.route("/staff/agenda-items/<int:item_id>/move", methods=["POST"])
@require(is_staff)
def move_item(item_id: int):
    item = db.session.get(AgendaItem, item_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        unit_of_work.returns_to(_staff_page(item.session_id))
        agenda.move_item(current_user, item, request.form.get("direction", ""))
    return redirect(_staff_page(item.session_id) + f"#item-{item.id}")


@bp.route("/staff/agenda-items/<int:item_id>/delete", methods=["GET", "POST"])
@require(is_staff)
def delete_item(item_id: int):
    item = db.session.get(AgendaItem, item_id) or abort(404)
    form = ConfirmForm()
    session_id = item.session_id
    if request.method == "POST" and form.validate_on_submit():
        if unit_of_work.attempt(lambda: agenda.delete_item(current_user, item),
                                _("The item has been deleted.")):
            return redirect(_staff_page(session_id))
    return render_template("meetings/confirm_delete.html", item=item, form=form,
                           published=agenda.is_published(item.session))


@bp.route("/staff/sessions/<int:session_id>/agenda/publish", methods=["POST"])
@require(is_staff)
def publish(session_id: int):
    session = _session_or_404(session_id)
    if ConfirmForm().validate_on_submit():
        unit_of_work.attempt(lambda: agenda.publish_agenda(current_user, session),
                             _("The agenda is published. Everyone registered has been told."))
    return redirect(_staff_page(session.id))


@bp.route("/staff/sessions/<int:session_id>/agenda/unpublish", methods=["POST"])
@require(is_staff)
def unpublish(session_id: int):
    session = _session_or_404(session_id)
    if ConfirmForm().validate_on_submit():
        unit_of_work.attempt(lambda: agenda.unpublish_agenda(current_user, session),
                             _("The agenda has been withdrawn."))
    return redirect(_staff_page(session.id))


@bp.route("/staff/sessions/<int:session_id>/agenda/deadline", methods=["POST"])
@require(is_staff)
def set_deadline(session_id: int):
    session = _session_or_404(session_id)
    form = DeadlineForm()
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: agenda.set_proposal_deadline(current_user, session, form.until()),
                             _("The deadline for proposals has been saved."))
    else:
        flash(_("Please enter a valid date and time."), "error")
    return redirect(_staff_page(session.id))


def _proposal_or_404(proposal_id: int) -> AgendaProposal:
    return db.session.get(AgendaProposal, proposal_id) or abort(404)


@bp.route("/staff/agenda-proposals/<int:proposal_id>/accept", methods=["POST"])
@require(is_staff)
def accept_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    if ConfirmForm().validate_on_submit():
        unit_of_work.attempt(lambda: proposals.accept(current_user, proposal),
                             _("The proposal is on the agenda (at the end). The proposer has been told."))
    return redirect(_staff_page(proposal.session_id))


@bp.route("/staff/agenda-proposals/<int:proposal_id>/decline", methods=["POST"])
@require(is_staff)
def decline_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = DeclineForm()
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: proposals.decline(current_user, proposal, form.reason.data),
                             _("The proposal has been declined. The proposer has been told."))
    else:
        flash(_("Please give a reason; the proposer receives it."), "error")
    return redirect(_staff_page(proposal.session_id))


@bp.route("/staff/agenda-proposals/<int:proposal_id>/merge", methods=["POST"])
@require(is_staff)
def merge_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = MergeForm(items=agenda.items_of(proposal.session))
    if form.validate_on_submit():
        item = get_by_id(AgendaItem, form.item_id.data)
        unit_of_work.attempt(lambda: proposals.merge(current_user, proposal, item),
                             _("The proposal has been merged. The proposer has been told."))
    else:
        flash(_("Please choose an item of this agenda."), "error")
    return redirect(_staff_page(proposal.session_id))
