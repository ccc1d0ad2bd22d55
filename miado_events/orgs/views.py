"""Registry pages. Thin: parse, call the service, commit, redirect."""
from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..database import paginate
from ..accounts import services as account_services
from ..accounts.views import PENDING_INVITATION_KEY
from ..errors import DomainError
from ..extensions import db, limit_from_config
from ..i18n import requested_language, ui_language, with_formats
from ..models.translated import translations_from_form
from ..models.orgs import (
    DISTRICTS,
    FIELDS_OF_WORK,
    LANGUAGE_CODES,
    Membership,
    Organisation,
    OrgInvitation,
)
from ..permissions import (
    can_edit_org,
    can_manage_members,
    can_review_orgs,
    can_view_member_list,
    can_view_org,
    ensure_page,
    login_required,
    require,
)
from .. import permissions, tables, unit_of_work
from . import membership as membership_services
from . import list_cache, queries, services
from .forms import (
    ApplicationForm,
    ConfirmForm,
    DecisionForm,
    InviteMemberForm,
    NameDecisionForm,
    OrgProfileForm,
    ShareLinkForm,
    StatusForm,
)
from .labels import FIELD_LABELS, STATUS_LABELS, language_name, template_helpers
from .public import public_profile

bp = Blueprint("orgs", __name__)
bp.app_context_processor(template_helpers)
for _name, _helper in template_helpers().items():  # also as filters, for |map("...")
    bp.add_app_template_filter(_helper, _name)

PER_PAGE = 20


def _org_or_404(org_id: int) -> Organisation:
    return db.session.get(Organisation, org_id) or abort(404)


# --- public directory -------------------------------------------------------------

def _directory_filters() -> dict:
    args = request.args
    return {
        "q": (args.get("q") or "").strip()[:100],
        "district": args.get("district") if args.get("district") in DISTRICTS else "",
        "region": (args.get("region") or "").strip()[:100],
        "language": args.get("language") if args.get("language") in LANGUAGE_CODES else "",
        "field": args.get("field") if args.get("field") in FIELDS_OF_WORK else "",
    }


@bp.route("/orgs")
def directory():
    filters = _directory_filters()
    page = paginate(queries.listed_organisations(**filters), per_page=PER_PAGE)
    active = {k: v for k, v in filters.items() if v}
    return render_template(
        "orgs/directory.html", page=page, filters=filters, active_filters=active,
        profiles=[public_profile(org) for org in page.items],
        districts=[(d, d) for d in DISTRICTS], regions=queries.region_suggestions(),
        languages=sorted(((c, language_name(c)) for c in LANGUAGE_CODES), key=lambda p: p[1].casefold()),
        fields=list(FIELD_LABELS.items()))


#: Both downloads are kept per change (see list_cache); the limit is a backstop
#: against a flood of full downloads. A 304 to a browser that has the current
#: copy does not count against it.
_list_limit = limit_from_config("RATELIMIT_MSO_LIST", methods=None,
                                deduct_when=lambda response: response.status_code != 304)


@bp.record_once
def _init_list_cache(state) -> None:
    list_cache.init_app(state.app)


def _list_download(kind: str, suffix: str, build, respond) -> Response:
    """The MSO list in the requested language (``?lang=``, else the UI's),
    from the copy kept for what it shows; 304 when the browser has it.
    ``build(orgs, issued)`` lays it out, ``respond(data, filename)`` wraps it."""
    language = requested_language()
    locale = with_formats(language)
    issued = date.today()
    with force_locale(locale):
        download = list_cache.download(kind, locale, issued, lambda orgs: build(orgs, issued))
        if request.if_none_match.contains_weak(download.etag):
            response = Response(status=304)
        else:
            data = download.body()
            response = respond(data, f"msos-dortmund-{issued.isoformat()}.{suffix}")
    response.set_etag(download.etag)
    response.headers["Cache-Control"] = "no-cache"  # keep it, but ask each time
    response.headers["Content-Language"] = language
    if "lang" not in request.args:  # the reader's language, chosen by these
        response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.route("/orgs/list.csv")
@_list_limit
def directory_csv():
    from .exports import directory_csv as build

    kind = "csv-comma" if tables.for_tools() else "csv-excel"
    return _list_download(
        kind, "csv", lambda orgs, _issued: build(orgs).encode("utf-8"),
        lambda data, filename: tables.download(data, tables.CSV_CONTENT_TYPE, filename))


@bp.route("/orgs/list.pdf")
@_list_limit
def directory_pdf():
    from .exports import directory_pdf as build

    return _list_download(
        "pdf", "pdf", build,
        lambda data, filename: Response(data, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{filename}"'}))


@bp.route("/orgs/<int:org_id>")
def detail(org_id: int):
    org = _org_or_404(org_id)
    if not can_view_org(current_user, org):
        abort(404)
    membership = permissions.membership_of(current_user, org) if current_user.is_authenticated else None
    return render_template("orgs/detail.html", org=org, profile=public_profile(org),
                           membership=membership, form=ConfirmForm(),
                           status_label=STATUS_LABELS.get(org.status))


@bp.route("/orgs/<int:org_id>/join", methods=["POST"])
@login_required
def request_membership(org_id: int):
    org = _org_or_404(org_id)
    unit_of_work.attempt(lambda: membership_services.request_membership(current_user, org),
                     _("Your request has been sent. The representatives of %(org)s will answer it.",
                       org=org.name))
    return redirect(url_for("orgs.detail", org_id=org.id))


# --- application ----------------------------------------------------------------------

@bp.route("/orgs/apply", methods=["GET", "POST"])
@limit_from_config("RATELIMIT_SIGNUP")
def apply():
    signed_in = current_user.is_authenticated
    form = ApplicationForm(signed_in=signed_in)
    if request.method == "GET" and not signed_in:
        form.applicant_locale.data = ui_language()
    similar = []
    if form.validate_on_submit():
        similar = services.find_similar_organisations(form.name.data)
        if similar and not form.not_a_duplicate.data:
            flash(_("There are already organisations with a similar name. Please check the list "
                    "below; if yours is different, confirm it and send the form again."), "error")
        else:
            done = _submit_application(form, signed_in)
            if done is not None:
                return done
    # Only listed MSOs are public; others are merely counted.
    similar_listed = [org for org in similar if org.is_listed]
    return render_template("orgs/apply.html", form=form, similar=similar_listed,
                           similar_unlisted=len(similar) - len(similar_listed), signed_in=signed_in,
                           regions=queries.region_suggestions())


def _submit_application(form: ApplicationForm, signed_in: bool):
    try:
        if signed_in:
            applicant = current_user._get_current_object()
        else:
            applicant = account_services.sign_up(
                name=form.applicant_name.data, email=form.applicant_email.data,
                password=form.applicant_password.data, locale=form.applicant_locale.data,
                privacy_consent=form.privacy_consent.data)
        if applicant is not None:
            services.apply_for_listing(applicant, form.to_profile())
    except DomainError as err:
        unit_of_work.refuse(err)
        return None
    if signed_in:
        flash(_("Thank you! Your application has been sent. We will let you know by e-mail."), "success")
        return redirect(url_for("orgs.mine"))
    # Same answer whether or not the address already had an account.
    return render_template(
        "accounts/check_mail.html",
        message=_("Thank you for your application. Please confirm your e-mail address with the "
                  "link we have sent you. If you already have an account, the e-mail tells you "
                  "how to log in and apply from there. We review every application and let you "
                  "know by e-mail."))


# --- member's view --------------------------------------------------------------------------

@bp.route("/my/organisations")
@login_required
def mine():
    memberships = db.session.scalars(queries.memberships_of_user(current_user)).all()
    return render_template("orgs/mine.html", memberships=memberships, status_labels=STATUS_LABELS,
                           form=ConfirmForm())


@bp.route("/my/organisations/<int:membership_id>/leave", methods=["POST"])
@login_required
def leave(membership_id: int):
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.user_id != current_user.id:
        abort(404)
    name = membership.organisation.name
    unit_of_work.attempt(lambda: membership_services.remove_member(current_user, membership),
                     _("You have left %(org)s.", org=name))
    return redirect(url_for("orgs.mine"))


# --- representatives (and staff) -----------------------------------------------------------

@bp.route("/orgs/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int):
    org = _org_or_404(org_id)
    ensure_page(can_edit_org, org)
    form = OrgProfileForm()
    if request.method == "GET":
        form.fill_from(org)
    elif form.validate_on_submit():
        resubmit = request.form.get("resubmit") == "1" and org.can_be_resubmitted
        translations = translations_from_form(request.form, Organisation.TRANSLATED_FIELDS)

        def save():
            if resubmit:
                services.resubmit_application(current_user, org, form.to_profile())
            else:
                services.update_profile(current_user, org, form.to_profile())
            services.save_description_translations(current_user, org, translations)

        ok = unit_of_work.attempt(save, _("Your application has been sent again.") if resubmit
                                  else _("The profile has been saved."))
        if ok:
            if org.requested_name and not resubmit:
                flash(_("The new name will be shown once the office has approved it."), "info")
            return redirect(url_for("orgs.edit", org_id=org.id))
    return render_template("orgs/edit.html", form=form, org=org, regions=queries.region_suggestions(),
                           status_label=STATUS_LABELS.get(org.status),
                           read_languages=queries.languages_members_read(org))


@bp.route("/orgs/<int:org_id>/members")
@login_required
def members(org_id: int):
    org = _org_or_404(org_id)
    ensure_page(can_view_member_list, org)
    manage = can_manage_members(current_user, org)
    invitations = []
    if manage:
        invitations = db.session.scalars(
            db.select(OrgInvitation).where(OrgInvitation.organisation_id == org.id)
            .order_by(OrgInvitation.created_at.desc())).all()
    active = sorted((m for m in org.memberships if m.is_active),
                    key=lambda m: (not m.is_representative, m.user.name.casefold()))
    return render_template("orgs/members.html", org=org, manage=manage, active=active,
                           requests=queries.open_requests(org) if manage else [],
                           invitations=invitations, invite_form=InviteMemberForm(),
                           link_form=ShareLinkForm(), form=ConfirmForm())


def _membership_of_org(org: Organisation, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != org.id:
        abort(404)
    return membership


@bp.route("/orgs/<int:org_id>/members/<int:membership_id>/<action>", methods=["POST"])
@login_required
def member_action(org_id: int, membership_id: int, action: str):
    org = _org_or_404(org_id)
    ensure_page(can_manage_members, org)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    membership = _membership_of_org(org, membership_id)
    name = membership.user.name
    actions = {
        "accept": (lambda: membership_services.decide_join_request(current_user, membership, True),
                   _("%(name)s is now a member.", name=name)),
        "decline": (lambda: membership_services.decide_join_request(current_user, membership, False),
                    _("The request of %(name)s has been declined.", name=name)),
        "promote": (lambda: membership_services.set_representative(current_user, membership, True),
                    _("%(name)s is now a representative.", name=name)),
        "demote": (lambda: membership_services.set_representative(current_user, membership, False),
                   _("%(name)s is no longer a representative.", name=name)),
        "remove": (lambda: membership_services.remove_member(current_user, membership),
                   _("%(name)s has been removed.", name=name)),
    }
    if action not in actions:
        abort(404)
    unit_of_work.attempt(*actions[action])
    return redirect(url_for("orgs.members", org_id=org.id))


@bp.route("/orgs/<int:org_id>/invitations", methods=["POST"])
@login_required
def invite(org_id: int):
    org = _org_or_404(org_id)
    ensure_page(can_manage_members, org)
    form = InviteMemberForm()
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: membership_services.invite_by_email(current_user, org, form.email.data),
                         _("The invitation has been sent to %(email)s.", email=form.email.data))
    else:
        flash(_("Please enter a valid e-mail address."), "error")
    return redirect(url_for("orgs.members", org_id=org.id))


@bp.route("/orgs/<int:org_id>/invitations/link", methods=["POST"])
@login_required
def share_link(org_id: int):
    org = _org_or_404(org_id)
    ensure_page(can_manage_members, org)
    form = ShareLinkForm()
    if not form.validate_on_submit():
        flash(_("A link can be valid for 1 to 90 days."), "error")
        return redirect(url_for("orgs.members", org_id=org.id))
    unit_of_work.returns_to(url_for("orgs.members", org_id=org.id))
    invitation, url = membership_services.create_share_link(current_user, org, form.days.data)
    return render_template("orgs/share_link.html", org=org, url=url, invitation=invitation)


@bp.route("/orgs/<int:org_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(org_id: int, invitation_id: int):
    org = _org_or_404(org_id)
    ensure_page(can_manage_members, org)
    invitation = db.session.get(OrgInvitation, invitation_id)
    if invitation is None or invitation.organisation_id != org.id:
        abort(404)
    unit_of_work.attempt(lambda: membership_services.revoke_invitation(current_user, invitation),
                     _("The invitation has been withdrawn."))
    return redirect(url_for("orgs.members", org_id=org.id))


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    try:
        invitation = membership_services.find_invitation(token)
    except DomainError as err:
        status = 404 if err.code == "token_invalid" else 410
        return render_template("orgs/join.html", error=err.message, org=None), status
    org = invitation.organisation
    form = ConfirmForm()
    if not current_user.is_authenticated:
        # Signing up from here keeps the invitation: the person joins when
        # their address is verified (accounts.views.signup, orgs.receivers).
        session[PENDING_INVITATION_KEY] = invitation.id
    if request.method == "POST" and current_user.is_authenticated and form.validate_on_submit():
        if unit_of_work.attempt(lambda: membership_services.accept_invitation(current_user, token),
                            _("Welcome! You are now a member of %(org)s.", org=org.name)):
            return redirect(url_for("orgs.detail", org_id=org.id))
    return render_template("orgs/join.html", org=org, form=form, error=None, token=token)


# --- staff review -------------------------------------------------------------------------------

@bp.route("/staff/orgs")
@require(can_review_orgs)
def staff_list():
    status = request.args.get("status") or "queue"
    q = (request.args.get("q") or "").strip()[:100]
    if status == "queue":
        query = queries.review_queue()
    elif status == "join_requests":
        query = queries.with_join_requests()
    else:
        query = db.select(Organisation).order_by(Organisation.name)
        if status in STATUS_LABELS:
            query = query.where(Organisation.status == status)
    if q:
        query = query.where(Organisation.name.ilike(f"%{q}%"))
    page = paginate(query, per_page=PER_PAGE)
    return render_template("staff/orgs.html", page=page, status=status, q=q,
                           status_labels=STATUS_LABELS)


@bp.route("/staff/orgs/<int:org_id>")
@require(can_review_orgs)
def review(org_id: int):
    org = _org_or_404(org_id)
    old = services.last_reviewed_snapshot(org)
    return render_template(
        "staff/org_review.html", org=org, diff=services.profile_diff(old, org), reviewed_before=old,
        decisions=services.decisions_of(org), decision_form=DecisionForm(),
        name_form=NameDecisionForm(), status_form=StatusForm(), status_labels=STATUS_LABELS,
        representatives=queries.representatives(org))


@bp.route("/staff/orgs/<int:org_id>/decision", methods=["POST"])
@require(can_review_orgs)
def decide(org_id: int):
    org = _org_or_404(org_id)
    form = DecisionForm()
    if form.validate_on_submit():
        labels = {"approve": _("The organisation is now listed."),
                  "needs_changes": _("The applicant has been asked for changes."),
                  "reject": _("The application has been rejected.")}
        if unit_of_work.attempt(lambda: services.decide_application(current_user, org, form.decision.data,
                                                                form.message.data),
                            labels.get(form.decision.data)):
            return redirect(url_for("orgs.staff_list"))
    else:
        flash(_("Please choose a decision."), "error")
    return redirect(url_for("orgs.review", org_id=org.id))


@bp.route("/staff/orgs/<int:org_id>/name", methods=["POST"])
@require(can_review_orgs)
def decide_name(org_id: int):
    org = _org_or_404(org_id)
    form = NameDecisionForm()
    if form.validate_on_submit():
        unit_of_work.attempt(lambda: services.decide_name_change(
            current_user, org, form.decision.data == "approve", form.message.data),
            _("The name change has been decided."))
    return redirect(url_for("orgs.review", org_id=org.id))


@bp.route("/staff/orgs/<int:org_id>/status", methods=["POST"])
@require(can_review_orgs)
def set_status(org_id: int):
    org = _org_or_404(org_id)
    form = StatusForm()
    if form.validate_on_submit():
        active = form.active.data == "1"
        unit_of_work.attempt(lambda: services.set_active(current_user, org, active, form.reason.data),
                         _("The organisation is listed again.") if active
                         else _("The organisation has been taken out of the directory."))
    return redirect(url_for("orgs.review", org_id=org.id))
