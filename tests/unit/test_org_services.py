"""Registry rules (application, review, profile changes), one behaviour per
test, called on the services directly."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from miado_events.database import utcnow
from miado_events.errors import DomainError
from miado_events.models.accounts import Role
from miado_events.models.orgs import (
    Membership,
    MembershipRole,
    Organisation,
    OrgDecision,
    OrgStatus,
)
from miado_events.orgs import services
from miado_events.orgs.labels import PROFILE_FIELD_LABELS
from miado_events.orgs.services import OrgProfile


def profile(**overrides) -> OrgProfile:
    values = {
        "name": "Kulturbrücke Dortmund e.V.", "legal_form": "ev", "founding_year": 2004,
        "description": "Kultur und Begegnung.", "email": "info@kulturbruecke.example",
        "districts": ["Eving", "Innenstadt-Nord"], "regions": ["Syrien"],
        "languages": ["ar", "de"], "fields_of_work": ["culture"],
        "internal_contact": "Frau Vorsitzende, 0231 000",
        "published_fields": ["description", "districts", "regions", "languages",
                             "fields_of_work"],
    }
    return OrgProfile(**{**values, **overrides})


def assert_code(excinfo, code: str) -> None:
    assert excinfo.value.code == code


def decisions(db, org) -> list[OrgDecision]:
    return list(db.session.scalars(
        select(OrgDecision).where(OrgDecision.organisation_id == org.id).order_by(OrgDecision.id)))


def body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


@pytest.fixture
def apply(db, rep):
    """Factory: an application by ``rep`` (or ``applicant``), committed."""

    def do_apply(applicant=None, **overrides) -> Organisation:
        org = services.apply_for_listing(applicant or rep, profile(**overrides))
        db.session.commit()
        return org

    return do_apply


@pytest.fixture
def pending(apply, outbox):
    org = apply()
    outbox.clear()
    return org


@pytest.fixture
def listed(db, apply, staff, outbox):
    org = apply()
    services.decide_application(staff, org, "approve")
    db.session.commit()
    outbox.clear()
    return org


def _decided(db, staff, org, decision, message="Bitte ergänzen Sie die Adresse."):
    services.decide_application(staff, org, decision, message)
    db.session.commit()
    return org


# --- application ----------------------------------------------------------------------

def test_apply_creates_a_pending_organisation(apply):
    org = apply()
    assert org.id is not None
    assert org.status == OrgStatus.PENDING.value
    assert org.name == "Kulturbrücke Dortmund e.V."
    assert org.districts == ["Eving", "Innenstadt-Nord"]


def test_applicant_becomes_active_representative(db, apply, rep):
    org = apply()
    membership = db.session.scalar(select(Membership).where(Membership.organisation_id == org.id))
    assert membership.user_id == rep.id
    assert membership.role == MembershipRole.REPRESENTATIVE.value
    assert membership.is_active and membership.is_representative


def test_apply_records_the_submission(db, rep):
    now = utcnow() - timedelta(days=3)
    org = services.apply_for_listing(rep, profile(), now=now)
    db.session.commit()
    [decision] = decisions(db, org)
    assert (decision.action, decision.actor_id, decision.created_at) == ("submitted", rep.id, now)
    assert decision.snapshot["name"] == "Kulturbrücke Dortmund e.V."
    assert org.submitted_at == now


def test_apply_mails_the_office(app, apply, outbox):
    org = apply()
    assert [m["To"] for m in outbox] == [app.config["STAFF_NOTIFY_EMAIL"]]
    assert f"/staff/orgs/{org.id}" in body(outbox[0])


def test_apply_sends_no_mail_when_rolled_back(db, rep, outbox):
    services.apply_for_listing(rep, profile())
    db.session.rollback()
    assert outbox == []
    assert db.session.scalar(select(Organisation)) is None


# --- profile validation ---------------------------------------------------------------

@pytest.mark.parametrize("overrides", [
    {"name": "   "},
    {"legal_form": "verein"},
    {"districts": ["Nowhere"]},
    {"fields_of_work": ["knitting"]},
    {"languages": ["xx"]},
    {"published_fields": ["internal_contact"]},
    {"founding_year": 1899},
    {"founding_year": utcnow().year + 1},
    {"regions": [f"Region {i}" for i in range(11)]},
], ids=["empty-name", "legal-form", "district", "field", "language", "published-field",
        "year-too-early", "year-in-future", "too-many-regions"])
def test_invalid_profile_is_refused(rep, overrides):
    with pytest.raises(DomainError) as exc:
        services.apply_for_listing(rep, profile(**overrides))
    assert_code(exc, "profile_invalid")


def test_regions_are_trimmed_and_deduplicated_case_insensitively(apply):
    org = apply(regions=["  Syrien ", "syrien", "SYRIEN", "West  Afrika", ""])
    assert sorted(org.regions) == ["Syrien", "West Afrika"]


def test_website_gets_https(apply):
    assert apply(website="kulturbruecke.example").website == "https://kulturbruecke.example"


def test_website_with_scheme_is_kept(apply):
    assert apply(website="http://kulturbruecke.example").website == "http://kulturbruecke.example"


def test_name_whitespace_is_collapsed(apply):
    assert apply(name="  Kulturbrücke   Dortmund ").name == "Kulturbrücke Dortmund"


def test_founding_year_may_be_empty(apply):
    assert apply(founding_year=None).founding_year is None


# --- staff decisions ------------------------------------------------------------------

def test_approve_lists_the_organisation(db, staff, pending):
    _decided(db, staff, pending, "approve", "")
    assert pending.status == OrgStatus.LISTED.value
    assert pending.is_listed


def test_approve_mails_the_representative(db, staff, pending, outbox):
    _decided(db, staff, pending, "approve", "")
    assert [m["To"] for m in outbox] == ["rep@example.org"]


def test_ask_for_changes_needs_a_message(staff, pending):
    with pytest.raises(DomainError) as exc:
        services.decide_application(staff, pending, "needs_changes", "  ")
    assert_code(exc, "reason_required")
    assert pending.status == OrgStatus.PENDING.value


def test_ask_for_changes_mails_the_message_to_the_representative(db, staff, pending, outbox):
    _decided(db, staff, pending, "needs_changes", "Bitte ergänzen Sie die Adresse.")
    assert pending.status == OrgStatus.NEEDS_CHANGES.value
    assert pending.status_message == "Bitte ergänzen Sie die Adresse."
    [msg] = outbox
    assert msg["To"] == "rep@example.org"
    assert "changes needed" in msg["Subject"]
    assert "Bitte ergänzen Sie die Adresse." in body(msg)


def test_reject_needs_a_reason(staff, pending):
    with pytest.raises(DomainError) as exc:
        services.decide_application(staff, pending, "reject", "")
    assert_code(exc, "reason_required")


def test_reject_mails_the_reason(db, staff, pending, outbox):
    _decided(db, staff, pending, "reject", "Keine Migrantenselbstorganisation.")
    assert pending.status == OrgStatus.REJECTED.value
    assert [m["To"] for m in outbox] == ["rep@example.org"]
    assert "Keine Migrantenselbstorganisation." in body(outbox[0])


def test_unknown_decision_is_refused(staff, pending):
    with pytest.raises(DomainError) as exc:
        services.decide_application(staff, pending, "maybe", "hm")
    assert_code(exc, "decision_invalid")


def test_deciding_twice_is_refused(db, staff, pending):
    _decided(db, staff, pending, "approve", "")
    with pytest.raises(DomainError) as exc:
        services.decide_application(staff, pending, "reject", "noch einmal")
    assert_code(exc, "not_pending")
    assert pending.is_listed


@pytest.mark.parametrize("role", [Role.MEMBER, Role.DOOR])
def test_non_staff_cannot_decide(make_user, pending, role):
    with pytest.raises(DomainError) as exc:
        services.decide_application(make_user(role), pending, "approve")
    assert_code(exc, "forbidden")


def test_own_representative_cannot_approve(rep, pending):
    with pytest.raises(DomainError) as exc:
        services.decide_application(rep, pending, "approve")
    assert_code(exc, "forbidden")
    assert pending.status == OrgStatus.PENDING.value


def test_admin_can_decide(db, make_user, pending):
    services.decide_application(make_user(Role.ADMIN), pending, "approve")
    assert pending.is_listed


@pytest.mark.parametrize("decision,action", [
    ("approve", "approved"), ("needs_changes", "needs_changes"), ("reject", "rejected")])
def test_every_decision_records_who_when_why(db, staff, pending, decision, action):
    when = utcnow() - timedelta(hours=5)
    services.decide_application(staff, pending, decision, "Begründung", now=when)
    db.session.commit()
    last = decisions(db, pending)[-1]
    assert (last.action, last.actor_id, last.message, last.created_at) == (
        action, staff.id, "Begründung", when)
    assert (pending.decided_by_id, pending.decided_at) == (staff.id, when)


# --- resubmission ---------------------------------------------------------------------

@pytest.mark.parametrize("decision", ["needs_changes", "reject"])
def test_resubmission_makes_the_application_pending_again(db, staff, rep, pending, decision):
    _decided(db, staff, pending, decision)
    services.resubmit_application(rep, pending, profile(address="Mallinckrodtstr. 1"))
    db.session.commit()
    assert pending.status == OrgStatus.PENDING.value
    assert pending.address == "Mallinckrodtstr. 1"
    assert [d.action for d in decisions(db, pending)][-1] == "submitted"


def test_resubmission_mails_the_office(app, db, staff, rep, pending, outbox):
    _decided(db, staff, pending, "needs_changes")
    outbox.clear()
    services.resubmit_application(rep, pending, profile())
    db.session.commit()
    assert [m["To"] for m in outbox] == [app.config["STAFF_NOTIFY_EMAIL"]]


def test_pending_application_cannot_be_resubmitted(rep, pending):
    with pytest.raises(DomainError) as exc:
        services.resubmit_application(rep, pending, profile())
    assert_code(exc, "not_resubmittable")


def test_listed_organisation_cannot_be_resubmitted(rep, listed):
    with pytest.raises(DomainError) as exc:
        services.resubmit_application(rep, listed, profile())
    assert_code(exc, "not_resubmittable")


def test_stranger_cannot_resubmit(db, make_user, staff, pending):
    _decided(db, staff, pending, "needs_changes")
    with pytest.raises(DomainError) as exc:
        services.resubmit_application(make_user(), pending, profile())
    assert_code(exc, "forbidden")


def test_resubmission_can_be_decided_again(db, staff, rep, pending):
    _decided(db, staff, pending, "reject")
    services.resubmit_application(rep, pending, profile())
    db.session.commit()
    _decided(db, staff, pending, "approve", "")
    assert pending.is_listed
    assert [d.action for d in decisions(db, pending)] == [
        "submitted", "rejected", "submitted", "approved"]


# --- diff for the reviewer ------------------------------------------------------------

def test_diff_is_empty_before_the_first_decision(pending):
    assert services.last_reviewed_snapshot(pending) is None
    assert services.profile_diff(services.last_reviewed_snapshot(pending), pending) == []


def test_diff_shows_the_fields_changed_by_a_resubmission(db, staff, rep, pending):
    _decided(db, staff, pending, "needs_changes")
    services.resubmit_application(rep, pending, profile(
        description="Neu: Hausaufgabenhilfe.", districts=["Eving", "Hörde"]))
    db.session.commit()
    diff = services.profile_diff(services.last_reviewed_snapshot(pending), pending)
    assert diff == [
        ("description", "Kultur und Begegnung.", "Neu: Hausaufgabenhilfe."),
        ("districts", ["Eving", "Innenstadt-Nord"], ["Eving", "Hörde"]),
    ]


def test_diff_shows_a_requested_name(db, rep, listed):
    services.update_profile(rep, listed, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    diff = services.profile_diff(services.last_reviewed_snapshot(listed), listed)
    assert diff == [("name", "Kulturbrücke Dortmund e.V.", "Kulturbrücke Ruhr e.V.")]


# --- profile updates ------------------------------------------------------------------

def test_representative_change_of_public_fields_goes_live(db, rep, listed):
    changed = services.update_profile(rep, listed, profile(description="Neue Beschreibung"))
    db.session.commit()
    assert changed == ["description"]
    assert listed.description == "Neue Beschreibung"
    assert decisions(db, listed)[-1].action == "profile_updated"


def test_representative_change_mails_the_office(app, db, rep, listed, outbox):
    services.update_profile(rep, listed, profile(languages=["ar", "de", "ku"]))
    db.session.commit()
    assert [m["To"] for m in outbox] == [app.config["STAFF_NOTIFY_EMAIL"]]
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):  # the office's language
        label = str(PROFILE_FIELD_LABELS["languages"])
    assert label in body(outbox[0])


def test_saving_without_changes_mails_nobody(db, rep, listed, outbox):
    assert services.update_profile(rep, listed, profile()) == []
    db.session.commit()
    assert outbox == []


def test_representative_name_change_waits_for_staff(db, rep, listed):
    services.update_profile(rep, listed, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    assert listed.name == "Kulturbrücke Dortmund e.V."
    assert listed.requested_name == "Kulturbrücke Ruhr e.V."
    assert decisions(db, listed)[-1].action == "name_change_requested"


def test_staff_renaming_settles_a_pending_name_request(db, rep, staff, listed):
    services.update_profile(rep, listed, profile(name="Kulturbrücke Ruhr e.V."))
    services.update_profile(staff, listed, profile(name="Kulturbrücke Westfalen e.V."))
    db.session.commit()
    assert listed.name == "Kulturbrücke Westfalen e.V."
    assert listed.requested_name is None


def test_name_change_request_mails_the_office(app, db, rep, listed, outbox):
    services.update_profile(rep, listed, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    assert [m["To"] for m in outbox] == [app.config["STAFF_NOTIFY_EMAIL"]]


def test_representative_withdraws_a_name_change_by_restoring_the_name(db, rep, listed):
    services.update_profile(rep, listed, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    services.update_profile(rep, listed, profile())
    db.session.commit()
    assert (listed.name, listed.requested_name) == ("Kulturbrücke Dortmund e.V.", None)


def test_staff_approve_a_name_change(db, rep, staff, listed, outbox):
    services.update_profile(rep, listed, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    outbox.clear()
    services.decide_name_change(staff, listed, True)
    db.session.commit()
    assert (listed.name, listed.requested_name) == ("Kulturbrücke Ruhr e.V.", None)
    last = decisions(db, listed)[-1]
    assert (last.action, last.actor_id) == ("name_approved", staff.id)
    assert [m["To"] for m in outbox] == ["rep@example.org"]


def test_staff_reject_a_name_change(db, rep, staff, listed):
    services.update_profile(rep, listed, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    services.decide_name_change(staff, listed, False, "Name ist vergeben.")
    db.session.commit()
    assert (listed.name, listed.requested_name) == ("Kulturbrücke Dortmund e.V.", None)
    last = decisions(db, listed)[-1]
    assert (last.action, last.message) == ("name_rejected", "Name ist vergeben.")


def test_name_change_without_request_is_refused(staff, listed):
    with pytest.raises(DomainError) as exc:
        services.decide_name_change(staff, listed, True)
    assert_code(exc, "no_name_change")


def test_representative_cannot_approve_own_name_change(db, rep, listed):
    services.update_profile(rep, listed, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        services.decide_name_change(rep, listed, True)
    assert_code(exc, "forbidden")


def test_staff_change_the_name_directly(db, staff, listed):
    services.update_profile(staff, listed, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    assert (listed.name, listed.requested_name) == ("Kulturbrücke Ruhr e.V.", None)


def test_staff_changes_do_not_mail_the_office(db, staff, listed, outbox):
    services.update_profile(staff, listed, profile(description="Von der Geschäftsstelle"))
    db.session.commit()
    assert outbox == []


def test_name_of_a_pending_application_changes_directly(db, rep, pending):
    services.update_profile(rep, pending, profile(name="Kulturbrücke Ruhr e.V."))
    db.session.commit()
    assert (pending.name, pending.requested_name) == ("Kulturbrücke Ruhr e.V.", None)


def test_plain_member_cannot_edit(db, make_user, listed):
    from miado_events.orgs import membership

    member = make_user()
    membership.request_membership(member, listed)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        services.update_profile(member, listed, profile(description="gekapert"))
    assert_code(exc, "forbidden")


def test_representative_of_another_org_cannot_edit(make_user, apply, listed):
    other_rep = make_user()
    apply(applicant=other_rep, name="Polnischer Kulturkreis")
    with pytest.raises(DomainError) as exc:
        services.update_profile(other_rep, listed, profile(description="gekapert"))
    assert_code(exc, "forbidden")
    assert listed.description == "Kultur und Begegnung."


def test_invalid_update_is_refused(rep, listed):
    with pytest.raises(DomainError) as exc:
        services.update_profile(rep, listed, profile(districts=["Nowhere"]))
    assert_code(exc, "profile_invalid")


# --- deactivation ---------------------------------------------------------------------

def test_staff_deactivate_a_listed_organisation(db, staff, listed):
    services.set_active(staff, listed, False, "Verein aufgelöst")
    db.session.commit()
    assert listed.status == OrgStatus.INACTIVE.value
    last = decisions(db, listed)[-1]
    assert (last.action, last.actor_id, last.message) == (
        "deactivated", staff.id, "Verein aufgelöst")


def test_staff_reactivate_an_inactive_organisation(db, staff, listed):
    services.set_active(staff, listed, False)
    db.session.commit()
    services.set_active(staff, listed, True)
    db.session.commit()
    assert listed.is_listed
    assert decisions(db, listed)[-1].action == "reactivated"


def test_pending_organisation_cannot_be_deactivated(staff, pending):
    with pytest.raises(DomainError) as exc:
        services.set_active(staff, pending, False)
    assert_code(exc, "status_conflict")


def test_listed_organisation_cannot_be_reactivated(staff, listed):
    with pytest.raises(DomainError) as exc:
        services.set_active(staff, listed, True)
    assert_code(exc, "status_conflict")


def test_representative_cannot_deactivate(rep, listed):
    with pytest.raises(DomainError) as exc:
        services.set_active(rep, listed, False)
    assert_code(exc, "forbidden")


# --- similar names --------------------------------------------------------------------
def test_similar_name_without_umlaut_and_legal_form_is_found(apply):
    org = apply(name="Türkischer Elternverein e.V.")
    assert services.find_similar_organisations("Turkischer Elternverein") == [org]


def test_name_with_a_typo_is_found(apply):
    org = apply(name="Türkischer Elternverein e.V.")
    assert services.find_similar_organisations("Turkischer Elternverien") == [org]


def test_unrelated_name_is_not_found(apply):
    apply(name="Türkischer Elternverein e.V.")
    assert services.find_similar_organisations("Polnischer Kulturkreis Dortmund") == []


def test_short_name_is_matched(apply):
    org = apply(name="Verband der Ghanaischen Vereine in Dortmund", short_name="VGVD")
    assert services.find_similar_organisations("VGVD") == [org]


def test_rejected_organisations_are_not_suggested(db, staff, apply):
    org = apply(name="Türkischer Elternverein e.V.")
    _decided(db, staff, org, "reject")
    assert services.find_similar_organisations("Turkischer Elternverein") == []


def test_similar_search_can_exclude_the_organisation_itself(apply):
    org = apply(name="Türkischer Elternverein e.V.")
    assert services.find_similar_organisations("Türkischer Elternverein", exclude_id=org.id) == []


def test_name_in_non_latin_script_is_not_similar_to_everything(apply):
    apply(name="Русский дом")
    assert services.find_similar_organisations("Polnischer Kulturkreis Dortmund") == []


def test_name_without_distinctive_words_is_not_similar_to_everything(apply):
    apply(name="Verein e.V.")
    assert services.find_similar_organisations("Polnischer Kulturkreis Dortmund") == []


def test_name_contained_in_the_new_name_is_found(apply):
    org = apply(name="IFAK e.V.")
    assert services.find_similar_organisations("IFAK Dortmund") == [org]


def test_name_in_non_latin_script_finds_its_duplicate(apply):
    org = apply(name="Русский дом e.V.")
    assert services.find_similar_organisations("Русский Дом") == [org]
