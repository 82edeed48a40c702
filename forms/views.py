"""Public form pages (blank PDFs, online forms, the applicant's page) and the console's forms.

Public: anyone may download a blank form and fill one in online. A submission gets a
reference number and a secret link (a signed token of a random key) where the applicant
downloads the filled PDF and uploads the signed scan. A wrong, altered or expired link is
a 404 that names nothing.

Console: a facility administrator submits forms 3, 5, 6, 7 and 8 for a facility they
manage (``network.access``); the submission belongs to that facility and is shown in its
console. Signed documents are served only through ``document``, after the same checks.
"""

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from audit import log as audit_log
from network import access

from . import definitions as d
from . import online, pdf, services
from .models import Submission, SubmissionStatus

MSG_UPLOADED = _("署名済み書類「%(name)s」を受け付けました。事務局が確認します。")
MSG_EMPTY_FILE = _("ファイルが空です。内容のあるファイルを選んでください。")
MSG_RECEIVED = _("受付番号 %(reference)s で受け付けました。確認のメールをお送りしました。")
MSG_RECEIVED_CONSOLE = _(
    "受付番号 %(reference)s で受け付けました。印刷して署名・押印し、スキャンを提出してください。"
)
MSG_CODE_MISMATCH = _("この施設の事業所番号と一致しません。")


class UploadForm(djforms.Form):
    file = djforms.FileField(
        label=_("署名済み書類（PDF・JPEG・PNG）"),
        help_text=_("署名・押印した書類をスキャンしたPDF、または写真（JPEG・PNG）。1ファイル10MBまで。"),
        allow_empty_file=False,
        error_messages={"empty": MSG_EMPTY_FILE, "required": _("ファイルを選んでください。")},
        widget=djforms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )


def _definition_or_404(slug):
    definition = d.get(slug)
    if definition is None:
        raise Http404
    return definition


def _pdf_response(data: bytes, filename: str, *, private: bool):
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store" if private else "public, max-age=3600"
    return response


def _filename(definition, suffix=""):
    return f"{definition.label}_{definition.short_title}{suffix}.pdf"


# --- Public ------------------------------------------------------------------------------


@require_GET
def blank(request, slug):
    definition = _definition_or_404(slug)
    response = _pdf_response(pdf.blank_pdf(definition), _filename(definition), private=False)
    response["ETag"] = f'"{definition.version}"'
    return response


@require_http_methods(["GET", "POST"])
def online_form(request, slug):
    definition = _definition_or_404(slug)
    Form = online.form_class(definition)
    form = Form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = online.to_json(definition, form.cleaned_data)
        if not definition.submit_online:
            return _pdf_response(
                pdf.render(definition, values), _filename(definition, "_記入済み"), private=True
            )
        submission = services.create_submission(definition, values, user=request.user)
        audit_log.record(
            "form.submit", request=request, target=submission, form=definition.number,
            reference=submission.reference,
        )
        token = services.application_token(submission)
        messages.success(request, MSG_RECEIVED % {"reference": submission.reference})
        return redirect("forms:application", token=token)
    return render(
        request,
        "forms/online.html",
        {"definition": definition, "form": form, "action_label": _action_label(definition)},
    )


def _action_label(definition):
    return _("送信して受付番号を受け取る") if definition.submit_online else _("記入したPDFを作成する")


def _handle_upload(request, submission):
    """Upload form bound to the request; stores the scan when valid. Returns (form, stored)."""
    from documents.store import store_signed_scan

    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return form, False
    try:
        document = store_signed_scan(submission, form.cleaned_data["file"], user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error("file", message)
        return form, False
    audit_log.record(
        "document.store", request=request, target=document, facility=submission.facility,
        reference=submission.reference, sha256=document.sha256, size=document.size,
    )
    if submission.status == SubmissionStatus.AWAITING_SIGNED:
        submission.set_status(SubmissionStatus.RECEIVED, user=document.uploaded_by)
    transaction.on_commit(lambda: services.mail_signed_copy.enqueue(submission.pk))
    messages.success(request, MSG_UPLOADED % {"name": document.display_name})
    return form, True


def _invalid_link(request):
    """A wrong, altered or expired link: 404 with a message that names nothing."""
    return render(request, "forms/link_invalid.html", status=404)


@require_http_methods(["GET", "POST"])
def application(request, token):
    submission = services.submission_for_token(token)
    if submission is None:
        return _invalid_link(request)
    form, stored = _handle_upload(request, submission)
    if stored:
        return redirect("forms:application", token=token)
    return render(
        request,
        "forms/application.html",
        {
            "submission": submission,
            "definition": submission.definition,
            "upload_form": form,
            "documents": submission.signed_documents.all(),
            "pdf_url": request.path.rstrip("/") + "/pdf/",
        },
        status=400 if request.method == "POST" else 200,
    )


def _filled(submission):
    return pdf.render(submission.definition, submission.data, reference=submission.reference)


@require_GET
def application_pdf(request, token):
    submission = services.submission_for_token(token)
    if submission is None:
        return _invalid_link(request)
    return _pdf_response(
        _filled(submission), _filename(submission.definition, f"_{submission.reference}"), private=True
    )


# --- Facility console ----------------------------------------------------------------------

CONSOLE_FORMS = [form for form in d.FORMS if form.from_console]

# Facility data printed on the facility's own forms.
FACILITY_INITIAL = {
    "facility_code": "code",
    "facility_name": "name",
    "representative": "representative",
    "address": "address",
}


# Forms about a patient already in the facility's team: the admin chooses the patient
# (from the policy's manageable patients) instead of typing name, kana and birth date.
PATIENT_FORMS = {"7"}
PATIENT_FIELDS = ("patient_name", "patient_name_kana", "patient_birth_date")


def _add_patient_choice(form, user, facility):
    form.fields["patient"] = djforms.ModelChoiceField(
        label=_("対象の患者（この施設がチームに入っている患者）"),
        queryset=access.manageable_patients(user, facility).order_by("name_kana", "title"),
        required=False,
        help_text=_("選ぶと、氏名・フリガナ・生年月日は登録内容から記入されます。"),
        error_messages={"invalid_choice": _("この患者は選べません。一覧から選んでください。")},
    )
    form.fields["patient"].label_from_instance = lambda p: f"{p.title}（{p.name_kana}）"
    if form.is_bound and form.data.get("patient"):
        for name in PATIENT_FIELDS:
            form.fields[name].required = False


def _patient_values(patient):
    values = {"patient_name": patient.title, "patient_name_kana": online.normalize_kana(patient.name_kana)}
    if patient.birth_date:
        values["patient_birth_date"] = patient.birth_date.isoformat()
    return values


@login_required
@require_GET
def console_forms(request, facility_pk):
    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    submissions = Submission.objects.filter(facility=facility).order_by("-submitted_at")
    return render(
        request,
        "forms/console_forms.html",
        {"facility": facility, "forms": CONSOLE_FORMS, "submissions": submissions},
    )


@login_required
@require_http_methods(["GET", "POST"])
def console_online(request, facility_pk, slug):
    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    definition = _definition_or_404(slug)
    if not definition.from_console:
        raise Http404
    names = {f.name for f in definition.fields}
    initial = {
        name: getattr(facility, attr) for name, attr in FACILITY_INITIAL.items() if name in names
    }
    initial.update(
        contact_name=request.user.get_full_name(),
        contact_email=request.user.email,
        contact_email_confirm=request.user.email,
    )
    if "explainer_facility" in names:
        initial["explainer_facility"] = facility.name
    Form = online.form_class(definition)
    form = Form(request.POST or None, initial=initial)
    if definition.number in PATIENT_FORMS:
        _add_patient_choice(form, request.user, facility)
    if request.method == "POST" and form.is_valid():
        patient = form.cleaned_data.get("patient")
        values = online.to_json(definition, form.cleaned_data)
        if patient is not None:
            values.update(_patient_values(patient))
        if facility.code and values.get("facility_code", facility.code) != facility.code:
            form.add_error("facility_code", MSG_CODE_MISMATCH)
        if not form.errors:
            submission = services.create_submission(
                definition, values, user=request.user, facility=facility, patient=patient
            )
            audit_log.record(
                "form.submit", request=request, target=submission, facility=facility,
                patient=patient, role="admin", form=definition.number, reference=submission.reference,
            )
            messages.success(request, MSG_RECEIVED_CONSOLE % {"reference": submission.reference})
            return redirect("forms:console_submission", facility_pk=facility.pk, reference=submission.reference)
    return render(
        request,
        "forms/online.html",
        {
            "definition": definition,
            "form": form,
            "facility": facility,
            "action_label": _action_label(definition),
        },
    )


def _console_submission_or_404(user, facility_pk, reference):
    facility = access.get_managed_facility_or_404(user, pk=facility_pk)
    submission = get_object_or_404(Submission, facility=facility, reference=reference)
    return facility, submission


@login_required
@require_http_methods(["GET", "POST"])
def console_submission(request, facility_pk, reference):
    facility, submission = _console_submission_or_404(request.user, facility_pk, reference)
    form, stored = _handle_upload(request, submission)
    if stored:
        return redirect("forms:console_submission", facility_pk=facility.pk, reference=reference)
    return render(
        request,
        "forms/application.html",
        {
            "submission": submission,
            "definition": submission.definition,
            "facility": facility,
            "upload_form": form,
            "documents": submission.signed_documents.all(),
            "pdf_url": request.path.rstrip("/") + "/pdf/",
            "console": True,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def console_submission_pdf(request, facility_pk, reference):
    _, submission = _console_submission_or_404(request.user, facility_pk, reference)
    return _pdf_response(
        _filled(submission), _filename(submission.definition, f"_{submission.reference}"), private=True
    )


@login_required
@require_GET
def document(request, pk):
    """A stored signed document, for the secretariat and the submitting facility's admins."""
    from documents.models import SignedDocument

    doc = get_object_or_404(SignedDocument.objects.select_related("submission"), pk=pk)
    facility_id = doc.submission.facility_id
    allowed = access.is_secretariat(request.user) or (
        facility_id is not None
        and access.managed_facilities(request.user).filter(pk=facility_id).exists()
    )
    if not allowed:
        audit_log.record("document.view", request=request, target=doc, decision="denied")
        raise Http404
    audit_log.record(
        "document.view", request=request, target=doc, reference=doc.submission.reference
    )
    with doc.file.open("rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type=doc.content_type)
    response["Content-Disposition"] = content_disposition_header(True, doc.display_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
