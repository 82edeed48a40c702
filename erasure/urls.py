from django.urls import path

from . import views

app_name = "erasure"
urlpatterns = [
    path("certificates/<uuid:pk>/", views.certificate_pdf, name="certificate"),
]
