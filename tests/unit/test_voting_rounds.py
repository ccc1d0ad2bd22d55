"""A topic round from start to finish, on the services with frozen time:
phases by date and by hand, the round's mails (each once), proposing,
supporting, commenting, moderation (approve, edit, reject, merge) and
turning a voted topic into a training series whose registration opening is
told to the MSOs that gave it points."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from miado_events.errors import DomainError, PermissionDenied
from miado_events.events import services as event_services
from miado_events.events.services import SessionData
from miado_events.models.events import Event
from miado_events.models.voting import TopicComment, TopicStatus, TopicSupport
from miado_events.voting import services

from .events_support import NOW, ONLINE, assert_code, body
from .voting_support import (
    MODERATION,
    RESULTS,
    VOTING_CLOSES,
    VOTING_OPENS,
    add_topic,
    approved_topics,
    cast,
    make_round,
    move_to,
    recipients,
    round_data,
    topic_data,
    unmerge_all,
)

SECOND = timedelta(seconds=1)
REMINDER_AT = VOTING_CLOSES - timedelta(days=2)
ANONYMOUS = AnonymousUserMixin()


@pytest.fixture(autouse=True)
def _unmerge_at_teardown(db):
    yield
    unmerge_all(db)


@pytest.fixture
def proposals(db, staff):
    """A round open for proposals (started by hand at NOW)."""
    return make_round(db, staff, "proposals")


@pytest.fixture
def people(db, make_org, make_member, make_user, join, org, other_org):
    """Who is who around two listed MSOs, one MSO still pending, a person
    whose membership is only requested and a disabled account."""
    pending_org = make_org("Im Aufbau e.V.", status="pending")
    crowd = {
        "rep": make_member(org, role="representative"),
        "member": make_member(org),
        "other_rep": make_member(other_org, role="representative"),
        "other_member": make_member(other_org),
        "pending_rep": make_member(pending_org, role="representative"),
        "pending_member": make_member(pending_org),
        "applicant": make_user(),
        "disabled": make_member(org),
    }
    join(crowd["applicant"], org, status="requested")
    crowd["disabled"].is_enabled = False
    db.session.commit()
    return crowd


def _emails(people, *names) -> list[str]:
    return sorted(people[n].email for n in names)


def _subjects_starting(outbox, prefix: str) -> list:
    return [m for m in outbox if m["Subject"].startswith(prefix)]


def _advance(db, round_, now) -> bool:
    changed = services.advance(round_, now=now)
    db.session.commit()
    return changed


# --- phases by date -----------------------------------------------------------------------

def test_draft_round_stays_draft_whatever_the_date(db, staff, outbox, people):
    round_ = make_round(db, staff)
    for now in (NOW, MODERATION, VOTING_OPENS, VOTING_CLOSES, RESULTS + timedelta(days=30)):
        assert not _advance(db, round_, now)
        assert round_.phase == "draft"
    assert outbox == []


@pytest.mark.parametrize("now, phase", [
    (MODERATION - SECOND, "proposals"),
    (MODERATION, "moderation"),
    (VOTING_OPENS - SECOND, "moderation"),
    (VOTING_OPENS, "voting"),
    (VOTING_CLOSES - SECOND, "voting"),
    (VOTING_CLOSES, "closed"),
    (RESULTS - SECOND, "closed"),
    (RESULTS, "published"),
])
def test_started_round_takes_the_phase_its_dates_say(db, proposals, now, phase):
    _advance(db, proposals, now)
    assert proposals.phase == phase


def test_round_walks_through_every_phase_in_order(db, proposals):
    seen = []
    for now in (MODERATION, VOTING_OPENS, VOTING_CLOSES, RESULTS):
        assert _advance(db, proposals, now)
        seen.append(proposals.phase)
    assert seen == ["moderation", "voting", "closed", "published"]
    assert not _advance(db, proposals, RESULTS + timedelta(days=1))


def test_advance_never_moves_a_round_back(db, staff):
    early_vote = make_round(db, staff, "voting")  # opened by hand before its date
    assert not _advance(db, early_vote, NOW)
    assert early_vote.phase == "voting"
    published = make_round(db, staff, "published", title="Fertig")
    _advance(db, published, MODERATION)
    assert published.phase == "published"


def test_round_without_results_date_stays_closed(db, staff):
    round_ = make_round(db, staff, "proposals", results_at=None)
    _advance(db, round_, RESULTS + timedelta(days=365))
    assert round_.phase == "closed"


def test_advance_all_moves_started_rounds_and_leaves_drafts(db, staff):
    draft = make_round(db, staff, title="Entwurf")
    started = make_round(db, staff, "proposals", title="Läuft")
    assert services.advance_all(now=VOTING_OPENS) >= 1
    db.session.commit()
    assert (draft.phase, started.phase) == ("draft", "voting")


# --- phases by hand ---------------------------------------------------------------------------

def test_staff_set_the_phase_by_hand_forward_and_back(db, staff, proposals):
    move_to(db, staff, proposals, "voting")
    assert proposals.phase == "voting"
    move_to(db, staff, proposals, "proposals")
    assert proposals.phase == "proposals"


def test_proposals_reopened_by_hand_stay_open_until_the_next_date(db, staff, proposals):
    """``set_phase`` is documented for going back, "e.g. to reopen proposals".
    Every page of the round calls ``advance`` (the staff page right after the
    phase form redirects to it): that must not undo the reopening at once,
    while no new date has been reached since."""
    _advance(db, proposals, MODERATION)
    assert proposals.phase == "moderation"
    move_to(db, staff, proposals, "proposals", now=MODERATION + timedelta(hours=1))
    _advance(db, proposals, MODERATION + timedelta(hours=2))
    assert proposals.phase == "proposals"
    _advance(db, proposals, VOTING_OPENS)
    assert proposals.phase == "voting"


def test_only_staff_set_the_phase(db, proposals, people):
    with pytest.raises(PermissionDenied) as exc:
        services.set_phase(people["rep"], proposals, "voting", now=NOW)
    assert_code(exc, "forbidden")
    assert proposals.phase == "proposals"


def test_unknown_phase_is_refused(db, staff, proposals):
    with pytest.raises(DomainError) as exc:
        services.set_phase(staff, proposals, "counting", now=NOW)
    assert_code(exc, "phase_invalid")
    assert proposals.phase == "proposals"


def test_dates_must_follow_each_other(db, staff):
    with pytest.raises(DomainError) as exc:
        services.create_round(staff, round_data(voting_opens_at=MODERATION - SECOND))
    assert_code(exc, "dates_out_of_order")


# --- the round's mails --------------------------------------------------------------------------

def test_proposals_open_mail_goes_once_to_members_of_eligible_msos(db, staff, outbox, people):
    round_ = make_round(db, staff)
    move_to(db, staff, round_, "proposals", now=NOW)
    assert recipients(outbox) == _emails(people, "rep", "member", "other_rep", "other_member")
    assert all(m["Subject"] == f"Propose seminar topics: {round_.title}" for m in outbox)
    assert f"/topics/{round_.id}" in body(outbox[0])
    outbox.clear()
    _advance(db, round_, NOW)
    _advance(db, round_, NOW + timedelta(hours=1))
    move_to(db, staff, round_, "moderation")
    move_to(db, staff, round_, "proposals")  # reopened by hand
    assert outbox == []


def test_proposals_open_mail_of_a_restricted_round_only_to_its_msos(db, staff, outbox, people, org):
    round_ = make_round(db, staff, organisation_ids=[org.id])
    move_to(db, staff, round_, "proposals")
    assert recipients(outbox) == _emails(people, "rep", "member")


def test_proposals_open_mail_when_the_date_starts_it(db, staff, outbox, people):
    """A round started by hand before its date: the mail goes at once, and
    advancing through the dates does not send it again."""
    round_ = make_round(db, staff, "proposals", now=NOW - timedelta(days=3))
    assert len(_subjects_starting(outbox, "Propose")) == 4
    _advance(db, round_, NOW)
    assert len(_subjects_starting(outbox, "Propose")) == 4


def test_voting_open_mail_goes_once_to_representatives_only(db, proposals, outbox, people):
    outbox.clear()
    _advance(db, proposals, VOTING_OPENS)
    assert recipients(outbox) == _emails(people, "rep", "other_rep")
    assert all(m["Subject"] == f"Voting is open: {proposals.title}" for m in outbox)
    assert "5 points, at most 3 on one topic" in " ".join(body(outbox[0]).split())
    outbox.clear()
    _advance(db, proposals, VOTING_OPENS + timedelta(hours=1))
    assert outbox == []


def test_reminder_two_days_before_close_only_to_msos_that_have_not_voted(
        db, staff, outbox, people, org, other_org, make_org, make_member):
    silent_org = make_org("Noch unentschlossen e.V.")
    silent_rep = make_member(silent_org, role="representative")
    make_member(silent_org)
    round_ = make_round(db, staff, "proposals")
    topic, second = approved_topics(db, round_, "Topic A", "Topic B")
    _advance(db, round_, VOTING_OPENS)
    cast(db, people["rep"], round_, org, {topic.id: 3, second.id: 1})
    cast(db, people["other_rep"], round_, other_org, {topic.id: 0})  # a ballot without points
    outbox.clear()
    _advance(db, round_, REMINDER_AT - SECOND)
    assert outbox == []
    _advance(db, round_, REMINDER_AT)
    assert recipients(outbox) == sorted([people["other_rep"].email, silent_rep.email])
    assert all(m["Subject"] == f"Voting closes soon: {round_.title}" for m in outbox)
    outbox.clear()
    _advance(db, round_, REMINDER_AT + timedelta(hours=12))
    _advance(db, round_, VOTING_CLOSES - SECOND)
    assert outbox == []


def test_no_reminder_once_voting_has_closed(db, staff, outbox, people):
    """The cron job missed the reminder window: nobody is urged to vote in a
    round that is already closed."""
    round_ = make_round(db, staff, "voting")
    outbox.clear()
    _advance(db, round_, VOTING_CLOSES)
    assert _subjects_starting(outbox, "Voting closes soon") == []


def test_results_mail_goes_once_to_representatives_and_proposers(
        db, staff, outbox, people, org, other_org):
    round_ = make_round(db, staff, "proposals")
    add_topic(db, round_, "From a member", org=org, proposer=people["member"])
    add_topic(db, round_, "From a representative", org=org, proposer=people["rep"])
    add_topic(db, round_, "Rejected one", org=other_org, proposer=people["other_member"],
              status=TopicStatus.REJECTED.value)
    outbox.clear()
    _advance(db, round_, VOTING_CLOSES)
    assert outbox == []
    _advance(db, round_, RESULTS)
    assert recipients(outbox) == _emails(people, "rep", "member", "other_rep", "other_member")
    assert all(m["Subject"] == f"Results: {round_.title}" for m in outbox)
    assert f"/topics/{round_.id}/results" in body(outbox[0])
    outbox.clear()
    _advance(db, round_, RESULTS + timedelta(days=1))
    move_to(db, staff, round_, "closed")
    move_to(db, staff, round_, "published")
    assert outbox == []


def test_results_mail_skips_disabled_accounts(db, staff, outbox, people, org):
    """A disabled account gets no round mail, also when it proposed a topic."""
    round_ = make_round(db, staff, "closed")
    add_topic(db, round_, "From a disabled account", org=org, proposer=people["disabled"])
    outbox.clear()
    move_to(db, staff, round_, "published", now=RESULTS)
    assert people["disabled"].email not in recipients(outbox)
    assert recipients(outbox) == _emails(people, "rep", "other_rep")


# --- proposing ------------------------------------------------------------------------------------

def test_member_proposes_a_topic_for_their_mso(db, proposals, people, org):
    topic = services.propose(people["member"], proposals, org,
                             topic_data(title="  Vereinsfinanzen  "), now=NOW)
    db.session.commit()
    assert (topic.status, topic.title, topic.organisation_id, topic.proposer_id) == (
        "pending", "Vereinsfinanzen", org.id, people["member"].id)
    assert topic.languages == ["de", "tr"] and topic.created_at == NOW
    assert services.supporter_count(topic) == 1
    assert services.supports(people["member"], topic)


@pytest.mark.parametrize("phase", ["draft", "moderation", "voting", "closed", "published"])
def test_proposing_only_in_the_proposal_phase(db, staff, proposals, people, org, phase):
    move_to(db, staff, proposals, phase)
    with pytest.raises(DomainError) as exc:
        services.propose(people["member"], proposals, org, topic_data(), now=NOW)
    assert_code(exc, "proposals_closed")
    assert services.topics_of(proposals, statuses=("pending",)) == []


def test_proposing_only_for_ones_own_mso(db, proposals, people, other_org):
    with pytest.raises(PermissionDenied) as exc:
        services.propose(people["member"], proposals, other_org, topic_data(), now=NOW)
    assert_code(exc, "not_a_member")


def test_requested_membership_is_not_enough_to_propose(db, proposals, people, org):
    with pytest.raises(PermissionDenied) as exc:
        services.propose(people["applicant"], proposals, org, topic_data(), now=NOW)
    assert_code(exc, "not_a_member")


def test_mso_outside_a_restricted_round_cannot_propose(db, staff, people, org, other_org):
    round_ = make_round(db, staff, "proposals", organisation_ids=[org.id])
    with pytest.raises(PermissionDenied) as exc:
        services.propose(people["other_member"], round_, other_org, topic_data(), now=NOW)
    assert_code(exc, "not_a_member")


@pytest.mark.parametrize("changes, code", [
    ({"title": "  "}, "title_required"),
    ({"description": ""}, "description_required"),
    ({"format": "lecture"}, "format_invalid"),
])
def test_proposal_needs_title_description_and_format(db, proposals, people, org, changes, code):
    with pytest.raises(DomainError) as exc:
        services.propose(people["member"], proposals, org, topic_data(**changes), now=NOW)
    assert_code(exc, code)


# --- support ---------------------------------------------------------------------------------------

def test_support_is_idempotent(db, proposals, people, org):
    topic = services.propose(people["member"], proposals, org, topic_data(), now=NOW)
    db.session.commit()
    for _ in range(3):
        services.support(people["other_member"], topic, now=NOW)
        db.session.commit()
    assert services.supporter_count(topic) == 2


def test_support_can_be_withdrawn(db, proposals, people, org):
    topic = services.propose(people["member"], proposals, org, topic_data(), now=NOW)
    services.support(people["other_member"], topic, now=NOW)
    services.withdraw_support(people["other_member"], topic)
    db.session.commit()
    assert services.supporter_count(topic) == 1
    assert not services.supports(people["other_member"], topic)


def test_support_only_before_voting(db, staff, proposals, people, org):
    topic = add_topic(db, proposals, "Approved", org=org, proposer=people["member"])
    move_to(db, staff, proposals, "moderation")
    services.support(people["other_member"], topic, now=NOW)
    move_to(db, staff, proposals, "voting")
    with pytest.raises(DomainError) as exc:
        services.support(people["rep"], topic, now=NOW)
    assert_code(exc, "support_closed")


def test_support_only_from_members_of_participating_msos(db, proposals, people):
    topic = add_topic(db, proposals, "Approved")
    for outsider in ("pending_member", "applicant"):
        with pytest.raises(PermissionDenied) as exc:
            services.support(people[outsider], topic, now=NOW)
        assert_code(exc, "forbidden")


def test_rejected_topic_cannot_be_supported(db, proposals, people):
    topic = add_topic(db, proposals, "Rejected", status=TopicStatus.REJECTED.value)
    with pytest.raises(DomainError) as exc:
        services.support(people["member"], topic, now=NOW)
    assert_code(exc, "topic_closed")


# --- merging duplicates -----------------------------------------------------------------------------

def _supporters(db, topic) -> set[int]:
    return set(db.session.scalars(select(TopicSupport.user_id).where(TopicSupport.topic_id == topic.id)))


def test_merge_moves_supporters_once_and_comments(db, staff, outbox, proposals, people, org, other_org):
    kept = services.propose(people["member"], proposals, org, topic_data("Vereinsfinanzen"), now=NOW)
    duplicate = services.propose(people["other_member"], proposals, other_org,
                                 topic_data("Finanzen im Verein"), now=NOW)
    both, dup_only = people["rep"], people["other_rep"]
    for topic in (kept, duplicate):
        services.support(both, topic, now=NOW)
    services.support(dup_only, duplicate, now=NOW)
    on_duplicate = services.comment(dup_only, duplicate, "Sehr wichtig für uns", now=NOW)
    on_kept = services.comment(people["member"], kept, "Gerne mit Beispielen", now=NOW)
    db.session.commit()
    outbox.clear()

    services.merge(staff, duplicate, kept)
    db.session.commit()

    assert _supporters(db, kept) == {people["member"].id, both.id, people["other_member"].id, dup_only.id}
    assert services.supporter_count(kept) == 4  # "both" counts once
    assert _supporters(db, duplicate) == set()
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", kept.id)
    assert [c.id for c in services.visible_comments(kept)] == sorted([on_duplicate.id, on_kept.id])
    assert services.visible_comments(duplicate) == []
    assert duplicate not in services.visible_topics(staff, proposals)
    assert duplicate not in services.visible_topics(people["other_member"], proposals)
    assert recipients(outbox) == [people["other_member"].email]
    assert "Vereinsfinanzen" in body(outbox[0])


def test_merge_checks_its_target(db, staff, proposals):
    a, b = approved_topics(db, proposals, "A", "B")
    rejected = add_topic(db, proposals, "R", status=TopicStatus.REJECTED.value)
    other_round = make_round(db, staff, "proposals", title="Andere Runde")
    foreign = add_topic(db, other_round, "F")
    for duplicate, kept, code in ((a, a, "merge_invalid"), (a, foreign, "merge_invalid"),
                                  (a, rejected, "merge_target_closed")):
        with pytest.raises(DomainError) as exc:
            services.merge(staff, duplicate, kept)
        assert_code(exc, code)
    services.merge(staff, a, b)
    with pytest.raises(DomainError) as exc:
        services.merge(staff, a, b)
    assert_code(exc, "merged")


# --- moderation ---------------------------------------------------------------------------------------

def test_reject_needs_a_reason(db, staff, outbox, proposals, people, org):
    topic = services.propose(people["member"], proposals, org, topic_data(), now=NOW)
    db.session.commit()
    outbox.clear()
    for reason in ("", "   ", None):
        with pytest.raises(DomainError) as exc:
            services.reject(staff, topic, reason)
        assert_code(exc, "reason_required")
    db.session.commit()
    assert topic.status == "pending" and topic.reject_reason is None
    assert outbox == []


def test_reject_mails_the_proposer_with_the_reason(db, staff, outbox, proposals, people, org):
    topic = services.propose(people["member"], proposals, org, topic_data(), now=NOW)
    db.session.commit()
    outbox.clear()
    services.reject(staff, topic, "  Passt nicht zum Förderzweck.  ")
    db.session.commit()
    assert (topic.status, topic.reject_reason) == ("rejected", "Passt nicht zum Förderzweck.")
    assert recipients(outbox) == [people["member"].email]
    assert outbox[0]["Subject"] == f"Your topic proposal: {topic.title}"
    assert "Passt nicht zum Förderzweck." in body(outbox[0])
    # The proposer still sees it (with the reason); other members do not.
    assert topic in services.visible_topics(people["member"], proposals)
    assert topic not in services.visible_topics(people["rep"], proposals)


def test_approve_puts_the_topic_on_the_list(db, staff, proposals, people, org):
    topic = services.propose(people["member"], proposals, org, topic_data(), now=NOW)
    assert topic not in services.visible_topics(ANONYMOUS, proposals)
    assert topic in services.visible_topics(staff, proposals)
    services.approve(staff, topic)
    db.session.commit()
    assert topic.status == "approved"
    assert topic in services.visible_topics(ANONYMOUS, proposals)


def test_only_staff_moderate(db, proposals, people):
    topic = add_topic(db, proposals, "Pending", status=TopicStatus.PENDING.value)
    other = add_topic(db, proposals, "Other")
    for action in (lambda: services.approve(people["rep"], topic),
                   lambda: services.reject(people["rep"], topic, "nein"),
                   lambda: services.edit(people["rep"], topic, topic_data(), "note"),
                   lambda: services.merge(people["rep"], topic, other)):
        with pytest.raises(PermissionDenied) as exc:
            action()
        assert_code(exc, "forbidden")


@pytest.mark.parametrize("phase", ["voting", "closed", "published"])
def test_moderation_is_refused_once_voting_has_started(db, staff, outbox, proposals, people, org, phase):
    topic = add_topic(db, proposals, "Pending", status=TopicStatus.PENDING.value, proposer=people["member"])
    other = add_topic(db, proposals, "Other")
    move_to(db, staff, proposals, phase)
    outbox.clear()
    for action in (lambda: services.approve(staff, topic),
                   lambda: services.reject(staff, topic, "Zu spät"),
                   lambda: services.edit(staff, topic, topic_data("Neu"), "Titel gekürzt"),
                   lambda: services.merge(staff, topic, other)):
        with pytest.raises(DomainError) as exc:
            action()
        assert_code(exc, "voting_started")
    db.session.commit()
    assert (topic.status, topic.title) == ("pending", "Pending")
    assert outbox == []


def test_edit_needs_a_note(db, staff, proposals, people, org):
    topic = services.propose(people["member"], proposals, org, topic_data("Vereinsfinanzen"), now=NOW)
    db.session.commit()
    for note in ("", "  ", None):
        with pytest.raises(DomainError) as exc:
            services.edit(staff, topic, topic_data("Finanzen"), note)
        assert_code(exc, "note_required")
    db.session.commit()
    assert topic.title == "Vereinsfinanzen" and topic.moderation_note is None


def test_edit_changes_the_topic_and_keeps_the_note(db, staff, proposals, people, org):
    topic = services.propose(people["member"], proposals, org, topic_data("Vereinsfinanzen"), now=NOW)
    services.edit(staff, topic, topic_data("Vereinsfinanzen für Einsteiger", why=None, languages=["ar"],
                                           format="weekend"), "  Titel präzisiert  ")
    db.session.commit()
    assert (topic.title, topic.why, topic.languages, topic.format, topic.moderation_note) == (
        "Vereinsfinanzen für Einsteiger", None, ["ar"], "weekend", "Titel präzisiert")


# --- comments ----------------------------------------------------------------------------------------

def test_comment_length_limit(db, proposals, people):
    topic = add_topic(db, proposals, "Approved")
    longest = services.comment(people["member"], topic, "x" * services.COMMENT_MAX, now=NOW)
    db.session.commit()
    assert len(longest.body) == services.COMMENT_MAX
    with pytest.raises(DomainError) as exc:
        services.comment(people["member"], topic, "x" * (services.COMMENT_MAX + 1), now=NOW)
    assert_code(exc, "comment_too_long")
    for blank in ("", "   ", None):
        with pytest.raises(DomainError) as exc:
            services.comment(people["member"], topic, blank, now=NOW)
        assert_code(exc, "comment_empty")
    db.session.commit()
    assert len(services.visible_comments(topic)) == 1


def test_hidden_comment_is_not_listed(db, staff, proposals, people):
    topic = add_topic(db, proposals, "Approved")
    rude = services.comment(people["member"], topic, "Unfreundlich", now=NOW)
    kind = services.comment(people["rep"], topic, "Freundlich", now=NOW)
    db.session.commit()
    services.hide_comment(staff, rude, now=NOW + SECOND)
    db.session.commit()
    assert services.visible_comments(topic) == [kind]
    assert (rude.hidden_at, rude.hidden_by_id) == (NOW + SECOND, staff.id)
    assert db.session.get(TopicComment, rude.id) is not None  # hidden, not deleted


def test_only_staff_hide_comments(db, proposals, people):
    topic = add_topic(db, proposals, "Approved")
    item = services.comment(people["member"], topic, "Hallo", now=NOW)
    with pytest.raises(PermissionDenied) as exc:
        services.hide_comment(people["rep"], item, now=NOW)
    assert_code(exc, "forbidden")


def test_comments_only_from_participants_and_until_close(db, staff, proposals, people):
    topic = add_topic(db, proposals, "Approved")
    with pytest.raises(PermissionDenied) as exc:
        services.comment(people["pending_member"], topic, "Hallo", now=NOW)
    assert_code(exc, "forbidden")
    services.comment(staff, topic, "Hinweis vom Büro", now=NOW)
    move_to(db, staff, proposals, "closed")
    with pytest.raises(DomainError) as exc:
        services.comment(people["member"], topic, "Zu spät", now=NOW)
    assert_code(exc, "comments_closed")


# --- from topic to training series -------------------------------------------------------------------

@pytest.fixture
def round_in_voting(db, staff):
    return make_round(db, staff, "voting")


@pytest.mark.parametrize("phase", ["proposals", "moderation", "voting"])
def test_series_only_after_voting_has_closed(db, staff, round_in_voting, phase):
    topic = add_topic(db, round_in_voting, "Winner")
    move_to(db, staff, round_in_voting, phase)
    with pytest.raises(DomainError) as exc:
        services.create_series(staff, topic, now=VOTING_CLOSES)
    assert_code(exc, "round_open")
    assert db.session.scalars(select(Event)).all() == []


@pytest.mark.parametrize("status", ["pending", "rejected", "merged"])
def test_series_only_for_an_approved_topic(db, staff, round_in_voting, status):
    kept = add_topic(db, round_in_voting, "Kept")
    topic = add_topic(db, round_in_voting, "Not approved", status=status,
                      merged_into=kept if status == "merged" else None)
    move_to(db, staff, round_in_voting, "closed")
    with pytest.raises(DomainError) as exc:
        services.create_series(staff, topic, now=VOTING_CLOSES)
    assert_code(exc, "not_approved")


def test_series_only_by_staff(db, staff, round_in_voting, people):
    topic = add_topic(db, round_in_voting, "Winner")
    move_to(db, staff, round_in_voting, "closed")
    with pytest.raises(PermissionDenied):
        services.create_series(people["rep"], topic, now=VOTING_CLOSES)


def test_series_is_prefilled_linked_and_made_once(db, staff, round_in_voting, org, people):
    topic = add_topic(db, round_in_voting, "Vereinsfinanzen", description="Förderanträge",
                      why="Wir brauchen Geld", languages=["de", "ar"], org=org, proposer=people["member"])
    move_to(db, staff, round_in_voting, "closed")
    event = services.create_series(staff, topic, now=VOTING_CLOSES)
    db.session.commit()
    assert (event.kind, event.status, event.title) == ("series", "draft", "Vereinsfinanzen")
    assert event.description == "Förderanträge\n\nWir brauchen Geld"
    assert event.languages == ["de", "ar"]
    assert topic.series_event_id == event.id
    assert services.topic_of_series(event) == topic
    with pytest.raises(DomainError) as exc:
        services.create_series(staff, topic, now=VOTING_CLOSES)
    assert_code(exc, "series_exists")
    assert len(db.session.scalars(select(Event)).all()) == 1


def test_series_of_a_topic_without_why_takes_the_description(db, staff, round_in_voting):
    topic = add_topic(db, round_in_voting, "Kurz", description="Nur das")
    move_to(db, staff, round_in_voting, "published")
    event = services.create_series(staff, topic, now=RESULTS)
    assert event.description == "Nur das"


def _voted_round(db, staff, make_org, make_member):
    """A closed round: two MSOs gave the winner points, one gave points only
    to another topic, one did not vote. Each MSO has two representatives
    and a plain member."""
    round_ = make_round(db, staff, "voting")
    winner, other = approved_topics(db, round_, "Vereinsfinanzen", "Social Media")
    msos = {}
    for name in ("giver", "second_giver", "elsewhere", "silent"):
        org = make_org(f"{name} e.V.")
        reps = [make_member(org, role="representative") for _ in range(2)]
        make_member(org)
        msos[name] = (org, reps)
    cast(db, msos["giver"][1][0], round_, msos["giver"][0], {winner.id: 3, other.id: 2})
    cast(db, msos["second_giver"][1][1], round_, msos["second_giver"][0], {winner.id: 1})
    cast(db, msos["elsewhere"][1][0], round_, msos["elsewhere"][0], {other.id: 3})
    move_to(db, staff, round_, "closed", now=VOTING_CLOSES)
    return round_, winner, msos


def _series(db, staff, topic, **fields):
    event = services.create_series(staff, topic, now=VOTING_CLOSES + timedelta(days=1))
    for name, value in fields.items():
        setattr(event, name, value)
    event_services.add_session(staff, event, SessionData(
        day=(RESULTS + timedelta(days=30)).date(), start=time(18), end=time(20), online_url=ONLINE))
    db.session.commit()
    return event


def test_publishing_the_series_tells_the_msos_that_gave_it_points_once(
        db, staff, outbox, make_org, make_member, make_event):
    _round, winner, msos = _voted_round(db, staff, make_org, make_member)
    event = _series(db, staff, winner)
    outbox.clear()
    event_services.publish_event(staff, event, now=VOTING_CLOSES + timedelta(days=2))
    db.session.commit()
    expected = sorted(u.email for name in ("giver", "second_giver") for u in msos[name][1])
    assert recipients(outbox) == expected
    assert all(m["Subject"] == f"Registration is open: {event.title}" for m in outbox)
    assert f"/events/{event.id}" in body(outbox[0])
    assert winner.series_notified_at == VOTING_CLOSES + timedelta(days=2)
    outbox.clear()
    services.advance_all(now=RESULTS + timedelta(days=1))
    make_event()  # publishing another event tells nobody again
    db.session.commit()
    assert _subjects_starting(outbox, "Registration is open") == []


def test_series_whose_registration_opens_later_is_told_when_it_opens(
        db, staff, outbox, make_org, make_member):
    _round, winner, _msos = _voted_round(db, staff, make_org, make_member)
    opens = RESULTS + timedelta(days=3)
    event = _series(db, staff, winner, registration_opens_at=opens)
    outbox.clear()
    event_services.publish_event(staff, event, now=RESULTS)
    db.session.commit()
    services.advance_all(now=opens - SECOND)
    db.session.commit()
    assert _subjects_starting(outbox, "Registration is open") == []
    services.advance_all(now=opens)
    db.session.commit()
    assert len(_subjects_starting(outbox, "Registration is open")) == 4
    services.advance_all(now=opens + timedelta(days=1))
    db.session.commit()
    assert len(_subjects_starting(outbox, "Registration is open")) == 4
