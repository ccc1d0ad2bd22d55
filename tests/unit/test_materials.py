"""Materials of a meeting: upload checks (type from the bytes, size, empty,
names), files that follow the transaction, who sees what, and the mail
that publishing sends."""
from __future__ import annotations

import io
import os
import time
import zipfile
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from miado_events.errors import DomainError, PermissionDenied
from miado_events.events.registration import active_organisations
from miado_events.meetings import materials as services
from miado_events.meetings.minutes import save_minutes
from miado_events.models.accounts import Role
from miado_events.models.checkin import Attendance
from miado_events.models.events import Registration
from miado_events.models.materials import Material

from .events_support import NOW, register, slot_of

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes], *, first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        names = ([first] if first else []) + [n for n in entries if n != first]
        for name in names:
            archive.writestr(name, entries[name],
                             compress_type=zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_bytes(main: str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"):
    types = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>').encode()
    return zip_bytes({"[Content_Types].xml": types, "_rels/.rels": b"<Relationships/>",
                      "word/document.xml": b"<w:document/>"})


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Fördermittel"
    book.save(buffer)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    return zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text",
                      "META-INF/manifest.xml": b"<manifest/>", "content.xml": b"<office/>"}, first="mimetype")


@pytest.fixture
def folder(app, tmp_path):
    path = tmp_path / "materials"
    app.config["MATERIALS_DIR"] = str(path)
    return path


@pytest.fixture
def meeting(make_event):
    return make_event(kind="networking", capacity=10)


@pytest.fixture
def upload(db, staff, meeting, folder):
    """Upload ``data`` as staff to the meeting's session (not committed)."""

    def do_upload(data: bytes, filename: str = "slides.pdf", **kwargs) -> Material:
        return services.upload_material(staff, meeting.sessions[0], stream=io.BytesIO(data),
                                        filename=filename, **kwargs)

    return do_upload


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- upload checks ------------------------------------------------------------------------------

def test_a_pdf_is_stored_under_a_random_name_with_the_type_of_its_bytes(db, upload, folder):
    material = upload(PDF, "Folien Masterplan.pdf", title="Folien")
    db.session.commit()
    assert material.content_type == "application/pdf"
    assert material.filename == "Folien Masterplan.pdf" and material.title == "Folien"
    assert material.size_bytes == len(PDF) and not material.is_published
    assert files_in(folder) == [material.stored_name]
    assert len(material.stored_name) == 32 and "Folien" not in material.stored_name
    assert (folder / material.stored_name).read_bytes() == PDF


@pytest.mark.parametrize("data, filename", [
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "slides.pdf"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "photo.png"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "protokoll.docx"),
    (zip_bytes({"readme.txt": b"just a zip"}), "protokoll.docx"),
    (docx_bytes("application/vnd.ms-word.document.macroEnabled.main+xml"), "macros.docx"),
    (b"PK\x03\x04 this is no archive at all", "broken.xlsx"),
], ids=["html-named-pdf", "svg-named-png", "exe-named-docx", "plain-zip", "macro-enabled", "broken-zip"])
def test_a_file_of_another_type_is_refused_by_its_bytes_whatever_its_name(db, upload, folder, data, filename):
    with pytest.raises(DomainError) as refused:
        upload(data, filename)
    assert refused.value.code == "material_type_refused"
    assert files_in(folder) == []
    assert db.session.scalars(select(Material)).all() == []


@pytest.mark.parametrize("data, filename, content_type, shown", [
    (png_bytes(), "foto.png", "image/png", "foto.png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "foto.jpeg", "image/jpeg", "foto.jpeg"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "foto.webp", "image/webp", "foto.webp"),
    (docx_bytes(), "Protokoll.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Protokoll.docx"),
    (xlsx_bytes(), "Budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "Budget.xlsx"),
    (odt_bytes(), "Bericht.odt", "application/vnd.oasis.opendocument.text", "Bericht.odt"),
    (PDF, "Foerderaufruf", "application/pdf", "Foerderaufruf.pdf"),
])
def test_allowed_kinds_are_recognised_and_named_after_their_type(db, upload, data, filename, content_type,
                                                                 shown):
    material = upload(data, filename)
    assert (material.content_type, material.filename) == (content_type, shown)


def test_a_file_over_the_size_limit_is_refused_and_nothing_stays_on_disk(app, db, upload, folder):
    app.config["MATERIALS_MAX_BYTES"] = 1024
    with pytest.raises(DomainError) as refused:
        upload(PDF + b"0" * 1024)
    assert refused.value.code == "material_too_large"
    assert files_in(folder) == []
    assert upload(PDF).size_bytes == len(PDF)  # under the limit: fine


def test_an_empty_file_is_refused(db, upload, folder):
    with pytest.raises(DomainError) as refused:
        upload(b"", "leer.pdf")
    assert refused.value.code == "material_empty"
    assert files_in(folder) == []


@pytest.mark.parametrize("filename, shown", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\staff\\Desktop\\Folien.pdf", "Folien.pdf"),
    ("Fol\x00ien\x07\r\n.pdf", "Folien.pdf"),
    ("Rechnung\u202efdp.exe", "Rechnungfdp.exe.pdf"),  # a right-to-left override disguising .exe
    ("index.html", "index.html.pdf"),
    ("...", "material.pdf"),
    ("", "material.pdf"),
    ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
])
def test_names_lose_path_separators_and_control_characters(db, upload, filename, shown):
    material = upload(PDF, filename)
    assert material.filename == shown
    assert material.title == shown


def test_a_stream_that_fails_midway_leaves_no_temporary_file(db, folder):
    class Failing(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise OSError("connection reset")
            return super().read(8)

    with pytest.raises(OSError):
        services.store_file(Failing(PDF), limit=10_000)
    assert files_in(folder) == []


def test_an_upload_in_a_transaction_that_rolls_back_leaves_no_file(db, upload, folder):
    upload(PDF)
    assert len(files_in(folder)) == 1
    db.session.rollback()
    assert files_in(folder) == []


def test_only_staff_upload(db, make_user, meeting, folder):
    member = make_user()
    with pytest.raises(PermissionDenied):
        services.upload_material(member, meeting.sessions[0], stream=io.BytesIO(PDF), filename="x.pdf")
    assert files_in(folder) == []


# --- deleting -----------------------------------------------------------------------------------

def test_deleting_a_material_removes_its_file_once_committed(db, staff, upload, folder):
    material = upload(PDF)
    db.session.commit()
    services.delete_material(staff, material)
    assert len(files_in(folder)) == 1  # not before the commit
    db.session.commit()
    assert files_in(folder) == []
    assert db.session.scalars(select(Material)).all() == []


def test_a_rolled_back_delete_keeps_the_file(db, staff, upload, folder):
    material = upload(PDF)
    db.session.commit()
    name = material.stored_name
    services.delete_material(staff, material)
    db.session.rollback()
    assert files_in(folder) == [name]
    assert db.session.scalar(select(Material.stored_name)) == name


def test_sweep_removes_files_no_material_names_once_they_are_old(db, upload, folder):
    kept = upload(PDF)
    db.session.commit()
    (folder / "orphan").write_bytes(b"left by a crash")
    (folder / ".upload-x.part").write_bytes(b"cut off")
    assert services.sweep() == 0  # too young: a transaction may still be open
    assert services.sweep(now=time.time() + 2 * services.SWEEP_GRACE_SECONDS) == 2
    assert files_in(folder) == [kept.stored_name]


def test_the_cli_sweeps(app, db, folder):
    folder.mkdir(parents=True)
    orphan = folder / "orphan"
    orphan.write_bytes(b"x")
    old = time.time() - 2 * services.SWEEP_GRACE_SECONDS
    os.utime(orphan, (old, old))
    result = app.test_cli_runner().invoke(args=["materials", "sweep"])
    assert result.exit_code == 0 and "1 files removed" in result.output
    assert files_in(folder) == []


# --- who sees what ------------------------------------------------------------------------------

@pytest.fixture
def people(db, make_user, make_org, join, meeting):
    """Everyone whose view differs: a visitor, a member of nothing, a person
    registered for the meeting, a member of a listed MSO, a member of an MSO
    still under review, and staff."""
    from flask_login import AnonymousUserMixin

    registered, listed_member, pending_member, outsider = (make_user() for _ in range(4))
    register(db, registered, slot_of(meeting))
    join(listed_member, make_org("Gelistet e.V."))
    join(pending_member, make_org("Im Antrag e.V.", status="pending"))
    return {"visitor": AnonymousUserMixin(), "outsider": outsider, "registered": registered,
            "listed_member": listed_member, "pending_member": pending_member,
            "staff": make_user(Role.STAFF)}


SEES = {  # visibility -> who sees a published item
    "public": {"visitor", "outsider", "registered", "listed_member", "pending_member", "staff"},
    "participants": {"registered", "listed_member", "staff"},
    "staff": {"staff"},
}


@pytest.mark.parametrize("visibility", ["public", "participants", "staff"])
def test_who_sees_a_published_material(db, staff, upload, people, visibility):
    material = upload(PDF, visibility=visibility)
    services.publish(staff, material.session, now=NOW)
    db.session.commit()
    seen_by = {name for name, person in people.items() if services.can_see(person, material)}
    assert seen_by == SEES[visibility]


@pytest.mark.parametrize("visibility", ["public", "participants", "staff"])
def test_drafts_are_for_staff_only(db, staff, meeting, upload, people, visibility):
    material = upload(PDF, visibility=visibility)
    minutes = save_minutes(staff, meeting.sessions[0], "Protokoll", visibility)
    db.session.commit()
    for item in (material, minutes):
        assert {n for n, p in people.items() if services.can_see(p, item)} == {"staff"}


def test_a_cancelled_registration_no_longer_counts(db, staff, upload, people):
    from miado_events.events.registration import cancel_registration

    material = upload(PDF, visibility="participants")
    services.publish(staff, material.session, now=NOW)
    registration = db.session.scalar(select(Registration).where(Registration.user_id == people["registered"].id))
    cancel_registration(people["registered"], registration, now=NOW)
    db.session.commit()
    from flask import g
    g.pop("_materials_participant", None)
    assert not services.can_see(people["registered"], material)


def test_a_visibility_that_does_not_exist_is_refused(db, upload, folder):
    with pytest.raises(DomainError) as refused:
        upload(PDF, visibility="everyone")
    assert refused.value.code == "visibility_invalid"
    assert files_in(folder) == []


# --- publishing ---------------------------------------------------------------------------------

@pytest.fixture
def rep_of_listed(make_user, make_org, join):
    def make(**kwargs):
        user = make_user(**kwargs)
        join(user, make_org(), role="representative")
        return user

    return make


def test_publishing_mails_attendees_and_representatives_each_once_in_their_language(
        db, staff, meeting, upload, make_user, rep_of_listed, make_org, join, outbox):
    session = meeting.sessions[0]
    attendee = make_user(locale="de")
    absent = make_user()
    both = rep_of_listed(locale="tr")  # attended and represents a listed MSO: one mail
    rep = rep_of_listed(locale="ar")
    pending_rep = make_user()
    join(pending_rep, make_org(status="pending"), role="representative")
    for person in (attendee, absent):
        register(db, person, slot_of(meeting))
    register(db, both, slot_of(meeting), active_organisations(both)[0])
    for person in (attendee, both):
        registration = db.session.scalar(select(Registration).where(Registration.user_id == person.id))
        db.session.add(Attendance(registration_id=registration.id, session_id=session.id,
                                  checked_in_at=session.starts_at, method="scan"))
    upload(PDF)
    save_minutes(staff, session, "# Protokoll\n\nMasterplan Integration")
    db.session.commit()
    outbox.clear()  # the registration confirmations

    told = services.publish(staff, session, now=session.ends_at + timedelta(days=1))
    db.session.commit()

    assert told == 3
    assert sorted(str(m["To"]) for m in outbox) == sorted([attendee.email, both.email, rep.email])
    languages = {str(m["To"]): str(m["Content-Language"]) for m in outbox}
    assert languages == {attendee.email: "de", both.email: "tr", rep.email: "ar"}
    german = next(m for m in outbox if str(m["To"]) == attendee.email)
    assert meeting.title in str(german["Subject"])
    assert f"/sessions/{session.id}/minutes" in german.get_body(("plain",)).get_content()
    assert all(item.is_published for item in db.session.scalars(select(Material)))


def test_without_check_ins_the_registered_people_are_told(db, staff, meeting, upload, make_user, outbox):
    registered = make_user()
    register(db, registered, slot_of(meeting))
    upload(PDF, visibility="public")
    db.session.commit()
    outbox.clear()
    assert services.publish(staff, meeting.sessions[0]) == 1
    db.session.commit()
    assert [str(m["To"]) for m in outbox] == [registered.email]


def test_publishing_staff_only_items_mails_nobody(db, staff, meeting, upload, make_user, outbox):
    register(db, make_user(), slot_of(meeting))
    upload(PDF, visibility="staff")
    db.session.commit()
    outbox.clear()
    assert services.publish(staff, meeting.sessions[0]) == 0
    db.session.commit()
    assert outbox == []


def test_publishing_twice_without_anything_new_is_refused(db, staff, meeting, upload):
    upload(PDF)
    services.publish(staff, meeting.sessions[0])
    with pytest.raises(DomainError) as refused:
        services.publish(staff, meeting.sessions[0])
    assert refused.value.code == "nothing_to_publish"


# --- privacy ------------------------------------------------------------------------------------

def test_a_material_stays_when_its_uploader_deletes_their_account(db, make_user, meeting, folder):
    from miado_events.privacy.services import delete_account

    uploader = make_user(Role.STAFF)
    make_user(Role.ADMIN)
    material = services.upload_material(uploader, meeting.sessions[0], stream=io.BytesIO(PDF),
                                        filename="x.pdf")
    db.session.commit()
    delete_account(uploader)
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Material, material.id)
    assert kept is not None and kept.uploaded_by_id is None
    assert files_in(folder) == [kept.stored_name]


def test_a_deleted_persons_name_leaves_the_minutes_and_material_titles(db, staff, make_user, meeting, upload):
    from miado_events.meetings.minutes import minutes_of
    from miado_events.privacy.services import delete_account
    from miado_events.privacy.scrub import DELETED

    person = make_user(name="Zeynep Beispielname")
    save_minutes(staff, meeting.sessions[0], "Zeynep Beispielname stellte das Projekt vor.", "public")
    material = upload(PDF, "Folien Zeynep Beispielname.pdf", title="Folien von Zeynep Beispielname")
    db.session.commit()
    delete_account(person)
    db.session.commit()
    assert minutes_of(meeting.sessions[0]).body == f"{DELETED} stellte das Projekt vor."
    assert "Beispielname" not in material.title and "Beispielname" not in material.filename
