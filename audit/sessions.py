"""Ending every session of a person: at sign-out (on any device) and when an account is deactivated."""

from importlib import import_module

from django.conf import settings

from .models import UserSession


def end_all_sessions(user_id, *, except_key=None):
    """Delete every stored session of ``user_id``; returns how many were ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = UserSession.objects.filter(user_id=user_id)
    if except_key:
        rows = rows.exclude(session_key=except_key)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)
