from django.urls import path

from . import views

app_name = "forms"
urlpatterns = [
    path("forms/<slug:slug>/blank.pdf", views.blank, name="blank"),
    path("forms/<slug:slug>/online/", views.online_form, name="online"),
    path("forms/applications/<str:token>/", views.application, name="application"),
    path("forms/applications/<str:token>/pdf/", views.application_pdf, name="application_pdf"),
    path("forms/documents/<int:pk>/", views.document, name="document"),
    path("console/<int:facility_pk>/forms/", views.console_forms, name="console_forms"),
    path(
        "console/<int:facility_pk>/forms/<slug:slug>/",
        views.console_online,
        name="console_online",
    ),
    path(
        "console/<int:facility_pk>/applications/<str:reference>/",
        views.console_submission,
        name="console_submission",
    ),
    path(
        "console/<int:facility_pk>/applications/<str:reference>/pdf/",
        views.console_submission_pdf,
        name="console_submission_pdf",
    ),
]
