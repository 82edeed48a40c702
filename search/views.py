"""The search page (everyone; signed-in users see what the policy allows) and the
secretariat's consent archive search."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit import log as audit_log
from network import access

from . import archive
from .forms import ArchiveSearchForm
from .query import post_url, search


@require_GET
def search_page(request):
    raw = request.GET.get("q", "")
    results = search(request.user, raw)
    if results.query and request.user.is_authenticated:
        # Who searched and how many patients' posts were shown; never the words searched.
        audit_log.record(
            "search.query",
            request=request,
            patients_shown=len({r.post.patient_id for r in results.posts}),
            posts_shown=len(results.posts),
        )
    for result in results.posts:
        result.url = post_url(result.post)
    return render(
        request,
        "search/search.html",
        {"q": raw[:200], "results": results, "searched": bool(raw.strip())},
    )


@require_GET
def archive_page(request):
    """The consent archive: the secretariat only; anyone else gets a 404 that says nothing."""
    if not request.user.is_authenticated:
        raise Http404
    if not access.is_secretariat(request.user):
        raise Http404
    form = ArchiveSearchForm(request.GET or None)
    records, searched = [], False
    if form.is_bound and form.is_valid():
        searched = True
        records = archive.search(request.user, form.criteria())
        audit_log.record("search.archive", request=request, records_shown=len(records))
    return render(
        request,
        "search/archive.html",
        {"form": form, "records": records, "searched": searched, "sources": archive.sources()},
    )
