"""The user's home (patients they may see) and the facility console for facility admins.

Every lookup goes through ``network.access``; anything not allowed is a 404 that
names nothing.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.invitations import send_invitation
from timeline.services import unread_counts

from . import access, services
from .forms import JOB_TITLE_SUGGESTIONS, MemberChoiceForm, StaffForm
from .models import FacilityMembership, MemberLink, MembershipRole, PatientPage


def patient_timeline(request, slug):
    """``/network/patients/<slug>/`` found in one query instead of Wagtail's walk down the tree.

    It answers exactly as the tree does (``NetworkRootPage.route``): anonymous visitors
    are asked to sign in whether the patient exists or not, an unknown or unpublished
    patient is a 404, and ``PatientPage.serve`` asks the policy.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    page = PatientPage.objects.live().filter(slug=slug).first()
    if page is None:
        raise Http404
    return page.serve(request)


@login_required
@require_GET
def home(request):
    patients = list(access.visible_patients(request.user).order_by("name_kana", "title"))
    unread = unread_counts(request.user, [p.pk for p in patients])
    for patient in patients:
        patient.unread = unread.get(patient.pk, 0)
    return render(
        request,
        "network/home.html",
        {
            "patients": patients,
            "administered": access.administered_facilities(request.user),
            "is_secretariat": access.is_secretariat(request.user),
        },
    )


@login_required
@require_GET
def console_index(request):
    facilities = list(access.administered_facilities(request.user))
    if not facilities:
        raise Http404
    if len(facilities) == 1:
        return redirect("network:console", facility_pk=facilities[0].pk)
    return render(request, "network/console_index.html", {"facilities": facilities})


def _staff_of(facility):
    return (
        FacilityMembership.objects.active()
        .filter(facility=facility, role=MembershipRole.STAFF)
        .select_related("user")
        .order_by("user__last_name_kana", "user__first_name_kana", "user__email")
    )


@login_required
@require_GET
def console(request, facility_pk):
    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    patients = access.manageable_patients(request.user, facility).order_by("name_kana", "title")
    return render(
        request,
        "network/console.html",
        {"facility": facility, "staff": _staff_of(facility), "patients": patients},
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_add(request, facility_pk):
    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    form = StaffForm(request.POST or None, facility=facility)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = get_user_model().objects.filter(email__iexact=data["email"]).first()
                invite = user is None
                if invite:
                    user = services.create_user(
                        data["email"],
                        data["last_name"],
                        data["first_name"],
                        data["last_name_kana"],
                        data["first_name_kana"],
                    )
                services.add_membership(
                    user, facility, MembershipRole.STAFF, job_title=data["job_title"], actor=request.user
                )
                if invite:
                    transaction.on_commit(lambda: send_invitation(user, facility, request.user))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if invite:
                messages.success(
                    request,
                    _("%(name)s さんを登録し、招待メールを送りました（リンクの有効期限は72時間）。")
                    % {"name": user.get_full_name()},
                )
            else:
                messages.success(
                    request, _("%(name)s さんを利用者に追加しました。") % {"name": user.get_full_name()}
                )
            return redirect("network:console", facility_pk=facility.pk)
    return render(
        request,
        "network/staff_form.html",
        {"facility": facility, "form": form, "job_titles": JOB_TITLE_SUGGESTIONS},
    )


@login_required
@require_POST
def staff_remove(request, facility_pk, membership_pk):
    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    membership = get_object_or_404(_staff_of(facility), pk=membership_pk)
    services.end_membership(membership, actor=request.user)
    messages.success(
        request,
        _("%(name)s さんを利用者から外しました。担当していた患者からも外れました。")
        % {"name": membership.user.get_full_name()},
    )
    return redirect("network:console", facility_pk=facility.pk)


@login_required
@require_http_methods(["GET", "POST"])
def patient_team(request, facility_pk, patient_pk):
    """Which of the facility's staff take part in one patient's team; add and remove them."""
    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    patient = get_object_or_404(access.manageable_patients(request.user, facility), pk=patient_pk)
    linked = (
        MemberLink.objects.active()
        .filter(patient=patient, facility=facility)
        .select_related("user")
        .order_by("user__last_name_kana")
    )
    linked_user_ids = [link.user_id for link in linked]
    candidates = _staff_of(facility).exclude(user_id__in=linked_user_ids)
    form = MemberChoiceForm(request.POST or None, memberships=candidates)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["membership"].user
        if not access.can_link_member(request.user, patient, member, facility):
            raise Http404
        services.link_member(patient, member, facility, actor=request.user)
        messages.success(
            request, _("%(name)s さんをこの患者のチームに追加しました。") % {"name": member.get_full_name()}
        )
        return redirect("network:patient_team", facility_pk=facility.pk, patient_pk=patient.pk)
    return render(
        request,
        "network/patient_team.html",
        {"facility": facility, "patient": patient, "linked": linked, "form": form},
    )


@login_required
@require_POST
def member_unlink(request, facility_pk, patient_pk, link_pk):
    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    patient = get_object_or_404(access.manageable_patients(request.user, facility), pk=patient_pk)
    link = get_object_or_404(
        MemberLink.objects.active().filter(patient=patient, facility=facility), pk=link_pk
    )
    services.unlink_member(patient, link.user, facility, actor=request.user)
    messages.success(
        request, _("%(name)s さんをこの患者のチームから外しました。") % {"name": link.user.get_full_name()}
    )
    return redirect("network:patient_team", facility_pk=facility.pk, patient_pk=patient.pk)


# --- The user ledger (管理台帳): people, certificates, VPN numbers, pledges (trust/) ---


@login_required
@require_GET
def ledger(request, facility_pk):
    from trust.ledger import ledger_rows

    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    return render(
        request, "network/ledger.html", {"facility": facility, "rows": ledger_rows(facility)}
    )


@login_required
@require_GET
def ledger_export(request, facility_pk, fmt):
    from django.http import HttpResponse
    from django.utils import timezone

    from audit import log as audit_log
    from trust.ledger import ledger_csv, ledger_pdf, ledger_rows

    if fmt not in ("csv", "pdf"):
        raise Http404
    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    rows = ledger_rows(facility)
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        response = HttpResponse(ledger_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            ledger_pdf(facility, rows, requested_by=request.user), content_type="application/pdf"
        )
    response["Content-Disposition"] = f'attachment; filename="ledger-{facility.pk}-{stamp}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    audit_log.record("ledger.export", request=request, target=facility, facility=facility, format=fmt)
    return response


@login_required
@require_POST
def ledger_pledge(request, facility_pk, membership_pk):
    """Record (or clear) that a member's confidentiality pledge (form 4) is on file."""
    import datetime

    from trust.models import Pledge

    facility = access.get_managed_facility_or_404(request.user, pk=facility_pk)
    membership = get_object_or_404(FacilityMembership.objects.filter(facility=facility), pk=membership_pk)
    if request.POST.get("action") == "clear":
        Pledge.objects.filter(membership=membership).delete()
        messages.success(request, _("誓約書の受領記録を取り消しました。"))
    else:
        try:
            received = datetime.date.fromisoformat(request.POST.get("received_on", ""))
        except ValueError:
            messages.error(request, _("受領日を正しく入力してください（例：2026-04-01）。"))
            return redirect("network:ledger", facility_pk=facility.pk)
        Pledge.objects.update_or_create(
            membership=membership, defaults={"received_on": received, "recorded_by": request.user}
        )
        messages.success(
            request,
            _("%(name)s さんの誓約書（様式4）の受領を記録しました。") % {"name": membership.user.get_full_name()},
        )
    return redirect("network:ledger", facility_pk=facility.pk)
