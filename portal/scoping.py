"""One place that builds the querysets a request may reach.

Every domain model that belongs to a collectivity uses ``TenantQuerySet`` (through
``TenantManager``) and says how it reaches its collectivity (``collectivity_lookup``) and, if
it belongs to a family, its family (``family_lookup``). Views never filter by hand: they ask
``request.scope`` for a parent's or an agent's queryset.

    children = request.scope.parent(Child)              # only the user's families, here
    requests = request.scope.agent(BookingRequest)      # only this collectivity, members only

``portal`` cannot import ``family`` (dependency direction), so the families of an account are
found through the function named by the ``PORTAL_FAMILIES_FOR_USER`` setting.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.utils.functional import cached_property
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Collectivity, Membership


class TenantQuerySet(models.QuerySet):
    def for_collectivity(self, collectivity: Collectivity):
        lookup = getattr(self.model, "collectivity_lookup", None)
        if not lookup:
            raise ImproperlyConfigured(f"{self.model.__name__} has no collectivity_lookup.")
        return self.filter(**{lookup: collectivity})

    def for_families(self, families):
        lookup = getattr(self.model, "family_lookup", None)
        if lookup is None:
            raise ImproperlyConfigured(f"{self.model.__name__} has no family_lookup.")
        if lookup == "":
            return self.filter(pk__in=families.values("pk"))
        return self.filter(**{f"{lookup}__in": families.values("pk")})


TenantManager = models.Manager.from_queryset(TenantQuerySet)


def _queryset(model_or_queryset) -> TenantQuerySet:
    if isinstance(model_or_queryset, models.QuerySet):
        queryset = model_or_queryset
    else:
        queryset = model_or_queryset._default_manager.all()
    if not isinstance(queryset, TenantQuerySet):
        raise ImproperlyConfigured(f"{queryset.model.__name__} is not tenant-scoped.")
    return queryset


class Scope:
    """What one account may reach in one collectivity."""

    def __init__(self, *, user, collectivity: Collectivity):
        self.user = user
        self.collectivity = collectivity

    # --- agents and editors
    @cached_property
    def roles(self) -> set[str]:
        if not self.user.is_authenticated:
            return set()
        return set(
            Membership.objects.filter(user=self.user, collectivity=self.collectivity).values_list(
                "role", flat=True
            )
        )

    @property
    def is_agent(self) -> bool:
        return self.user.is_authenticated and (
            self.user.is_superuser or Membership.Role.AGENT in self.roles
        )

    @property
    def can_view_health_data(self) -> bool:
        """Health data are need-to-know: agents with the dedicated role only."""
        return self.is_agent and (self.user.is_superuser or Membership.Role.HEALTH in self.roles)

    def agent(self, model_or_queryset):
        """This collectivity's rows; refused to anyone who is not one of its agents."""
        if not self.is_agent:
            raise PermissionDenied(_("Réservé aux agents de la collectivité."))
        return _queryset(model_or_queryset).for_collectivity(self.collectivity)

    # --- parents
    @cached_property
    def families(self):
        """The families this account is subscribed to, in this collectivity only."""
        resolver = getattr(settings, "PORTAL_FAMILIES_FOR_USER", "")
        if not resolver:
            raise ImproperlyConfigured("PORTAL_FAMILIES_FOR_USER is not set.")
        return import_string(resolver)(user=self.user, collectivity=self.collectivity)

    def parent(self, model_or_queryset):
        """Rows of this account's families, in this collectivity only."""
        return (
            _queryset(model_or_queryset)
            .for_collectivity(self.collectivity)
            .for_families(self.families)
        )
