"""MSO registry through the test client: application, staff review, public
directory, per-object permissions, invitations, bad input, query counts."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from miado_events.models.accounts import Role, User
from miado_events.models.orgs import (
    PUBLISHABLE_FIELDS,
    Membership,
    MembershipRole,
    MembershipStatus,
    Organisation,
    OrganisationTag,
    OrgStatus,
)

from ..conftest import count_statements, link_from_mail

PUBLIC = ["description", "districts", "regions", "languages", "fields_of_work", "website"]
SECRETS = {"address": "Geheimweg 7", "phone": "0231 999 777", "email": "intern@verein.example",
           "internal_contact": "Frau Vertraulich 0170 123"}


def make_org(db, name: str, *, status: str = OrgStatus.LISTED.value, published=PUBLIC,
             districts=("Eving",), regions=("Syrien",), languages=("ar",),
             fields=("culture",), **columns) -> Organisation:
    org = Organisation(name=name, legal_form="ev", status=status,
                       published_fields=list(published), **columns)
    for kind, values in (("district", districts), ("region", regions),
                         ("language", languages), ("field", fields)):
        org.tags.extend(OrganisationTag(kind=kind, value=v) for v in values)
    db.session.add(org)
    db.session.commit()
    return org


def add_member(db, user, org, role=MembershipRole.MEMBER,
               status=MembershipStatus.ACTIVE) -> Membership:
    membership = Membership(organisation=org, user=user, role=role.value, status=status.value)
    db.session.add(membership)
    db.session.commit()
    return membership


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def names_on(response) -> list[str]:
    """Organisation names linked from a directory page, in order."""
    found = re.findall(r'<h2><a href="/orgs/\d+">(?:<bdi>)?([^<]+)(?:</bdi>)?</a>', response.get_data(as_text=True))
    return [unescape(name) for name in found]


def application(**overrides) -> dict:
    data = {
        "name": "Kulturbrücke Dortmund e.V.", "legal_form": "ev", "founding_year": "2004",
        "description": "Kultur und Begegnung.", "districts": ["Eving", "Hörde"],
        "regions": "Syrien, Kurdistan", "languages": ["ar", "de"], "fields_of_work": ["culture"],
        "published_fields": ["description", "districts", "regions"],
        "internal_contact": "Frau Vorsitzende",
        "applicant_name": "Amina Antrag", "applicant_email": "amina@example.org",
        "applicant_password": "long-enough-pw", "applicant_locale": "en", "privacy_consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


ACCOUNT_FIELDS = dict.fromkeys(("applicant_name", "applicant_email", "applicant_password",
                                "applicant_locale", "privacy_consent"))


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF)


# --- application ----------------------------------------------------------------------

def test_application_creates_a_pending_org_and_an_unverified_account(client, db, outbox):
    response = client.post("/orgs/apply", data=application())
    assert response.status_code == 200
    assert "Thank you for your application" in html(response)
    org = db.session.scalar(select(Organisation))
    user = db.session.scalar(select(User).where(User.email == "amina@example.org"))
    assert org.status == OrgStatus.PENDING.value
    assert org.districts == ["Eving", "Hörde"] and sorted(org.regions) == ["Kurdistan", "Syrien"]
    assert not user.is_verified
    assert [m.user_id for m in org.memberships] == [user.id]
    assert org.memberships[0].is_representative
    assert sorted(m["To"] for m in outbox) == ["amina@example.org", "mia-do-ki@example.org"]


def test_application_with_a_known_address_creates_nothing_but_looks_the_same(client, db,
                                                                             make_user):
    make_user(email="known@example.org")
    fresh = client.post("/orgs/apply", data=application(name="Verein Eins"))
    known = client.post("/orgs/apply", data=application(
        name="Ganz Anderer Verein", applicant_email="known@example.org"))
    assert fresh.status_code == known.status_code == 200

    def normalise(page):  # CSRF tokens carry a timestamp
        return re.sub(r'name="csrf_token"[^>]*>', "", page)

    assert normalise(html(fresh)) == normalise(html(known))
    assert db.session.scalars(select(Organisation.name)).all() == ["Verein Eins"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_similar_name_shows_a_warning_and_creates_nothing(client, db):
    make_org(db, "Türkischer Elternverein e.V.")
    response = client.post("/orgs/apply", data=application(name="Turkischer Elternverein"))
    assert response.status_code == 200
    page = html(response)
    assert "Similar organisations already exist" in page
    assert "Türkischer Elternverein e.V." in page
    assert 'name="not_a_duplicate"' in page
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1
    assert db.session.scalar(select(User).where(User.email == "amina@example.org")) is None


def test_similar_name_warning_does_not_reveal_unlisted_applications(client, db):
    make_org(db, "Türkischer Elternverein e.V.", status=OrgStatus.PENDING.value)
    page = html(client.post("/orgs/apply", data=application(name="Turkischer Elternverein")))
    assert "Similar organisations already exist" in page
    assert "An application with a similar name is already being reviewed." in page
    assert "Türkischer Elternverein e.V." not in page


def test_confirmed_different_org_with_similar_name_is_created(client, db):
    make_org(db, "Türkischer Elternverein e.V.")
    response = client.post("/orgs/apply", data=application(
        name="Turkischer Elternverein", not_a_duplicate="y"))
    assert response.status_code == 200
    assert db.session.scalar(select(Organisation).where(
        Organisation.name == "Turkischer Elternverein")).status == OrgStatus.PENDING.value


def test_signed_in_member_applies_without_account_fields(client, db, make_user, login):
    user = make_user()
    login(user)
    form = client.get("/orgs/apply")
    assert 'name="applicant_email"' not in html(form)
    response = client.post("/orgs/apply", data=application(**ACCOUNT_FIELDS))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/my/organisations")
    org = db.session.scalar(select(Organisation))
    assert org.status == OrgStatus.PENDING.value
    assert [(m.user_id, m.role) for m in org.memberships] == [(user.id, "representative")]


BAD_APPLICATIONS = [
    {"founding_year": "abc"}, {"founding_year": "1850"}, {"name": ""},
    {"districts": ["Nowhere"]}, {"languages": ["xx"]}, {"legal_form": "verein"},
    {"privacy_consent": None},
]


@pytest.mark.parametrize("overrides", [BAD_APPLICATIONS[:4], BAD_APPLICATIONS[4:]],
                         ids=["part1", "part2"])
def test_bad_application_is_shown_again_and_creates_nothing(client, db, overrides):
    # At most 5 posts per test: the form is rate-limited like the sign-up.
    for bad in overrides:
        response = client.post("/orgs/apply", data=application(**bad))
        assert response.status_code == 200, bad
        assert "error-summary" in html(response), bad
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_founding_year_in_the_future_is_refused_with_a_message(client, db):
    response = client.post("/orgs/apply", data=application(founding_year="2099"))
    assert response.status_code == 200
    assert "founding year between 1900 and this year" in html(response)
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


# --- staff review ---------------------------------------------------------------------

def test_staff_queue_lists_pending_applications_only(client, db, staff, login):
    make_org(db, "Wartender Verein", status=OrgStatus.PENDING.value)
    make_org(db, "Gelisteter Verein")
    login(staff)
    page = html(client.get("/staff/orgs"))
    assert "Wartender Verein" in page
    assert "Gelisteter Verein" not in page


def test_staff_approve_through_the_review_page(client, db, make_user, staff, login, outbox):
    rep = make_user(email="rep@example.org")
    org = make_org(db, "Wartender Verein", status=OrgStatus.PENDING.value)
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    login(staff)
    assert "Decide on the application" in html(client.get(f"/staff/orgs/{org.id}"))
    response = client.post(f"/staff/orgs/{org.id}/decision", data={"decision": "approve"})
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.status == OrgStatus.LISTED.value and org.decided_by_id == staff.id
    assert [m["To"] for m in outbox] == ["rep@example.org"]


def test_staff_ask_for_changes_without_a_message_changes_nothing(client, db, staff, login):
    org = make_org(db, "Wartender Verein", status=OrgStatus.PENDING.value)
    login(staff)
    response = client.post(f"/staff/orgs/{org.id}/decision",
                           data={"decision": "needs_changes", "message": ""},
                           follow_redirects=True)
    assert "Please write the applicant a message" in html(response)
    db.session.refresh(org)
    assert org.status == OrgStatus.PENDING.value


@pytest.mark.parametrize("role", [Role.MEMBER, Role.DOOR])
def test_non_staff_cannot_review(client, db, make_user, login, role):
    org = make_org(db, "Wartender Verein", status=OrgStatus.PENDING.value)
    login(make_user(role))
    assert client.get("/staff/orgs").status_code == 403
    assert client.post(f"/staff/orgs/{org.id}/decision",
                       data={"decision": "approve"}).status_code == 403
    db.session.refresh(org)
    assert org.status == OrgStatus.PENDING.value


def test_representative_resubmits_through_the_edit_page(client, db, make_user, login):
    rep = make_user()
    org = make_org(db, "Kulturbrücke Dortmund e.V.", status=OrgStatus.NEEDS_CHANGES.value,
                   status_message="Bitte Adresse ergänzen.")
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    login(rep)
    assert "Bitte Adresse ergänzen." in html(client.get(f"/orgs/{org.id}/edit"))
    data = application(address="Mallinckrodtstr. 1", resubmit="1", **ACCOUNT_FIELDS)
    assert client.post(f"/orgs/{org.id}/edit", data=data).status_code == 302
    db.session.refresh(org)
    assert (org.status, org.address) == (OrgStatus.PENDING.value, "Mallinckrodtstr. 1")


# --- public directory -----------------------------------------------------------------

def test_directory_shows_listed_orgs_only(client, db):
    make_org(db, "Gelisteter Verein")
    for status in ("pending", "needs_changes", "rejected", "inactive"):
        make_org(db, f"Verein {status}", status=status)
    response = client.get("/orgs")
    assert response.status_code == 200
    assert names_on(response) == ["Gelisteter Verein"]


def test_directory_filters(client, db):
    make_org(db, "Alpha Kulturverein", districts=["Eving"], regions=["Syrien"],
             languages=["ar"], fields=["culture"])
    make_org(db, "Beta Elternnetz", districts=["Hörde"], regions=["Ghana", "Togo"],
             languages=["en", "fr"], fields=["parents", "education"],
             description="Hausaufgabenhilfe für Kinder")
    make_org(db, "Gamma Frauentreff", districts=["Hörde", "Eving"], regions=["Türkei"],
             languages=["tr"], fields=["women"], short_name="GFT")
    for query, expected in [
        ("district=H%C3%B6rde", ["Beta Elternnetz", "Gamma Frauentreff"]),
        ("district=Eving", ["Alpha Kulturverein", "Gamma Frauentreff"]),
        ("region=ghana", ["Beta Elternnetz"]),
        ("region=T%C3%BCrkei", ["Gamma Frauentreff"]),
        ("language=fr", ["Beta Elternnetz"]),
        ("field=women", ["Gamma Frauentreff"]),
        ("q=kultur", ["Alpha Kulturverein"]),
        ("q=GFT", ["Gamma Frauentreff"]),
        ("q=hausaufgaben", ["Beta Elternnetz"]),
        ("district=Eving&language=tr", ["Gamma Frauentreff"]),
        ("district=Mengede", []),
        ("q=%25", []),  # a literal percent sign, not a wildcard
    ]:
        response = client.get(f"/orgs?{query}")
        assert response.status_code == 200, query
        assert names_on(response) == expected, query


def test_region_filter_with_capital_umlaut(client, db):
    make_org(db, "Ägyptischer Kulturverein", regions=["Ägypten"])
    make_org(db, "Anderer Verein", regions=["Syrien"])
    assert names_on(client.get("/orgs?region=%C3%84gypten")) == ["Ägyptischer Kulturverein"]


def test_search_for_name_with_capital_umlaut(client, db):
    make_org(db, "Ägyptischer Kulturverein")
    make_org(db, "Anderer Verein")
    assert names_on(client.get("/orgs?q=%C3%84gypt")) == ["Ägyptischer Kulturverein"]


def test_search_in_lower_case_finds_a_name_with_an_umlaut(client, db):
    make_org(db, "Ägyptischer Kulturverein", regions=["Ägypten"])
    make_org(db, "Anderer Verein")
    assert names_on(client.get("/orgs?q=%C3%A4gypt")) == ["Ägyptischer Kulturverein"]
    assert names_on(client.get("/orgs?region=%C3%A4gypten")) == ["Ägyptischer Kulturverein"]


def test_filter_ignores_values_the_org_did_not_publish(client, db):
    make_org(db, "Offener Verein", description="Unser Geheimprojekt")
    for field, query in [("districts", "district=Eving"), ("regions", "region=Syrien"),
                         ("languages", "language=ar"), ("fields_of_work", "field=culture"),
                         ("description", "q=geheimprojekt")]:
        org = make_org(db, f"Ohne {field}", description="Unser Geheimprojekt",
                       published=[f for f in PUBLIC if f != field])
        assert names_on(client.get(f"/orgs?{query}")) == ["Offener Verein"], query
        db.session.delete(org)
        db.session.commit()


def test_directory_pages_through_25_orgs(client, db):
    for i in range(25):
        make_org(db, f"Verein {i:02d}")
    first, second = client.get("/orgs"), client.get("/orgs?page=2")
    assert names_on(first) == [f"Verein {i:02d}" for i in range(20)]
    assert names_on(second) == [f"Verein {i:02d}" for i in range(20, 25)]
    assert "25 organisations found" in html(first)
    assert 'href="/orgs?page=2"' in first.get_data(as_text=True)


def test_pagination_keeps_the_filters(client, db):
    for i in range(22):
        make_org(db, f"Verein {i:02d}", languages=["ar"])
    make_org(db, "Ohne Arabisch", languages=["de"])
    first = client.get("/orgs?language=ar")
    [next_link] = re.findall(r'href="(/orgs\?[^"]*)" rel="next"', first.get_data(as_text=True))
    assert set(unescape(next_link)[len("/orgs?"):].split("&")) == {"language=ar", "page=2"}
    assert names_on(client.get("/orgs?language=ar&page=2")) == ["Verein 20", "Verein 21"]


@pytest.fixture
def secretive(db):
    """A listed MSO with contact data it did not agree to publish."""
    return make_org(db, "Verschwiegener Verein", published=["description"],
                    description="Öffentliche Beschreibung", **SECRETS)


def _assert_no_secrets(page: str) -> None:
    for value in SECRETS.values():
        assert value not in page


def test_directory_never_shows_unpublished_fields(client, secretive):
    page = html(client.get("/orgs"))
    assert "Verschwiegener Verein" in page
    _assert_no_secrets(page)


def test_detail_page_hides_unpublished_fields_from_visitors(client, secretive):
    page = html(client.get(f"/orgs/{secretive.id}"))
    assert "Öffentliche Beschreibung" in page
    _assert_no_secrets(page)


def test_detail_page_hides_unpublished_fields_from_members(client, db, make_user, login,
                                                           secretive):
    member = make_user()
    add_member(db, member, secretive)
    login(member)
    _assert_no_secrets(html(client.get(f"/orgs/{secretive.id}")))


def test_detail_page_shows_published_contact_fields(client, db):
    org = make_org(db, "Offener Verein", published=PUBLISHABLE_FIELDS, **SECRETS)
    page = html(client.get(f"/orgs/{org.id}"))
    for name in ("address", "phone", "email"):
        assert SECRETS[name] in page
    assert SECRETS["internal_contact"] not in page


def test_staff_see_the_internal_contact(client, staff, login, secretive):
    login(staff)
    page = html(client.get(f"/orgs/{secretive.id}"))
    assert SECRETS["internal_contact"] in page


def test_csv_download(client, secretive):
    response = client.get("/orgs/list.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert "Verschwiegener Verein" in text
    _assert_no_secrets(text)


def test_pdf_download(client, secretive):
    response = client.get("/orgs/list.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


# --- pending MSOs and per-object permissions ------------------------------------------

@pytest.fixture
def two_orgs(db, make_user):
    """Org A and org B, each with a representative and a member."""
    users = {key: make_user(email=f"{key}@example.org")
             for key in ("rep_a", "member_a", "rep_b", "member_b")}
    a = make_org(db, "Verein A")
    b = make_org(db, "Verein B")
    memberships = {
        "rep_a": add_member(db, users["rep_a"], a, MembershipRole.REPRESENTATIVE),
        "member_a": add_member(db, users["member_a"], a),
        "rep_b": add_member(db, users["rep_b"], b, MembershipRole.REPRESENTATIVE),
        "member_b": add_member(db, users["member_b"], b),
    }
    return a, b, users, memberships


def test_pending_org_is_hidden_from_the_public(client, db, make_user, login):
    org = make_org(db, "Wartender Verein", status=OrgStatus.PENDING.value)
    assert client.get(f"/orgs/{org.id}").status_code == 404
    login(make_user())
    assert client.get(f"/orgs/{org.id}").status_code == 404


def test_pending_org_is_visible_to_its_representative(client, db, make_user, login):
    rep = make_user()
    org = make_org(db, "Wartender Verein", status=OrgStatus.PENDING.value)
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    login(rep)
    response = client.get(f"/orgs/{org.id}")
    assert response.status_code == 200
    assert "not listed in the public directory" in html(response)


def test_member_cannot_edit_another_org(client, login, two_orgs):
    _, b, users, _ = two_orgs
    login(users["member_a"])
    assert client.get(f"/orgs/{b.id}/edit").status_code == 403
    assert client.post(f"/orgs/{b.id}/edit", data=application(
        name="Gekapert", **ACCOUNT_FIELDS)).status_code == 403
    assert b.name == "Verein B"


def test_member_cannot_edit_own_org(client, login, two_orgs):
    a, _, users, _ = two_orgs
    login(users["member_a"])
    assert client.get(f"/orgs/{a.id}/edit").status_code == 403


def test_representative_cannot_edit_another_org(client, login, two_orgs):
    _, b, users, _ = two_orgs
    login(users["rep_a"])
    assert client.get(f"/orgs/{b.id}/edit").status_code == 403


def test_member_cannot_open_another_orgs_member_list(client, db, login, two_orgs):
    _, b, users, _ = two_orgs
    b.members_see_member_list = True
    db.session.commit()
    login(users["member_a"])
    assert client.get(f"/orgs/{b.id}/members").status_code == 403


def test_member_sees_own_member_list_only_when_allowed(client, db, login, two_orgs):
    a, _, users, _ = two_orgs
    login(users["member_a"])
    assert client.get(f"/orgs/{a.id}/members").status_code == 403
    a.members_see_member_list = True
    db.session.commit()
    response = client.get(f"/orgs/{a.id}/members")
    assert response.status_code == 200
    assert "rep_a@example.org" not in html(response)  # addresses are for managers only


def test_representative_of_a_cannot_act_on_members_of_b(client, db, make_user, login, two_orgs):
    _, b, users, memberships = two_orgs
    request = add_member(db, make_user(), b, status=MembershipStatus.REQUESTED)
    login(users["rep_a"])
    for action, target in (("accept", request), ("remove", memberships["member_b"]),
                           ("promote", memberships["member_b"])):
        url = f"/orgs/{b.id}/members/{target.id}/{action}"
        assert client.post(url).status_code == 403, url
    db.session.expire_all()
    assert request.status == MembershipStatus.REQUESTED.value
    assert memberships["member_b"].role == MembershipRole.MEMBER.value


def test_membership_of_another_org_through_own_url_is_404(client, db, login, two_orgs):
    _, b, users, memberships = two_orgs
    login(users["rep_b"])
    for action in ("remove", "promote", "accept"):
        url = f"/orgs/{b.id}/members/{memberships['member_a'].id}/{action}"
        assert client.post(url).status_code == 404, url
    db.session.expire_all()
    assert memberships["member_a"].role == MembershipRole.MEMBER.value
    assert db.session.get(Membership, memberships["member_a"].id) is not None


def test_representative_accepts_a_request_through_the_page(client, db, make_user, login,
                                                            two_orgs):
    a, _, users, _ = two_orgs
    request = add_member(db, make_user(), a, status=MembershipStatus.REQUESTED)
    login(users["rep_a"])
    assert client.post(f"/orgs/{a.id}/members/{request.id}/accept").status_code == 302
    db.session.refresh(request)
    assert request.is_active


def test_member_cannot_leave_with_someone_elses_membership(client, db, login, two_orgs):
    _, _, users, memberships = two_orgs
    login(users["member_a"])
    assert client.post(f"/my/organisations/{memberships['member_b'].id}/leave").status_code == 404
    assert db.session.get(Membership, memberships["member_b"].id) is not None


def test_member_leaves_through_the_page(client, db, login, two_orgs):
    _, _, users, memberships = two_orgs
    membership_id = memberships["member_a"].id
    login(users["member_a"])
    assert client.post(f"/my/organisations/{membership_id}/leave").status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, membership_id) is None


def test_signed_in_visitor_asks_to_join(client, db, make_user, login, two_orgs, outbox):
    a, _, _, _ = two_orgs
    user = make_user()
    login(user)
    assert client.post(f"/orgs/{a.id}/join").status_code == 302
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.status == MembershipStatus.REQUESTED.value
    assert [m["To"] for m in outbox] == ["rep_a@example.org"]


# --- invitations ----------------------------------------------------------------------

def test_invitation_link_joins_a_logged_in_user(client, db, make_user, login, two_orgs, outbox):
    a, _, users, _ = two_orgs
    login(users["rep_a"])
    assert client.post(f"/orgs/{a.id}/invitations",
                       data={"email": "gast@example.org"}).status_code == 302
    path = "/join/" + link_from_mail(outbox[-1], "/join/").rsplit("/", 1)[1]
    client.post("/logout")

    guest = make_user(email="gast@example.org")
    login(guest)
    page = client.get(path)
    assert page.status_code == 200 and "Join Verein A" in html(page)
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orgs/{a.id}")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == guest.id))
    assert membership.is_active and membership.organisation_id == a.id
    # Single use: the link is spent now.
    assert client.get(path).status_code == 410


def test_share_link_through_the_pages(client, db, make_user, login, two_orgs):
    a, _, users, _ = two_orgs
    login(users["rep_a"])
    response = client.post(f"/orgs/{a.id}/invitations/link", data={"days": "7"})
    assert response.status_code == 200
    url = re.search(r'id="share-url"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)
    path = "/join/" + url.rsplit("/", 1)[1]
    client.post("/logout")
    for _ in range(2):
        user = make_user()
        login(user)
        assert client.post(path).status_code == 302
        client.post("/logout")
    assert sum(m.is_active for m in db.session.get(Organisation, a.id).memberships) == 4


def test_anonymous_visitor_is_asked_to_log_in_by_the_join_page(client, db, make_user, two_orgs):
    from miado_events.orgs import membership as ms

    a, _, users, _ = two_orgs
    _, url = ms.create_share_link(users["rep_a"], a, 7)
    db.session.commit()
    page = client.get("/join/" + url.rsplit("/", 1)[1])
    assert page.status_code == 200 and "sign up: you join" in html(page)


def test_share_link_days_out_of_range_is_refused(client, db, login, two_orgs):
    a, _, users, _ = two_orgs
    login(users["rep_a"])
    response = client.post(f"/orgs/{a.id}/invitations/link", data={"days": "365"},
                           follow_redirects=True)
    assert "1 to 90 days" in html(response)


def test_member_cannot_invite(client, login, two_orgs, outbox):
    a, _, users, _ = two_orgs
    login(users["member_a"])
    assert client.post(f"/orgs/{a.id}/invitations",
                       data={"email": "gast@example.org"}).status_code == 403
    assert client.post(f"/orgs/{a.id}/invitations/link", data={"days": "7"}).status_code == 403
    assert outbox == []


# --- bad input never gives a 500 ------------------------------------------------------

def test_bad_urls_are_answered_without_an_error(client, db):
    make_org(db, "Verein")
    for url, status in [
        ("/orgs?district=Nowhere", 200), ("/orgs?page=999", 200), ("/orgs?page=abc", 200),
        ("/orgs?page=-1", 200), ("/orgs?language=zz&field=%00", 400),  # refused at the edge
        ("/orgs?q=" + "x" * 5000, 200), ("/orgs?region=%25%27%22", 200),
        ("/orgs/999999", 404), ("/orgs/999999/members", 302), ("/join/not-a-token", 404),
        ("/orgs/list.csv?district=Nowhere", 200),
    ]:
        assert client.get(url).status_code == status, url


def test_unknown_ids_for_signed_in_users_are_404(client, db, staff, login):
    login(staff)
    for url in ("/staff/orgs/999999", "/orgs/999999/edit", "/orgs/999999/members"):
        assert client.get(url).status_code == 404, url
    assert client.post("/orgs/999999/members/1/accept").status_code == 404
    assert client.post("/orgs/999999/join").status_code == 404


def test_edit_with_text_as_founding_year_is_shown_again(client, db, login, two_orgs):
    a, _, users, _ = two_orgs
    login(users["rep_a"])
    response = client.post(f"/orgs/{a.id}/edit", data=application(
        founding_year="abc", **ACCOUNT_FIELDS))
    assert response.status_code == 200
    assert "error-summary" in html(response)


# --- query count ----------------------------------------------------------------------


def _add_listed_orgs(db, start: int, count: int) -> None:
    districts = ("Eving", "Hörde", "Brackel", "Mengede")
    for i in range(start, start + count):
        org = Organisation(name=f"Verein {i:04d}", legal_form="ev", status="listed",
                           published_fields=PUBLIC, description="Beschreibung")
        org.tags = [OrganisationTag(kind="district", value=districts[i % 4]),
                    OrganisationTag(kind="region", value=f"Region {i % 7}"),
                    OrganisationTag(kind="language", value="ar"),
                    OrganisationTag(kind="language", value="de"),
                    OrganisationTag(kind="field", value="culture")]
        db.session.add(org)
    db.session.commit()


def test_directory_query_count_does_not_grow_with_the_number_of_orgs(client, db):
    _add_listed_orgs(db, 0, 30)
    with count_statements(db.engine) as few:
        assert client.get("/orgs").status_code == 200
    _add_listed_orgs(db, 30, 270)
    with count_statements(db.engine) as many:
        response = client.get("/orgs")
    assert response.status_code == 200 and "300 organisations found" in html(response)
    assert len(many) == len(few)
    # Not one query per MSO on the page (20 of them), but a handful in all.
    assert len(many) <= 6, many
