"""Login with password and TOTP, logoff, re-authentication, profile, members and API tokens."""

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from segmenta.audit.trail import record

from .middleware import SECOND_FACTOR_PENDING
from .access import admin_clinics, clinic_admin_required, mark_reauthenticated, reauth_required
from .forms import (
    ApiTokenForm,
    LoginForm,
    MemberRoleForm,
    NewMemberForm,
    ProfileForm,
    ReauthForm,
    TokenForm,
    TrainingRecordForm,
)
from .models import ApiToken, Membership, PractitionerProfile, Role, TrainingRecord

User = get_user_model()


def _next_url(request, default="patients:list"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


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
            login(request, user)
            if _needs_second_factor(user):
                # The MFA gate reads this flag: a user with an authenticator always
                # needs the code, even where MFA is not required of everyone.
                request.session[SECOND_FACTOR_PENDING] = True
                return redirect(reverse("accounts:mfa") + "?" + urlencode({"next": _next_url(request)}))
            return redirect(_next_url(request))
        # One message for wrong name and wrong password: it must not tell which.
        error = _("Username or password is not correct.")
    return render(request, "accounts/login.html", {
        "form": form, "error": error, "next": request.GET.get("next", ""),
        "idle": request.GET.get("reason") == "idle",
    })


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
    context = {"form": form, "enrolling": enrolling, "next": request.GET.get("next", "")}
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
                                                    "next": request.GET.get("next", "")})


# --- Profile, training records, API tokens -----------------------------------------

@login_required
def profile_view(request):
    profile, _created = PractitionerProfile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record("update", request=request, obj=profile, detail={"fields": sorted(form.changed_data)})
        messages.success(request, _("Profile saved."))
        return redirect("accounts:profile")
    return _render_profile(request, profile, form=form)


def _render_profile(request, profile, *, form=None, training_form=None, status=200):
    return render(request, "accounts/profile.html", {
        "form": form or ProfileForm(instance=profile),
        "profile": profile,
        "records": profile.training_records.all(),
        "tokens": request.user.api_tokens.all(),
        "memberships": request.user.memberships.select_related("clinic"),
        "training_form": training_form or TrainingRecordForm(),
        "token_form": ApiTokenForm(),
    }, status=status)


@login_required
@require_POST
def training_add(request):
    profile, _created = PractitionerProfile.objects.get_or_create(user=request.user)
    form = TrainingRecordForm(request.POST, request.FILES)
    if form.is_valid():
        with transaction.atomic():
            item = form.save(commit=False)
            item.profile = profile
            item.save()
            record("create", request=request, obj=item)
        messages.success(request, _("Training record added."))
        return redirect("accounts:profile")
    return _render_profile(request, profile, training_form=form, status=400)


@login_required
@require_POST
def training_delete(request, pk):
    item = get_object_or_404(TrainingRecord, pk=pk, profile__user=request.user)
    with transaction.atomic():
        record("delete", request=request, obj=item, detail={"course": item.course})
        item.certificate.delete(save=False)
        item.delete()
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
        messages.error(request, _("The token name is too long."))
        return redirect("accounts:profile")
    with transaction.atomic():
        token, raw = ApiToken.issue(request.user, form.cleaned_data["name"])
        record("create", request=request, obj=token, detail={"prefix": token.key_prefix})
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

@clinic_admin_required
@reauth_required
def members_view(request):
    clinics = admin_clinics(request.user)
    members = (
        Membership.objects.filter(clinic__in=clinics)
        .select_related("clinic", "user", "user__profile")
        .annotate(mfa=Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)),
                  tokens=Count("user__api_tokens", distinct=True))
    )
    form = NewMemberForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = User.objects.create_user(
                username=data["username"], password=data["password"], email=data["email"],
                first_name=data["first_name"], last_name=data["last_name"],
            )
            PractitionerProfile.objects.create(user=user, profession=data["profession"])
            member = Membership.objects.create(user=user, clinic=data["clinic"], role=data["role"])
            record("create", request=request, clinic=data["clinic"], obj=member,
                   detail={"username": user.username, "role": member.role})
        messages.success(request, _("Account %(username)s created.") % {"username": user.username})
        return redirect("accounts:members")
    return render(request, "accounts/members.html", {"members": members, "form": form,
                                                     "roles": Role.choices},
                  status=400 if form.errors else 200)


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
    if member.user.memberships.exclude(clinic__in=admin_clinics(request.user)).exists():
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

