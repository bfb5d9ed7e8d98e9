"""The agents' back office for families: the list (wagtail-modeladmin, index view only), and
the family page, accounts, letters and CSV import (``family.admin``).

Only modeladmin's index view is registered: its instance views (create, edit, delete,
inspect) look objects up through the model's default manager, outside the collectivity's
scope, so the family page is our own view built on ``request.scope.agent``.
"""

import datetime

from django.contrib.admin import SimpleListFilter, display
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect
from django.urls import include, path, re_path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.helpers.search import DjangoORMSearchHandler
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import IndexView

from portal.home import HomeQueue, home_queue_register

from .admin import urls as admin_urls
from .models import Family, Guardian
from .services import subscriber_code_normalize


def is_agent(request) -> bool:
    scope = getattr(request, "scope", None)
    return scope is not None and scope.is_agent


class SubscriptionListFilter(SimpleListFilter):
    title = _("abonnement")
    parameter_name = "abonnement"

    def lookups(self, request, model_admin):
        return [("avec", _("Avec abonnement")), ("sans", _("Sans abonnement"))]

    def queryset(self, request, queryset):
        if self.value() == "avec":
            return queryset.filter(subscription_count__gt=0)
        if self.value() == "sans":
            return queryset.filter(subscription_count=0)
        return queryset


class FamilySearchHandler(DjangoORMSearchHandler):
    """Name (contains), external reference (exact) or code, typed with or without spaces."""

    def search_queryset(self, queryset, search_term, **kwargs):
        term = (search_term or "").strip()
        if not term:
            return queryset
        condition = Q(name__icontains=term) | Q(external_ref__iexact=term)
        code = subscriber_code_normalize(term)
        if len(code) >= 3:
            condition |= Q(subscriber_code__contains=code)
        return queryset.filter(condition)


class FamilyPermissionHelper(PermissionHelper):
    """Agents list families; every change goes through the family page's own views."""

    def user_can_create(self, user):
        return False

    def user_can_inspect_obj(self, user, obj):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class FamilyButtonHelper(ButtonHelper):
    def detail_button(self, obj):
        return {
            "url": reverse("family_admin:detail", args=[obj.pk]),
            "label": _("Voir la fiche"),
            "classname": "button button-small button-secondary",
            "title": _("Fiche de la famille %(name)s") % {"name": obj.name},
        }

    def get_buttons_for_obj(self, obj, **kwargs):
        return [self.detail_button(obj)]

    def get_primary_button(self, obj):
        return self.detail_button(obj)


class FamilyIndexView(IndexView):
    """modeladmin's list, where an unknown or malformed filter in the address (``?famille=1``,
    ``?abonnes=x``) sends the agent back to the unfiltered list, as Django's admin does,
    instead of a server error."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except IncorrectLookupParameters:
            return redirect(f"{request.path}?{self.ERROR_FLAG}=1")


class FamilyAdmin(ModelAdmin):
    index_view_class = FamilyIndexView
    model = Family
    menu_label = _("Familles")
    menu_icon = "group"
    add_to_admin_menu = False  # in the "Familles" submenu below
    index_template_name = "family/admin/family_index.html"
    list_display = ("select", "name", "code", "subscription_count", "guardian_names")
    list_display_add_buttons = "name"
    list_filter = (SubscriptionListFilter,)
    search_fields = ("name", "subscriber_code", "external_ref")
    search_handler_class = FamilySearchHandler
    list_per_page = 50
    permission_helper_class = FamilyPermissionHelper
    button_helper_class = FamilyButtonHelper

    def get_queryset(self, request):
        return (
            request.scope.agent(Family)
            .annotate(subscription_count=Count("subscriptions", distinct=True))
            .prefetch_related(
                Prefetch("guardians", queryset=request.scope.agent(Guardian).order_by("rank", "pk"))
            )
            .order_by("name", "pk")
        )

    def get_admin_urls_for_registration(self):
        return (
            re_path(
                self.url_helper.get_action_url_pattern("index"),
                self.index_view,
                name=self.url_helper.get_action_url_name("index"),
            ),
        )

    @display(description=_("Sélection"))
    def select(self, obj):
        return format_html(
            '<input type="checkbox" name="family" value="{}" form="letters-form" aria-label="{}">',
            obj.pk,
            _("Sélectionner la famille %(name)s") % {"name": obj.name},
        )

    @display(description=_("code abonné"))
    def code(self, obj):
        if not obj.subscriber_code:
            return _("aucun code")
        return format_html('<code class="family-code">{}</code>', obj.subscriber_code)

    @display(description=_("abonnements"))
    def subscription_count(self, obj):
        return obj.subscription_count

    @display(description=_("responsables"))
    def guardian_names(self, obj):
        return format_html_join(
            ", ", "{} {}", ((g.first_name, g.last_name) for g in obj.guardians.all())
        )


family_admin = modeladmin_register(FamilyAdmin)


class AgentMenuItem(MenuItem):
    def is_shown(self, request):
        return is_agent(request)


class RequestsMenuItem(AgentMenuItem):
    """« Demandes à traiter (N) »: the label carries the collectivity's pending count."""

    def render_component(self, request):
        from .selectors.requests import pending_counts

        component = super().render_component(request)
        count = pending_counts(request.scope)
        if count:
            component.label = _("Demandes à traiter (%(count)s)") % {"count": count}
        return component


class HealthMenuItem(MenuItem):
    def is_shown(self, request):
        scope = getattr(request, "scope", None)
        return scope is not None and scope.can_view_health_data


@hooks.register("register_admin_urls")
def register_family_admin_urls():
    return [path("familles/", include((admin_urls.urlpatterns, "family_admin")))]


# The "Familles" submenu: (menu item class, label, URL name, item name, icon, order).
FAMILIES_MENU = [
    (AgentMenuItem, _("Familles"), "family_family_modeladmin_index", "familles", "group", 100),
    (RequestsMenuItem, _("Demandes à traiter"), "family_admin:requests", "demandes", "tasks", 50),
    (AgentMenuItem, _("Comptes et abonnements"), "family_admin:accounts", "comptes", "user", 200),
    (
        AgentMenuItem,
        _("Importer des familles"),
        "family_admin:import",
        "import-familles",
        "upload",
        300,
    ),
    (
        AgentMenuItem,
        _("Autorisations"),
        "family_admin:authorization_types",
        "autorisations",
        "tick-inverse",
        400,
    ),
    (
        HealthMenuItem,
        _("Consultations des données sanitaires"),
        "family_admin:health_logs",
        "consultations-sanitaires",
        "view",
        500,
    ),
]


@hooks.register("register_admin_menu_item")
def register_families_menu():
    menu = Menu(
        items=[
            item_class(label, reverse(url_name), name=name, icon_name=icon, order=order)
            for item_class, label, url_name, name, icon, order in FAMILIES_MENU
        ]
    )
    return SubmenuMenuItem(_("Familles"), menu, name="familles", icon_name="group", order=250)


# --- the agents' home page (portal/home.py) ---------------------------------------------------

OVERDUE_DAYS = 2


def _pending_since(queryset, status):
    from django.utils import timezone

    limit = timezone.now() - datetime.timedelta(days=OVERDUE_DAYS)
    counts = queryset.filter(status=status).aggregate(
        pending=Count("pk"), overdue=Count("pk", filter=Q(created_at__lt=limit))
    )
    return counts["pending"], counts["overdue"]


def _change_requests_count(scope):
    from .models import ChangeRequest

    return _pending_since(scope.agent(ChangeRequest), ChangeRequest.Status.PENDING)


def _creations_count(scope):
    from .models import FamilyCreationRequest

    return _pending_since(scope.agent(FamilyCreationRequest), FamilyCreationRequest.Status.PENDING)


home_queue_register(
    HomeQueue(
        key="dossier_changes",
        label=_("Demandes de modification du dossier"),
        url_name="family_admin:requests",
        count=_change_requests_count,
        overdue_label=_("en attente depuis plus de 2 jours"),
        order=10,
    )
)
home_queue_register(
    HomeQueue(
        key="family_creations",
        label=_("Demandes de création d’espace famille"),
        url_name="family_admin:requests",
        query="?objet=creation",
        count=_creations_count,
        overdue_label=_("en attente depuis plus de 2 jours"),
        order=20,
    )
)
