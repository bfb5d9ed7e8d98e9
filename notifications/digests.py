"""Decision digests: one e-mail per family and window listing every decision of the window.

Decisions are timeline events marked ``digest``. Each run looks, per collectivity, at the
windows that ended since the last one sent (``DigestCursor``), and for each window queues one
e-mail per family with the idempotency key ``digest:family-<id>:<window end>`` (a unique
column), in batches, with ``INSERT … ON CONFLICT DO NOTHING``. So:

- the task run twice, or on two clusters at once, queues each family's e-mail once (the
  second insert is ignored by the database);
- a run that crashed half-way is finished by the next one (the families already queued are
  skipped), and the cursor moves past a window only once all of its families are queued;
- a cluster that was down sends each missed window once, late, with its own decisions.

A window is sent ``GRACE`` after it ends, so that a decision whose transaction began before the
hour and committed just after it is still in it. Accounts that chose to receive decisions at
once get them by ``decision_send_now`` and are left out of the digests.
"""

import datetime
import functools
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.branding import branding_for
from portal.formats import time_fr
from portal.models import Collectivity

from .emails import absolute_url, email_render
from .models import DigestCursor, NotificationPreference, OutboxEmail, TimelineEvent
from .registry import (
    RequestRow,
    family_accounts,
    request_kind_for_content_type,
)
from .windows import first_start, windows_from

logger = logging.getLogger(__name__)

GRACE = datetime.timedelta(minutes=1)
BATCH = 500


@dataclass
class DigestRequest:
    title: str
    link: str
    status: str
    requested_by: str
    items: list = field(default_factory=list)


@dataclass
class DigestGroup:
    children: str
    requests: list = field(default_factory=list)


def digest_key(*, family_id: int | None, account_id: int | None, end) -> str:
    stamp = end.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    if family_id is not None:
        return f"digest:family-{family_id}:{stamp}"
    return f"digest:account-{account_id}:{stamp}"


# --- what a digest says


def _subject_rows(events) -> dict[tuple[int, int], tuple[str, RequestRow]]:
    """The requests the events are about, described by their kind: one query per kind."""
    ids = defaultdict(set)
    for event in events:
        if event.subject_type_id is not None:
            ids[event.subject_type_id].add(event.subject_id)
    rows = {}
    for content_type_id, pks in ids.items():
        kind = request_kind_for_content_type(content_type_id)
        if kind is None:
            continue
        for row in kind.rows(kind.queryset().filter(pk__in=pks)):
            rows[(content_type_id, row.pk)] = (kind.code, row)
    return rows


def _requested_by(row: RequestRow | None, names: dict[int, str]) -> str:
    if row is None or row.account_id is None:
        return ""
    return names.get(row.account_id, "")


@functools.lru_cache(maxsize=4096)
def _when_cached(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{date_format(local, 'j F')} à {time_fr(local)}"


def _when(moment: datetime.datetime) -> str:
    """« 2 décembre à 12:30 », formatted once per minute of a window (formatting dates is
    most of a digest's rendering time otherwise)."""
    return _when_cached(moment.replace(second=0, microsecond=0))


def digest_groups(events, *, collectivity, rows=None, names=None) -> list[DigestGroup]:
    """Events → groups by child (the children a request concerns), then by request, each
    with its decisions in order (time, message). Pure but for the request links."""
    rows = _subject_rows(events) if rows is None else rows
    names = names or {}
    groups: dict[str, DigestGroup] = {}
    requests: dict[tuple, DigestRequest] = {}
    for event in sorted(events, key=lambda e: (e.created_at, e.pk)):
        key = (event.subject_type_id, event.subject_id)
        code, row = rows.get(key, (None, None))
        children = ", ".join(row.children) if row else ", ".join(event.data.get("children", []))
        group = groups.setdefault(children, DigestGroup(children=children))
        if key not in requests:
            link = reverse("notifications:request_detail", args=[code, row.pk]) if row else ""
            requests[key] = DigestRequest(
                title=row.title if row else event.data.get("title", ""),
                link=absolute_url(collectivity, link) if link else "",
                status=row.status_label if row else "",
                requested_by=_requested_by(row, names),
            )
            group.requests.append(requests[key])
        requests[key].items.append(
            {
                "at": timezone.localtime(event.created_at),
                "when": _when(event.created_at),
                "message": event.message,
                "from_collectivity": event.verb == "agent_message",
            }
        )
    # Families read their children in name order; requests about no child come last.
    return sorted(groups.values(), key=lambda g: (g.children == "", g.children.lower()))


def _greeting(users) -> str:
    """« Léa Dupont » or « Léa Dupont et Marc Dupont »: the readers, by name."""
    names = [u.get_full_name() for u in users if u.get_full_name()]
    if not names or len(names) != len(users):
        return ""
    return (
        names[0]
        if len(names) == 1
        else _("%(first)s et %(last)s")
        % {
            "first": ", ".join(names[:-1]),
            "last": names[-1],
        }
    )


def _render(
    collectivity,
    *,
    groups,
    start,
    end,
    readers=(),
    template="notifications/digest",
    branding=None,
):
    return email_render(
        template=template,
        collectivity=collectivity,
        link=reverse("notifications:requests"),
        branding=branding,
        context={
            "groups": groups,
            "window_start": timezone.localtime(start) if start else None,
            "window_end": timezone.localtime(end) if end else None,
            "count": sum(len(r.items) for g in groups for r in g.requests),
            "greeting_name": _greeting(list(readers)),
            # Said once per e-mail rather than once per decision in the loops.
            "message_from": _("Message de %(name)s :") % {"name": collectivity.display_name},
        },
    )


# --- at once, for the accounts that chose it


def _immediate_ids(users) -> set[int]:
    return set(
        NotificationPreference.objects.filter(
            user__in=[u.pk for u in users], decisions=NotificationPreference.Decisions.IMMEDIATE
        ).values_list("user_id", flat=True)
    )


def _readers(event: TimelineEvent) -> list:
    if event.family_id is not None:
        return family_accounts([event.family_id]).get(event.family_id, [])
    return [event.account] if event.account is not None else []


def decision_send_now(event: TimelineEvent, *, subject=None) -> OutboxEmail | None:
    """E-mail one decision at once to the family's accounts that chose « immédiatement »,
    in the caller's transaction (the outbox row commits with the decision)."""
    from .services import email_queue_rendered

    readers = _readers(event)
    immediate = _immediate_ids(readers) if readers else set()
    recipients = [u for u in readers if u.pk in immediate and u.email]
    to = [u.email for u in recipients]
    if not to:
        return None
    rows = _subject_rows([event])
    names = {u.pk: u.get_full_name() or u.email for u in readers}
    groups = digest_groups([event], collectivity=event.collectivity, rows=rows, names=names)
    rendered = _render(
        event.collectivity,
        groups=groups,
        start=None,
        end=None,
        readers=recipients,
        template="notifications/decision",
    )
    return email_queue_rendered(
        rendered=rendered,
        to=to,
        collectivity=event.collectivity,
        family_id=event.family_id,
        idempotency_key=f"decision:{event.pk}",
    )


# --- the digests


def digests_send(*, now: datetime.datetime | None = None) -> int:
    """Queue every digest whose window has ended; returns how many e-mails were queued."""
    now = now or timezone.now()
    queued = 0
    for collectivity in Collectivity.objects.select_related("site").order_by("pk"):
        queued += collectivity_digests_send(collectivity, now=now)
    return queued


def collectivity_digests_send(collectivity, *, now: datetime.datetime) -> int:
    hours = collectivity.digest_hours
    until = now - GRACE
    cursor = DigestCursor.objects.filter(collectivity=collectivity).first()
    start = cursor.window_end if cursor else first_start(hours, until)
    queued = 0
    for window_start, window_end in windows_from(hours, start, until):
        queued += window_send(collectivity, start=window_start, end=window_end)
        _cursor_advance(collectivity, window_end)
    return queued


def _cursor_advance(collectivity, end) -> None:
    """Move the cursor forward only (two clusters may both get here)."""
    with transaction.atomic():
        cursor, created = DigestCursor.objects.get_or_create(
            collectivity=collectivity, defaults={"window_end": end}
        )
        if not created:
            DigestCursor.objects.filter(pk=cursor.pk, window_end__lt=end).update(window_end=end)


def _window_events(collectivity, start, end):
    return TimelineEvent.objects.filter(
        collectivity=collectivity, digest=True, created_at__gte=start, created_at__lt=end
    )


def window_send(collectivity, *, start, end) -> int:
    """Queue the digests of one window, in batches of families; returns how many."""
    events = _window_events(collectivity, start, end)
    family_ids = sorted(
        set(events.exclude(family_id=None).values_list("family_id", flat=True).distinct())
    )
    account_ids = sorted(
        set(
            events.filter(family_id=None)
            .exclude(account=None)
            .values_list("account_id", flat=True)
            .distinct()
        )
    )
    queued = 0
    for i in range(0, len(family_ids), BATCH):
        queued += _batch_send(collectivity, start, end, family_ids=family_ids[i : i + BATCH])
    for i in range(0, len(account_ids), BATCH):
        queued += _batch_send(collectivity, start, end, account_ids=account_ids[i : i + BATCH])
    return queued


def _batch_readers(family_ids, account_ids) -> dict[tuple, list]:
    from django.contrib.auth import get_user_model

    readers = {("family", fid): users for fid, users in family_accounts(family_ids).items()}
    if account_ids:
        for user in get_user_model().objects.filter(pk__in=account_ids):
            readers[("account", user.pk)] = [user]
    return readers


def _batch_send(collectivity, start, end, *, family_ids=(), account_ids=()) -> int:
    """One batch: skip the families already queued, render the others, insert them all at
    once (a concurrent run's rows are ignored by the unique key), send after commit."""
    targets = [("family", fid) for fid in family_ids] + [("account", aid) for aid in account_ids]
    keys = {
        target: digest_key(
            family_id=target[1] if target[0] == "family" else None,
            account_id=target[1] if target[0] == "account" else None,
            end=end,
        )
        for target in targets
    }
    done = set(
        OutboxEmail.objects.filter(idempotency_key__in=keys.values()).values_list(
            "idempotency_key", flat=True
        )
    )
    targets = [target for target in targets if keys[target] not in done]
    if not targets:
        return 0
    # The events' own collectivity is never read here (it is ``collectivity``): no join.
    events = _window_events(collectivity, start, end)
    todo_families = [t[1] for t in targets if t[0] == "family"]
    todo_accounts = [t[1] for t in targets if t[0] == "account"]
    by_target = defaultdict(list)
    for event in events.filter(family_id__in=todo_families) if todo_families else []:
        by_target[("family", event.family_id)].append(event)
    if todo_accounts:
        for event in events.filter(family_id=None, account_id__in=todo_accounts):
            by_target[("account", event.account_id)].append(event)
    rows = _subject_rows([e for batch in by_target.values() for e in batch])
    readers = _batch_readers(todo_families, todo_accounts)
    immediate = _immediate_ids([u for users in readers.values() for u in users])
    return _batch_insert(
        collectivity, start, end, targets, keys, by_target, rows, readers, immediate
    )


def _batch_insert(collectivity, start, end, targets, keys, by_target, rows, readers, immediate):
    from .services import outbox_row

    emails = []
    branding = branding_for(collectivity)  # once per batch, not once per e-mail
    for target in targets:
        users = readers.get(target, [])
        recipients = [u for u in users if u.pk not in immediate and u.email]
        to = [u.email for u in recipients]
        if not to or not by_target.get(target):
            continue
        names = {u.pk: u.get_full_name() or u.email for u in users}
        groups = digest_groups(by_target[target], collectivity=collectivity, rows=rows, names=names)
        rendered = _render(
            collectivity,
            groups=groups,
            start=start,
            end=end,
            readers=recipients,
            branding=branding,
        )
        emails.append(
            outbox_row(
                rendered=rendered,
                to=to,
                collectivity=collectivity,
                family_id=target[1] if target[0] == "family" else None,
                idempotency_key=keys[target],
            )
        )
    if not emails:
        return 0
    with transaction.atomic():
        OutboxEmail.objects.bulk_create(emails, ignore_conflicts=True)
        ids = list(
            OutboxEmail.objects.filter(
                idempotency_key__in=[e.idempotency_key for e in emails],
                status=OutboxEmail.Status.PENDING,
                message_id__in=[e.message_id for e in emails],
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue_batch(ids))
    logger.info("Digest %s → %s: %s e-mail(s) queued", collectivity, end, len(ids))
    return len(ids)


def _enqueue_batch(ids: list[int]) -> None:
    from .services import outbox_enqueue_many

    outbox_enqueue_many(ids)
