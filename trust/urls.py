from django.urls import path

from . import views

app_name = "trust"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("verify/", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
]
