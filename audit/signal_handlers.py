"""Sign-ins, sign-in failures, lockouts, sign-outs, deactivations and Wagtail admin actions
go to the audit log."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save

from wagtail.models import ModelLogEntry, PageLogEntry

from axes.signals import user_locked_out

from . import log
from .middleware import AUTH_AT
from .sessions import end_all_sessions


def logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[AUTH_AT] = time.time()
    log.record("auth.login", request=request, actor=user)


def login_failed(sender, credentials, request=None, **kwargs):
    # The e-mail typed is kept (it names a staff account, not a patient); never the password.
    username = str(credentials.get("username", ""))[:254]
    log.record("auth.login_failed", request=request, decision=log.DENIED, username=username)


def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    log.record(
        "auth.locked_out", request=request, decision=log.DENIED, username=str(username or "")[:254]
    )


def logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    log.record("auth.logout", request=request, actor=user)
    # Signing out on one device signs out everywhere.
    end_all_sessions(user.pk)


def remember_active(sender, instance, **kwargs):
    if instance.pk:
        previous = sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
        instance._mimamori_was_active = previous
    else:
        instance._mimamori_was_active = None


def deactivated(sender, instance, created, **kwargs):
    if not created and getattr(instance, "_mimamori_was_active", None) and not instance.is_active:
        ended = end_all_sessions(instance.pk)
        log.record(
            "account.deactivated", target=instance, actor=None, sessions_ended=ended,
            user_id=instance.pk,
        )


def admin_log_entry(sender, instance, created, **kwargs):
    """Mirror Wagtail's own log of admin actions (create, edit, delete, publish, ...).

    Only the action, the model and the object id are copied: Wagtail's label may hold a
    patient's name, so it is not.
    """
    if not created:
        return
    content_type = instance.content_type
    log.record(
        f"admin.{instance.action}"[:60],
        actor=instance.user,
        role="",
        decision=log.ALLOWED,
        model=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        object_id=str(instance.object_id),
    )


def connect():
    user_logged_in.connect(logged_in, dispatch_uid="audit_logged_in")
    user_login_failed.connect(login_failed, dispatch_uid="audit_login_failed")
    user_logged_out.connect(logged_out, dispatch_uid="audit_logged_out")
    user_locked_out.connect(locked_out, dispatch_uid="audit_locked_out")
    user_model = get_user_model()
    pre_save.connect(remember_active, sender=user_model, dispatch_uid="audit_remember_active")
    post_save.connect(deactivated, sender=user_model, dispatch_uid="audit_deactivated")
    for model in (PageLogEntry, ModelLogEntry):
        post_save.connect(admin_log_entry, sender=model, dispatch_uid=f"audit_{model.__name__}")
