"""The timeline page of a patient, and the post actions (edit, delete, history, readers, files).

Each view finds its post or attachment inside ``access.visible_patients(user)``:
whatever is outside the user's teams is a 404 that names nothing.
"""

import difflib
import json
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reversion.models import Version

from audit import log as audit_log
from network import access
from network.models import FacilityKind, FacilityMembership

from . import mentions, notifications, push, services
from .export import render_timeline_pdf
from .forms import AnswerForm, ChangeRequestForm, EditForm, ExportForm, PostForm, PreferenceForm
from .models import (
    Attachment,
    ChangeRequest,
    Notification,
    NotificationPreference,
    Post,
    PushSubscription,
)

PAGE_SIZE = 30
# The per-post and per-file links of the timeline, reversed once per page rather than
# five times per post (see ``_url_templates``).
POST_URLS = ("history", "readers", "request_change", "edit", "delete")
FILE_URLS = ("attachment", "thumbnail")
_PK_MARKER = "2147483647"


def _url_templates(names):
    """{name: "/timeline/.../{}/..."} for URLs that take one pk: one ``reverse`` each."""
    return {
        name: reverse(f"timeline:{name}", args=[int(_PK_MARKER)]).replace(_PK_MARKER, "{}")
        for name in names
    }


def _visible_posts(user):
    return Post.objects.filter(patient__in=access.visible_patients(user))


def _acting_memberships(user, patient):
    """{facility id: membership} for the facilities ``user`` acts for on ``patient``'s team.

    The facilities come from the policy (``access.facilities_acting_for``); the
    membership gives the job title and role a post and its audit entry carry. One query,
    in the facilities' order (the composer's choices).
    """
    rows = (
        FacilityMembership.objects.active()
        .filter(
            user=user,
            role__in=access.TEAM_ROLES,
            facility__in=access.facilities_acting_for(user, patient),
        )
        .select_related("facility")
        # What the composer, the post and its audit entry use; nothing else is loaded.
        .only("facility_id", "role", "job_title", "relation", "facility__kind", "facility__name")
        .order_by("facility__name_kana", "facility__name", "id")
    )
    acting = {}
    for membership in rows:
        acting.setdefault(membership.facility_id, membership)
    return acting


def timeline_page(request, patient):
    """GET: the newest posts (or older ones with ?before=<id>). POST: a new post.

    Called by ``PatientPage.serve`` after its access check.
    """
    user = request.user
    acting = _acting_memberships(user, patient)
    facilities = [membership.facility for membership in acting.values()]
    family = any(f.kind == FacilityKind.FAMILY for f in facilities)
    form = PostForm(facilities=facilities, for_family=family)
    if request.method == "POST":
        audit_log.note(request, action="post.create", target=patient, patient=patient)
        form = PostForm(request.POST, request.FILES, facilities=facilities, for_family=family)
        if form.is_valid():
            data = form.cleaned_data
            membership = acting[data["facility"].pk]
            job_title = membership.job_title or membership.relation
            # The audit entry names the facility and role the post is written for.
            identity = {"facility": data["facility"], "role": membership.role}
            if job_title:
                identity["job_title"] = job_title
            # The post and its audit entry commit together (one commit per post).
            with transaction.atomic():
                post = services.create_post(
                    user, patient, data["facility"], job_title, data, uploads=data["files"]
                )
                audit_log.record(
                    "post.create", request=request, target=post, patient=patient,
                    method="POST", **identity,
                )
            messages.success(request, _("投稿しました。"))
            return redirect(patient.url)
    # The read's writes (audit entry, read marks, notices seen) share one transaction:
    # one commit instead of three.
    with transaction.atomic():
        if request.method == "GET":
            audit_log.record("timeline.read", request=request, target=patient, patient=patient)
        context = _timeline_context(request, patient, family)
    if request.method == "GET" and request.headers.get("HX-Request") == "true":
        # "以前の投稿を見る" with htmx: only the next page of posts.
        return render(request, "timeline/_page.html", context)
    return render(
        request,
        "timeline/timeline.html",
        {**context, "form": form},
        status=400 if form.errors else 200,
    )


def _timeline_context(request, patient, family):
    user = request.user
    posts = (
        Post.objects.for_patient(patient)
        .select_related("author", "facility")
        .prefetch_related(
            Prefetch("attachments", to_attr="files"),
            Prefetch(
                "change_requests",
                queryset=ChangeRequest.objects.select_related("requester"),
                to_attr="requests",
            ),
        )
    )
    structured_only = request.GET.get("structured") == "1"
    if structured_only:
        posts = posts.structured().live()
    before = request.GET.get("before", "")
    if before.isdigit():
        posts = posts.filter(pk__lt=int(before))
    page = list(posts[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    members = access.team_of(patient)
    readers = {member.pk for member in members}
    handles = mentions.handles_for(members)
    services.mark_read(user, page)
    counts = services.read_counts([p.pk for p in page])
    post_urls, file_urls = _url_templates(POST_URLS), _url_templates(FILE_URLS)
    read_label = _("既読 %(n)s/%(m)s")
    for post in page:
        audience = readers - {post.author_id}
        post.read_count = counts.get(post.pk, 0)
        post.audience_count = len(audience)
        post.may_edit = post.author_id == user.pk and not post.is_deleted
        post.may_request = family and post.author_id != user.pk
        post.dom_id = f"post-{post.pk}"
        post.read_label = read_label % {"n": post.read_count, "m": post.audience_count}
        post.urls = {name: url.format(post.pk) for name, url in post_urls.items()}
        for item in post.files:
            item.urls = {name: url.format(item.pk) for name, url in file_urls.items()}
        post.visible_requests = [
            r for r in post.requests if user.pk in (post.author_id, r.requester_id)
        ]
    notifications.mark_patient_read(user, patient)
    # The patient and family may ask authors to edit or delete (their facility is the family one).
    may_request = family
    return {
        "page": patient,
        "patient": patient,
        "posts": page,
        "next_cursor": page[-1].pk if has_more else None,
        "structured_only": structured_only,
        "team": patient.active_team(members),
        "max_attachments": settings.MAX_ATTACHMENTS_PER_POST,
        "may_request": may_request,
        "handles": handles,
        "mention_choices": [
            {"handle": h, "name": u.get_full_name(), "kana": f"{u.last_name_kana}{u.first_name_kana}"}
            for h, u in handles.items()
            if u.pk != user.pk
        ],
    }


def _own_post_or_404(user, pk):
    post = get_object_or_404(_visible_posts(user).select_related("patient"), pk=pk)
    if post.author_id != user.pk or post.is_deleted:
        raise Http404
    return post


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    post = _own_post_or_404(request.user, pk)
    audit_log.note(request, action="post.edit", target=post, patient=post.patient)
    initial = {
        "body": post.body,
        "next_visit_date": post.next_visit_date,
        "plan_change": post.plan_change,
        "care_cautions": post.care_cautions,
        "version": post.version,
    }
    form = EditForm(request.POST or None, initial=initial)
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_post(post, request.user, form.cleaned_data, form.cleaned_data["version"])
        except services.EditConflict:
            conflict = True
            post.refresh_from_db()
            form.add_error(
                None,
                _(
                    "この投稿は、編集画面を開いた後に別の画面で変更されています。"
                    "入力した内容は下に残してあります。最新の内容を確認してから、もう一度保存してください。"
                ),
            )
        else:
            messages.success(request, _("投稿を編集しました。以前の内容は履歴に残ります。"))
            return redirect(post.patient.url)
    return render(
        request,
        "timeline/edit.html",
        {"post": post, "form": form, "conflict": conflict, "patient": post.patient},
        status=409 if conflict else 200,
    )


@login_required
@require_POST
def delete(request, pk):
    post = _own_post_or_404(request.user, pk)
    audit_log.note(request, action="post.delete", target=post, patient=post.patient)
    services.delete_post(post, request.user)
    messages.success(request, _("投稿を削除しました。"))
    return redirect(post.patient.url)


@login_required
@require_GET
def history(request, pk):
    post = get_object_or_404(_visible_posts(request.user).select_related("patient"), pk=pk)
    audit_log.record("post.history", request=request, target=post, patient=post.patient)
    versions = list(
        Version.objects.get_for_object(post).select_related("revision", "revision__user").order_by("pk")
    )
    entries, previous = [], ""
    for version in versions:
        body = version.field_dict.get("body", "")
        entries.append(
            {
                "version": version,
                "fields": version.field_dict,
                "diff": list(difflib.ndiff(previous.splitlines(), body.splitlines())) if previous else [],
            }
        )
        previous = body
    return render(
        request,
        "timeline/history.html",
        {"post": post, "patient": post.patient, "entries": list(reversed(entries))},
    )


@login_required
@require_GET
def readers(request, pk):
    post = get_object_or_404(_visible_posts(request.user).select_related("patient"), pk=pk)
    audit_log.record("post.readers", request=request, target=post, patient=post.patient)
    audience = access.readers_of(post.patient) - {post.author_id}
    reads = {r.user_id: r for r in post.reads.select_related("user")}
    people = get_user_model().objects.filter(pk__in=audience).order_by("last_name_kana")
    labels = {
        m.user_id: m.job_title or m.relation
        for m in FacilityMembership.objects.active().filter(
            user_id__in=audience, facility__team_links__in=post.patient.team_links.active()
        )
    }
    read, unread = [], []
    for person in people:
        person.role_label = labels.get(person.pk, "")
        (read if person.pk in reads else unread).append((person, reads.get(person.pk)))
    return render(
        request,
        "timeline/readers.html",
        {
            "post": post,
            "patient": post.patient,
            "read": read,
            "unread": unread,
            "audience_count": len(audience),
        },
    )


def _attachment_or_404(user, pk):
    return get_object_or_404(
        Attachment.objects.filter(
            post__patient__in=access.visible_patients(user), post__deleted_at__isnull=True
        ),
        pk=pk,
    )


@login_required
@require_GET
def attachment(request, pk):
    """The file itself, only for the patient's team, under a name the server chooses."""
    item = _attachment_or_404(request.user, pk)
    audit_log.record("attachment.read", request=request, target=item, patient=item.post.patient)
    inline = item.kind == Attachment.Kind.IMAGE and request.GET.get("download") != "1"
    response = FileResponse(
        item.file.open("rb"),
        content_type=item.content_type,
        as_attachment=not inline,
        filename=f"mimamori-{item.pk}{item.extension}",
    )
    return _private(response)


@login_required
@require_GET
def thumbnail(request, pk):
    item = _attachment_or_404(request.user, pk)
    if not item.thumbnail:
        raise Http404
    audit_log.record("attachment.thumbnail", request=request, target=item, patient=item.post.patient)
    response = FileResponse(
        item.thumbnail.open("rb"), content_type="image/jpeg", filename=f"mimamori-{item.pk}-thumb.jpg"
    )
    return _private(response)


def _private(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response



@login_required
@require_http_methods(["GET", "POST"])
def request_change(request, pk):
    """The patient or family ask the author to edit or delete a post, with a reason."""
    post = get_object_or_404(_visible_posts(request.user).select_related("patient", "author"), pk=pk)
    if not access.can_request_change(request.user, post):
        raise Http404
    audit_log.note(request, action="post.change_request", target=post, patient=post.patient)
    form = ChangeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_change(post, request.user, form.cleaned_data["kind"], form.cleaned_data["reason"])
        messages.success(request, _("投稿者にお願いを送りました。回答があるとお知らせします。"))
        return redirect(post.patient.url)
    return render(request, "timeline/request_change.html", {"post": post, "patient": post.patient, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def answer_request(request, pk):
    change = get_object_or_404(
        ChangeRequest.objects.filter(
            post__patient__in=access.visible_patients(request.user),
            post__author=request.user,
            status=ChangeRequest.Status.OPEN,
        ).select_related("post", "post__patient", "requester"),
        pk=pk,
    )
    audit_log.note(request, action="change_request.answer", target=change, patient=change.post.patient)
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.answer_change_request(
            change, request.user, form.cleaned_data["accept"], form.cleaned_data["reply"]
        )
        messages.success(request, _("回答しました。依頼した方にお知らせします。"))
        return redirect(change.post.patient.url)
    return render(
        request,
        "timeline/answer_request.html",
        {"change": change, "post": change.post, "patient": change.post.patient, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request):
    """The user's notices (only for patients they may still see) and their e-mail preference."""
    preference, _created = NotificationPreference.objects.get_or_create(user=request.user)
    form = PreferenceForm(request.POST or None, initial={"email": preference.email})
    if request.method == "POST" and form.is_valid():
        preference.email = form.cleaned_data["email"]
        preference.save(update_fields=["email"])
        messages.success(request, _("お知らせの受け取り方を保存しました。"))
        return redirect("timeline:notifications")
    notices = (
        Notification.objects.filter(
            user=request.user, patient__in=access.visible_patients(request.user)
        )
        .select_related("patient")
        .order_by("-id")[:100]
    )
    return render(
        request,
        "timeline/notifications.html",
        {
            "notices": notices,
            "form": form,
            "push_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY if push.enabled() else "",
        },
    )


@login_required
@require_POST
def push_subscribe(request):
    """Store this browser's push subscription (JSON from PushManager.subscribe)."""
    if not push.enabled():
        raise Http404
    try:
        data = json.loads(request.body)
        endpoint, keys = data["endpoint"], data["keys"]
        p256dh, auth = str(keys["p256dh"]), str(keys["auth"])
        URLValidator(schemes=["https", "http"])(endpoint)
    except (ValueError, KeyError, TypeError, ValidationError):
        return JsonResponse({"error": _("通知の登録情報が正しくありません。")}, status=400)
    PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": request.user, "p256dh": p256dh[:200], "auth": auth[:100]}
    )
    return JsonResponse({"ok": True})


@login_required
@require_POST
def push_unsubscribe(request):
    try:
        endpoint = json.loads(request.body)["endpoint"]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("通知の登録情報が正しくありません。")}, status=400)
    PushSubscription.objects.filter(user=request.user, endpoint=endpoint).delete()
    return JsonResponse({"ok": True})


@require_GET
def service_worker(request):
    """The service worker that shows pushes; served from the site root for its scope."""
    response = render(request, "timeline/sw.js", content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def export(request, patient_id):
    """A team member downloads the timeline of a period as a Japanese PDF; audited."""
    patient = access.get_visible_patient_or_404(request.user, patient_id=patient_id)
    today = timezone.localdate()
    form = ExportForm(request.GET or None, initial={"start": today - timedelta(days=30), "end": today})
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        tz = timezone.get_current_timezone()
        posts = (
            Post.objects.for_patient(patient)
            .filter(
                created_at__gte=datetime.combine(start, time.min, tzinfo=tz),
                created_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
            )
            .select_related("author", "facility")
            .prefetch_related("attachments")
            .order_by("id")
        )
        pdf = render_timeline_pdf(patient, posts, start=start, end=end, requested_by=request.user)
        audit_log.record(
            "timeline.export", request=request, target=patient, patient=patient,
            start=start.isoformat(), end=end.isoformat(),
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="care-record-{start:%Y%m%d}-{end:%Y%m%d}.pdf"'
        )
        return _private(response)
    return render(request, "timeline/export.html", {"patient": patient, "form": form})
