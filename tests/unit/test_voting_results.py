"""Counting a round (``voting.results``): points and supporting MSOs per
topic, competition ranking with ties, turnout, who may see the results
when, and the CSV export read back with the csv module."""
from __future__ import annotations

import csv
import io

import pytest
from flask import current_app
from flask_login import AnonymousUserMixin

from miado_events.models.accounts import Role
from miado_events.models.voting import TopicStatus
from miado_events.voting import results

from .voting_support import add_topic, approved_topics, cast, make_round, move_to

ANONYMOUS = AnonymousUserMixin()


@pytest.fixture
def voting(db, staff):
    return make_round(db, staff, "voting")


@pytest.fixture
def msos(make_org, make_member):
    """Five listed MSOs, each with a representative: [(org, rep), …]."""
    found = []
    for n in range(1, 6):
        org = make_org(f"MSO {n} e.V.")
        found.append((org, make_member(org, role="representative")))
    return found


@pytest.fixture
def tally(db, staff, voting, msos):
    """Topics "Alpha" 7, "Bravo" 5, "Charlie" 5, "Delta" 2, "Echo" 0 and
    "Foxtrot" 0 points; MSO 5 saved a ballot without points. Closed."""
    made = {t.title.lower(): t for t in approved_topics(  # created out of order on purpose
        db, voting, "Charlie", "Alpha", "Foxtrot", "Bravo", "Echo", "Delta")}
    alpha, bravo, charlie, delta = (made[name] for name in ("alpha", "bravo", "charlie", "delta"))
    (o1, r1), (o2, r2), (o3, r3), (o4, r4), (o5, r5) = msos
    cast(db, r1, voting, o1, {alpha.id: 3, bravo.id: 2})
    cast(db, r2, voting, o2, {alpha.id: 3, charlie.id: 2})
    cast(db, r3, voting, o3, {alpha.id: 1, bravo.id: 3, charlie.id: 1})
    cast(db, r4, voting, o4, {charlie.id: 2, delta.id: 2})
    cast(db, r5, voting, o5, {alpha.id: 0, bravo.id: 0})
    move_to(db, staff, voting, "closed")
    return made


def _table(counted):
    return [(r.topic.title, r.rank, r.tied, r.points, r.organisations) for r in counted.rows]


# --- ranking ------------------------------------------------------------------------------

def test_ranking_shares_ranks_on_equal_points(db, voting, tally):
    assert _table(results.count(voting)) == [
        ("Alpha", 1, False, 7, 3),
        ("Bravo", 2, True, 5, 2),
        ("Charlie", 2, True, 5, 3),
        ("Delta", 4, False, 2, 1),
        ("Echo", 5, True, 0, 0),
        ("Foxtrot", 5, True, 0, 0),
    ]


def test_only_approved_topics_are_counted(db, voting, tally):
    add_topic(db, voting, "Abgelehnt", status=TopicStatus.REJECTED.value)
    add_topic(db, voting, "Offen", status=TopicStatus.PENDING.value)
    add_topic(db, voting, "Doppelt", status=TopicStatus.PENDING.value)
    assert [r.topic.title for r in results.count(voting).rows] == [
        "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]


def test_round_without_ballots_ranks_all_topics_first(db, voting):
    approved_topics(db, voting, "One", "Two")
    counted = results.count(voting)
    assert [(r.rank, r.tied, r.points) for r in counted.rows] == [(1, True, 0), (1, True, 0)]
    assert counted.max_points == 0
    assert (counted.voted, counted.turnout_percent) == (0, 0)


def test_max_points_is_the_winners_points(db, voting, tally):
    assert results.count(voting).max_points == 7


# --- turnout -------------------------------------------------------------------------------

def test_turnout_counts_msos_whose_ballot_gives_points(db, voting, tally, msos):
    counted = results.count(voting)
    assert (counted.voted, counted.eligible) == (4, 5)  # MSO 5's ballot gives nothing
    assert counted.turnout_percent == 80


def test_msos_that_are_not_listed_are_not_eligible(db, voting, tally, msos, make_org):
    make_org("Noch im Aufbau e.V.", status="pending")
    assert results.count(voting).eligible == 5


def test_turnout_of_a_restricted_round(db, staff, msos):
    (o1, r1), (o2, _), _, _, _ = msos
    round_ = make_round(db, staff, "voting", organisation_ids=[o1.id, o2.id])
    [topic] = approved_topics(db, round_, "Nur für zwei")
    cast(db, r1, round_, o1, {topic.id: 1})
    counted = results.count(round_)
    assert (counted.voted, counted.eligible, counted.turnout_percent) == (1, 2, 50)


def test_changed_ballot_counts_once(db, voting, msos):
    a, b = approved_topics(db, voting, "A", "B")
    (o1, r1) = msos[0]
    cast(db, r1, voting, o1, {a.id: 3})
    cast(db, r1, voting, o1, {b.id: 2})
    counted = results.count(voting)
    assert _table(counted) == [("B", 1, False, 2, 1), ("A", 2, False, 0, 0)]
    assert counted.voted == 1


# --- who sees the results when ------------------------------------------------------------

@pytest.fixture
def viewers(make_user, make_member, make_org, staff):
    """staff, a representative, a plain MSO member, a signed-in person of no
    MSO, a member of a pending MSO, nobody signed in."""
    org = make_org("Sichtbar e.V.")
    pending = make_org("Ungelistet e.V.", status="pending")
    return {"staff": staff, "rep": make_member(org, role="representative"), "member": make_member(org),
                "outsider": make_user(), "pending_member": make_member(pending), "anonymous": ANONYMOUS}


def _who_sees(round_, viewers) -> set[str]:
    return {name for name, user in viewers.items() if results.can_see_results(user, round_)}


EVERYONE = {"staff", "rep", "member", "outsider", "pending_member", "anonymous"}
MSO_MEMBERS_AND_STAFF = {"staff", "rep", "member"}


@pytest.mark.parametrize("phase", ["draft", "proposals", "moderation", "voting"])
def test_nobody_sees_results_before_close_without_live_totals(db, staff, viewers, phase):
    round_ = make_round(db, staff, phase)
    assert _who_sees(round_, viewers) == set()


def test_after_close_only_staff_see_the_results(db, staff, viewers):
    round_ = make_round(db, staff, "closed")
    assert _who_sees(round_, viewers) == {"staff"}


def test_published_public_results_are_seen_by_everyone(db, staff, viewers):
    round_ = make_round(db, staff, "published")
    assert _who_sees(round_, viewers) == EVERYONE


def test_published_non_public_results_only_for_signed_in_mso_members(db, staff, viewers):
    round_ = make_round(db, staff, "published", results_public=False)
    assert _who_sees(round_, viewers) == MSO_MEMBERS_AND_STAFF


def test_live_totals_during_voting_if_the_round_shows_them(db, staff, viewers):
    live = make_round(db, staff, "voting", live_totals=True)
    assert _who_sees(live, viewers) == EVERYONE
    live_members_only = make_round(db, staff, "voting", live_totals=True, results_public=False,
                                   title="Nur Mitglieder")
    assert _who_sees(live_members_only, viewers) == MSO_MEMBERS_AND_STAFF


@pytest.mark.parametrize("phase", ["proposals", "moderation"])
def test_live_totals_not_before_voting(db, staff, viewers, phase):
    round_ = make_round(db, staff, phase, live_totals=True)
    assert _who_sees(round_, viewers) == set()


def test_live_round_after_close_is_hidden_again_until_published(db, staff, viewers):
    round_ = make_round(db, staff, "voting", live_totals=True)
    move_to(db, staff, round_, "closed")
    assert _who_sees(round_, viewers) == {"staff"}


def test_door_staff_are_not_office_staff(db, staff, make_user):
    round_ = make_round(db, staff, "closed")
    assert not results.can_see_results(make_user(Role.DOOR), round_)


# --- the CSV export -----------------------------------------------------------------------

def test_results_csv_reads_back(db, voting, tally, msos):
    tally["bravo"].organisation_id = msos[0][0].id
    db.session.commit()
    with current_app.test_request_context("/?sep=comma"):  # the variant for tools
        text = results.results_csv(voting, results.count(voting))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["rank", "tied", "topic", "proposed_by", "points", "supporting_msos"]
    assert rows[1:7] == [
        ["1", "no", "Alpha", "", "7", "3"],
        ["2", "yes", "Bravo", "MSO 1 e.V.", "5", "2"],
        ["2", "yes", "Charlie", "", "5", "3"],
        ["4", "no", "Delta", "", "2", "1"],
        ["5", "yes", "Echo", "", "0", "0"],
        ["5", "yes", "Foxtrot", "", "0", "0"],
    ]
    assert rows[7] == []
    assert rows[8:] == [["msos_voted", "4"], ["msos_eligible", "5"]]


def test_results_csv_keeps_commas_quotes_and_line_breaks_and_defuses_formulas(db, staff, voting, make_org):
    org = make_org("=HYPERLINK(\"http://evil\") e.V.")
    tricky = 'Vereine, "Netzwerke"\nund mehr'
    add_topic(db, voting, tricky, org=org)
    add_topic(db, voting, "=1+2")
    add_topic(db, voting, "  -Minus")
    move_to(db, staff, voting, "closed")
    with current_app.test_request_context("/?sep=comma"):  # the variant for tools
        rows = list(csv.reader(io.StringIO(results.results_csv(voting, results.count(voting)))))
    by_title = {r[2]: r for r in rows[1:4]}
    assert by_title[tricky][3] == "'=HYPERLINK(\"http://evil\") e.V."
    assert "'=1+2" in by_title
    assert "'  -Minus" in by_title
