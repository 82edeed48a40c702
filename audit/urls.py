from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("patients/<uuid:patient_id>/", views.who_read, name="who_read"),
]
