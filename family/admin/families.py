"""Agents' back-office views of the family app (Wagtail admin, under /admin/familles/).

Every object comes through ``request.scope.agent(...)``: another collectivity's family
answers 404, and anyone who is not one of this collectivity's agents gets 403. Confirmations
are plain pages (POST forms), so everything works without JavaScript.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import services
from ..forms.admin import FamilyImportForm, QuotientForm
from ..models import Family, Subscription
from ..selectors.families import (
    family_detail_page,
    letters_families,
    subscribed_accounts,
    subscription_totals,
)
from ..services import health_access_record
from ..services.imports import (
    MAX_ERRORS_SHOWN,
    FamilyImportError,
    families_import_csv,
    import_template_csv,
)
from ..services.letters import letters_pdf
from .pages import confirm_page

IMPORT_SESSION_KEY = "family_import_last"
MAX_LETTERS_BY_ID = 1000


def _family(request, pk: int) -> Family:
    return get_object_or_404(request.scope.agent(Family), pk=pk)


def _index_url() -> str:
    return reverse("family_family_modeladmin_index")


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    return response


@require_http_methods(["GET"])
def family_detail(request, pk: int):
    """The family's page: code, accounts, guardians, children (health data for authorised
    agents only, each display logged), and the full history (events and change requests)."""
    scope = request.scope
    family = get_object_or_404(scope.agent(Family).select_related("collectivity"), pk=pk)
    page = family_detail_page(
        scope,
        family=family,
        history_page=request.GET.get("historique"),
        requests_page=request.GET.get("demandes"),
        emails_page=request.GET.get("emails"),
    )
    if page["can_view_health_data"] and page["children"]:
        # Every child of the family is logged here; the health requests of the history
        # show their values with the role, hence no second log row per child for them.
        health_access_record(
            collectivity=request.collectivity,
            user=request.user,
            child_ids=[child.pk for child in page["children"]],
        )
    return render(
        request,
        "family/admin/family_detail.html",
        {
            "page_title": family.name,
            "page_subtitle": _("Famille"),
            "header_icon": "group",
            "family": family,
            "index_url": _index_url(),
            "quotient_form": QuotientForm(),
            **page,
        },
    )


def _confirmed(request, *, act, done: str, back_url: str, **confirm):
    """A confirmation page (GET), then the action and its success message (POST)."""
    if request.method == "POST":
        act()
        messages.success(request, done)
        return redirect(back_url)
    return confirm_page(request, action_url=request.path, cancel_url=back_url, **confirm)


@require_http_methods(["GET", "POST"])
def subscription_unlink(request, pk: int, subscription_pk: int):
    family = _family(request, pk)
    subscription = get_object_or_404(
        request.scope.agent(Subscription).filter(family=family).select_related("user", "family"),
        pk=subscription_pk,
    )
    names = {"email": subscription.user.email, "family": family.name}
    return _confirmed(
        request,
        act=lambda: services.subscription_unlink(subscription=subscription, by=request.user),
        done=_("L’abonnement du compte %(email)s à la famille %(family)s a été supprimé.") % names,
        back_url=reverse("family_admin:detail", args=[family.pk]),
        title=_("Délier un abonnement"),
        message=_(
            "Le compte %(email)s n’aura plus accès à la famille %(family)s. Il pourra "
            "s’abonner de nouveau avec le code abonné de la famille."
        )
        % names,
        submit_label=_("Délier"),
        danger=True,
    )


@require_http_methods(["GET", "POST"])
def code_revoke(request, pk: int):
    family = _family(request, pk)
    detail_url = reverse("family_admin:detail", args=[family.pk])
    if not family.subscriber_code:
        messages.error(request, _("Cette famille n’a pas de code abonné."))
        return redirect(detail_url)
    return _confirmed(
        request,
        act=lambda: services.family_code_revoke(family=family, by=request.user),
        done=_("Le code abonné de la famille %(family)s est révoqué : il ne fonctionne plus.")
        % {"family": family.name},
        back_url=detail_url,
        title=_("Révoquer le code"),
        message=_(
            "Le code abonné de la famille %(family)s ne fonctionnera plus. Les abonnements "
            "existants sont conservés. Vous pourrez générer un nouveau code ensuite."
        )
        % {"family": family.name},
        submit_label=_("Révoquer le code"),
        danger=True,
    )


@require_http_methods(["GET", "POST"])
def code_regenerate(request, pk: int):
    family = _family(request, pk)
    if family.subscriber_code:
        message = _(
            "Un nouveau code remplacera le code actuel de la famille %(family)s : l’ancien "
            "code ne fonctionnera plus. Les abonnements existants sont conservés."
        )
    else:
        message = _("Un code abonné sera généré pour la famille %(family)s.")
    return _confirmed(
        request,
        act=lambda: services.family_code_regenerate(family=family, by=request.user),
        done=_(
            "Un nouveau code abonné a été généré pour la famille %(family)s. "
            "Imprimez le courrier pour le lui transmettre."
        )
        % {"family": family.name},
        back_url=reverse("family_admin:detail", args=[family.pk]),
        title=_("Générer un nouveau code"),
        message=message % {"family": family.name},
        submit_label=_("Générer un nouveau code"),
    )


def _letters_confirm(request, *, families, hidden, cancel_url):
    without_code = [family for family in families if not family.subscriber_code]
    extra = []
    if without_code:
        extra.append(
            _(
                "%(count)s famille(s) n’ont pas encore de code abonné : un code sera généré "
                "pour chacune avant l’impression (%(names)s)."
            )
            % {
                "count": len(without_code),
                "names": ", ".join(family.name for family in without_code[:20])
                + (" …" if len(without_code) > 20 else ""),
            }
        )
    return render(
        request,
        "family/admin/letters_confirm.html",
        {
            "page_title": _("Imprimer le courrier"),
            "header_icon": "doc-full",
            "families": families[:50],
            "count": len(families),
            "more": max(len(families) - 50, 0),
            "extra": extra,
            "hidden": hidden,
            "action_url": request.path,
            "cancel_url": cancel_url,
        },
    )


@require_http_methods(["GET", "POST"])
def family_letter(request, pk: int):
    """The letter of one family: confirmation (GET), then the PDF (POST)."""
    family = _family(request, pk)
    families = letters_families(request.scope.agent(Family).filter(pk=family.pk))
    if request.method == "POST":
        pdf = letters_pdf(collectivity=request.collectivity, families=families, by=request.user)
        return _pdf_response(pdf, f"courrier-code-abonne-{slugify(family.name) or family.pk}.pdf")
    return _letters_confirm(
        request,
        families=families,
        hidden=[],
        cancel_url=reverse("family_admin:detail", args=[family.pk]),
    )


def _letters_selection(request, data):
    """The families a batch asks for: ids ticked in the list, every family without a
    subscription, or the families of the last import (kept in the session)."""
    families = request.scope.agent(Family)
    selection = data.get("selection", "")
    hidden = []
    if selection == "sans-abonnement":
        families = families.filter(subscriptions__isnull=True)
        hidden = [("selection", selection)]
    elif selection == "import":
        ids = request.session.get(IMPORT_SESSION_KEY, {}).get("ids", [])
        families = families.filter(pk__in=ids)
        hidden = [("selection", selection)]
    else:
        ids = [value for value in data.getlist("family") if value.isdigit()][:MAX_LETTERS_BY_ID]
        families = families.filter(pk__in=ids)
        hidden = [("family", value) for value in ids]
    return letters_families(families.order_by("name", "pk")), hidden


@require_http_methods(["GET", "POST"])
def letters_batch(request):
    """Letters of several families in one PDF, one page each."""
    data = request.POST if request.method == "POST" else request.GET
    families, hidden = _letters_selection(request, data)
    if not families:
        messages.error(
            request,
            _(
                "Aucune famille sélectionnée : cochez des familles dans la liste, puis "
                "« Imprimer les courriers de la sélection »."
            ),
        )
        return redirect(_index_url())
    if request.method == "POST":
        pdf = letters_pdf(collectivity=request.collectivity, families=families, by=request.user)
        filename = f"courriers-codes-abonnes-{timezone.localdate():%Y-%m-%d}.pdf"
        return _pdf_response(pdf, filename)
    return _letters_confirm(request, families=families, hidden=hidden, cancel_url=_index_url())


@require_http_methods(["GET"])
def accounts(request):
    """« Comptes et abonnements »: the accounts subscribed to this collectivity's families.

    Accounts are global: only those reachable through this collectivity's subscriptions
    are listed, each with its subscriptions here (never another collectivity's)."""
    query = request.GET.get("q", "").strip()
    users = subscribed_accounts(request.scope, query=query)
    page = Paginator(users, 50).get_page(request.GET.get("p"))
    return render(
        request,
        "family/admin/accounts.html",
        {
            "page_title": _("Comptes et abonnements"),
            "header_icon": "user",
            "page": page,
            "query": query,
            "totals": subscription_totals(request.scope),
        },
    )


@require_http_methods(["GET", "POST"])
def family_import(request):
    """« Importer des familles »: every row is validated, then all or nothing is imported."""
    request.scope.agent(Family)  # agents only, before anything is read or written
    errors = []
    more_errors = 0
    summary = None
    if request.method == "POST":
        form = FamilyImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = families_import_csv(
                    collectivity=request.collectivity,
                    data=form.cleaned_data["file"].read(),
                    by=request.user,
                )
            except FamilyImportError as error:
                errors = error.errors[:MAX_ERRORS_SHOWN]
                more_errors = max(len(error.errors) - MAX_ERRORS_SHOWN, 0)
            else:
                request.session[IMPORT_SESSION_KEY] = {
                    "ids": [family.pk for family in result.families],
                    "children": result.children_count,
                }
                return redirect(reverse("family_admin:import") + "?resultat=1")
    else:
        form = FamilyImportForm()
        if request.GET.get("resultat") and IMPORT_SESSION_KEY in request.session:
            last = request.session[IMPORT_SESSION_KEY]
            summary = {"families": len(last["ids"]), "children": last["children"]}
    return render(
        request,
        "family/admin/import.html",
        {
            "page_title": _("Importer des familles"),
            "header_icon": "upload",
            "form": form,
            "errors": errors,
            "more_errors": more_errors,
            "summary": summary,
        },
    )


@require_http_methods(["GET"])
def import_template(request):
    request.scope.agent(Family)
    response = HttpResponse(
        "\ufeff" + import_template_csv(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="modele-import-familles.csv"'
    return response
