"""Minutes, materials and the archive: the public pages, the download, and
the staff page of a session (write minutes with a preview, upload and
delete materials, publish). ``flask --app app materials sweep`` removes
files no material names."""
from __future__ import annotations

from math import ceil

import click
from babel.units import format_unit
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import format_decimal, get_locale, ngettext
from flask_login import current_user

from .. import unit_of_work
from ..database import MAX_PAGE, utcnow
from ..events.queries import visible_event
from ..extensions import db
from ..inputs import parse_int
from ..models.events import EventSession
from ..models.materials import ItemVisibility, Material
from ..permissions import is_staff, require
from . import archive as archive_queries
from .filetypes import BY_MIMETYPE
from .material_forms import ConfirmForm, MaterialForm, MinutesForm, VisibilityForm
from .materials import (can_see, delete_material, materials_of, max_bytes, path_of, publish,
                        set_visibility, sweep, upload_material)
from .minutes import minutes_of, render_markdown, save_minutes

bp = Blueprint("materials", __name__, cli_group="materials")

#: Downloads never run in the app's origin: no scripts, no plug-ins, no sniffing.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}


# Templates show minutes with ``{{ minutes.body|markdown }}``: the one renderer.
bp.add_app_template_filter(render_markdown, "markdown")


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    """A file's size as the reader's language writes it ("1,5 MB", "12 kB")."""
    if size >= 1024 * 1024:
        return format_unit(round(size / (1024 * 1024), 1), "digital-megabyte", length="short",
                           locale=get_locale())
    return format_unit(max(ceil(size / 1024), 1), "digital-kilobyte", length="short", locale=get_locale())


def _visible_session(session_id: int) -> EventSession:
    session = db.session.get(EventSession, session_id)
    if session is None or visible_event(session.event_id, current_user) is None:
        abort(404)
    return session


# --- public pages -----------------------------------------------------------------------------

@bp.route("/events/<int:event_id>/archive")
def archive(event_id: int):
    event = visible_event(event_id, current_user) or abort(404)
    q = archive_queries.clean_query(request.args.get("q"))
    page = parse_int(request.args.get("page"), minimum=1, maximum=MAX_PAGE) or 1
    result = archive_queries.archive_page(current_user, event, utcnow(), q=q, page=page)
    return render_template("meetings/archive.html", event=event, page=result, q=q)


@bp.route("/sessions/<int:session_id>/minutes")
def session_page(session_id: int):
    session = _visible_session(session_id)
    [entry] = archive_queries.entries_for(current_user, [session])
    return render_template("meetings/session.html", event=session.event, entry=entry)


@bp.route("/materials/<int:material_id>/download")
def download(material_id: int):
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    if not can_see(current_user, material):
        # Someone not signed in may be a participant: the log-in page first.
        if (not current_user.is_authenticated and material.is_published
                and material.visibility == ItemVisibility.PARTICIPANTS.value
                and not material.session.event.is_draft):
            return current_app.login_manager.unauthorized()
        abort(404)
    path = path_of(material)
    if not path.is_file():
        abort(404)
    kind = BY_MIMETYPE.get(material.content_type)
    response = send_file(path, mimetype=kind.mimetype if kind else "application/octet-stream",
                         as_attachment=True, download_name=material.filename, conditional=True, max_age=0)
    response.headers.update(DOWNLOAD_HEADERS)
    response.headers["Cache-Control"] = (
        "public, no-cache" if material.visibility == ItemVisibility.PUBLIC.value and material.is_published
        else "private, no-store")
    return response


# --- staff ------------------------------------------------------------------------------------

def _session_for_staff(session_id: int) -> EventSession:
    return db.session.get(EventSession, session_id) or abort(404)


def _manage_url(session: EventSession) -> str:
    return url_for("materials.manage", session_id=session.id)


def _render_manage(session: EventSession, *, minutes_form=None, material_form=None, preview=None,
                   status: int = 200):
    minutes = minutes_of(session)
    if minutes_form is None:
        minutes_form = MinutesForm(prefix="minutes", formdata=None)
        if minutes is not None:
            minutes_form.body.data, minutes_form.visibility.data = minutes.body, minutes.visibility
    material_form = material_form or MaterialForm(prefix="material", formdata=None)
    size = format_decimal(round(max_bytes() / (1024 * 1024)))
    material_form.file.description = _(
        "PDF, images (PNG, JPEG, WebP), Word, Excel, PowerPoint or OpenDocument files; at most %(size)s MB.",
        size=size)
    materials = materials_of([session.id])[session.id]
    drafts = [m for m in materials if not m.is_published]
    has_drafts = bool(drafts) or (minutes is not None and not minutes.is_published)
    return render_template("meetings/manage.html", session=session, event=session.event, minutes=minutes,
                           materials=materials, minutes_form=minutes_form, material_form=material_form,
                           confirm_form=ConfirmForm(), preview=preview, has_drafts=has_drafts,
                           visibility_choices=list(ItemVisibility.labels().items()),
                           now=utcnow()), status


@bp.route("/staff/sessions/<int:session_id>/minutes", methods=["GET", "POST"])
@require(is_staff)
def manage(session_id: int):
    session = _session_for_staff(session_id)
    if request.method == "GET":
        return _render_manage(session)
    form = MinutesForm(prefix="minutes")
    if not form.validate_on_submit():
        return _render_manage(session, minutes_form=form, status=422)
    if "preview" in request.form:
        return _render_manage(session, minutes_form=form, preview=render_markdown(form.body.data))
    unit_of_work.returns_to(_manage_url(session))
    minutes = save_minutes(current_user, session, form.body.data, form.visibility.data)
    flash(_("The minutes have been saved.") if minutes.is_published
          else _("The minutes have been saved as a draft. Publish them when everything is ready."), "success")
    return redirect(_manage_url(session))


@bp.route("/staff/sessions/<int:session_id>/materials", methods=["POST"])
@require(is_staff)
def upload(session_id: int):
    session = _session_for_staff(session_id)
    form = MaterialForm(prefix="material")
    if not form.validate_on_submit():
        return _render_manage(session, material_form=form, status=422)
    unit_of_work.returns_to(_manage_url(session))
    upload_material(current_user, session, stream=form.file.data.stream, filename=form.file.data.filename,
                    title=form.title.data or "", visibility=form.visibility.data)
    flash(_("The file has been uploaded. It is a draft until you publish it."), "success")
    return redirect(_manage_url(session))


@bp.route("/staff/materials/<int:material_id>/visibility", methods=["POST"])
@require(is_staff)
def change_visibility(material_id: int):
    material = db.session.get(Material, material_id) or abort(404)
    form = VisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    back = unit_of_work.returns_to(_manage_url(material.session))
    set_visibility(current_user, material, form.visibility.data)
    flash(_("Saved: %(title)s – %(visibility)s.", title=material.title, visibility=material.visibility_label),
          "success")
    return redirect(back)


@bp.route("/staff/materials/<int:material_id>/delete", methods=["POST"])
@require(is_staff)
def delete(material_id: int):
    material = db.session.get(Material, material_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = unit_of_work.returns_to(_manage_url(material.session))
    delete_material(current_user, material)
    flash(_("The file has been deleted."), "success")
    return redirect(back)


@bp.route("/staff/sessions/<int:session_id>/publish", methods=["POST"])
@require(is_staff)
def publish_items(session_id: int):
    session = _session_for_staff(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = unit_of_work.returns_to(_manage_url(session))
    told = publish(current_user, session)
    flash(ngettext("Published. %(num)d person has been told by e-mail.",
                   "Published. %(num)d people have been told by e-mail.", told), "success")
    return redirect(back)


@bp.cli.command("sweep")
def sweep_command() -> None:
    """Remove files in MATERIALS_DIR that no material names (older than an hour)."""
    click.echo(f"{sweep()} files removed")
