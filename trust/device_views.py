"""Device certificates, the CRL, VPN numbers and disaster mode.

Who may do what is asked of ``network.access`` (404 otherwise); data-dependent refusals
come from ``trust.services`` as ``TrustError`` with a Japanese message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from network import access

from . import ca, services
from .forms import AllocateVpnForm, AssignVpnForm, DisasterModeForm, IssueCertificateForm
from .models import DeviceCertificate, DisasterMode, VpnNumber
from .services import TrustError

# --- Public: the CRL -----------------------------------------------------------------


def _crl_response(body, content_type, filename):
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def crl_pem(request):
    try:
        authority = ca.get_ca()
    except ca.CANotInitialised:
        raise Http404 from None
    return _crl_response(authority.crl_pem, "application/x-pem-file", "mimamori-crl.pem")


@require_GET
def crl_der(request):
    try:
        authority = ca.get_ca()
    except ca.CANotInitialised:
        raise Http404 from None
    return _crl_response(bytes(authority.crl_der), "application/pkix-crl", "mimamori-crl.crl")


@require_GET
def ca_certificate(request):
    try:
        authority = ca.get_ca()
    except ca.CANotInitialised:
        raise Http404 from None
    return _crl_response(authority.certificate_pem, "application/x-pem-file", "mimamori-ca.pem")


# --- The one-time bundle download (no sign-in: a new device has no certificate) ------


@never_cache
@require_http_methods(["GET", "POST"])
def download(request, token):
    """GET shows a button (mail scanners that fetch links must not use up the download);
    POST hands over the bundle once."""
    if request.method == "GET":
        return render(request, "trust/download.html", {"token": token})
    try:
        cert, bundle = services.take_bundle(token, request=request)
    except TrustError as exc:
        return render(request, "trust/download.html", {"error": exc.message}, status=410)
    response = HttpResponse(bundle, content_type="application/x-pkcs12")
    response["Content-Disposition"] = f'attachment; filename="mimamori-{cert.serial_hex[:12]}.p12"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- The user's own devices --------------------------------------------------------


@login_required
@require_GET
def my_devices(request):
    certs = DeviceCertificate.objects.filter(user=request.user).select_related("facility")
    return render(
        request,
        "trust/my_devices.html",
        {
            "certificates": certs,
            "current": getattr(request, "device_certificate", None),
            "vpn_numbers": VpnNumber.objects.filter(assigned_user=request.user),
        },
    )


# --- Managing the devices of one's people ------------------------------------------------


def _managed_or_404(user):
    memberships = access.device_managed_memberships(user).select_related("user", "facility")
    if not (access.is_secretariat(user) or access.is_facility_admin(user)):
        raise Http404
    return memberships


@login_required
@require_http_methods(["GET", "POST"])
def manage_devices(request):
    memberships = _managed_or_404(request.user)
    form = IssueCertificateForm(request.POST or None, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        membership = form.cleaned_data["membership"]
        if not access.can_manage_device_of(request.user, membership.user, membership.facility):
            raise Http404
        try:
            cert, password, token = services.issue_certificate(
                membership.user,
                form.cleaned_data["device_name"],
                facility=membership.facility,
                actor=request.user,
                request=request,
            )
        except TrustError as exc:
            form.add_error(None, exc.message)
        else:
            return render(
                request,
                "trust/issued.html",
                {
                    "cert": cert,
                    "password": password,
                    "url": request.build_absolute_uri(reverse("devices:download", args=[token])),
                },
            )
    certificates = (
        access.manageable_device_certificates(request.user, DeviceCertificate)
        .select_related("user", "facility")
        .order_by("user__last_name_kana", "-issued_at")
    )
    return render(
        request,
        "trust/manage_devices.html",
        {"form": form, "certificates": certificates, "memberships": memberships},
    )


@login_required
@require_POST
def revoke(request, cert_pk):
    cert = get_object_or_404(
        access.manageable_device_certificates(request.user, DeviceCertificate), pk=cert_pk
    )
    try:
        services.revoke_certificate(
            cert, actor=request.user, reason=request.POST.get("reason", ""), request=request
        )
    except TrustError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s さんの端末「%(device)s」の証明書を失効させました。失効リスト（CRL）を更新しました。")
            % {"name": cert.user.get_full_name(), "device": cert.device_name},
        )
    return redirect("devices:manage")


# --- VPN numbers ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def vpn_pool(request):
    """The secretariat allocates numbers of the pool to facilities."""
    if not access.can_allocate_vpn_numbers(request.user):
        raise Http404
    facilities = access.managed_facilities(request.user)
    form = AllocateVpnForm(request.POST or None, facilities=facilities)
    if request.method == "POST" and form.is_valid():
        facility = form.cleaned_data["facility"]
        try:
            created = services.allocate_vpn_numbers(
                facility, form.cleaned_data["count"], actor=request.user, request=request
            )
        except TrustError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(facility)s にVPN番号 %(numbers)s を割り当てました。")
                % {"facility": facility.name, "numbers": "、".join(v.label for v in created)},
            )
            return redirect("devices:vpn_pool")
    numbers = VpnNumber.objects.select_related("facility", "assigned_user").order_by("number")
    return render(
        request,
        "trust/vpn_pool.html",
        {"form": form, "numbers": numbers, "free": 10000 - numbers.count()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def vpn_facility(request, facility_pk):
    """A facility admin assigns the facility's numbers to its people."""
    facility = get_object_or_404(access.administered_facilities(request.user), pk=facility_pk)
    numbers = VpnNumber.objects.filter(facility=facility).select_related("assigned_user")
    memberships = access.device_managed_memberships(request.user, facility).select_related("user")
    form = AssignVpnForm(
        request.POST or None, numbers=numbers.filter(assigned_user__isnull=True), memberships=memberships
    )
    if request.method == "POST" and form.is_valid():
        vpn = form.cleaned_data["number"]
        member = form.cleaned_data["membership"].user
        try:
            services.assign_vpn_number(
                vpn, member, device=form.cleaned_data["device"], actor=request.user, request=request
            )
        except TrustError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("VPN番号 %(number)s を %(name)s さんに割り当てました。")
                % {"number": vpn.label, "name": member.get_full_name()},
            )
            return redirect("devices:vpn_facility", facility_pk=facility.pk)
    return render(
        request, "trust/vpn_facility.html", {"facility": facility, "numbers": numbers, "form": form}
    )


def _facility_vpn_or_404(request, facility_pk, vpn_pk):
    facility = get_object_or_404(access.administered_facilities(request.user), pk=facility_pk)
    return get_object_or_404(VpnNumber.objects.filter(facility=facility), pk=vpn_pk)


@login_required
@require_POST
def vpn_unassign(request, facility_pk, vpn_pk):
    vpn = _facility_vpn_or_404(request, facility_pk, vpn_pk)
    services.unassign_vpn_number(vpn, actor=request.user, request=request)
    messages.success(request, _("VPN番号 %(number)s の割り当てを解除しました。") % {"number": vpn.label})
    return redirect("devices:vpn_facility", facility_pk=facility_pk)


@login_required
@require_POST
def vpn_wireguard(request, facility_pk, vpn_pk):
    """Make a WireGuard peer configuration (POST ``make``) or take it once (POST ``take``)."""
    vpn = _facility_vpn_or_404(request, facility_pk, vpn_pk)
    try:
        if request.POST.get("action") == "take":
            config = services.take_wireguard_config(vpn, request=request)
            response = HttpResponse(config, content_type="text/plain; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="mimamori-vpn-{vpn.label}.conf"'
            response["Cache-Control"] = "private, no-store"
            return response
        services.make_wireguard_peer(vpn, actor=request.user, request=request)
        messages.success(
            request,
            _("VPN番号 %(number)s のWireGuard設定を作成しました。一度だけ受け取れます。") % {"number": vpn.label},
        )
    except TrustError as exc:
        messages.error(request, exc.message)
    return redirect("devices:vpn_facility", facility_pk=facility_pk)


# --- Disaster mode ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def disaster(request):
    if not access.can_switch_disaster_mode(request.user):
        raise Http404
    current = services.current_disaster_mode()
    form = DisasterModeForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "end" and current is not None:
                services.end_disaster_mode(current, actor=request.user, request=request)
                messages.success(request, _("災害時モードを終了しました。"))
                return redirect("devices:disaster")
            if form.is_valid():
                mode = services.start_disaster_mode(
                    form.cleaned_data["reason"], form.cleaned_data["hours"],
                    actor=request.user, request=request,
                )
                messages.warning(
                    request,
                    _("災害時モードを開始しました（%(end)s まで）。証明書のない端末からもログインできます。")
                    % {"end": timezone.localtime(mode.ends_at).strftime("%Y-%m-%d %H:%M")},
                )
                return redirect("devices:disaster")
        except TrustError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "trust/disaster.html",
        {"form": form, "current": current, "history": DisasterMode.objects.all()[:50]},
    )


@login_required
@require_GET
def disaster_report(request, mode_pk):
    if not access.can_switch_disaster_mode(request.user):
        raise Http404
    mode = get_object_or_404(DisasterMode, pk=mode_pk)
    return render(
        request,
        "trust/disaster_report.html",
        {"mode": mode, "entries": services.disaster_report(mode)},
    )

