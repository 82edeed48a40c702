"""Sends a signed-in user who has not passed the second factor to verification or enrolment."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from .second_factor import has_confirmed_device, needs_second_factor

# Reachable before the second factor: the second-factor pages themselves, sign-out,
# language switching and static files.
EXEMPT_PREFIXES = (
    "/2fa/", "/webauthn/", "/accounts/logout/", "/i18n/", "/static/", "/favicon.ico"
)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            if has_confirmed_device(user):
                return self._to("trust:verify", request)
            if needs_second_factor(user):
                return self._to("trust:setup", request)
        return self.get_response(request)

    @staticmethod
    def _to(name, request):
        target = reverse(name)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


# --- Device certificates behind the TLS proxy --------------------------------------

PROXY_HEADERS = ("HTTP_X_SSL_CLIENT_VERIFY", "HTTP_X_SSL_CLIENT_SERIAL", "HTTP_X_SSL_CLIENT_S_DN")
# Reachable without a device certificate: sign-out, language, static files, the CRL
# and the one-time download links (a new device has no certificate yet).
DEVICE_EXEMPT_PREFIXES = (
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "/favicon.ico",
    "/trust/crl.",
    "/trust/download/",
)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class DeviceCertificateMiddleware:
    """Accept a signed-in request behind the TLS proxy only from a device holding an active
    certificate of that user.

    * ``X-SSL-Client-*`` headers count only when the request comes from an address in
      ``settings.TRUSTED_PROXY_ADDRESSES``; from anywhere else they are removed.
    * With ``TRUST_REQUIRE_DEVICE_CERTIFICATE`` (behind the proxy) the verify header must
      be exactly ``SUCCESS`` (nginx says ``FAILED:certificate revoked`` for a revoked one)
      and the serial must be an active, unrevoked certificate of the signed-in user.
    * In disaster mode the certificate is not required (the password and, for admins,
      the second factor still are); ``request.disaster_mode`` is set for the audit log and
      every changing request is recorded.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        from .ca import serial_from_header
        from .services import current_disaster_mode

        trusted = request.META.get("REMOTE_ADDR") in settings.TRUSTED_PROXY_ADDRESSES
        if not trusted:
            for header in PROXY_HEADERS:
                request.META.pop(header, None)
        request.client_verify = request.META.get("HTTP_X_SSL_CLIENT_VERIFY", "")
        request.client_serial = serial_from_header(request.META.get("HTTP_X_SSL_CLIENT_SERIAL"))
        request.device_certificate = None
        mode = current_disaster_mode()
        request.disaster = mode
        request.disaster_mode = mode is not None

        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if (
            signed_in
            and settings.TRUST_REQUIRE_DEVICE_CERTIFICATE
            and not request.path.startswith(DEVICE_EXEMPT_PREFIXES)
        ):
            refusal = self._check(request, user, trusted)
            if refusal is not None and not request.disaster_mode:
                return self._refuse(request, refusal)

        response = self.get_response(request)
        if request.disaster_mode and signed_in and request.method not in SAFE_METHODS:
            from audit import log as audit_log

            audit_log.record(
                "disaster.request", request=request, method=request.method,
                path=request.path[:200], status=response.status_code,
            )
        return response

    @staticmethod
    def _check(request, user, trusted):
        """None if the device is accepted, else the reason (a key of ``REASONS``)."""
        from .models import DeviceCertificate

        if not trusted:
            return "no_proxy"
        if request.client_verify == "NONE" or not request.client_verify:
            return "no_certificate"
        if request.client_verify != "SUCCESS" or request.client_serial is None:
            return "failed"
        cert = DeviceCertificate.objects.active().filter(serial_number=request.client_serial).first()
        if cert is None:
            return "inactive"
        if cert.user_id != user.pk:
            return "other_user"
        request.device_certificate = cert
        return None

    @staticmethod
    def _refuse(request, reason):
        from django.shortcuts import render

        return render(
            request, "trust/device_refused.html", {"reason": reason}, status=403
        )
