"""Looking through the audit log: the secretariat (all entries), a facility administrator
(their facility's entries) and the patient or family ("who looked at my timeline").

Every decision is made by ``network.access``; a person without a scope gets a 404.
Looking at the log is itself recorded.
"""

import csv
from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit import log
from network import access
from network.models import Facility

from .forms import AuditFilterForm
from .models import AuditEntry

PAGE_SIZE = 100
# Reads of a patient's record shown to the patient and family.
READ_ACTIONS = [
    "timeline.read",
    "attachment.read",
    "attachment.thumbnail",
    "timeline.export",
    "post.history",
    "post.readers",
]
CSV_COLUMNS = [
    ("id", "ID"),
    ("created_at", "日時(UTC)"),
    ("actor_id", "利用者ID"),
    ("actor_email", "利用者"),
    ("facility_id", "施設ID"),
    ("role", "役割"),
    ("action", "操作"),
    ("target_type", "対象の種類"),
    ("target_id", "対象ID"),
    ("patient_id", "患者ID"),
    ("decision", "判定"),
    ("address", "アドレス"),
    ("user_agent", "ブラウザ"),
    ("request_id", "リクエストID"),
    ("disaster_mode", "災害モード"),
    ("entry_hash", "ハッシュ"),
]


def _csv_safe(value):
    """Spreadsheet programs run cells starting with = + - @ as formulas: quote them."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _csv_response(rows, columns, filename):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response.write("\ufeff")  # BOM: Excel opens UTF-8 Japanese correctly
    writer = csv.writer(response)
    writer.writerow([label for _name, label in columns])
    for row in rows:
        writer.writerow([_csv_safe(row[name]) for name, _label in columns])
    return response


def _filtered(entries, data):
    tz = timezone.get_current_timezone()
    if data.get("since"):
        entries = entries.filter(created_at__gte=datetime.combine(data["since"], time.min, tzinfo=tz))
    if data.get("until"):
        entries = entries.filter(created_at__lte=datetime.combine(data["until"], time.max, tzinfo=tz))
    if data.get("action"):
        entries = entries.filter(action__icontains=data["action"])
    if data.get("decision"):
        entries = entries.filter(decision=data["decision"])
    if data.get("actor"):
        entries = entries.filter(actor_email__icontains=data["actor"])
    if data.get("patient_id"):
        entries = entries.filter(patient_id=data["patient_id"])
    if data.get("disaster_only"):
        entries = entries.filter(disaster_mode=True)
    return entries


@login_required
@require_GET
def entry_list(request):
    scope = access.audit_scope(request.user)
    if scope is None:
        raise Http404
    entries = AuditEntry.objects.order_by("-id")
    if scope != "all":
        entries = entries.filter(facility_id__in=scope)
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    entries = _filtered(entries, data)
    log.record("audit.view", request=request, scope="all" if scope == "all" else "facility",
               csv=request.GET.get("format") == "csv")
    if request.GET.get("format") == "csv" and form.is_valid():
        rows = entries.values(*[name for name, _label in CSV_COLUMNS]).iterator(chunk_size=2000)
        return _csv_response(rows, CSV_COLUMNS, "audit-log.csv")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    facilities = dict(
        Facility.objects.filter(pk__in={e.facility_id for e in page if e.facility_id}).values_list("pk", "name")
    )
    for entry in page:
        entry.facility_name = facilities.get(entry.facility_id, "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "page": page,
            "scope_all": scope == "all",
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def who_read(request, patient_id):
    """The reads of this patient's record: when, which facility, which job (no other patients)."""
    patient = access.get_visible_patient_or_404(request.user, patient_id=patient_id)
    if not access.can_see_who_read(request.user, patient):
        raise Http404
    entries = AuditEntry.objects.filter(
        patient_id=patient.pk, action__in=READ_ACTIONS, decision=AuditEntry.Decision.ALLOWED
    ).order_by("-id")
    log.record("audit.who_read", request=request, target=patient, patient=patient)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    facilities = dict(
        Facility.objects.filter(pk__in={e.facility_id for e in page if e.facility_id}).values_list("pk", "name")
    )
    labels = {
        "timeline.read": _("タイムラインを表示"),
        "attachment.read": _("添付ファイルを表示"),
        "attachment.thumbnail": _("写真の縮小版を表示"),
        "timeline.export": _("PDFに書き出し"),
        "post.history": _("編集履歴を表示"),
        "post.readers": _("既読者を表示"),
    }
    rows = [
        {
            "created_at": entry.created_at,
            "facility": facilities.get(entry.facility_id, ""),
            "job_title": entry.detail.get("job_title", ""),
            "what": labels.get(entry.action, entry.action),
            "own": entry.actor_id == request.user.pk,
        }
        for entry in page
    ]
    if request.GET.get("format") == "csv":
        all_rows = []
        facility_names = dict(Facility.objects.values_list("pk", "name"))
        for entry in entries.iterator(chunk_size=2000):
            all_rows.append(
                {
                    "created_at": timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    "facility": facility_names.get(entry.facility_id, ""),
                    "job_title": entry.detail.get("job_title", ""),
                    "what": labels.get(entry.action, entry.action),
                }
            )
        columns = [("created_at", "日時"), ("facility", "施設"), ("job_title", "職種・続柄"), ("what", "内容")]
        return _csv_response(all_rows, columns, "who-read.csv")
    return render(request, "audit/who_read.html", {"patient": patient, "page": page, "rows": rows})
