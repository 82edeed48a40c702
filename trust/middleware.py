"""Sends a signed-in user who has not passed the second factor to verification or enrolment."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from .second_factor import has_confirmed_device, needs_second_factor

# Reachable before the second factor: the second-factor pages themselves, sign-out,
# language switching and static files.
EXEMPT_PREFIXES = ("/2fa/", "/accounts/logout/", "/i18n/", "/static/", "/favicon.ico")


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
