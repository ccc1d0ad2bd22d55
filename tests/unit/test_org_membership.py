"""Membership rules (join requests, roles, invitations) and the registry's
permission predicates, one behaviour per test, on the services directly."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from miado_events import permissions
from miado_events.database import utcnow
from miado_events.errors import DomainError
from miado_events.models.accounts import Role
from miado_events.models.orgs import (
    Membership,
    MembershipRole,
    MembershipStatus,
    Organisation,
    OrgStatus,
)
from miado_events.orgs import membership as ms
from miado_events.orgs import services

from ..conftest import link_from_mail


def assert_code(excinfo, code: str) -> None:
    assert excinfo.value.code == code


def _org(db, name: str, rep=None, status: str = OrgStatus.LISTED.value) -> Organisation:
    """An MSO in ``status`` (built directly: the application is not under test here)."""
    org = Organisation(name=name, legal_form="ev", status=status, published_fields=[])
    db.session.add(org)
    if rep is not None:
        db.session.add(Membership(organisation=org, user=rep,
                                  role=MembershipRole.REPRESENTATIVE.value))
    db.session.commit()
    return org


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


@pytest.fixture
def org(db, rep):
    """A listed MSO whose only representative is ``rep``."""
    return _org(db, "Afrikanischer Kulturverein Dortmund e.V.", rep)


@pytest.fixture
def other_rep(db, make_user):
    """The representative of a second listed MSO."""
    user = make_user(email="other-rep@example.org")
    _org(db, "Polnischer Kulturkreis", user)
    return user


@pytest.fixture
def pending_org(db, make_user):
    return _org(db, "Ukrainische Initiative Hörde", make_user(), OrgStatus.PENDING.value)


@pytest.fixture
def join(db):
    """Factory: ``user`` becomes an active member of ``org``."""

    def do_join(user, org) -> Membership:
        membership = Membership(organisation=org, user=user, role=MembershipRole.MEMBER.value,
                                status=MembershipStatus.ACTIVE.value)
        db.session.add(membership)
        db.session.commit()
        return membership

    return do_join


def _rep_membership(db, org, rep) -> Membership:
    return db.session.scalar(select(Membership).where(
        Membership.organisation_id == org.id, Membership.user_id == rep.id))


def _invite(db, rep, org, outbox, email="neu@example.org", **kw) -> str:
    ms.invite_by_email(rep, org, email, **kw)
    db.session.commit()
    return _token(link_from_mail(outbox[-1], "/join/"))


def _share(db, rep, org, days=14, **kw) -> str:
    _, url = ms.create_share_link(rep, org, days, **kw)
    db.session.commit()
    return _token(url)


# --- join requests --------------------------------------------------------------------

def test_request_creates_a_waiting_membership(db, make_user, org):
    membership = ms.request_membership(make_user(), org)
    db.session.commit()
    assert membership.status == MembershipStatus.REQUESTED.value
    assert membership.role == MembershipRole.MEMBER.value
    assert not membership.is_active


def test_request_mails_the_representatives(db, make_user, org, outbox):
    ms.request_membership(make_user(), org)
    db.session.commit()
    assert [m["To"] for m in outbox] == ["rep@example.org"]
    assert f"/orgs/{org.id}/members" in outbox[0].get_body(("plain",)).get_content()


def test_request_to_an_unlisted_org_is_refused(make_user, pending_org):
    with pytest.raises(DomainError) as exc:
        ms.request_membership(make_user(), pending_org)
    assert_code(exc, "org_not_listed")


def test_requesting_twice_is_refused(db, make_user, org):
    user = make_user()
    ms.request_membership(user, org)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.request_membership(user, org)
    assert_code(exc, "already_member")


def test_member_cannot_request_again(make_user, org, join):
    user = make_user()
    join(user, org)
    with pytest.raises(DomainError) as exc:
        ms.request_membership(user, org)
    assert_code(exc, "already_member")


def test_accepting_a_request_makes_an_active_member(db, make_user, rep, org, outbox):
    user = make_user()
    membership = ms.request_membership(user, org)
    db.session.commit()
    outbox.clear()
    ms.decide_join_request(rep, membership, True)
    db.session.commit()
    assert membership.is_active and not membership.is_representative
    assert [m["To"] for m in outbox] == [user.email]


def test_declining_a_request_deletes_it(db, make_user, rep, org, outbox):
    user = make_user()
    membership = ms.request_membership(user, org)
    db.session.commit()
    outbox.clear()
    ms.decide_join_request(rep, membership, False)
    db.session.commit()
    assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)) is None
    assert [m["To"] for m in outbox] == [user.email]


def test_answering_a_request_twice_is_refused(db, make_user, rep, org):
    membership = ms.request_membership(make_user(), org)
    db.session.commit()
    ms.decide_join_request(rep, membership, True)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.decide_join_request(rep, membership, False)
    assert_code(exc, "not_requested")
    assert membership.is_active


def test_staff_can_answer_a_request(db, make_user, staff, org):
    membership = ms.request_membership(make_user(), org)
    db.session.commit()
    ms.decide_join_request(staff, membership, True)
    assert membership.is_active


def test_plain_member_cannot_answer_a_request(db, make_user, org, join):
    member = make_user()
    join(member, org)
    membership = ms.request_membership(make_user(), org)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.decide_join_request(member, membership, True)
    assert_code(exc, "forbidden")


def test_representative_of_another_org_cannot_answer_a_request(db, make_user, org, other_rep):
    membership = ms.request_membership(make_user(), org)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.decide_join_request(other_rep, membership, True)
    assert_code(exc, "forbidden")
    assert not membership.is_active


# --- roles and removal ----------------------------------------------------------------

def test_representative_promotes_a_member(db, make_user, rep, org, join):
    membership = join(make_user(), org)
    ms.set_representative(rep, membership, True)
    db.session.commit()
    assert membership.is_representative


def test_representative_steps_down_when_another_one_exists(db, make_user, rep, org, join):
    membership = join(make_user(), org)
    ms.set_representative(rep, membership, True)
    db.session.commit()
    ms.set_representative(rep, _rep_membership(db, org, rep), False)
    db.session.commit()
    assert not _rep_membership(db, org, rep).is_representative
    assert membership.is_representative


def test_last_representative_cannot_step_down(db, rep, org):
    with pytest.raises(DomainError) as exc:
        ms.set_representative(rep, _rep_membership(db, org, rep), False)
    assert_code(exc, "last_representative")


def test_waiting_request_cannot_be_made_representative(db, make_user, rep, org):
    membership = ms.request_membership(make_user(), org)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.set_representative(rep, membership, True)
    assert_code(exc, "not_active")


def test_plain_member_cannot_promote_themselves(make_user, org, join):
    user = make_user()
    membership = join(user, org)
    with pytest.raises(DomainError) as exc:
        ms.set_representative(user, membership, True)
    assert_code(exc, "forbidden")


def test_representative_of_another_org_cannot_promote(make_user, org, join, other_rep):
    membership = join(make_user(), org)
    with pytest.raises(DomainError) as exc:
        ms.set_representative(other_rep, membership, True)
    assert_code(exc, "forbidden")


def test_representative_removes_a_member(db, make_user, rep, org, join):
    user = make_user()
    membership = join(user, org)
    ms.remove_member(rep, membership)
    db.session.commit()
    assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)) is None


def test_member_leaves_by_themselves(db, make_user, org, join):
    user = make_user()
    membership = join(user, org)
    ms.remove_member(user, membership)
    db.session.commit()
    assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)) is None


def test_last_representative_cannot_leave(db, rep, org):
    with pytest.raises(DomainError) as exc:
        ms.remove_member(rep, _rep_membership(db, org, rep))
    assert_code(exc, "last_representative")


def test_representative_can_leave_when_another_one_exists(db, make_user, rep, org, join):
    ms.set_representative(rep, join(make_user(), org), True)
    db.session.commit()
    ms.remove_member(rep, _rep_membership(db, org, rep))
    db.session.commit()
    assert _rep_membership(db, org, rep) is None


def test_member_cannot_remove_someone_else(make_user, org, join):
    member = make_user()
    join(member, org)
    victim = join(make_user(), org)
    with pytest.raises(DomainError) as exc:
        ms.remove_member(member, victim)
    assert_code(exc, "forbidden")


def test_representative_of_another_org_cannot_remove(make_user, org, join, other_rep):
    membership = join(make_user(), org)
    with pytest.raises(DomainError) as exc:
        ms.remove_member(other_rep, membership)
    assert_code(exc, "forbidden")


# --- personal invitations -------------------------------------------------------------

def test_invitation_is_mailed_with_a_join_link(db, rep, org, outbox):
    invitation = ms.invite_by_email(rep, org, " Neu@Example.org ")
    db.session.commit()
    assert invitation.email == "neu@example.org" and invitation.is_personal
    assert [m["To"] for m in outbox] == ["neu@example.org"]
    assert "/join/" in outbox[0].get_body(("plain",)).get_content()


def test_only_the_hash_of_the_invitation_token_is_stored(db, rep, org, outbox):
    token = _invite(db, rep, org, outbox)
    invitation = ms.find_invitation(token)
    assert token not in invitation.token_hash


def test_accepting_an_invitation_makes_an_active_member(db, make_user, rep, org, outbox):
    token = _invite(db, rep, org, outbox)
    membership = ms.accept_invitation(make_user(email="neu@example.org"), token)
    db.session.commit()
    assert membership.is_active and membership.organisation_id == org.id


def test_invitation_can_be_used_once(db, make_user, rep, org, outbox):
    token = _invite(db, rep, org, outbox)
    ms.accept_invitation(make_user(), token)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.accept_invitation(make_user(), token)
    assert_code(exc, "token_used")


def test_expired_invitation_is_refused(app, db, make_user, rep, org, outbox):
    token = _invite(db, rep, org, outbox)
    later = utcnow() + timedelta(days=app.config["ORG_INVITE_DAYS"], minutes=1)
    with pytest.raises(DomainError) as exc:
        ms.accept_invitation(make_user(), token, now=later)
    assert_code(exc, "token_expired")


def test_invitation_is_valid_until_it_expires(app, db, make_user, rep, org, outbox):
    token = _invite(db, rep, org, outbox)
    almost = utcnow() + timedelta(days=app.config["ORG_INVITE_DAYS"], minutes=-1)
    assert ms.accept_invitation(make_user(), token, now=almost).is_active


def test_revoked_invitation_is_refused(db, make_user, rep, org, outbox):
    token = _invite(db, rep, org, outbox)
    ms.revoke_invitation(rep, ms.find_invitation(token))
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.accept_invitation(make_user(), token)
    assert_code(exc, "invitation_revoked")


def test_unknown_invitation_token_is_invalid(make_user, org):
    with pytest.raises(DomainError) as exc:
        ms.accept_invitation(make_user(), "not-a-token")
    assert_code(exc, "token_invalid")


def test_member_cannot_accept_an_invitation_again(db, make_user, rep, org, join, outbox):
    user = make_user()
    join(user, org)
    token = _invite(db, rep, org, outbox, email=user.email)
    with pytest.raises(DomainError) as exc:
        ms.accept_invitation(user, token)
    assert_code(exc, "already_member")


def test_invitation_settles_an_open_request(db, make_user, rep, org, outbox):
    user = make_user()
    request = ms.request_membership(user, org)
    db.session.commit()
    token = _invite(db, rep, org, outbox, email=user.email)
    assert ms.accept_invitation(user, token) is request
    assert request.is_active


def test_invitations_only_for_listed_orgs(db, make_user, staff, pending_org):
    with pytest.raises(DomainError) as exc:
        ms.invite_by_email(staff, pending_org, "neu@example.org")
    assert_code(exc, "org_not_listed")


def test_invitation_of_a_deactivated_org_is_refused(db, make_user, rep, staff, org, outbox):
    token = _invite(db, rep, org, outbox)
    services.set_active(staff, org, False)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.accept_invitation(make_user(), token)
    assert_code(exc, "org_not_listed")


def test_plain_member_cannot_invite(make_user, org, join):
    member = make_user()
    join(member, org)
    with pytest.raises(DomainError) as exc:
        ms.invite_by_email(member, org, "neu@example.org")
    assert_code(exc, "forbidden")


def test_representative_of_another_org_cannot_invite(org, other_rep):
    with pytest.raises(DomainError) as exc:
        ms.invite_by_email(other_rep, org, "neu@example.org")
    assert_code(exc, "forbidden")


# --- shareable links ------------------------------------------------------------------

def test_share_link_can_be_used_by_many(db, make_user, rep, org):
    token = _share(db, rep, org)
    for _ in range(3):
        ms.accept_invitation(make_user(), token)
        db.session.commit()
    assert ms.find_invitation(token).use_count == 3
    active = [m for m in org.memberships if m.is_active]
    assert len(active) == 4  # the representative and three new members


def test_expired_share_link_is_refused(db, make_user, rep, org):
    token = _share(db, rep, org, days=2)
    with pytest.raises(DomainError) as exc:
        ms.accept_invitation(make_user(), token, now=utcnow() + timedelta(days=2, minutes=1))
    assert_code(exc, "token_expired")


def test_revoked_share_link_is_refused(db, make_user, rep, org):
    token = _share(db, rep, org)
    ms.revoke_invitation(rep, ms.find_invitation(token))
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        ms.accept_invitation(make_user(), token)
    assert_code(exc, "invitation_revoked")


@pytest.mark.parametrize("days", [0, 91, -5])
def test_share_link_validity_must_be_1_to_90_days(rep, org, days):
    with pytest.raises(DomainError) as exc:
        ms.create_share_link(rep, org, days)
    assert_code(exc, "days_invalid")


def test_share_link_only_for_listed_orgs(staff, pending_org):
    with pytest.raises(DomainError) as exc:
        ms.create_share_link(staff, pending_org, 14)
    assert_code(exc, "org_not_listed")


def test_representative_of_another_org_cannot_create_a_share_link(org, other_rep):
    with pytest.raises(DomainError) as exc:
        ms.create_share_link(other_rep, org, 14)
    assert_code(exc, "forbidden")


def test_representative_of_another_org_cannot_revoke(db, rep, org, other_rep):
    token = _share(db, rep, org)
    with pytest.raises(DomainError) as exc:
        ms.revoke_invitation(other_rep, ms.find_invitation(token))
    assert_code(exc, "forbidden")


# --- permission predicates ------------------------------------------------------------
def test_is_representative_of(db, make_user, rep, org, join, other_rep):
    member = make_user()
    join(member, org)
    assert permissions.is_representative_of(rep, org)
    assert not permissions.is_representative_of(member, org)
    assert not permissions.is_representative_of(other_rep, org)
    assert not permissions.is_representative_of(AnonymousUserMixin(), org)


def test_is_representative_of_ignores_a_waiting_request(db, make_user, staff, org):
    user = make_user()
    membership = ms.request_membership(user, org)
    membership.role = MembershipRole.REPRESENTATIVE.value  # whatever the role says
    db.session.commit()
    assert not permissions.is_representative_of(user, org)


def test_can_edit_org(make_user, rep, staff, org, join, other_rep):
    member = make_user()
    join(member, org)
    assert permissions.can_edit_org(rep, org)
    assert permissions.can_edit_org(staff, org)
    assert not permissions.can_edit_org(member, org)
    assert not permissions.can_edit_org(other_rep, org)
    assert not permissions.can_edit_org(make_user(Role.DOOR), org)
    assert not permissions.can_edit_org(AnonymousUserMixin(), org)


def test_member_list_is_hidden_from_members_by_default(make_user, rep, staff, org, join):
    member = make_user()
    join(member, org)
    assert not org.members_see_member_list
    assert not permissions.can_view_member_list(member, org)
    assert permissions.can_view_member_list(rep, org)
    assert permissions.can_view_member_list(staff, org)


def test_member_list_is_shown_to_members_when_the_org_allows_it(db, make_user, org, join,
                                                                  other_rep):
    member = make_user()
    join(member, org)
    org.members_see_member_list = True
    db.session.commit()
    assert permissions.can_view_member_list(member, org)
    assert not permissions.can_view_member_list(other_rep, org)
    assert not permissions.can_view_member_list(make_user(), org)
    assert not permissions.can_view_member_list(AnonymousUserMixin(), org)


def test_member_list_is_hidden_from_a_waiting_request(db, make_user, org):
    user = make_user()
    ms.request_membership(user, org)
    org.members_see_member_list = True
    db.session.commit()
    assert not permissions.can_view_member_list(user, org)


def test_internal_contact_is_for_staff_only(make_user, rep, staff, org):
    assert permissions.can_view_internal_contact(staff, org)
    assert permissions.can_view_internal_contact(make_user(Role.ADMIN), org)
    assert not permissions.can_view_internal_contact(rep, org)
    assert not permissions.can_view_internal_contact(make_user(Role.DOOR), org)
    assert not permissions.can_view_internal_contact(AnonymousUserMixin(), org)
