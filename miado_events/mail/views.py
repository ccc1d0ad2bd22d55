"""Staff view of the outbox: queued, sent and failed messages, with retry."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..database import paginate
from ..extensions import db
from ..models.mail import OutboxMessage, OutboxStatus
from ..permissions import is_staff, require
from .. import unit_of_work
from . import deliver_after_commit, outbox

bp = Blueprint("mail", __name__)

PER_PAGE = 50
STATUSES = tuple(s.value for s in OutboxStatus)


@bp.route("/outbox")
@require(is_staff)
def outbox_list():
    status = request.args.get("status") if request.args.get("status") in STATUSES else ""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    page = paginate(query, per_page=PER_PAGE)
    return render_template("staff/outbox.html", page=page, status=status, statuses=STATUSES,
                           form=FlaskForm())


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@require(is_staff)
def retry(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    if FlaskForm().validate_on_submit() and unit_of_work.attempt(
            lambda: outbox.retry(current_user, message), _("The message will be sent again.")):
        # Sent after this request commits, by the delivery thread (or the sender).
        deliver_after_commit([message_id])
    return redirect(url_for("mail.outbox_list", status=request.args.get("status", "")))
