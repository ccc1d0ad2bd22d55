"""Staff pages of topic rounds: create and edit rounds, move phases, moderate
proposals and comments, turn a winning topic into a training series."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..inputs import get_by_id
from ..models.orgs import Organisation, OrgStatus
from ..models.voting import Topic, TopicComment, TopicRound, TopicStatus
from ..permissions import is_staff, require
from .. import unit_of_work
from . import services
from .forms import ConfirmForm, MergeForm, ModerateEditForm, PhaseForm, RejectForm, RoundForm

bp = Blueprint("staff_voting", __name__)


def _round(round_id: int) -> TopicRound:
    return db.session.get(TopicRound, round_id) or abort(404)


def _topic(topic_id: int) -> Topic:
    return db.session.get(Topic, topic_id) or abort(404)


def _round_form(form: RoundForm) -> RoundForm:
    form.organisations.choices = [(str(o.id), o.name) for o in db.session.scalars(
        select(Organisation).where(Organisation.status == OrgStatus.LISTED.value).order_by(Organisation.name))]
    return form


@bp.route("/rounds")
@require(is_staff)
def rounds():
    return render_template("voting/staff/rounds.html", rounds=services.visible_rounds(current_user))


@bp.route("/rounds/new", methods=["GET", "POST"])
@require(is_staff)
def new_round():
    form = _round_form(RoundForm())
    if form.validate_on_submit():
        created = {}

        def do():
            created["round"] = services.create_round(current_user, form.to_data())

        if unit_of_work.attempt(do, _("The round is saved as a draft. Start it when it is ready.")):
            return redirect(url_for("staff_voting.manage", round_id=created["round"].id))
    return render_template("voting/staff/round_form.html", form=form, round=None)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@require(is_staff)
def edit_round(round_id: int):
    round_ = _round(round_id)
    form = _round_form(RoundForm())
    if form.validate_on_submit():
        if unit_of_work.attempt(lambda: services.update_round(current_user, round_, form.to_data()),
                           _("The round has been saved.")):
            return redirect(url_for("staff_voting.manage", round_id=round_.id))
    elif not form.is_submitted():
        form.fill_from(round_)
    return render_template("voting/staff/round_form.html", form=form, round=round_)


@bp.route("/rounds/<int:round_id>")
@require(is_staff)
def manage(round_id: int):
    round_ = _round(round_id)
    services.advance(round_)
    topics = services.topics_of(round_, statuses=tuple(s.value for s in TopicStatus))
    phase_form = PhaseForm(phase=round_.phase)
    merge_targets = [t for t in topics if t.status in (TopicStatus.PENDING.value, TopicStatus.APPROVED.value)]
    comments = list(db.session.scalars(
        select(TopicComment).join(Topic, Topic.id == TopicComment.topic_id)
        .where(Topic.round_id == round_.id, TopicComment.hidden_at.is_(None))
        .order_by(TopicComment.id.desc()).limit(50)))
    return render_template("voting/staff/manage.html", round=round_, topics=topics, phase_form=phase_form,
                           confirm=ConfirmForm(), reject_form=RejectForm(), merge_targets=merge_targets,
                           merge_form=MergeForm(), comments=comments,
                           supporters={t.id: services.supporter_count(t) for t in topics},
                           eligible=services.eligible_organisations(round_))


@bp.route("/rounds/<int:round_id>/phase", methods=["POST"])
@require(is_staff)
def set_phase(round_id: int):
    round_ = _round(round_id)
    form = PhaseForm()
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: services.set_phase(current_user, round_, form.phase.data),
                        _("The phase has been changed."))
    else:
        flash(_("Please choose a valid phase."), "error")
    return redirect(url_for("staff_voting.manage", round_id=round_.id))


def _back(topic: Topic):
    return redirect(url_for("staff_voting.manage", round_id=topic.round_id) + f"#topic-{topic.id}")


@bp.route("/topics/<int:topic_id>/approve", methods=["POST"])
@require(is_staff)
def approve(topic_id: int):
    topic = _topic(topic_id)
    if ConfirmForm().validate_on_submit():
        unit_of_work.attempt(lambda: services.approve(current_user, topic), _("The topic is approved."))
    return _back(topic)


@bp.route("/topics/<int:topic_id>/reject", methods=["POST"])
@require(is_staff)
def reject(topic_id: int):
    topic = _topic(topic_id)
    form = RejectForm()
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: services.reject(current_user, topic, form.reason.data),
                        _("The topic is not accepted; the proposer has been told why."))
    else:
        flash(_("Please give a reason; the proposer receives it."), "error")
    return _back(topic)


@bp.route("/topics/<int:topic_id>/merge", methods=["POST"])
@require(is_staff)
def merge(topic_id: int):
    topic = _topic(topic_id)
    form = MergeForm()
    kept = get_by_id(Topic, form.into_id.data) if form.validate_on_submit() else None
    if kept is None:
        flash(_("Please choose the topic to keep."), "error")
    else:
        unit_of_work.attempt(lambda: services.merge(current_user, topic, kept),
                        _("Merged: supporters and comments moved to “%(title)s”.", title=kept.title))
    return _back(topic)


@bp.route("/topics/<int:topic_id>/edit", methods=["GET", "POST"])
@require(is_staff)
def edit_topic(topic_id: int):
    topic = _topic(topic_id)
    form = ModerateEditForm(organisations=[topic.organisation] if topic.organisation else [])
    form.organisation_id.validators = []
    form.organisation_id.validate_choice = False
    if form.validate_on_submit():
        if unit_of_work.attempt(lambda: services.edit(current_user, topic, form.to_data(), form.note.data),
                           _("The topic has been changed.")):
            return _back(topic)
    elif not form.is_submitted():
        form.fill_from(topic)
        form.note.data = topic.moderation_note
    return render_template("voting/staff/topic_form.html", form=form, topic=topic)


@bp.route("/comments/<int:comment_id>/hide", methods=["POST"])
@require(is_staff)
def hide_comment(comment_id: int):
    item = db.session.get(TopicComment, comment_id) or abort(404)
    topic = _topic(item.topic_id)
    if ConfirmForm().validate_on_submit():
        unit_of_work.attempt(lambda: services.hide_comment(current_user, item), _("The comment is hidden."))
    return _back(topic)


@bp.route("/topics/<int:topic_id>/series", methods=["POST"])
@require(is_staff)
def create_series(topic_id: int):
    topic = _topic(topic_id)
    created = {}

    def do():
        created["event"] = services.create_series(current_user, topic)

    if ConfirmForm().validate_on_submit() and unit_of_work.attempt(
            do, _("A draft training series has been created from the topic. Add its sessions and publish it.")):
        return redirect(url_for("staff_events.manage", event_id=created["event"].id))
    return redirect(url_for("voting.results_page", round_id=topic.round_id))
