"""The families an account reaches, and the agents' family page."""

from django.core.paginator import Paginator
from django.db.models import Prefetch

from notifications.models import TimelineEvent

from ..models import Child, ChildAuthorization, Family, Guardian, Subscription
from .requests import change_requests, describe_requests

HISTORY_PAGE_SIZE = 25


def families_for_user(*, user, collectivity):
    """The families ``user`` is subscribed to in ``collectivity`` (a queryset)."""
    if not user.is_authenticated:
        return Family.objects.none()
    return Family.objects.filter(collectivity=collectivity, subscriptions__user=user).distinct()


def family_detail_page(scope, *, family: Family, history_page=None, requests_page=None) -> dict:
    """The agents' family page: its accounts, guardians, children (with health data for agents
    with the health role), and the two paginated histories (events and change requests).
    The caller logs the display of the children's health data."""
    can_view_health = scope.can_view_health_data
    timeline = Paginator(
        scope.agent(TimelineEvent)
        .filter(family_id=family.pk)
        .select_related("actor")
        .order_by("-created_at", "-pk"),
        HISTORY_PAGE_SIZE,
    ).get_page(history_page)
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
        "change_page": change_page,
        "change_rows": describe_requests(scope, list(change_page.object_list)),
    }
