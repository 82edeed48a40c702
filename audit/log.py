"""Writing and verifying the audit log."""

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


def _content(entry):
    values = {name: getattr(entry, name) for name in CONTENT_FIELDS}
    values["created_at"] = entry.created_at.isoformat()
    return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)


def _hash(prev_hash, entry):
    return hashlib.sha256((prev_hash + _content(entry)).encode()).hexdigest()


def record(action, *, request=None, actor=None, target=None, patient=None, facility=None,
           role="", decision=AuditEntry.Decision.ALLOWED, **detail):
    """Append one entry. ``target`` is a model instance (type and id are kept, nothing else)."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    entry = AuditEntry(
        created_at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", "") or "",
        facility_id=getattr(facility, "pk", None),
        role=role,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        patient_id=getattr(patient, "pk", None),
        decision=decision,
        address=(request.META.get("REMOTE_ADDR") if request is not None else None) or None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        request_id=getattr(request, "request_id", "") or uuid.uuid4().hex,
        disaster_mode=bool(getattr(request, "disaster_mode", False)),
        detail=detail,
    )
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        entry.prev_hash = head.last_hash
        entry.entry_hash = _hash(entry.prev_hash, entry)
        entry.save()
        head.last_hash = entry.entry_hash
        head.save(update_fields=["last_hash"])
    return entry


def verify():
    """The ids of entries where the chain breaks (empty if the log is intact)."""
    broken, prev = [], GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.prev_hash != prev or entry.entry_hash != _hash(entry.prev_hash, entry):
            broken.append(entry.pk)
        prev = entry.entry_hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != prev:
        broken.append("head")
    return broken
