"""The secretariat's review inbox in the Wagtail admin (受付審査).

Only the secretariat (``network.access.is_secretariat``) reaches these views; anyone else
gets a 404. The inbox lists submissions by status with filters; a submission's page shows
its data, history and comments, and offers the moves of ``forms.review``. Accepting first
shows the plan of changes, and applies it only on confirmation.
"""

from datetime import date

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from network import access
from network.models import Facility, PatientPage

from . import definitions, effects, review
from .flows import remove_family_member
from .models import Submission, SubmissionStatus

PAGE_SIZE = 50


def _secretariat_only(request):
    if not access.is_secretariat(request.user):
        raise Http404


class InboxFilter(djforms.Form):
    status = djforms.ChoiceField(
        label=gettext_lazy("状態"), required=False, choices=[("", "すべて"), *SubmissionStatus.choices]
    )
    form_number = djforms.ChoiceField(
        label=gettext_lazy("様式"), required=False, choices=[("", "すべて"), *definitions.NUMBER_CHOICES]
    )
    facility = djforms.ModelChoiceField(
        label=gettext_lazy("施設"), required=False, queryset=Facility.objects.exclude(kind="family")
    )
    date_from = djforms.DateField(label=gettext_lazy("受付日（から）"), required=False)
    date_to = djforms.DateField(label=gettext_lazy("受付日（まで）"), required=False)


def inbox(request):
    _secretariat_only(request)
    form = InboxFilter(request.GET or None)
    submissions = Submission.objects.select_related("facility", "assigned_to").order_by("-submitted_at")
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            submissions = submissions.filter(status=data["status"])
        if data["form_number"]:
            submissions = submissions.filter(form_number=data["form_number"])
        if data["facility"]:
            submissions = submissions.filter(facility=data["facility"])
        if data["date_from"]:
            submissions = submissions.filter(submitted_at__date__gte=data["date_from"])
        if data["date_to"]:
            submissions = submissions.filter(submitted_at__date__lte=data["date_to"])
    counts = {s: 0 for s in SubmissionStatus.values}
    for status in Submission.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return render(
        request,
        "forms/review/inbox.html",
        {
            "filter": form,
            "submissions": submissions[:PAGE_SIZE],
            "counts": [(SubmissionStatus(s).label, s, n) for s, n in counts.items()],
        },
    )


def _clerks():
    return get_user_model().objects.filter(groups__name=access.SECRETARIAT_GROUP, is_active=True).distinct()


def _submission_or_404(pk):
    return get_object_or_404(Submission.objects.select_related("facility", "assigned_to"), pk=pk)


@require_http_methods(["GET", "POST"])
def detail(request, pk):
    _secretariat_only(request)
    submission = _submission_or_404(pk)
    if request.method == "POST":
        # The status the clerk saw when the page was drawn: the move is made from it or not at all.
        submission.status = request.POST.get("seen_status", submission.status)
        action = request.POST.get("action")
        try:
            if action == "assign":
                clerk = _clerks().filter(pk=request.POST.get("clerk") or 0).first()
                review.assign(submission, clerk, request.user, request=request)
                messages.success(request, _("担当者を変更しました。"))
            elif action == "comment":
                review.comment(submission, request.POST.get("text"), request.user, request=request)
                messages.success(request, _("コメントを記録しました。"))
            elif action == "correction":
                review.request_correction(submission, request.POST.get("text"), request.user, request=request)
                messages.success(request, _("修正を依頼し、提出者にメールを送りました。"))
            elif action == "reject":
                review.reject(submission, request.POST.get("text"), request.user, request=request)
                messages.success(request, _("不受理とし、提出者にメールを送りました。"))
            elif action == "move":
                review.transition(submission, request.POST.get("to"), request.user, request=request)
                messages.success(request, _("状態を変更しました。"))
            else:
                messages.error(request, _("操作が正しくありません。"))
        except review.ReviewError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except ValueError:
            messages.error(request, _("操作が正しくありません。"))
        return redirect("forms_review:detail", pk=pk)
    definition = submission.definition
    labels = {f.name: f.label for f in definition.fields}
    rows = [(labels.get(k, k), v) for k, v in submission.data.items() if not k.startswith("_") and not k.endswith("_confirm")]
    targets = [s for s in review.MANUAL_TARGETS if s in review.allowed_targets(submission.status)]
    return render(
        request,
        "forms/review/detail.html",
        {
            "submission": submission,
            "rows": rows,
            "comments": submission.review_comments.select_related("author"),
            "clerks": _clerks(),
            "targets": [(s, SubmissionStatus(s).label) for s in targets],
            "can_accept": SubmissionStatus.ACCEPTED in review.allowed_targets(submission.status),
            "can_reject": SubmissionStatus.REJECTED in review.allowed_targets(submission.status),
        },
    )


class AcceptOptions(djforms.Form):
    """What the clerk decides when accepting (only the fields the form needs are shown)."""

    patient = djforms.ModelChoiceField(
        label=gettext_lazy("患者"), required=False, queryset=PatientPage.objects.live().order_by("name_kana")
    )
    admin_name = djforms.CharField(label=gettext_lazy("新しい施設内管理者の氏名"), required=False, max_length=100)
    admin_name_kana = djforms.CharField(label=gettext_lazy("新しい施設内管理者の氏名（フリガナ）"), required=False, max_length=100)


def _facility_fields_form(facility, data=None):
    initial = {name: getattr(facility, name) for name in effects.CHANGEABLE_FIELDS} if facility else {}
    form = djforms.Form(data, initial=initial, prefix="f")
    for name in effects.CHANGEABLE_FIELDS:
        model_field = Facility._meta.get_field(name)
        form.fields[name] = djforms.CharField(label=model_field.verbose_name, required=False, max_length=model_field.max_length)
    return form


@require_http_methods(["GET", "POST"])
def accept(request, pk):
    _secretariat_only(request)
    submission = _submission_or_404(pk)
    needs_patient = submission.form_number in ("7", "8", "5") and submission.patient_id is None
    options_form = AcceptOptions(request.POST or None)
    facility_form = None
    options = {}
    if submission.form_number == "3":
        facility_form = _facility_fields_form(effects._facility_of(submission), request.POST or None)
    if request.method == "POST" and options_form.is_valid():
        if options_form.cleaned_data["patient"]:
            options["patient"] = options_form.cleaned_data["patient"].pk
        options["admin_name"] = options_form.cleaned_data["admin_name"]
        options["admin_name_kana"] = options_form.cleaned_data["admin_name_kana"]
        if facility_form is not None and facility_form.is_valid():
            options["facility"] = facility_form.cleaned_data
    if request.method == "POST" and request.POST.get("action") == "confirm":
        submission.status = request.POST.get("seen_status", submission.status)
        try:
            review.accept(submission, request.user, options, request=request)
        except review.ReviewError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("forms_review:accept", pk=pk)
        messages.success(request, _("受理し、登録に反映しました。"))
        return redirect("forms_review:detail", pk=pk)
    plan = review.preview(submission, options)
    return render(
        request,
        "forms/review/accept.html",
        {
            "submission": submission,
            "plan": plan,
            "options_form": options_form,
            "facility_form": facility_form,
            "needs_patient": needs_patient,
            "needs_admin_name": submission.form_number == "3",
            "already": submission.effects_applied_at is not None,
            "can_accept": SubmissionStatus.ACCEPTED in review.allowed_targets(submission.status),
        },
    )


@require_http_methods(["GET", "POST"])
def family(request, patient_pk):
    """Flow ⑨: end a family member's participation (requested by phone)."""
    _secretariat_only(request)
    patient = get_object_or_404(PatientPage.objects.live(), pk=patient_pk)
    facility = Facility.objects.filter(family_of=patient).first()
    members = (
        facility.memberships.active().select_related("user").order_by("user__last_name_kana")
        if facility
        else []
    )
    if request.method == "POST":
        member = get_object_or_404(get_user_model(), pk=request.POST.get("user") or 0)
        try:
            last = remove_family_member(patient, member, actor=request.user, request=request)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("ご家族の利用を解除しました（ログインできなくなりました）。")
                + (_("ご家族がいなくなったため、患者・家族の欄は一覧に表示されなくなります。") if last else ""),
            )
        return redirect("forms_review:family", patient_pk=patient.pk)
    return render(request, "forms/review/family.html", {"patient": patient, "members": members, "today": date.today()})


class TeamFilter(djforms.Form):
    q = djforms.CharField(label=gettext_lazy("患者氏名・かな"), required=False, max_length=100)
    facility = djforms.ModelChoiceField(
        label=gettext_lazy("施設"), required=False, queryset=Facility.objects.exclude(kind="family")
    )


def teams(request):
    """Per patient the facilities and members of the team now (never a post); CSV on request."""
    import csv

    from django.db.models import Prefetch, Q
    from django.http import HttpResponse

    from network.models import MemberLink, TeamLink

    _secretariat_only(request)
    form = TeamFilter(request.GET or None)
    patients = access.manageable_patients(request.user).order_by("name_kana")
    if form.is_valid():
        if form.cleaned_data["q"]:
            q = form.cleaned_data["q"]
            patients = patients.filter(Q(title__icontains=q) | Q(name_kana__icontains=q))
        if form.cleaned_data["facility"]:
            patients = patients.filter(
                pk__in=TeamLink.objects.active().filter(facility=form.cleaned_data["facility"]).values("patient_id")
            )
    patients = patients.prefetch_related(
        Prefetch("team_links", TeamLink.objects.active().select_related("facility"), to_attr="team_now"),
        Prefetch("member_links", MemberLink.objects.active().select_related("user", "facility"), to_attr="members_now"),
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="teams.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 with a BOM
        writer = csv.writer(response)
        writer.writerow([_("患者ID"), _("患者氏名"), _("かな"), _("施設"), _("事業所番号"), _("メンバー"), _("メールアドレス")])
        for patient in patients:
            for link in patient.team_now:
                members = [m for m in patient.members_now if m.facility_id == link.facility_id] or [None]
                for member in members:
                    writer.writerow([
                        patient.patient_id, patient.title, patient.name_kana, link.facility.name,
                        link.facility.code, member.user.get_full_name() if member else "",
                        member.user.email if member else "",
                    ])
        return response
    return render(request, "forms/review/teams.html", {"filter": form, "patients": patients[:PAGE_SIZE]})
