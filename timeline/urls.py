from django.urls import path

from . import views

app_name = "timeline"
urlpatterns = [
    path("posts/<int:pk>/edit/", views.edit, name="edit"),
    path("posts/<int:pk>/delete/", views.delete, name="delete"),
    path("posts/<int:pk>/history/", views.history, name="history"),
    path("posts/<int:pk>/readers/", views.readers, name="readers"),
    path("posts/<int:pk>/request/", views.request_change, name="request_change"),
    path("requests/<int:pk>/answer/", views.answer_request, name="answer_request"),
    path("notifications/", views.notification_list, name="notifications"),
    path("patients/<uuid:patient_id>/export/", views.export, name="export"),
    path("push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
    path("files/<int:pk>/thumbnail/", views.thumbnail, name="thumbnail"),
]
