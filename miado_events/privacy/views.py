"""The person's own data: download it, delete the account, agree to a new
privacy notice."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .. import unit_of_work
from ..accounts.passwords import verify_password
from ..accounts.views import safe_next
from ..database import utcnow
from ..permissions import login_required
from . import services
from .forms import ConsentForm, DeleteAccountForm

bp = Blueprint("privacy", __name__)

#: Endpoints a person may use before agreeing to a new privacy notice.
OPEN_WITHOUT_CONSENT = frozenset({
    "static", "privacy.consent", "privacy.export", "privacy.delete_account", "accounts.logout",
    "accounts.set_language", "pages.privacy", "pages.imprint", "pages.accessibility", "pages.healthz",
})


def require_current_consent():
    """Before each request: someone who agreed to an older privacy notice is
    asked to read and confirm the current one first."""
    if (not current_user.is_authenticated or request.endpoint in OPEN_WITHOUT_CONSENT
            or request.endpoint is None or not services.needs_consent(current_user)):
        return None
    return redirect(url_for("privacy.consent", next=request.full_path if request.method == "GET" else None))


@bp.route("/account/privacy-notice", methods=["GET", "POST"])
@login_required
def consent():
    form = ConsentForm()
    if not services.needs_consent(current_user):
        return redirect(url_for("pages.home"))
    if form.validate_on_submit():
        services.record_consent(current_user)
        flash(_("Thank you. You can continue."), "success")
        return redirect(safe_next(request.args.get("next"), url_for("pages.home")))
    return render_template("privacy/consent.html", form=form), 400 if form.errors else 200


@bp.route("/account/data.json")
@login_required
def export():
    data = services.export_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    filename = f"miado-events-{utcnow():%Y-%m-%d}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The password is not correct."))
        else:
            user = current_user._get_current_object()
            if unit_of_work.attempt(lambda: services.delete_account(user)):
                logout_user()
                flash(_("Your account has been deleted. Thank you for taking part."), "success")
                return redirect(url_for("pages.home"))
    return render_template("privacy/delete.html", form=form), 400 if form.errors else 200
