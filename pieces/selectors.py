"""Reads of the supporting-documents module that views, services and tasks share."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.utils import timezone

from family.models import Child

from .models import DocumentFile, DocumentType, State, SupportingDocument

# Enrolments that make a child concerned by an activity's documents (a pre-enrolment waiting
# for its decision included: the document is asked for while it is studied).
ENROLMENT_STATUSES = ("pending", "accepted")


@dataclass
class Item:
    """One line of a family's « Pièces justificatives »: a type, for the family or a child,
    and its document when one exists."""

    document_type: DocumentType
    child: Child | None
    document: SupportingDocument | None
    state: str

    @property
    def state_label(self) -> str:
        return State(self.state).label


def current_files_prefetch():
    return Prefetch(
        "files",
        queryset=DocumentFile.objects.filter(current=True).order_by("uploaded_at", "pk"),
        to_attr="current_files",
    )


def enrolled_activities(children) -> dict[int, set[int]]:
    """Child id → the activities it is enrolled (or asks to be) in, in one query."""
    pairs = (
        Child.objects.filter(pk__in=[child.pk for child in children])
        .filter(enrolments__status__in=ENROLMENT_STATUSES)
        .values_list("pk", "enrolments__activity_id")
    )
    enrolled: dict[int, set[int]] = {}
    for child_id, activity_id in pairs:
        enrolled.setdefault(child_id, set()).add(activity_id)
    return enrolled


def type_applies(document_type: DocumentType, child: Child | None, enrolled: dict) -> bool:
    if document_type.holder == DocumentType.Holder.FAMILY:
        return child is None
    if child is None:
        return False
    wanted = {activity.pk for activity in document_type.activities.all()}
    return not wanted or bool(wanted & enrolled.get(child.pk, set()))


def family_items(*, family, types, children, documents, today: datetime.date) -> list[Item]:
    """What the collectivity asks of this family and of each child, with the documents sent
    (a document whose type no longer applies stays listed)."""
    children = list(children)
    enrolled = enrolled_activities(children)
    by_key = {(d.document_type_id, d.child_id): d for d in documents}
    items = []
    for document_type in types:
        holders = [None] if document_type.holder == DocumentType.Holder.FAMILY else children
        for child in holders:
            document = by_key.pop((document_type.pk, child.pk if child else None), None)
            if document is None and not (
                document_type.active and type_applies(document_type, child, enrolled)
            ):
                continue
            state = document.state_on(today) if document else State.MISSING
            items.append(Item(document_type, child, document, state))
    children_by_pk = {child.pk: child for child in children}
    for document in by_key.values():
        child = children_by_pk.get(document.child_id)
        items.append(Item(document.document_type, child, document, document.state_on(today)))
    return items


def items_filtered(items, *, state="", type_id=None, mandatory_only=False) -> list[Item]:
    return [
        item
        for item in items
        if (not state or item.state == state)
        and (type_id is None or item.document_type.pk == type_id)
        and (not mandatory_only or item.document_type.mandatory)
    ]


def family_documents(queryset):
    return queryset.select_related("document_type", "child").prefetch_related(
        current_files_prefetch()
    )


def types_for_page(queryset):
    return queryset.prefetch_related("activities").order_by("order", "name", "pk")


def review_queue(queryset, *, state="", type_id=None, search=""):
    """The agents' queue: documents to review first (oldest sent first)."""
    rows = queryset.select_related("family", "child", "document_type").prefetch_related(
        current_files_prefetch()
    )
    if state:
        rows = rows.filter(status=state)
    if type_id:
        rows = rows.filter(document_type_id=type_id)
    if search:
        rows = rows.filter(
            Q(family__name__icontains=search) | Q(child__first_name__icontains=search)
        )
    return rows.order_by("submitted_at", "pk")


def missing_blocking_documents(*, child, activity_id=None) -> list[DocumentType]:
    """The mandatory types that block new pre-enrolments and that this child (or its family)
    has no valid document for; a type limited to some activities counts when the child is
    enrolled in one of them or asks for ``activity_id``. Three queries."""
    collectivity = child.family.collectivity
    if not collectivity.module_documents:
        return []
    today = timezone.localdate()
    types = list(
        DocumentType.objects.filter(
            collectivity_id=collectivity.pk, active=True, mandatory=True, blocks_enrolment=True
        ).prefetch_related("activities")
    )
    if not types:
        return []
    documents = SupportingDocument.objects.filter(
        family_id=child.family_id, document_type__in=types
    ).filter(Q(child__isnull=True) | Q(child=child))
    valid = {
        (d.document_type_id, d.child_id) for d in documents if d.state_on(today) == State.ACCEPTED
    }
    enrolled = enrolled_activities([child])
    if activity_id is not None:
        enrolled.setdefault(child.pk, set()).add(activity_id)
    missing = []
    for document_type in types:
        family_level = document_type.holder == DocumentType.Holder.FAMILY
        if not family_level and not type_applies(document_type, child, enrolled):
            continue
        if (document_type.pk, None if family_level else child.pk) not in valid:
            missing.append(document_type)
    return missing
