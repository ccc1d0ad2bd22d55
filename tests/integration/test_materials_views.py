"""Minutes, materials and the archive through HTTP: download headers, who
gets a file, the staff page (upload, preview, publish) and the archive's
search."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from miado_events.database import utcnow
from miado_events.meetings import materials as services
from miado_events.meetings.minutes import save_minutes
from miado_events.models.accounts import Role, User
from miado_events.models.events import Event, EventSession, Registration, Slot
from miado_events.models.materials import Material

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Meeting:
    event: Event
    past: EventSession      # ended last month
    older: EventSession     # ended two months ago
    future: EventSession
    staff: User
    participant: User       # registered for the past session
    outsider: User


@pytest.fixture
def folder(app, tmp_path):
    app.config["MATERIALS_DIR"] = str(tmp_path / "materials")
    return tmp_path / "materials"


@pytest.fixture
def meeting(db, make_user, folder):
    now = utcnow()
    event = Event(kind="networking", title="Vernetzungstreffen MSO", status="published", capacity=20,
                  languages=["de"])
    sessions = []
    for days in (-30, -60, 30):
        start = (now + timedelta(days=days)).replace(microsecond=0)
        session = EventSession(event=event, starts_at=start, ends_at=start + timedelta(hours=2))
        sessions.append(session)
        db.session.add_all([session, Slot(event=event, session=session, capacity=20)])
    db.session.add(event)
    db.session.flush()
    staff, participant, outsider = make_user(Role.STAFF), make_user(), make_user()
    past_slot = db.session.scalar(select(Slot).where(Slot.session_id == sessions[0].id))
    past_slot.confirmed_count = 1
    db.session.add(Registration(slot=past_slot, event_id=event.id, user=participant, status="confirmed",
                                confirmed_at=now - timedelta(days=40)))
    db.session.commit()
    return Meeting(event, sessions[0], sessions[1], sessions[2], staff, participant, outsider)


def add_material(db, meeting, visibility="participants", *, publish=True, title="Folien", data=PDF,
                 filename="Folien Masterplan.pdf", session=None) -> Material:
    material = services.upload_material(meeting.staff, session or meeting.past, stream=io.BytesIO(data),
                                        filename=filename, title=title, visibility=visibility)
    if publish:
        material.published_at = utcnow()
    db.session.commit()
    return material


# --- the download -------------------------------------------------------------------------------

def test_a_download_is_an_attachment_that_never_renders_in_the_app(db, client, meeting, login):
    material = add_material(db, meeting, "public", filename="Förderaufruf 2027.pdf")
    response = client.get(f"/materials/{material.id}/download")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''F%C3%B6rderaufruf%202027.pdf" in disposition  # RFC 6266 / 5987
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_a_visitor_cannot_download_a_participants_only_file(db, client, meeting):
    material = add_material(db, meeting, "participants")
    response = client.get(f"/materials/{material.id}/download")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_signed_in_people_get_a_file_by_its_visibility(db, client, meeting, login):
    participants = add_material(db, meeting, "participants")
    staff_only = add_material(db, meeting, "staff", title="Intern")
    draft = add_material(db, meeting, "public", publish=False, title="Entwurf")
    login(meeting.outsider)
    for material in (participants, staff_only, draft):
        assert client.get(f"/materials/{material.id}/download").status_code == 404
    client.post("/logout")
    login(meeting.participant)
    assert client.get(f"/materials/{participants.id}/download").status_code == 200
    assert client.get(f"/materials/{staff_only.id}/download").status_code == 404
    assert client.get(f"/materials/{draft.id}/download").status_code == 404
    client.post("/logout")
    login(meeting.staff)
    for material in (participants, staff_only, draft):
        assert client.get(f"/materials/{material.id}/download").status_code == 200


def test_a_missing_file_is_a_404_not_an_error(db, client, meeting, folder):
    material = add_material(db, meeting, "public")
    (folder / material.stored_name).unlink()
    assert client.get(f"/materials/{material.id}/download").status_code == 404


# --- the staff page -----------------------------------------------------------------------------

def test_staff_upload_preview_save_and_publish(db, client, meeting, login, outbox, folder):
    login(meeting.staff)
    url = f"/staff/sessions/{meeting.past.id}/minutes"
    assert client.get(url).status_code == 200

    response = client.post(f"/staff/sessions/{meeting.past.id}/materials", data={
        "material-file": (io.BytesIO(PDF), "Folien.pdf"), "material-title": "Folien Masterplan",
        "material-visibility": "participants"}, content_type="multipart/form-data")
    assert response.status_code == 302
    [material] = db.session.scalars(select(Material)).all()
    assert (material.title, material.content_type, material.is_published) == (
        "Folien Masterplan", "application/pdf", False)

    body = "# Ergebnisse\n\n<script>alert(1)</script> **Fördermittel** bis März"
    preview = client.post(url, data={"minutes-body": body, "minutes-visibility": "public", "preview": "1"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<h4>Ergebnisse</h4>" in html and "<strong>Fördermittel</strong>" in html
    assert "<script>alert(1)" not in html
    assert db.session.scalar(select(Material.id).where(Material.published_at.is_not(None))) is None

    assert client.post(url, data={"minutes-body": body, "minutes-visibility": "public",
                                  "save": "1"}).status_code == 302
    outbox.clear()
    assert client.post(f"/staff/sessions/{meeting.past.id}/publish").status_code == 302
    assert [str(m["To"]) for m in outbox] == [meeting.participant.email]
    db.session.expire_all()
    assert db.session.get(Material, material.id).is_published

    client.post("/logout")
    page = client.get(f"/sessions/{meeting.past.id}/minutes").get_data(as_text=True)
    assert "<strong>Fördermittel</strong>" in page  # public minutes
    assert "Folien Masterplan" not in page          # participants only


def test_a_refused_upload_says_why_and_stores_nothing(db, client, meeting, login, folder):
    login(meeting.staff)
    response = client.post(f"/staff/sessions/{meeting.past.id}/materials", data={
        "material-file": (io.BytesIO(b"<svg onload='alert(1)'></svg>"), "bild.png"),
        "material-visibility": "public"}, content_type="multipart/form-data", follow_redirects=True)
    assert "This kind of file cannot be uploaded" in response.get_data(as_text=True)
    assert db.session.scalars(select(Material)).all() == []
    assert not folder.exists() or list(folder.iterdir()) == []


def test_deleting_through_the_page_removes_the_file(db, client, meeting, login, folder):
    material = add_material(db, meeting, "public")
    login(meeting.staff)
    assert client.post(f"/staff/materials/{material.id}/delete").status_code == 302
    assert db.session.scalars(select(Material)).all() == []
    assert list(folder.iterdir()) == []


# --- the archive --------------------------------------------------------------------------------

def test_the_archive_lists_past_meetings_newest_first_with_what_the_viewer_may_see(db, client, meeting, login):
    save_minutes(meeting.staff, meeting.past, "Bericht zum **Masterplan**", "participants")
    save_minutes(meeting.staff, meeting.older, "Öffentliches Protokoll", "public")
    add_material(db, meeting, "public", title="Förderaufruf", session=meeting.older)
    services.publish(meeting.staff, meeting.past)
    services.publish(meeting.staff, meeting.older)
    db.session.commit()

    html = client.get(f"/events/{meeting.event.id}/archive").get_data(as_text=True)
    assert f'id="session-{meeting.past.id}"' in html and f'id="session-{meeting.older.id}"' in html
    assert html.index(f"session-{meeting.past.id}") < html.index(f"session-{meeting.older.id}")
    assert f"session-{meeting.future.id}" not in html  # not yet held
    assert "Öffentliches Protokoll" in html and "Förderaufruf" in html
    assert "Masterplan" not in html  # participants only
    login(meeting.participant)
    assert "<strong>Masterplan</strong>" in client.get(f"/events/{meeting.event.id}/archive").get_data(as_text=True)


def test_the_search_finds_only_what_the_viewer_may_read(db, client, meeting, login):
    save_minutes(meeting.staff, meeting.past, "Vertraulich: Haushalt 100% gekürzt", "staff")
    save_minutes(meeting.staff, meeting.older, "Projekt Brückenbau vorgestellt", "public")
    services.publish(meeting.staff, meeting.past)
    services.publish(meeting.staff, meeting.older)
    db.session.commit()
    url = f"/events/{meeting.event.id}/archive"

    def found(q):
        html = client.get(url, query_string={"q": q}).get_data(as_text=True)
        return set(int(n) for n in re.findall(r'id="session-(\d+)"', html))

    assert found("brückenbau") == {meeting.older.id}
    assert found("Haushalt") == set()  # staff-only minutes reveal nothing
    assert found("%") == set() and found("_") == set()  # wildcards are text
    login(meeting.staff)
    assert found("100%") == {meeting.past.id}
    assert found("Haushalt") == {meeting.past.id}


def test_the_archive_of_a_draft_event_is_for_staff_only(db, client, meeting, login):
    meeting.event.status = "draft"
    db.session.commit()
    assert client.get(f"/events/{meeting.event.id}/archive").status_code == 404
    assert client.get(f"/sessions/{meeting.past.id}/minutes").status_code == 404
    login(meeting.staff)
    assert client.get(f"/events/{meeting.event.id}/archive").status_code == 200


def test_the_archive_pages_and_survives_odd_input(db, client, meeting):
    url = f"/events/{meeting.event.id}/archive"
    for query in ({"page": "999999999999"}, {"page": "-1"}, {"page": "x"}, {"q": "a" * 5000}):
        assert client.get(url, query_string=query).status_code == 200


def test_the_demo_past_meeting_has_minutes_and_two_materials(app, db, client, login, folder):
    from pypdf import PdfReader

    from miado_events.demo import PAST_MEETING_TITLE

    app.test_cli_runner().invoke(args=["demo"])
    event = db.session.scalar(select(Event).where(Event.title == PAST_MEETING_TITLE))
    materials = db.session.scalars(select(Material).order_by(Material.id)).all()
    assert [m.content_type for m in materials] == ["application/pdf", "image/png"]
    assert all(m.is_published for m in materials)
    html = client.get(f"/events/{event.id}/archive").get_data(as_text=True)
    assert "Masterplan Integration" in html and "Förderaufruf 2027 (Demo)" in html
    assert "Flipchart der offenen Runde" not in html  # participants only
    pdf = client.get(f"/materials/{materials[0].id}/download")
    assert "Förderaufruf 2027" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()


def test_visitors_see_what_is_published_at_once_and_never_a_draft(app, db, client, meeting):
    """The archive and the meeting's page are never served from the page
    cache: a draft never shows, a publication shows on the next request."""
    app.config["PAGE_CACHE"] = True
    pages = (f"/events/{meeting.event.id}/archive", f"/sessions/{meeting.past.id}/minutes",
             f"/events/{meeting.event.id}")
    save_minutes(meeting.staff, meeting.past, "Bericht über den **Förderaufruf**", "public")
    add_material(db, meeting, "public", publish=False, title="Förderaufruf-Folien")
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert "Förderaufruf" not in html, url
    services.publish(meeting.staff, meeting.past)
    db.session.commit()
    for url in pages[:2]:
        html = client.get(url).get_data(as_text=True)
        assert "<strong>Förderaufruf</strong>" in html and "Förderaufruf-Folien" in html, url


def test_staff_change_who_may_download_a_material(db, client, meeting, login):
    material = add_material(db, meeting, "staff")
    assert client.get(f"/materials/{material.id}/download").status_code == 404
    login(meeting.staff)
    assert "Change who may download it" in client.get(f"/staff/sessions/{meeting.past.id}/minutes").get_data(
        as_text=True)
    assert client.post(f"/staff/materials/{material.id}/visibility", data={"visibility": "public"}).status_code == 302
    assert client.post(f"/staff/materials/{material.id}/visibility", data={"visibility": "all"}).status_code == 400
    client.post("/logout")
    assert client.get(f"/materials/{material.id}/download").status_code == 200
