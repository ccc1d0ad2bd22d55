"""One predicate per capability, reused by route decorators, services and menus.

Every predicate takes the acting user (possibly anonymous) and, for object
permissions, the object. Templates call them through ``can('name', obj)``.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .errors import PermissionDenied
from .models.accounts import Role

STAFF_ROLES = frozenset({Role.STAFF.value, Role.ADMIN.value})
DOOR_ROLES = frozenset({Role.DOOR.value, Role.STAFF.value, Role.ADMIN.value})


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_signed_in(user) -> bool:
    return _signed_in(user)


def is_staff(user) -> bool:
    return _signed_in(user) and user.role in STAFF_ROLES


def is_admin(user) -> bool:
    return _signed_in(user) and user.role == Role.ADMIN.value


def is_door_staff(user) -> bool:
    """Door staff, and staff, who may do everything door staff can."""
    return _signed_in(user) and user.role in DOOR_ROLES


def can_manage_users(user) -> bool:
    return is_admin(user)


def can_change_role(user, target) -> bool:
    """Admins change roles of others; nobody changes their own role."""
    return is_admin(user) and target is not None and target.id != user.id


PREDICATES = {
    "signed_in": is_signed_in,
    "staff": is_staff,
    "admin": is_admin,
    "door": is_door_staff,
    "manage_users": can_manage_users,
    "change_role": can_change_role,
}


def _predicate(predicate):
    return PREDICATES[predicate] if isinstance(predicate, str) else predicate


def can(name: str, *args, user=None) -> bool:
    predicate = _predicate(name)
    return predicate(current_user if user is None else user, *args)


# --- the forbidden check, in one place -----------------------------------------------

FORBIDDEN_MESSAGE = _l("You are not allowed to do this.")


def forbidden(message=None, code: str = "forbidden") -> PermissionDenied:
    """The error a service raises when the actor may not do something."""
    return PermissionDenied(code, message if message is not None else FORBIDDEN_MESSAGE)


def ensure(predicate, actor, *args, message=None, code: str = "forbidden") -> None:
    """In services: raise ``forbidden()`` unless ``predicate(actor, *args)``.
    ``predicate`` is a function of this module or its name in ``PREDICATES``.
    (The request's unit of work answers it with 403 for JSON clients, else
    with the message and a redirect back.)"""
    if not _predicate(predicate)(actor, *args):
        raise forbidden(message, code)


def ensure_page(predicate, *args) -> None:
    """In views: a 403 page unless the current user passes ``predicate(user, *args)``."""
    if not _predicate(predicate)(current_user, *args):
        abort(403)


def require(predicate):
    """Route decorator: anonymous → log-in page; signed in without right → 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not _signed_in(current_user):
                return current_app.login_manager.unauthorized()
            ensure_page(predicate)
            return view(*args, **kwargs)

        wrapped.required_permission = predicate.__name__
        return wrapped

    return decorator


login_required = require(is_signed_in)


# --- MSO registry -----------------------------------------------------------

def membership_of(user, org):
    """The membership row of ``user`` in ``org`` (any status), cached per request."""
    from sqlalchemy import select

    from .extensions import db
    from .models.orgs import Membership

    cache = g.setdefault("_memberships", {})
    key = (user.id, org.id)
    if key not in cache:
        cache[key] = db.session.scalar(
            select(Membership).where(Membership.user_id == user.id,
                                     Membership.organisation_id == org.id))
    return cache[key]


def forget_memberships() -> None:
    """Call after changing memberships within one request."""
    g.pop("_memberships", None)


def active_membership(user, org):
    """The user's active membership of ``org``, or None."""
    if not _signed_in(user) or org is None:
        return None
    membership = membership_of(user, org)
    return membership if membership is not None and membership.is_active else None


def is_representative_of(user, org) -> bool:
    membership = active_membership(user, org)
    return membership is not None and membership.is_representative


def can_review_orgs(user) -> bool:
    return is_staff(user)


def can_edit_org(user, org) -> bool:
    """Staff for any MSO; a representative for their own."""
    return is_staff(user) or is_representative_of(user, org)


can_manage_members = can_edit_org
#: What the MSO has booked (events.bookings): its representatives and staff.
can_view_bookings = can_edit_org


def can_view_org(user, org) -> bool:
    return org is not None and (org.is_listed or can_edit_org(user, org))


def can_view_member_list(user, org) -> bool:
    if can_edit_org(user, org):
        return True
    return bool(org.members_see_member_list and active_membership(user, org) is not None)


def can_view_internal_contact(user, org=None) -> bool:
    return is_staff(user)


def can_request_membership(user, org) -> bool:
    if not _signed_in(user) or org is None or not org.is_listed:
        return False
    return membership_of(user, org) is None


# --- topic rounds -------------------------------------------------------------

def can_cast_ballot(user, round_, org) -> bool:
    """A representative of an MSO that takes part in the round."""
    return round_.admits(org) and is_representative_of(user, org)


PREDICATES.update({
    "cast_ballot": can_cast_ballot,
    "review_orgs": can_review_orgs,
    "edit_org": can_edit_org,
    "manage_members": can_manage_members,
    "view_bookings": can_view_bookings,
    "view_org": can_view_org,
    "view_member_list": can_view_member_list,
    "view_internal_contact": can_view_internal_contact,
    "request_membership": can_request_membership,
})
