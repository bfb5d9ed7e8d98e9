"""One place that builds the querysets a request may reach, and refuses a forgotten filter.

Scoping fails closed (django-scopes, pretix's way). Every domain model that belongs to a
collectivity uses ``TenantManager`` as its default manager and says how it reaches its
collectivity (``collectivity_lookup``) and, if it belongs to a family, its family
(``family_lookup``). A query through that manager outside a scope raises ``ScopeError``
instead of reaching every collectivity:

- a web request runs inside ``scope(collectivity=<the host's collectivity>)``, opened by
  ``portal.tenancy.CollectivityMiddleware``; there every tenant query is limited to that
  collectivity even if the code forgot to filter;
- a task, a command or the demo opens its own: ``with tenant_scope(collectivity):`` for one
  collectivity, ``with scopes_disabled():`` for work that spans the deployment (the e-mail
  outbox, the demo loader), so each unscoped place is explicit and can be found with grep;
- tests run with scopes disabled (``tests/conftest.py``), except where they open one.

Views never filter by collectivity or family themselves; they ask ``request.scope``:

    children = request.scope.parent(Child)              # only the account's families, here
    requests = request.scope.agent(BookingRequest)      # this collectivity, agents only
    activities = request.scope.rows(Activity)           # this collectivity's own rows
    family = request.scope.family                       # the family the page works for

``portal`` cannot import ``family`` (dependency direction): the family app registers, in its
``AppConfig.ready()``, the function that finds an account's families
(``families_resolver_register``).
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from django_scopes import ScopeError, get_scope, scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet

from .models import Collectivity, Membership

__all__ = [
    "Scope",
    "ScopeError",
    "TenantManager",
    "TenantQuerySet",
    "families_resolver_register",
    "scopes_disabled",
    "tenant_scope",
]


def tenant_scope(collectivity: Collectivity):
    """Open the scope of one collectivity (tasks, commands): ``with tenant_scope(c): ...``."""
    return scope(collectivity=collectivity)


class TenantQuerySet(models.QuerySet):
    def for_collectivity(self, collectivity: Collectivity):
        lookup = getattr(self.model, "collectivity_lookup", None)
        if not lookup:
            raise ImproperlyConfigured(f"{self.model.__name__} has no collectivity_lookup.")
        return self.filter(**{lookup: collectivity})

    def for_families(self, families):
        """Rows of ``families``: a queryset of families, or their ids already read."""
        lookup = getattr(self.model, "family_lookup", None)
        if lookup is None:
            raise ImproperlyConfigured(f"{self.model.__name__} has no family_lookup.")
        ids = families.values("pk") if isinstance(families, models.QuerySet) else list(families)
        if lookup == "":
            return self.filter(pk__in=ids)
        return self.filter(**{f"{lookup}__in": ids})


class _RefusedQuerySet(DisabledQuerySet, TenantQuerySet):
    """What a tenant manager hands out outside a scope: building it is allowed (class-level
    form fields, ``create``), reading or writing through it raises ``ScopeError``."""

    for_collectivity = DisabledQuerySet.error
    for_families = DisabledQuerySet.error
    exists = DisabledQuerySet.error
    in_bulk = DisabledQuerySet.error
    select_related = DisabledQuerySet.error
    prefetch_related = DisabledQuerySet.error
    exclude = DisabledQuerySet.error
    distinct = DisabledQuerySet.error
    bulk_update = DisabledQuerySet.error


# (model, database alias, collectivity id) → that collectivity's queryset of the model, built
# once per process and never evaluated: each use gets a copy (``_chain``). Building the filter
# (a lookup through two or three relations) cost more than copying it, on every query of every
# request. Bounded by models × collectivities.
_scoped_bases: dict[tuple, models.QuerySet] = {}


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of every tenant model: limited to the current scope's collectivity,
    refused outside any scope."""

    def get_queryset(self):
        current = get_scope()
        if not current.get("_enabled", True):
            return super().get_queryset()
        collectivity = current.get("collectivity")
        if collectivity is None:
            return _RefusedQuerySet(self.model, using=self._db, missing_scopes=["collectivity"])
        if self._hints:
            # A related manager's queryset carries its instance (routers' hints): not shared.
            return super().get_queryset().filter(**{self.model.collectivity_lookup: collectivity})
        key = (self.model, self._db, collectivity.pk)
        base = _scoped_bases.get(key)
        if base is None:
            base = super().get_queryset().filter(**{self.model.collectivity_lookup: collectivity})
            _scoped_bases[key] = base
        return base._chain()

    def all(self):
        queryset = super().all()
        if isinstance(queryset, _RefusedQuerySet):
            queryset.error()
        return queryset


def _queryset(model_or_queryset) -> TenantQuerySet:
    if isinstance(model_or_queryset, models.QuerySet):
        queryset = model_or_queryset
    else:
        queryset = model_or_queryset._default_manager.all()
    if not isinstance(queryset, TenantQuerySet):
        raise ImproperlyConfigured(f"{queryset.model.__name__} is not tenant-scoped.")
    return queryset


def _of_collectivity(model_or_queryset, collectivity: Collectivity) -> TenantQuerySet:
    """``collectivity``'s rows of a model or queryset. A model's default manager inside that
    collectivity's scope (a web request on its host) already hands out its rows only
    (``TenantManager``): the same filter is not built, compiled and run a second time. Any
    other case (a queryset given, scopes disabled, another collectivity's scope) is filtered
    here."""
    queryset = _queryset(model_or_queryset)
    if queryset is not model_or_queryset:  # from the default manager
        current = get_scope()
        scoped = current.get("collectivity") if current.get("_enabled", True) else None
        if scoped is not None and scoped.pk == collectivity.pk:
            return queryset
    return queryset.for_collectivity(collectivity)


_families_resolver: Callable | None = None


def families_resolver_register(resolver: Callable) -> None:
    """``resolver(*, user, collectivity)`` returns the families queryset of an account."""
    global _families_resolver
    _families_resolver = resolver


class Scope:
    """What one account may reach in one collectivity, for one request."""

    def __init__(self, *, user, collectivity: Collectivity, request=None):
        self.user = user
        self.collectivity = collectivity
        self.request = request

    # --- everyone
    def rows(self, model_or_queryset):
        """This collectivity's own rows of a model (activities, slots, ...), for any visitor;
        what a parent may see of them is the view's business (published, dates)."""
        return _of_collectivity(model_or_queryset, self.collectivity)

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
        return _of_collectivity(model_or_queryset, self.collectivity)

    # --- parents
    @cached_property
    def families(self):
        """The families this account is subscribed to, in this collectivity only."""
        if _families_resolver is None:
            raise ImproperlyConfigured("No families resolver is registered.")
        return _families_resolver(user=self.user, collectivity=self.collectivity)

    @cached_property
    def family_ids(self) -> list[int]:
        """The ids of ``families``, read once (``family_required`` reads them): from then on
        ``parent`` filters on them instead of a subquery of the subscriptions."""
        return list(self.families.order_by("pk").values_list("pk", flat=True))

    def parent(self, model_or_queryset):
        """Rows of this account's families, in this collectivity only."""
        known = self.__dict__.get("family_ids")
        return _of_collectivity(model_or_queryset, self.collectivity).for_families(
            self.families if known is None else known
        )

    @cached_property
    def family(self):
        """The family a page works for: ``famille=<id>`` (POST, then GET) among this account's
        families here, or the first of them by name; 404 when there is none or the id is not
        one of them."""
        families = self.families.select_related("collectivity").order_by("name", "pk")
        request = self.request
        chosen = (request.POST.get("famille") or request.GET.get("famille")) if request else None
        if chosen:
            if not str(chosen).isdigit():
                raise Http404
            family = families.filter(pk=chosen).first()
        else:
            family = families.first()
        if family is None:
            raise Http404
        return family
