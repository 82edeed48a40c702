"""The notice bell's count for the page header."""

from django.utils.functional import SimpleLazyObject


def notices(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        from network import access

        from .models import Notification

        return Notification.objects.filter(
            user=user, read_at__isnull=True, patient__in=access.visible_patients(user)
        ).count()

    return {"unread_notices": SimpleLazyObject(count)}
