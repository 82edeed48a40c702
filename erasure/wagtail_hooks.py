"""Consent withdrawal in the secretariat's admin: a button on each patient, a confirm view,
the list of deletion certificates. Wagtail's own page deletion is not used for patients:
it leaves revisions' log entries and history behind (see ``erasure.services``)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from network import access
from network.models import PatientPage

from . import views


@hooks.register("register_admin_urls")
def register_erasure_urls():
    return [
        path("erasure/withdraw/<uuid:patient_id>/", views.withdraw, name="erasure_withdraw"),
        path("erasure/certificates/", views.certificates, name="erasure_certificates"),
        path(
            "erasure/certificates/<uuid:pk>/pdf/", views.certificate_pdf, name="erasure_certificate_pdf"
        ),
    ]


class _SecretariatMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_secretariat(request.user)


@hooks.register("register_admin_menu_item")
def register_certificates_menu_item():
    return _SecretariatMenuItem(
        _("削除証明書"), reverse("erasure_certificates"), icon_name="doc-full", order=160
    )


def _withdraw_button(page, user, priority):
    specific = page.specific_deferred if hasattr(page, "specific_deferred") else page
    if isinstance(specific, PatientPage) and access.is_secretariat(user):
        return Button(
            _("同意撤回による削除"),
            reverse("erasure_withdraw", args=[specific.patient_id]),
            icon_name="bin",
            priority=priority,
        )
    return None


@hooks.register("register_page_listing_more_buttons")
def withdraw_listing_button(page, user, next_url=None):
    button = _withdraw_button(page, user, priority=35)
    if button:
        yield button


@hooks.register("register_page_header_buttons")
def withdraw_header_button(page, user, view_name, next_url=None):
    button = _withdraw_button(page, user, priority=55)
    if button:
        yield button


@hooks.register("before_delete_page")
def patients_leave_by_withdrawal_only(request, page):
    """Deleting a patient page the Wagtail way would leave history behind: send to the withdrawal."""
    if isinstance(page.specific_deferred, PatientPage):
        messages.error(request, _("患者の削除は「同意撤回による削除」で行います。"))
        if access.is_secretariat(request.user):
            return redirect("erasure_withdraw", patient_id=page.specific_deferred.patient_id)
        return redirect("wagtailadmin_home")
    return None


@hooks.register("before_bulk_action")
def no_bulk_deletion_of_patients(request, action_type, objects, action_class_instance):
    """The bulk "delete" would bypass the purge as well."""
    if action_type == "delete" and any(
        isinstance(getattr(obj, "specific_deferred", obj), PatientPage) for obj in objects
    ):
        messages.error(request, _("患者の削除は「同意撤回による削除」で1人ずつ行います。"))
        return redirect("wagtailadmin_home")
    return None
