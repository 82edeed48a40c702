from django.conf import settings
from django.urls import include, path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from timeline import views as timeline_views
from trust import views as trust_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("2fa/", include("trust.urls")),
    path("trust/", include("trust.device_urls")),
    path(
        "webauthn/authentication/complete/",
        trust_views.PasskeyVerificationComplete.as_view(),
    ),
    path("webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    path("", include("network.urls")),
    path("timeline/", include("timeline.urls")),
    path("", include("forms.urls")),
    path("erasure/", include("erasure.urls")),
    path("search/", include("search.urls")),
    path("sw.js", timeline_views.service_worker, name="service_worker"),
    path("admin/", include(wagtailadmin_urls)),
    path("audit/", include("audit.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

# Wagtail's page serving last: public pages and the private tree (which asks the policy).
urlpatterns += [path("", include(wagtail_urls))]
