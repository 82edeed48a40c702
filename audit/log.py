"""Writing and verifying the audit log.

``record`` appends one entry to a SHA-256 hash chain: each entry holds the hash of the
previous entry and the hash of its own content together with that previous hash, and
the one ``ChainHead`` row holds the newest hash. ``verify`` walks the chain and names
every entry where it breaks, so an entry that was altered, removed or inserted is found.

Only identifiers, action names and request metadata are written: never a patient's
name, a post's text or a file name.
"""

import hashlib
import json
import uuid

from django.db import transaction
from django.utils import timezone

from .models import AuditEntry, ChainHead

GENESIS = "0" * 64
CONTENT_FIELDS = [
    "created_at",
    "actor_id",
    "actor_email",
    "facility_id",
    "role",
    "action",
    "target_type",
    "target_id",
    "patient_id",
    "decision",
    "address",
    "user_agent",
    "request_id",
    "disaster_mode",
    "detail",
]
ALLOWED = AuditEntry.Decision.ALLOWED
DENIED = AuditEntry.Decision.DENIED

_address_field = AuditEntry._meta.get_field("address")


def content_of(values):
    """The canonical text that is hashed: ``values`` maps CONTENT_FIELDS to stored values."""
    values = dict(values)
    created_at = values["created_at"]
    values["created_at"] = created_at.isoformat() if hasattr(created_at, "isoformat") else created_at
    return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)


def chain_hash(prev_hash, values):
    return hashlib.sha256((prev_hash + content_of(values)).encode()).hexdigest()


def _values(entry):
    return {name: getattr(entry, name) for name in CONTENT_FIELDS}


def _hash(prev_hash, entry):
    return chain_hash(prev_hash, _values(entry))


def _identity(request, actor, patient):
    """(facility id, role, job title) of ``actor``, for ``patient`` when given; asked once per request."""
    from network import access
    from network.models import FacilityMembership

    if actor is None or not getattr(actor, "pk", None):
        return None, "", ""
    key = (actor.pk, getattr(patient, "pk", None))
    cache = getattr(request, "_audit_identity", None) if request is not None else None
    if cache is not None and key in cache:
        return cache[key]
    if actor.is_superuser:
        found = (None, "superuser", "")
    elif access.is_secretariat(actor):
        found = (None, "secretariat", "")
    else:
        memberships = FacilityMembership.objects.active().filter(user=actor)
        if patient is not None and getattr(patient, "pk", None):
            acting = memberships.filter(facility__in=access.facilities_acting_for(actor, patient))
            membership = acting.order_by("id").first() or memberships.order_by("id").first()
        else:
            membership = memberships.order_by("id").first()
        if membership is None:
            found = (None, "", "")
        else:
            found = (
                membership.facility_id,
                membership.role,
                membership.job_title or membership.relation,
            )
    if request is not None:
        if cache is None:
            cache = {}
            request._audit_identity = cache
        cache[key] = found
    return found


def record(action, *, request=None, actor=None, target=None, patient=None, facility=None,
           role="", decision=ALLOWED, **detail):
    """Append one entry. ``target`` is a model instance (its type and id are kept, nothing else).

    Actor, facility and role are taken from the request's user when not given; the
    disaster-mode flag from ``request.disaster_mode`` (set by the disaster-mode middleware).
    """
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            actor = request.user
    facility_id = getattr(facility, "pk", None)
    if actor is not None and (facility_id is None or not role):
        found_facility, found_role, job_title = _identity(request, actor, patient)
        facility_id = facility_id if facility_id is not None else found_facility
        role = role or found_role
        if job_title and "job_title" not in detail:
            detail["job_title"] = job_title
    address = None
    if request is not None:
        from .ratelimit import client_ip

        address = client_ip(request)
    if address:
        try:
            address = _address_field.get_prep_value(address)
        except Exception:  # noqa: BLE001 (an unparsable address is kept as none)
            address = None
    entry = AuditEntry(
        created_at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", "") or "",
        facility_id=facility_id,
        role=str(role or "")[:20],
        action=action[:60],
        target_type=type(target).__name__[:40] if target is not None else "",
        target_id=str(target.pk)[:64] if target is not None else "",
        patient_id=getattr(patient, "pk", None),
        decision=decision,
        address=address,
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        request_id=(getattr(request, "request_id", "") or uuid.uuid4().hex)[:64],
        disaster_mode=bool(getattr(request, "disaster_mode", False)),
        detail=detail,
    )
    # No savepoint of its own: if the entry cannot be written, the whole transaction
    # it belongs to (e.g. the post it records) must fail with it.
    with transaction.atomic(savepoint=False):
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        entry.prev_hash = head.last_hash
        entry.entry_hash = _hash(entry.prev_hash, entry)
        entry.save(force_insert=True)
        ChainHead.objects.filter(pk=head.pk).update(last_hash=entry.entry_hash)
    if request is not None:
        request._audit_recorded = True
        if decision == DENIED:
            request._audit_denial_recorded = True
    return entry


def verify_report(chunk_size=5000):
    """Walk the chain once. Returns {"checked": n, "altered": [ids], "broken_links": [ids], "head": ok}.

    * altered: the entry's content no longer matches its own hash;
    * broken_links: the entry does not follow the one before it, so an entry was removed
      or inserted just before it (an inserted entry whose hash was forged to fit is itself
      reported, as is the entry after it);
    * head: False when the newest entry is not the one the chain head names (the last
      entries were removed).
    """
    altered, broken, prev, checked = [], [], GENESIS, 0
    columns = ["id", "prev_hash", "entry_hash", *CONTENT_FIELDS]
    rows = AuditEntry.objects.order_by("id").values_list(*columns).iterator(chunk_size=chunk_size)
    sha256, dumps = hashlib.sha256, json.dumps
    for row in rows:
        checked += 1
        pk, prev_hash, entry_hash = row[0], row[1], row[2]
        values = dict(zip(CONTENT_FIELDS, row[3:], strict=True))
        values["created_at"] = values["created_at"].isoformat()
        text = prev_hash + dumps(values, sort_keys=True, ensure_ascii=False, default=str)
        if sha256(text.encode()).hexdigest() != entry_hash:
            altered.append(pk)
        elif prev_hash != prev:
            broken.append(pk)
        prev = entry_hash
    head = ChainHead.objects.filter(pk=1).first()
    head_ok = head is None and checked == 0 or head is not None and head.last_hash == prev
    return {"checked": checked, "altered": altered, "broken_links": broken, "head": head_ok}


def verify():
    """The ids of entries where the chain breaks, and "head" if the newest entries are gone
    (empty if the log is intact)."""
    report = verify_report()
    broken = sorted(report["altered"] + report["broken_links"])
    if not report["head"]:
        broken.append("head")
    return broken


def note(request, *, action=None, target=None, patient=None):
    """Name the patient and object of a write, for the entry ``AuditMiddleware`` writes
    after the response (the view knows them; the middleware does not)."""
    current = getattr(request, "_audit_note", None)
    if current is None:
        current = {}
        request._audit_note = current
    for key, value in (("action", action), ("target", target), ("patient", patient)):
        if value is not None:
            current[key] = value
