from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from .. import unit_of_work
from ..database import paginate
from ..accounts import services
from ..extensions import db
from ..models.accounts import ROLE_VALUES, Role, User
from ..permissions import can_manage_users, require
from .forms import InviteStaffForm, RoleForm

bp = Blueprint("admin", __name__)

PER_PAGE = 25


@bp.route("/users")
@require(can_manage_users)
def users():
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    query = select(User).order_by(User.name, User.id)
    if role in ROLE_VALUES:
        query = query.where(User.role == role)
    elif role != "all":
        role = ""
        query = query.where(User.role != Role.MEMBER.value)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), User.name.ilike(like)))
    page = paginate(query, per_page=PER_PAGE)
    return render_template("admin/users.html", page=page, q=q, role=role,
                           role_form=RoleForm(), invite_form=InviteStaffForm(),
                           roles=ROLE_VALUES)


@bp.route("/users/invite", methods=["POST"])
@require(can_manage_users)
def invite():
    form = InviteStaffForm()
    back = unit_of_work.returns_to(url_for("admin.users"))
    if form.validate_on_submit():
        user = services.invite_staff(current_user, email=form.email.data,
                                     name=form.name.data, role=form.role.data)
        flash(_("%(email)s has been invited.", email=user.email), "success")
        return redirect(back)
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@require(can_manage_users)
def change_role(user_id: int):
    target = db.session.get(User, user_id) or abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Please choose a valid role."), "error")
        return redirect(url_for("admin.users"))
    if request.form.get("confirm") != "1":
        # A role gives or takes away powers: one more look before it changes.
        return render_template("admin/confirm_role.html", target=target, form=form,
                               new_role=dict(form.role.choices)[form.role.data])
    unit_of_work.returns_to(url_for("admin.users"))
    services.change_role(current_user, target, form.role.data)
    flash(_("The role of %(name)s is now: %(role)s.", name=target.name,
            role=dict(form.role.choices)[target.role]), "success")
    return redirect(url_for("admin.users"))
