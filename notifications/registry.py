"""What the domain apps tell notifications, without notifications importing them.

- **Request kinds.** Each app registers, in its ``AppConfig.ready()``, the kinds of requests it
  owns (dossier change, family-space creation, pre-enrolment, reservation or absence…): how to
  find an account's requests and how to describe one as a line of « Mes demandes » and of the
  digests. ``notifications`` then lists every request of every kind and keeps their unread
  counters, their history and the agents' messages generically (by content type and id).
- **Recipients.** The family app registers the function that gives, for family ids, the
  accounts subscribed to them: the people who read that family's decisions.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

# The statuses every kind maps its own onto (the filter of « Mes demandes »).
STATUSES: dict[str, str] = {
    "draft": _("Brouillon"),
    "pending": _("En attente de validation"),
    "accepted": _("Acceptée"),
    "partial": _("Acceptée en partie"),
    "refused": _("Refusée"),
    "cancelled": _("Annulée"),
    "superseded": _("Remplacée"),
}


@dataclass(frozen=True)
class RequestRow:
    """One request as « Mes demandes » and the digests show it."""

    kind: str  # the registered kind's code
    pk: int
    title: str  # « Demande de réservation : Restauration scolaire, du 4 au 8 janvier 2027 »
    status: str  # one of STATUSES
    created_at: datetime.datetime
    changed_at: datetime.datetime
    family_id: int | None
    children: tuple[str, ...] = ()  # first names
    account_id: int | None = None  # who asked (the reader when there is no family yet)
    url: str = ""  # the kind's own page, if it has one

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def kind_label(self) -> str:
        kind = _kinds.get(self.kind)
        return kind.label if kind is not None else self.kind


@dataclass(frozen=True)
class RequestKind:
    code: str  # URL segment: /mon-espace/demandes/<code>/<pk>/
    label: str
    model: type
    # () -> the kind's queryset, with what ``describe`` reads selected.
    queryset: Callable
    # (queryset, *, account, families) -> the rows this account may see in « Mes demandes ».
    mine: Callable
    # (object) -> RequestRow
    describe: Callable
    order: int = 100
    # (objects) -> None: loads in bulk what ``describe`` reads (a fixed number of queries).
    prepare: Callable | None = None

    def rows(self, objects) -> list[RequestRow]:
        objects = list(objects)
        if self.prepare is not None and objects:
            self.prepare(objects)
        return [self.describe(obj) for obj in objects]

    def row(self, obj) -> RequestRow:
        return self.rows([obj])[0]

    @property
    def content_type(self) -> ContentType:
        return ContentType.objects.get_for_model(self.model)


_kinds: dict[str, RequestKind] = {}
_recipients_resolver: Callable | None = None


def request_kind_register(kind: RequestKind) -> None:
    _kinds[kind.code] = kind


def request_kinds() -> list[RequestKind]:
    return sorted(_kinds.values(), key=lambda kind: (kind.order, kind.code))


def request_kind(code: str) -> RequestKind | None:
    return _kinds.get(code)


def request_kind_for_model(model) -> RequestKind | None:
    concrete = getattr(model, "_meta", None) and model._meta.concrete_model
    for kind in _kinds.values():
        if kind.model is concrete or kind.model is model:
            return kind
    return None


def request_kind_for_content_type(content_type_id: int) -> RequestKind | None:
    for kind in _kinds.values():
        if kind.content_type.pk == content_type_id:
            return kind
    return None


def recipients_resolver_register(resolver: Callable) -> None:
    """``resolver(family_ids: Iterable[int]) -> dict[int, list[User]]``: the accounts that
    read each family's decisions (its subscribed accounts)."""
    global _recipients_resolver
    _recipients_resolver = resolver


def family_emails(family_id: int) -> list[str]:
    """The addresses of a family's subscribed accounts, sorted (for e-mails about the family
    that are not decisions: invoices, payments)."""
    return families_emails([family_id]).get(family_id, [])


def families_emails(family_ids: Iterable[int]) -> dict[int, list[str]]:
    """``family_emails`` of many families at once (one resolver call): family id → sorted
    addresses, for the families that have some."""
    found = {
        family_id: sorted({user.email for user in users if user.email})
        for family_id, users in family_accounts(family_ids).items()
    }
    return {family_id: emails for family_id, emails in found.items() if emails}


def family_accounts(family_ids: Iterable[int]) -> dict[int, list]:
    ids = [pk for pk in set(family_ids) if pk is not None]
    if not ids or _recipients_resolver is None:
        return {}
    return _recipients_resolver(ids)
