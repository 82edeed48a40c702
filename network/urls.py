from django.urls import path

from . import views

app_name = "network"
urlpatterns = [
    path("home/", views.home, name="home"),
    # The patient pages' own URL (the tree's /network/patients/<slug>/), resolved directly.
    path("network/patients/<slug:slug>/", views.patient_timeline, name="patient_timeline"),
    path("console/", views.console_index, name="console_index"),
    path("console/<int:facility_pk>/", views.console, name="console"),
    path("console/<int:facility_pk>/staff/add/", views.staff_add, name="staff_add"),
    path(
        "console/<int:facility_pk>/staff/<int:membership_pk>/remove/",
        views.staff_remove,
        name="staff_remove",
    ),
    path(
        "console/<int:facility_pk>/patients/<int:patient_pk>/",
        views.patient_team,
        name="patient_team",
    ),
    path(
        "console/<int:facility_pk>/patients/<int:patient_pk>/members/<int:link_pk>/remove/",
        views.member_unlink,
        name="member_unlink",
    ),
    path("console/<int:facility_pk>/ledger/", views.ledger, name="ledger"),
    path(
        "console/<int:facility_pk>/ledger.<str:fmt>",
        views.ledger_export,
        name="ledger_export",
    ),
    path(
        "console/<int:facility_pk>/ledger/<int:membership_pk>/pledge/",
        views.ledger_pledge,
        name="ledger_pledge",
    ),
]
