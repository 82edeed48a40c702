from django.urls import path

from . import device_views as views

app_name = "devices"
urlpatterns = [
    path("crl.pem", views.crl_pem, name="crl_pem"),
    path("crl.der", views.crl_der, name="crl_der"),
    path("ca.pem", views.ca_certificate, name="ca_pem"),
    path("download/<str:token>/", views.download, name="download"),
    path("devices/mine/", views.my_devices, name="mine"),
    path("devices/", views.manage_devices, name="manage"),
    path("devices/<int:cert_pk>/revoke/", views.revoke, name="revoke"),
    path("vpn/", views.vpn_pool, name="vpn_pool"),
    path("vpn/facility/<int:facility_pk>/", views.vpn_facility, name="vpn_facility"),
    path(
        "vpn/facility/<int:facility_pk>/<int:vpn_pk>/unassign/",
        views.vpn_unassign,
        name="vpn_unassign",
    ),
    path(
        "vpn/facility/<int:facility_pk>/<int:vpn_pk>/wireguard/",
        views.vpn_wireguard,
        name="vpn_wireguard",
    ),
    path("disaster/", views.disaster, name="disaster"),
    path("disaster/<int:mode_pk>/report/", views.disaster_report, name="disaster_report"),
]
