"""Read paths of « Mes demandes »: an account's requests of every kind, their new messages,
one request's history. Views call these with ``request.scope``'s account and families."""

import dataclasses

from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from .models import RequestRead, TimelineEvent
from .registry import RequestRow, request_kind, request_kinds


def account_requests(*, account, families) -> list[RequestRow]:
    """Every request this account may follow here, most recently changed first: its last
    change is its own decision date or its latest event (an agent's message changes a request
    without deciding it). Two queries per kind."""
    rows = []
    for kind in request_kinds():
        queryset = kind.mine(kind.queryset(), account=account, families=families)
        kind_rows = kind.rows(queryset)
        latest = _latest_events(kind, [row.pk for row in kind_rows])
        rows.extend(
            dataclasses.replace(row, changed_at=max(row.changed_at, latest[row.pk]))
            if row.pk in latest
            else row
            for row in kind_rows
        )
    rows.sort(key=lambda row: (row.changed_at, row.pk), reverse=True)
    return rows


def _latest_events(kind, pks) -> dict[int, object]:
    if not pks:
        return {}
    return dict(
        TimelineEvent.objects.filter(subject_type=kind.content_type, subject_id__in=pks)
        .values("subject_id")
        .annotate(last=Max("created_at"))
        .values_list("subject_id", "last")
    )


def unread_counts(*, account, rows) -> dict[tuple[str, int], int]:
    """(kind, pk) → how many events of that request this account has not seen: those by
    someone else (an agent, the other parent, the system) since it last opened the request
    (ever, if it never did). One query per kind."""
    ids: dict[str, list[int]] = {}
    for row in rows:
        ids.setdefault(row.kind, []).append(row.pk)
    counts = {}
    for code, pks in ids.items():
        kind = request_kind(code)
        content_type = kind.content_type
        read_at = RequestRead.objects.filter(
            user=account, subject_type=content_type, subject_id=OuterRef("subject_id")
        ).values("read_at")[:1]
        unseen = (
            TimelineEvent.objects.filter(subject_type=content_type, subject_id__in=pks)
            .exclude(actor=account)
            .annotate(read_at=Subquery(read_at))
            .filter(Q(read_at__isnull=True) | Q(created_at__gt=F("read_at")))
            .values("subject_id")
            .annotate(n=Count("pk"))
        )
        for entry in unseen:
            counts[(code, entry["subject_id"])] = entry["n"]
    return counts


def account_request(*, account, families, code: str, pk: int):
    """(kind, object, row) of one request this account may follow, or None."""
    kind = request_kind(code)
    if kind is None:
        return None
    obj = kind.mine(kind.queryset(), account=account, families=families).filter(pk=pk).first()
    if obj is None:
        return None
    row = kind.row(obj)
    latest = _latest_events(kind, [row.pk])
    if row.pk in latest:
        row = dataclasses.replace(row, changed_at=max(row.changed_at, latest[row.pk]))
    return kind, obj, row


def request_history(*, kind, row, account, collectivity) -> list[tuple]:
    """Every event of the request, oldest first, with who did it as the family reads it:
    « vous », the other parent's name, or the collectivity (its agents and its tasks)."""
    from .registry import family_accounts

    family = {u.pk: u for u in family_accounts([row.family_id]).get(row.family_id, [])}
    events = (
        TimelineEvent.objects.filter(subject_type=kind.content_type, subject_id=row.pk)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    history = []
    for event in events:
        if event.actor_id is not None and event.actor_id == account.pk:
            who = _("vous")
        elif event.actor_id in family:
            who = event.actor.get_full_name() or event.actor.email
        else:
            who = collectivity.name
        history.append((event, who))
    return history


def preference_for(account):
    from .models import NotificationPreference

    return NotificationPreference.objects.filter(user=account).first() or NotificationPreference(
        user=account
    )


def agent_request(scope, *, code: str, pk: int):
    """(kind, object) of a request of this collectivity, for its agents, or None."""
    kind = request_kind(code)
    if kind is None:
        return None
    obj = scope.agent(kind.queryset()).filter(pk=pk).first()
    return (kind, obj) if obj is not None else None
