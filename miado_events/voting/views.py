"""Topic rounds for members and representatives: proposals, support,
comments, the MSO's ballot and the results."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import DomainError
from ..extensions import db
from ..inputs import INVALID_VALUE, InvalidInput, get_by_id, parse_int
from ..models.orgs import Organisation
from ..models.voting import Phase, Topic, TopicRound
from ..permissions import can_cast_ballot, ensure_page, is_representative_of, is_staff, login_required, require
from .. import tables, unit_of_work
from . import ballots, results, services
from .forms import BallotForm, CommentForm, ConfirmForm, TopicForm
from .labels import template_helpers

bp = Blueprint("voting", __name__)
bp.app_context_processor(template_helpers)


def _round_or_404(round_id: int) -> TopicRound:
    """The round, moved on to the phase its dates say (the check on each
    request; ``flask rounds advance`` does the same from cron)."""
    round_ = db.session.get(TopicRound, round_id)
    if round_ is None or (round_.phase == Phase.DRAFT.value and not is_staff(current_user)):
        abort(404)
    services.advance(round_)
    return round_


def _topic_or_404(round_: TopicRound, topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.round_id != round_.id or not services.can_view_topic(current_user, topic):
        abort(404)
    return topic


@bp.route("/topics")
def rounds():
    items = services.visible_rounds(current_user)
    return render_template("voting/rounds.html", rounds=items)


@bp.route("/topics/<int:round_id>")
def round_detail(round_id: int):
    round_ = _round_or_404(round_id)
    topics = services.visible_topics(current_user, round_)
    my_orgs = services.member_organisations(current_user, round_)
    rep_orgs = [o for o in my_orgs if is_representative_of(current_user, o)]
    ballot_info = {o.id: ballots.ballot_of(round_, o) for o in rep_orgs}
    return render_template("voting/round.html", round=round_, topics=topics, my_orgs=my_orgs,
                           rep_orgs=rep_orgs, ballot_info=ballot_info,
                           supporters={t.id: services.supporter_count(t) for t in topics},
                           show_results=results.can_see_results(current_user, round_))


@bp.route("/topics/<int:round_id>/propose", methods=["GET", "POST"])
@login_required
def propose(round_id: int):
    round_ = _round_or_404(round_id)
    orgs = services.member_organisations(current_user, round_)
    if round_.phase != Phase.PROPOSALS.value:
        flash(_("Proposals are not open in this round."), "error")
        return redirect(url_for("voting.round_detail", round_id=round_.id))
    if not orgs:
        flash(_("Only members of the participating organisations can propose topics."), "error")
        return redirect(url_for("voting.round_detail", round_id=round_.id))
    form = TopicForm(organisations=orgs)
    if form.validate_on_submit():
        organisation = get_by_id(Organisation, form.organisation_id.data)
        created = {}

        def do():
            created["topic"] = services.propose(current_user, round_, organisation, form.to_data())

        if unit_of_work.attempt(do, _("Thank you! Your topic is waiting for moderation by the office.")):
            return redirect(url_for("voting.topic_detail", round_id=round_.id, topic_id=created["topic"].id))
    return render_template("voting/propose.html", round=round_, form=form)


@bp.route("/topics/<int:round_id>/topics/<int:topic_id>")
def topic_detail(round_id: int, topic_id: int):
    round_ = _round_or_404(round_id)
    topic = _topic_or_404(round_, topic_id)
    return render_template("voting/topic.html", round=round_, topic=topic,
                           comments=services.visible_comments(topic), form=CommentForm(),
                           confirm=ConfirmForm(), supporters=services.supporter_count(topic),
                           i_support=services.supports(current_user, topic),
                           can_take_part=services.can_take_part(current_user, round_))


@bp.route("/topics/<int:round_id>/topics/<int:topic_id>/support", methods=["POST"])
@login_required
def support(round_id: int, topic_id: int):
    round_ = _round_or_404(round_id)
    topic = _topic_or_404(round_, topic_id)
    if ConfirmForm().validate_on_submit():
        if request.form.get("withdraw") == "1":
            unit_of_work.attempt(lambda: services.withdraw_support(current_user, topic), _("Your support is withdrawn."))
        else:
            unit_of_work.attempt(lambda: services.support(current_user, topic), _("Thank you for your support."))
    return redirect(url_for("voting.topic_detail", round_id=round_.id, topic_id=topic.id))


@bp.route("/topics/<int:round_id>/topics/<int:topic_id>/comments", methods=["POST"])
@login_required
def comment(round_id: int, topic_id: int):
    round_ = _round_or_404(round_id)
    topic = _topic_or_404(round_, topic_id)
    form = CommentForm()
    if form.validate_on_submit():
        if unit_of_work.attempt(lambda: services.comment(current_user, topic, form.body.data), _("Your comment is posted.")):
            return redirect(url_for("voting.topic_detail", round_id=round_.id, topic_id=topic.id) + "#comments")
    return render_template("voting/topic.html", round=round_, topic=topic,
                           comments=services.visible_comments(topic), form=form, confirm=ConfirmForm(),
                           supporters=services.supporter_count(topic),
                           i_support=services.supports(current_user, topic),
                           can_take_part=services.can_take_part(current_user, round_)), 422


@bp.route("/topics/<int:round_id>/ballot/<int:org_id>", methods=["GET", "POST"])
@login_required
def ballot(round_id: int, org_id: int):
    round_ = _round_or_404(round_id)
    organisation = db.session.get(Organisation, org_id) or abort(404)
    ensure_page(can_cast_ballot, round_, organisation)
    topics = services.topics_of(round_)
    current = ballots.ballot_of(round_, organisation)
    form = BallotForm()
    entered = None
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        # Every points field goes to the service, which refuses a topic that
        # is not on the ballot (a manipulated form) as well as bad numbers.
        entered = {key[len("points-"):]: value.strip() or "0"
                   for key, value in request.form.items() if key.startswith("points-")}
        version = parse_int(form.version.data) if form.version.data else None
        if form.version.data and version is None:
            raise InvalidInput(INVALID_VALUE)
        try:
            ballots.cast(current_user, round_, organisation, entered, expected_version=version)
        except DomainError as err:
            unit_of_work.refuse(err)
            status = 422
            current = ballots.ballot_of(round_, organisation)
        else:
            flash(_("The ballot of %(org)s is saved. You can change it until voting closes.",
                    org=organisation.name), "success")
            return redirect(url_for("voting.ballot", round_id=round_.id, org_id=organisation.id))
    elif request.method == "POST":
        abort(400)
    saved = ballots.points_of(current)
    form.version.data = str(current.version if current else 0)
    values = {t.id: (entered or {}).get(str(t.id), saved.get(t.id, 0)) for t in topics}
    return render_template("voting/ballot.html", round=round_, organisation=organisation, topics=topics,
                           values=values, saved=saved, ballot=current, form=form,
                           history=ballots.history(current) if current else [],
                           open=round_.phase == Phase.VOTING.value), status


@bp.route("/topics/<int:round_id>/results")
def results_page(round_id: int):
    round_ = _round_or_404(round_id)
    if not results.can_see_results(current_user, round_):
        if not current_user.is_authenticated and round_.phase == Phase.PUBLISHED.value:
            return redirect(url_for("accounts.login", next=request.path))
        abort(404)
    counted = results.count(round_)
    return render_template("voting/results.html", round=round_, results=counted)


@bp.route("/topics/<int:round_id>/results.csv")
@require(is_staff)
def results_csv(round_id: int):
    round_ = _round_or_404(round_id)
    if not round_.phase_reached(Phase.CLOSED.value):
        abort(404)
    return tables.download(results.results_csv(round_, results.count(round_)).encode("utf-8"),
                           tables.CSV_CONTENT_TYPE, f"topic-round-{round_.id}-results.csv")
