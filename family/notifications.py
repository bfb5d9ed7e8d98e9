"""What family tells notifications (registered in ``FamilyConfig.ready()``): its two kinds of
requests for « Mes demandes » and the digests, and who reads a family's decisions."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.registry import (
    RequestKind,
    RequestRow,
    recipients_resolver_register,
    request_kind_register,
)

from .models import ChangeRequest, FamilyCreationRequest, Subscription
from .selectors.dossier import dossier_url


def family_readers(family_ids) -> dict[int, list]:
    """The accounts subscribed to each family (one query)."""
    readers: dict[int, list] = {}
    for subscription in Subscription.objects.filter(family_id__in=list(family_ids)).select_related(
        "user"
    ):
        readers.setdefault(subscription.family_id, []).append(subscription.user)
    return readers


# --- dossier changes


def _change_describe(request: ChangeRequest) -> RequestRow:
    what = request.get_target_display()
    if request.child_id is not None:
        title = _("Modification du dossier : %(what)s de %(child)s") % {
            "what": what.lower(),
            "child": request.child.first_name,
        }
    else:
        title = _("Modification du dossier : %(what)s") % {"what": what.lower()}
    return RequestRow(
        kind="dossier",
        pk=request.pk,
        title=title,
        status=request.status,
        created_at=request.created_at,
        changed_at=request.decided_at or request.created_at,
        family_id=request.family_id,
        children=(request.child.first_name,) if request.child_id else (),
        account_id=request.created_by_id,
        url=dossier_url(request.family, "demandes"),
    )


def _change_mine(queryset, *, account, families):
    return queryset.filter(family__in=families)


# --- family-space creation


def _creation_describe(request: FamilyCreationRequest) -> RequestRow:
    children = tuple(
        (row.get("first_name") or "").strip()
        for row in (request.data or {}).get("children") or []
        if (row.get("first_name") or "").strip()
    )
    return RequestRow(
        kind="creation",
        pk=request.pk,
        title=_("Création de l’espace famille"),
        status=request.status,
        created_at=request.submitted_at or request.created_at,
        changed_at=request.decided_at or request.updated_at,
        family_id=request.family_id,
        children=children,
        account_id=request.user_id,
        url=reverse("family:creation")
        if request.status == FamilyCreationRequest.Status.DRAFT
        else "",
    )


def _creation_mine(queryset, *, account, families):
    return queryset.filter(user=account)


def register() -> None:
    recipients_resolver_register(family_readers)
    request_kind_register(
        RequestKind(
            code="dossier",
            label=gettext_lazy("Modification du dossier"),
            model=ChangeRequest,
            queryset=lambda: ChangeRequest.objects.select_related("child", "family").exclude(
                status=ChangeRequest.Status.SUPERSEDED
            ),
            mine=_change_mine,
            describe=_change_describe,
            order=30,
        )
    )
    request_kind_register(
        RequestKind(
            code="creation",
            label=gettext_lazy("Création de l’espace famille"),
            model=FamilyCreationRequest,
            queryset=lambda: FamilyCreationRequest.objects.all(),
            mine=_creation_mine,
            describe=_creation_describe,
            order=10,
        )
    )
