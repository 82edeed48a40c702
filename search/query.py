"""Searching, always from the access policy.

``search(user, raw_query)`` returns ``Results`` with three groups:

* patients: name and kana, among the patients the user may read (their timeline)
  or manage (secretariat, facility administrators);
* posts (and their attachments: file name, PDF text): only on timelines in
  ``network.access.visible_patients(user)``, never deleted ones, never for the
  secretariat;
* pages: live public pages outside the private network tree, for everyone.

Backends return candidates; every hit is confirmed here on its normalised text
(each term an exact phrase) and given an escaped snippet with ``<mark>``.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import mark_safe

from wagtail.models import Page

from network import access
from network.models import PatientPage

from .backends import get_backend
from .documents import post_text, private_root_paths
from .models import EntryKind
from .text import Query, normalize_with_map

CANDIDATES = 300
MAX_POSTS = 50
MAX_PATIENTS = 30
MAX_PAGES = 20
SNIPPET_BEFORE = 30
SNIPPET_CHARS = 120


@dataclass
class PostResult:
    post: object
    snippet: str = ""
    attachments: list = field(default_factory=list)  # [(attachment, snippet)]


@dataclass
class Results:
    query: Query
    patients: list = field(default_factory=list)  # [(patient, snippet, url)]
    posts: list = field(default_factory=list)  # [PostResult]
    pages: list = field(default_factory=list)  # [(page, snippet)]
    posts_truncated: bool = False

    @property
    def total(self):
        return len(self.patients) + len(self.posts) + len(self.pages)


def highlight(original, query, before=SNIPPET_BEFORE, length=SNIPPET_CHARS):
    """An escaped excerpt of ``original`` around the first match, matches in <mark>."""
    normalised, origin = normalize_with_map(original)
    spans = query.spans(normalised)
    if not origin:
        return mark_safe("")  # noqa: S308 (empty)
    if spans:
        first = origin[spans[0][0]]
    else:
        first = 0
    start = max(0, first - before)
    end = min(len(original), start + length)
    marks = []
    for s, e in spans:
        o_start, o_end = origin[s], origin[e - 1] + 1
        if o_end > start and o_start < end:
            marks.append((max(o_start, start), min(o_end, end)))
    out, pos = [], start
    for s, e in marks:
        if s < pos:
            continue
        out.append(escape(original[pos:s]))
        out.append(f"<mark>{escape(original[s:e])}</mark>")
        pos = e
    out.append(escape(original[pos:end]))
    text = "".join(out).replace("\n", " ")
    if start > 0:
        text = "…" + text
    if end < len(original):
        text += "…"
    return mark_safe(text)  # noqa: S308 (every piece escaped above)


# Up to this many patients, a search evaluates the policy's patient set once and
# passes the ids on; beyond it (the secretariat of a large region) the policy's
# query stays a subquery of each statement.
ID_LIST_LIMIT = 5000


def _evaluated(patients):
    """``patients`` (a policy queryset) evaluated once for this search: a list of ids.

    The policy's joins, repeated as a subquery in every statement of a search, cost
    PostgreSQL 5-18 ms of planning each, and left it guessing how many rows they
    return (bench/search.py); a list of ids plans in well under a millisecond with
    exact figures. Same answer: the set is read from the policy at the start of the
    same request. Past ``ID_LIST_LIMIT`` the queryset itself is returned.
    """
    ids = list(patients.order_by().values_list("pk", flat=True)[: ID_LIST_LIMIT + 1])
    if len(ids) > ID_LIST_LIMIT:
        return patients
    return ids


def _searchable(user, visible):
    """``searchable_patients(user)`` for this search, reusing the readable set already read."""
    manageable = _evaluated(access.manageable_patients(user))
    if isinstance(visible, list) and isinstance(manageable, list):
        return sorted(set(visible) | set(manageable))
    return searchable_patients(user)


def _within(scope, ids):
    """The ``ids`` that are in ``scope`` (a list from ``_evaluated`` or a queryset)."""
    if isinstance(scope, list):
        return set(scope) & set(ids)
    return set(scope.filter(pk__in=ids).values_list("pk", flat=True))


def searchable_patients(user):
    """Patients whose name ``user`` may find: readers of the timeline, and managers."""
    return PatientPage.objects.filter(
        Q(pk__in=access.visible_patients(user).values("pk"))
        | Q(pk__in=access.manageable_patients(user).values("pk"))
    )


def team_facility_ids(user):
    """Facilities through which ``user`` takes part in teams (for external indexes' filter)."""
    from network.models import FacilityMembership

    return list(
        FacilityMembership.objects.active()
        .filter(user=user, role__in=access.TEAM_ROLES)
        .values_list("facility_id", flat=True)
    )


def public_pages():
    pages = Page.objects.live().filter(depth__gt=1)
    for path in private_root_paths():
        pages = pages.exclude(path__startswith=path)
    return pages


def search(user, raw, backend=None, max_posts=MAX_POSTS):
    query = Query(raw)
    results = Results(query=query)
    if not query:
        return results
    backend = backend or get_backend()
    signed_in = bool(user is not None and user.is_authenticated and user.is_active)
    if signed_in:
        visible = _evaluated(access.visible_patients(user))
        _patients(user, query, backend, results, visible)
        if not access.is_secretariat(user):
            _posts(user, query, backend, results, visible, max_posts)
    _pages(query, backend, results)
    return results


def _confirmed(hits, query):
    return [h for h in hits if query.matches(h.text)]


def _patients(user, query, backend, results, visible):
    hits = _confirmed(
        backend.search(query, [EntryKind.PATIENT], patients=_searchable(user, visible), limit=CANDIDATES),
        query,
    )
    ids = list(dict.fromkeys(h.patient_id for h in hits))[:MAX_PATIENTS]
    visible = _within(visible, ids)
    patients = searchable_patients(user).filter(pk__in=ids).order_by("name_kana", "pk")
    is_secretariat = access.is_secretariat(user)
    for patient in patients:
        if patient.pk in visible:
            url = patient.url
        elif is_secretariat:
            from django.urls import reverse

            url = reverse("wagtailadmin_pages:edit", args=[patient.pk])
        else:
            from django.urls import reverse

            url = reverse("network:console_index")  # a facility administrator's console
        snippet = highlight(f"{patient.title}（{patient.name_kana}）", query)
        results.patients.append((patient, snippet, url))


def _posts(user, query, backend, results, visible, max_posts=MAX_POSTS):
    from timeline.models import Attachment, Post

    hits = _confirmed(
        backend.search(
            query,
            [EntryKind.POST, EntryKind.ATTACHMENT],
            patients=visible,
            # Candidates come newest entry first; twice what is shown leaves room for
            # the few rejected on confirmation and for recently re-indexed older posts.
            limit=2 * max_posts + 20,
            facilities=team_facility_ids(user),
        ),
        query,
    )
    post_ids = sorted(set(h.post_id for h in hits), reverse=True)
    results.posts_truncated = len(post_ids) > max_posts
    # Again from the policy's queryset: the patient readable now, the post not deleted.
    posts = {
        p.pk: p
        for p in Post.objects.filter(
            pk__in=post_ids[: max_posts + 20], patient__in=visible, deleted_at__isnull=True
        ).select_related("patient", "author", "facility")
    }
    attachment_hits = {}
    for h in hits:
        if h.kind == EntryKind.ATTACHMENT:
            attachment_hits.setdefault(h.attachment_id, h)
    attachments = Attachment.objects.in_bulk(list(attachment_hits))
    by_post = {}
    for post_id in sorted((i for i in post_ids if i in posts), reverse=True)[:max_posts]:
        by_post[post_id] = PostResult(post=posts[post_id])
    for h in hits:
        result = by_post.get(h.post_id)
        if result is None:
            continue
        if h.kind == EntryKind.POST and not result.snippet:
            result.snippet = highlight(post_text(result.post), query)
        elif h.kind == EntryKind.ATTACHMENT and h.attachment_id in attachments:
            attachment = attachments[h.attachment_id]
            if any(a.pk == attachment.pk for a, _s in result.attachments):
                continue
            name = highlight(attachment.display_name, query)
            if not query.matches(normalize_with_map(attachment.display_name)[0]):
                # Found in the PDF's text (kept only in normalised form).
                name = mark_safe(  # noqa: S308 (both parts escaped)
                    f"{escape(attachment.display_name)}: {highlight(h.text, query)}"
                )
            result.attachments.append((attachment, name))
    results.posts = list(by_post.values())


def _pages(query, backend, results):
    hits = _confirmed(
        backend.search(query, [EntryKind.PAGE], pages=public_pages(), limit=CANDIDATES), query
    )
    ids = list(dict.fromkeys(h.page_id for h in hits))[:MAX_PAGES]
    pages = public_pages().filter(pk__in=ids).specific()
    texts = {h.page_id: h.text for h in hits}
    for page in pages:
        from .documents import page_text

        results.pages.append((page, highlight(page_text(page), query) or texts.get(page.pk, "")))


def post_url(post):
    """The post on its timeline: the page that starts with it, scrolled to it."""
    return f"{post.patient.url}?before={post.pk + 1}#post-{post.pk}"
