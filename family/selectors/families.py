"""The families an account reaches, the agents' family page, and the families a letter
prints."""

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q

from notifications.models import OutboxEmail, TimelineEvent

from ..models import Child, ChildAuthorization, Family, Guardian, QuotientPeriod, Subscription
from .requests import change_requests, describe_requests

HISTORY_PAGE_SIZE = 25


def families_for_user(*, user, collectivity):
    """The families ``user`` is subscribed to in ``collectivity`` (a queryset)."""
    if not user.is_authenticated:
        return Family.objects.none()
    return families_of_accounts([user.pk], collectivity=collectivity)


def families_of_accounts(user_ids, *, collectivity):
    """The families the accounts ``user_ids`` are subscribed to in ``collectivity`` (a
    queryset): ``families_for_user``'s, where ``user_ids`` may also be the
    ``portal.compiled.Param`` of a query compiled once (``planning.grid_cache``)."""
    return Family.objects.filter(
        collectivity=collectivity, subscriptions__user_id__any_of=user_ids
    ).distinct()


def family_detail_page(
    scope, *, family: Family, history_page=None, requests_page=None, emails_page=None
) -> dict:
    """The agents' family page: its accounts, guardians, children (with health data for agents
    with the health role), the two paginated histories (events and change requests) and the
    e-mails sent to the family (each opens in « E-mails », where a failed one is sent again).
    The caller logs the display of the children's health data."""
    can_view_health = scope.can_view_health_data
    timeline = Paginator(
        scope.agent(TimelineEvent)
        .filter(family_id=family.pk)
        .select_related("actor")
        .order_by("-created_at", "-pk"),
        HISTORY_PAGE_SIZE,
    ).get_page(history_page)
    emails = Paginator(
        scope.agent(OutboxEmail).filter(family_id=family.pk).order_by("-created_at", "-pk"),
        HISTORY_PAGE_SIZE,
    ).get_page(emails_page)
    change_page = Paginator(
        change_requests(scope).filter(family=family).order_by("-created_at", "-pk"),
        HISTORY_PAGE_SIZE,
    ).get_page(requests_page)
    children = (
        scope.agent(Child)
        .filter(family=family)
        .prefetch_related(
            Prefetch(
                "authorizations",
                queryset=ChildAuthorization.objects.select_related("authorization_type").order_by(
                    "authorization_type__order", "authorization_type__pk"
                ),
            ),
            "authorized_adults",
        )
    )
    if can_view_health:
        children = children.select_related("health")
    return {
        "subscriptions": scope.agent(Subscription)
        .filter(family=family)
        .select_related("user")
        .order_by("created_at", "pk"),
        "guardians": scope.agent(Guardian).filter(family=family).order_by("rank"),
        "children": list(children),
        "can_view_health_data": can_view_health,
        "timeline": timeline,
        "emails": emails,
        "change_page": change_page,
        "change_rows": describe_requests(scope, list(change_page.object_list)),
        "quotients": family_quotients(scope, family=family),
    }


def family_quotients(scope, *, family: Family) -> list[QuotientPeriod]:
    """The family's quotient periods, the latest first (agents only)."""
    return list(scope.agent(QuotientPeriod).filter(family=family).order_by("-valid_from", "-pk"))


def letters_families(queryset):
    """The families of ``queryset`` with what a subscriber-code letter prints, in two
    queries."""
    return list(
        queryset.select_related("collectivity__site").prefetch_related(
            Prefetch("guardians", queryset=Guardian.objects.order_by("rank", "pk"))
        )
    )


def subscribed_accounts(scope, *, query: str = ""):
    """The accounts subscribed to this collectivity's families (agents only), each with its
    subscriptions here (``scoped_subscriptions``), by e-mail; ``query`` searches the e-mail
    and names. Accounts are global: never another collectivity's subscriptions."""
    subscriptions = scope.agent(Subscription)
    users = (
        get_user_model()
        .objects.filter(pk__in=subscriptions.values("user_id"))
        .prefetch_related(
            Prefetch(
                "subscriptions",
                queryset=subscriptions.select_related("family").order_by("family__name"),
                to_attr="scoped_subscriptions",
            )
        )
        .order_by("email", "pk")
    )
    if query:
        users = users.filter(
            Q(email__icontains=query)
            | Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
        )
    return users


def subscription_totals(scope) -> dict:
    """How many subscriptions and subscribed accounts this collectivity has."""
    return scope.agent(Subscription).aggregate(
        subscriptions=Count("pk"), accounts=Count("user", distinct=True)
    )
