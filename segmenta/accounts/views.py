"""Login with password and TOTP, logoff, re-authentication, profile, members and API tokens."""

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.audit.trail import record
from segmenta.knowledge.crisis import default_entry
from segmenta.knowledge import service as knowledge_service
from segmenta.knowledge import localize, retention
from segmenta.knowledge.base import load as load_knowledge

from .middleware import SECOND_FACTOR_PENDING
from . import language as interface_language
from .access import admin_clinics, clinic_admin_required, mark_reauthenticated, reauth_required
from .forms import (
    ApiTokenForm,
    ClinicSettingsForm,
    LanguageForm,
    LicenceForm,
    LoginForm,
    MemberRoleForm,
    NewMemberForm,
    ReauthForm,
    TokenForm,
    TrainingRecordForm,
)
from .models import ApiToken, Clinic, Membership, PractitionerProfile, Role, TrainingRecord
from .uploads import drop_stored_upload

User = get_user_model()


def safe_next(target):
    """`target` when it is a path on this site, else None. A bare word would be taken for a
    URL name by redirect() (a 500), another host or scheme for an open redirect."""
    if (target and target.startswith("/") and not target.startswith(("//", "/\\"))
            and url_has_allowed_host_and_scheme(target, allowed_hosts=None)):
        return target
    return None


def _next_url(request, default="patients:list"):
    return safe_next(request.POST.get("next") or request.GET.get("next")) or reverse(default)


def _needs_second_factor(user):
    return settings.SEGMENTA_REQUIRE_MFA or TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def login_view(request):
    if request.user.is_authenticated and (request.user.is_verified() or not _needs_second_factor(request.user)):
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is not None:
            target = _next_url(request)
            # The login's audit event is written inside this transaction: should anything
            # after it fail, no login is claimed for a session that was never created.
            with transaction.atomic():
                login(request, user)
                if _needs_second_factor(user):
                    # The MFA gate reads this flag: a user with an authenticator always
                    # needs the code, even where MFA is not required of everyone.
                    request.session[SECOND_FACTOR_PENDING] = True
                    return redirect(reverse("accounts:mfa") + "?" + urlencode({"next": target}))
                return redirect(target)
        # One message for wrong name and wrong password: it must not tell which.
        error = _("Username or password is not correct.")
    return render(request, "accounts/login.html", {
        "form": form, "error": error, "next": safe_next(request.GET.get("next")) or "",
        "idle": request.GET.get("reason") == "idle",
    })


def admin_login(request):
    """Where the admin sends whoever it does not let in. Logged off: the app's own login
    (password, lockout, second factor). Logged in as a server operator: on into the admin.
    Logged in as anyone else: a clear "not for this account" (403), never a loop between
    this page and the login page, which would send a logged-in user straight back."""
    user = request.user
    if not user.is_authenticated:
        return redirect(reverse("accounts:login") + ("?" + request.GET.urlencode() if request.GET else ""))
    if user.is_active and user.is_staff:
        return redirect(_next_url(request, default="admin:index"))
    return render(request, "accounts/admin_forbidden.html", {"is_clinic_admin_role": Membership.objects.filter(
        user=user, role=Role.ADMIN).exists()}, status=403)


@login_required
def mfa_view(request):
    """Second step of login: enter the TOTP code, or enrol an authenticator first."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name=_("Authenticator app"), confirmed=False
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["otp_token"]):
            with transaction.atomic():
                if enrolling:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    record("mfa_enrolled", request=request, obj=device)
                otp_login(request, device)
                record("mfa_verified", request=request)
            return redirect(_next_url(request))
        record("mfa_failed", request=request)
        if allowed:
            form.add_error("otp_token", _("That code is not correct, or has expired. Try the current one."))
        else:
            form.add_error("otp_token", _("Too many wrong codes. Wait a little, then try again."))
    context = {"form": form, "enrolling": enrolling, "next": safe_next(request.GET.get("next")) or ""}
    if enrolling:
        qr = segno.make(device.config_url, error="m")
        context["qr_svg"] = qr.svg_inline(scale=4, dark="#1d2b36", light="#ffffff", omitsize=False)
        context["secret"] = _base32(device.bin_key)
    return render(request, "accounts/mfa.html", context)


def _base32(key):
    """The secret as people type it into an authenticator app: groups of four."""
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You are logged off."))
    return redirect("accounts:login")


def alive_view(request):
    """Typing in a page keeps the session alive; the idle middleware has already run."""
    return HttpResponse(status=204 if request.user.is_authenticated else 401)


@login_required
def reauth_view(request):
    """Confirm identity again before a sensitive action (exports, user management, tokens)."""
    user = request.user
    has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request._segmenta_reauth = True
        ok = authenticate(request, username=user.get_username(), password=form.cleaned_data["password"]) is not None
        if ok and has_device:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            ok = device.verify_is_allowed()[0] and device.verify_token(form.cleaned_data.get("otp_token") or "")
            if not ok:
                record("reauth_failed", request=request, detail={"factor": "totp"})
        if ok:
            mark_reauthenticated(request)
            record("reauth", request=request)
            return redirect(_next_url(request))
        form.add_error(None, _("Password or code is not correct."))
    return render(request, "accounts/reauth.html", {"form": form, "has_device": has_device,
                                                    "next": safe_next(request.GET.get("next")) or ""})


# --- Profile, training records, API tokens -----------------------------------------

@login_required
@require_safe
def profile_view(request):
    """The user's own profile. Profession, licence and jurisdiction are shown, never
    edited here: a clinic admin sets and verifies them on the members page."""
    profile, _created = PractitionerProfile.objects.get_or_create(user=request.user)
    return _render_profile(request, profile)


def _clinic_kb(clinic):
    """The clinic's knowledge base (the shipped one where its overrides do not validate)."""
    return knowledge_service.for_clinic(clinic)


def _render_profile(request, profile, *, training_form=None, token_form=None, language_form=None, status=200):
    memberships = list(request.user.memberships.select_related("clinic"))
    prefetch_related_objects([profile], "training_records")  # read once, for the list and the check
    records = list(profile.training_records.all())
    # What the scope check counts today: neither an expired record's techniques nor a later one's.
    trained = set(profile.trained_techniques(timezone.localdate()))
    techniques = localize.choices("injection_target")
    # What the safety check does with an unknown profession is a rule in the knowledge
    # base (clinic overrides included); the page says what it does, not a copy of it.
    kb = _clinic_kb(memberships[0].clinic if memberships else None)
    unknown_rule = kb.get("safety-rule", "unknown_profession") if "safety-rule" in kb.kinds() else None
    return render(request, "accounts/profile.html", {
        "profile": profile,
        "unknown_rule": unknown_rule,
        "verifier": profile.verified_by if profile.verified_at else None,
        "clinic_jurisdictions": sorted({m.clinic.jurisdiction for m in memberships if m.clinic.jurisdiction}),
        "records": records,
        "trained": [label for code, label in techniques if code in trained],
        "untrained": [label for code, label in techniques if code not in trained],
        "tokens": request.user.api_tokens.all(),
        "memberships": memberships,
        "training_form": training_form or TrainingRecordForm(),
        "token_form": token_form or ApiTokenForm(),
        "language_form": language_form or LanguageForm(instance=profile),
    }, status=status)


@login_required
@require_POST
def profile_language(request):
    """The interface language: applied from the next page on, in every session of the user's
    to come (this one at once), and kept in the language cookie for the login page."""
    profile, _created = PractitionerProfile.objects.get_or_create(user=request.user)
    before = profile.language
    form = LanguageForm(request.POST, instance=profile)
    if not form.is_valid():
        return _render_profile(request, profile, language_form=form, status=400)
    with transaction.atomic():
        form.save()
        if profile.language != before:
            record("update", request=request, obj=profile, detail={"language": [before, profile.language]})
    interface_language.remember(request, profile.language)
    # The confirmation in the language just chosen: the browser's without the cookie, which goes.
    request.COOKIES.pop(settings.LANGUAGE_COOKIE_NAME, None)
    with translation.override(profile.language or translation.get_language_from_request(request)):
        messages.success(request, _("Interface language saved."))
    response = redirect("accounts:profile")
    interface_language.set_cookie(response, profile.language)
    return response


@login_required
@require_POST
def training_add(request):
    profile, _created = PractitionerProfile.objects.get_or_create(user=request.user)
    form = TrainingRecordForm(request.POST, request.FILES)
    if form.is_valid():
        item = form.save(commit=False)
        item.profile = profile
        try:
            with transaction.atomic():
                item.save()
                record("create", request=request, obj=item)
        except Exception:
            drop_stored_upload(item.certificate)
            raise
        messages.success(request, _("Training record added."))
        return redirect("accounts:profile")
    return _render_profile(request, profile, training_form=form, status=400)


@login_required
@require_POST
def training_delete(request, pk):
    item = get_object_or_404(TrainingRecord, pk=pk, profile__user=request.user)
    stored = item.certificate.name if item.certificate else ""
    with transaction.atomic():
        record("delete", request=request, obj=item, detail={"course": item.course})
        item.delete()
    if stored:  # after the commit: a rolled-back delete must keep its file
        item.certificate.storage.delete(stored)
    messages.success(request, _("Training record removed."))
    return redirect("accounts:profile")


@login_required
def certificate_view(request, pk):
    """A certificate file: its owner and the admins of the owner's clinics may open it."""
    item = get_object_or_404(TrainingRecord.objects.select_related("profile__user"), pk=pk)
    owner = item.profile.user
    allowed = owner == request.user or Membership.objects.filter(
        user=owner, clinic__in=admin_clinics(request.user)).exists()
    if not allowed or not item.certificate:
        raise Http404
    record("view", request=request, obj=item, detail={"file": "certificate"})
    return FileResponse(item.certificate.open("rb"), as_attachment=False)


@login_required
@reauth_required
@require_POST
def token_create(request):
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        profile, _created = PractitionerProfile.objects.get_or_create(user=request.user)
        return _render_profile(request, profile, token_form=form, status=400)
    with transaction.atomic():
        token, raw = ApiToken.issue(request.user, form.cleaned_data["name"], days=form.cleaned_data["days"])
        record("create", request=request, obj=token, detail={"prefix": token.key_prefix,
                                                             "expires": token.expires_at.isoformat()})
    # Shown once, on the next page only; never stored in clear.
    return render(request, "accounts/token_created.html", {"token": token, "raw": raw})


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.active:
        with transaction.atomic():
            token.revoke()
            record("delete", request=request, obj=token, detail={"prefix": token.key_prefix, "revoked": True})
    messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


# --- Clinic members (clinic admins) -----------------------------------------------

def _profile_of(user):
    """A user's practitioner profile; an unsaved one for accounts made elsewhere without one."""
    try:
        return user.profile
    except PractitionerProfile.DoesNotExist:
        return PractitionerProfile(user=user)


def _licence_form(member, data=None):
    return LicenceForm.for_profile(_profile_of(member.user), data, prefix=f"licence-{member.pk}")


@clinic_admin_required
@reauth_required
def members_view(request):
    clinics = admin_clinics(request.user)
    form = NewMemberForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = User.objects.create_user(
                username=data["username"], password=data["password"], email=data["email"],
                first_name=data["first_name"], last_name=data["last_name"],
            )
            profile = PractitionerProfile(user=user)
            # A profession given here is verified by the admin who creates the account.
            licence = profile.set_licence(request.user, profession=data["profession"],
                                          licence_number=data["licence_number"],
                                          licence_jurisdiction=data["licence_jurisdiction"])
            profile.save()
            member = Membership.objects.create(user=user, clinic=data["clinic"], role=data["role"])
            record("create", request=request, clinic=data["clinic"], obj=member,
                   detail={"username": user.username, "role": member.role})
            if licence:
                record("update", request=request, clinic=data["clinic"], obj=profile,
                       detail={"username": user.username, **licence, "verified": bool(profile.verified_at)})
        messages.success(request, _("Account %(username)s created.") % {"username": user.username})
        return redirect("accounts:members")
    return _render_members(request, clinics, form=form, status=400 if form.errors else 200)


def _render_members(request, clinics, *, form=None, licence_form=None, status=200):
    """The members page; ``licence_form`` is a bound form with errors for one member."""
    members = list(
        Membership.objects.filter(clinic__in=clinics)
        .select_related("clinic", "user", "user__profile", "user__profile__verified_by")
        .annotate(mfa=Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)),
                  tokens=Count("user__api_tokens", distinct=True),
                  elsewhere=Exists(Membership.objects.filter(user=OuterRef("user")).exclude(clinic__in=clinics)))
    )
    for member in members:
        member.profile = _profile_of(member.user)
        bound = licence_form is not None and licence_form.prefix == f"licence-{member.pk}"
        member.licence_form = licence_form if bound else _licence_form(member)
    return render(request, "accounts/members.html", {
        "members": members, "form": form or NewMemberForm(clinics=clinics), "roles": Role.choices,
        # An admin of one clinic needs no column repeating its name on every row.
        "several_clinics": len({m.clinic_id for m in members}) > 1,
    }, status=status)


def _admin_membership_or_404(request, pk):
    return get_object_or_404(
        Membership.objects.select_related("user", "clinic"), pk=pk, clinic__in=admin_clinics(request.user)
    )


@clinic_admin_required
@reauth_required
@require_POST
def member_role(request, pk):
    member = _admin_membership_or_404(request, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("accounts:members")
    new_role = form.cleaned_data["role"]
    with transaction.atomic():
        if member.role == Role.ADMIN and new_role != Role.ADMIN and _last_admin(member):
            messages.error(request, _("A clinic needs at least one admin."))
            return redirect("accounts:members")
        old = member.role
        member.role = new_role
        member.save(update_fields=["role"])
        record("update", request=request, clinic=member.clinic, obj=member,
               detail={"username": member.user.username, "role": [old, new_role]})
    messages.success(request, _("Role changed."))
    return redirect("accounts:members")


@clinic_admin_required
@reauth_required
@require_POST
def member_licence(request, pk):
    """A clinic admin sets a member's profession, licence number and jurisdiction and
    so verifies them (their own entry too: small practices have one admin)."""
    member = _admin_membership_or_404(request, pk)
    # A profession counts in every clinic the person works in: only someone who
    # administers all of them may vouch for it.
    if _works_elsewhere(request, member):
        messages.error(request, _("%(username)s also works in a clinic you do not administer; an admin of every "
                                  "one of their clinics, or a server operator, verifies their profession.")
                       % {"username": member.user.username})
        return redirect("accounts:members")
    form = _licence_form(member, request.POST)
    if not form.is_valid():
        return _render_members(request, admin_clinics(request.user), licence_form=form, status=400)
    with transaction.atomic():
        profile = _profile_of(member.user)
        was = {"verified_by": profile.verified_by.get_username() if profile.verified_by else None,
               "verified_at": profile.verified_at.isoformat() if profile.verified_at else None}
        changes = profile.set_licence(request.user, **{name: form.cleaned_data[name]
                                                       for name in PractitionerProfile.LICENCE_FIELDS})
        profile.save()
        record("update", request=request, clinic=member.clinic, obj=profile,
               detail={"username": member.user.username, **changes, "verified": bool(profile.verified_at),
                       "previously": was})
    if profile.verified_at:
        messages.success(request, _("Profession of %(username)s saved and verified by you.")
                         % {"username": member.user.username})
    else:
        messages.success(request, _("%(username)s has no profession now; nothing to verify.")
                         % {"username": member.user.username})
    return redirect(reverse("accounts:members") + f"#member-{member.pk}")


def _works_elsewhere(request, member):
    """Does the member also work in a clinic this admin does not administer?"""
    return member.user.memberships.exclude(clinic__in=admin_clinics(request.user)).exists()


def _last_admin(member):
    return not Membership.objects.filter(clinic=member.clinic, role=Role.ADMIN).exclude(pk=member.pk).exists()


@clinic_admin_required
@reauth_required
@require_POST
def member_remove(request, pk):
    member = _admin_membership_or_404(request, pk)
    with transaction.atomic():
        if member.role == Role.ADMIN and _last_admin(member):
            messages.error(request, _("A clinic needs at least one admin."))
            return redirect("accounts:members")
        record("delete", request=request, clinic=member.clinic, obj=member,
               detail={"username": member.user.username, "role": member.role})
        member.delete()
    messages.success(request, _("%(username)s no longer belongs to %(clinic)s.")
                     % {"username": member.user.username, "clinic": member.clinic.name})
    return redirect("accounts:members")


@clinic_admin_required
@reauth_required
@require_POST
def member_reset_mfa(request, pk):
    member = _admin_membership_or_404(request, pk)
    # The second factor guards every clinic the person works in: only someone who
    # administers all of them may reset it.
    if _works_elsewhere(request, member):
        messages.error(request, _("%(username)s also works in a clinic you do not administer; "
                                  "ask a server operator to reset the second factor.")
                       % {"username": member.user.username})
        return redirect("accounts:members")
    with transaction.atomic():
        removed, _detail = TOTPDevice.objects.filter(user=member.user).delete()
        record("delete", request=request, clinic=member.clinic, object_type="totpdevice",
               object_id=str(member.user_id), detail={"username": member.user.username, "reset_mfa": removed})
    messages.success(request, _("%(username)s will enrol a new authenticator at the next login.")
                     % {"username": member.user.username})
    return redirect("accounts:members")



# --- Clinic settings (clinic admins) ----------------------------------------------

def _default_crisis_contacts(clinic):
    """What patients see when the clinic has entered no contacts of its own, chosen as the
    thank-you page chooses it. None where the knowledge base has no such kind."""
    kb = _clinic_kb(clinic)
    if "crisis-contact" not in kb.kinds():
        return None
    return localize.entry(default_entry(clinic.jurisdiction, kb.entries["crisis-contact"]))  # in the page's language


def _retention_period(clinic):
    """How long the clinic's charts are kept: its own period, else its jurisdiction's."""
    return retention.period(clinic.retention_years, clinic.jurisdiction, load_knowledge().entries["retention"])


def _settings_form(clinic, data=None, files=None):
    return ClinicSettingsForm(data, files, instance=clinic, prefix=f"clinic-{clinic.pk}")


def _setting(clinic, name):
    value = getattr(clinic, name)
    return value.name if name == "logo" else value  # the stored file's name, for the audit trail


@clinic_admin_required
@reauth_required
@require_safe
def clinic_settings(request):
    return _render_settings(request)


def _render_settings(request, bound=None, status=200):
    """Every clinic the user administers, each with its form; ``bound`` a form with errors."""
    clinics = []
    for clinic in admin_clinics(request.user).order_by("name"):
        form = bound if bound is not None and bound.instance.pk == clinic.pk else _settings_form(clinic)
        saved = Clinic.objects.get(pk=clinic.pk) if form is bound else clinic
        clinics.append({"clinic": saved, "form": form, "defaults": _default_crisis_contacts(saved),
                        "retention": _retention_period(saved)})
    return render(request, "accounts/clinic_settings.html", {"clinics": clinics}, status=status)


@clinic_admin_required
@reauth_required
@require_POST
def clinic_settings_save(request, pk):
    clinic = get_object_or_404(admin_clinics(request.user), pk=pk)
    fields = ClinicSettingsForm.Meta.fields
    before = {name: _setting(clinic, name) for name in fields}
    form = _settings_form(clinic, request.POST, request.FILES)
    if not form.is_valid():
        return _render_settings(request, bound=form, status=400)
    try:
        with transaction.atomic():
            clinic = form.save()
            changes = {name: [before[name], _setting(clinic, name)] for name in fields
                       if before[name] != _setting(clinic, name)}
            if "logo" in changes and before["logo"]:  # the replaced or removed logo's file goes once saved
                transaction.on_commit(lambda: clinic.logo.storage.delete(before["logo"]))
            record("update", request=request, clinic=clinic, obj=clinic, detail={"settings": changes})
    except Exception:
        drop_stored_upload(form.instance.logo, keep=before["logo"])
        raise
    messages.success(request, _("Settings of %(clinic)s saved.") % {"clinic": clinic.name})
    return redirect("accounts:clinic_settings")
