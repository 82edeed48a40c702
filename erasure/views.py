"""The secretariat's consent-withdrawal screens (Wagtail admin) and certificate downloads.

Every decision goes through ``network.access``: only the secretariat may withdraw;
a certificate is given to the secretariat and to the administrators of the
facilities that were on the patient's team. Anyone else gets a 404.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from audit import log as audit_log
from network import access
from network.models import PatientPage

from .certificate import render_certificate_pdf
from .forms import WithdrawalForm
from .models import Tombstone, patient_digest
from .services import WithdrawalError, withdraw_consent


def _secretariat_or_404(user):
    if not access.is_secretariat(user):
        raise Http404


def withdraw(request, patient_id):
    """Confirm, then withdraw consent for one patient (form 7)."""
    _secretariat_or_404(request.user)
    patient = PatientPage.objects.filter(patient_id=patient_id).first()
    if patient is None:
        tombstone = Tombstone.objects.filter(patient_digest=patient_digest(patient_id)).first()
        if tombstone is None:
            raise Http404
        messages.warning(
            request,
            _("この患者の同意撤回はすでに完了しています（削除証明書番号 %(id)s）。何も変更していません。")
            % {"id": tombstone.id},
        )
        return redirect("erasure_certificates")
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tombstone = withdraw_consent(
                patient,
                by=request.user,
                reference=form.cleaned_data["reference"],
                reason=form.cleaned_data["reason"],
            )
        except WithdrawalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("同意撤回による削除が完了しました。削除証明書番号 %(id)s") % {"id": tombstone.id},
            )
            return redirect("erasure_certificates")
    counts = {
        "posts": patient.posts.count(),
        "team": patient.team_links.filter(until__isnull=True).count(),
        "members": patient.member_links.filter(until__isnull=True).count(),
    }
    return TemplateResponse(
        request,
        "erasure/withdraw_confirm.html",
        {"patient": patient, "form": form, "counts": counts, "page_title": _("同意撤回による削除"),
         "header_title": _("同意撤回による削除"), "header_icon": "bin"},
    )


def certificates(request):
    """The deletion records (no personal data), newest first."""
    _secretariat_or_404(request.user)
    tombstones = Tombstone.objects.all()[:200]
    return TemplateResponse(
        request,
        "erasure/certificates.html",
        {"tombstones": tombstones, "page_title": _("削除証明書"), "header_title": _("削除証明書"),
         "header_icon": "doc-full"},
    )


def may_have_certificate(user, tombstone):
    """The secretariat, or an administrator of a facility that was on the team."""
    if access.is_secretariat(user):
        return True
    administered = access.administered_facilities(user).values_list("pk", flat=True)
    return bool(set(administered) & set(tombstone.facility_ids))


def certificate_pdf(request, pk):
    if not request.user.is_authenticated:
        raise Http404
    tombstone = Tombstone.objects.filter(pk=pk).first()
    if tombstone is None or not may_have_certificate(request.user, tombstone):
        raise Http404
    audit_log.record("erasure.certificate", request=request, target=tombstone)
    response = HttpResponse(render_certificate_pdf(tombstone), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="deletion-certificate-{tombstone.id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def listing_url(patient):
    return reverse("erasure_withdraw", args=[patient.patient_id])

