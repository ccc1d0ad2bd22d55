"""Thin views: parse the form, call the service, redirect (the request commits)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template,
                   request, session, url_for)
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_user, logout_user

from .. import unit_of_work
from ..errors import DomainError
from ..extensions import limit_from_config
from ..i18n import LOCALE_COOKIE, normalise_locale, ui_language
from ..inputs import parse_id
from ..permissions import is_door_staff, is_staff, login_required
from . import login_limits, services
from .forms import (AcceptInviteForm, ChangeEmailForm, ChangePasswordForm, ForgotPasswordForm,
                    LoginForm, LogoutEverywhereForm, NewPasswordForm, ProfileForm, SignUpForm)
from ..models.accounts import TokenPurpose
from .tokens import find_token

bp = Blueprint("accounts", __name__)

#: The id of an MSO invitation opened while logged out (orgs.views.join puts
#: it here): a sign-up from this browser carries it to the verification link.
PENDING_INVITATION_KEY = "pending_org_invitation"


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after log-in or switching language."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.route("/signup", methods=["GET", "POST"])
@limit_from_config("RATELIMIT_SIGNUP")
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = SignUpForm()
    if request.method == "GET":
        form.locale.data = ui_language()
    if form.validate_on_submit():
        try:
            services.sign_up(name=form.name.data, email=form.email.data,
                             password=form.password.data, locale=form.locale.data,
                             privacy_consent=form.privacy_consent.data,
                             org_invitation_id=parse_id(session.get(PENDING_INVITATION_KEY)))
        except DomainError as err:
            unit_of_work.refuse(err)
        else:
            session.pop(PENDING_INVITATION_KEY, None)
            return redirect(url_for("accounts.signup_done"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/signup/check-your-mail")
def signup_done():
    return render_template("accounts/check_mail.html",
                           message=_("We have sent a link to the e-mail address you entered. "
                                     "Please open it to confirm your address, then log in. "
                                     "If you already have an account, the e-mail tells you how to log in."))


@bp.route("/verify/<token>")
def verify_email(token: str):
    unit_of_work.returns_to(url_for("accounts.login"))
    services.verify_email(token)
    flash(_("Thank you, your e-mail address is confirmed. You can log in now."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    if form.validate_on_submit():
        # Failed log-ins count per account and per address (login_limits);
        # while either is locked, the password is not even checked.
        address = request.remote_addr
        wait = login_limits.locked_for(form.email.data, address)
        if wait is not None:
            raise login_limits.LoginLocked(wait)
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as err:
            if err.code == "email_not_verified":  # it queued a new link: the request keeps it
                flash(str(err.message), "error")
            else:
                # Nothing was changed but the count of failures, which the request keeps.
                login_limits.record_failure(form.email.data, address)
                flash(str(err.message), "error")
        else:
            login_limits.clear_failures(form.email.data)
            services.start_session(user)
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            # Staff land on their dashboard, door staff at the door, everyone
            # else where they came from (the page that sent them here).
            landing = ("dashboard.index" if is_staff(user) else
                       "checkin.door" if is_door_staff(user) else "pages.home")
            return redirect(safe_next(request.args.get("next"), url_for(landing)))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.end_session(current_user._get_current_object())
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("pages.home"))


@bp.route("/account/sessions", methods=["GET", "POST"])
@login_required
def logout_everywhere():
    """Log out on every device (a confirmation page, then the POST)."""
    form = LogoutEverywhereForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        ended = services.end_all_sessions(user)
        logout_user()
        flash(ngettext("You are logged out on %(num)d device.",
                       "You are logged out on all %(num)d devices.", ended), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/logout_everywhere.html", form=form,
                           sessions=services.count_sessions(user)), 400 if form.errors else 200


@bp.route("/forgot-password", methods=["GET", "POST"])
@limit_from_config("RATELIMIT_RESET")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template(
            "accounts/check_mail.html",
            message=_("If an account exists for this address, we have sent a link to "
                      "choose a new password. The link is valid for %(hours)d hours.",
                      hours=current_app.config["RESET_TOKEN_HOURS"]))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limit_from_config("RATELIMIT_RESET")
def reset_password(token: str):
    unit_of_work.returns_to(url_for("accounts.forgot_password"))
    find_token(token, TokenPurpose.RESET_PASSWORD)
    form = NewPasswordForm()
    if form.validate_on_submit() and unit_of_work.attempt(
            lambda: services.reset_password(token, form.password.data),
            _("Your new password is saved. Please log in.")):
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limit_from_config("RATELIMIT_RESET")
def accept_invite(token: str):
    unit_of_work.returns_to(url_for("accounts.login"))
    find_token(token, TokenPurpose.STAFF_INVITE)
    form = AcceptInviteForm()
    if form.validate_on_submit() and unit_of_work.attempt(
            lambda: services.accept_invite(token, form.password.data,
                                           privacy_consent=form.privacy_consent.data),
            _("Your account is ready. Please log in.")):
        return redirect(url_for("accounts.login"))
    return render_template("accounts/accept_invite.html", form=form)


@bp.route("/account", methods=["GET"])
@login_required
def account():
    profile = ProfileForm(obj=current_user)
    return render_template("accounts/account.html", profile=profile,
                           password_form=ChangePasswordForm(), email_form=ChangeEmailForm())


def _account_post(form_cls, handle, success_message: str):
    form = form_cls()
    if form.validate_on_submit() and unit_of_work.attempt(lambda: handle(form), success_message):
        return redirect(url_for("accounts.account"))
    forms = {"profile": ProfileForm(obj=current_user), "password_form": ChangePasswordForm(),
             "email_form": ChangeEmailForm()}
    key = {ProfileForm: "profile", ChangePasswordForm: "password_form",
           ChangeEmailForm: "email_form"}[form_cls]
    forms[key] = form
    return render_template("accounts/account.html", **forms), 400 if form.errors else 200


@bp.route("/account/profile", methods=["POST"])
@login_required
def update_profile():
    return _account_post(
        ProfileForm,
        lambda f: services.update_profile(current_user, name=f.name.data, locale=f.locale.data),
        _("Your details are saved."),
    )


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    def handle(f):
        services.change_password(current_user, f.current_password.data, f.password.data)
        # The service ended all sessions; keep this one.
        login_user(current_user._get_current_object())

    return _account_post(ChangePasswordForm, handle, _("Your new password is saved."))


@bp.route("/account/email", methods=["POST"])
@login_required
def change_email():
    return _account_post(
        ChangeEmailForm,
        lambda f: services.request_email_change(current_user, f.new_email.data,
                                                f.current_password.data),
        _("We have sent a confirmation link to the new address. "
          "Your address changes when you open it."),
    )


@bp.route("/account/email/<token>")
def confirm_email_change(token: str):
    unit_of_work.attempt(lambda: services.confirm_email_change(token),
                         _("Your e-mail address has been changed."))
    return redirect(url_for("accounts.account" if current_user.is_authenticated
                            else "accounts.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    locale = normalise_locale(request.form.get("locale"))
    if locale is None:
        abort(400)
    target = safe_next(request.form.get("next"), url_for("pages.home"))
    if current_user.is_authenticated:
        current_user.locale = locale
    response = redirect(target)
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
                        httponly=True)
    return response
