"""« Espace famille »: the families this account is subscribed to here, and the services the
collectivity offers them; « Je n’ai pas de code abonné »."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from portal.links import PORTAL_LINKS, portal_link_url

from ..decorators import family_required
from ..models import Child, Guardian

FAMILY_SERVICES = [
    ("dossier", gettext_lazy("Consultez et mettez à jour les informations de votre famille.")),
    ("planning", gettext_lazy("Réservez et annulez les activités de vos enfants.")),
    ("enrolment", gettext_lazy("Demandez l’inscription de vos enfants aux activités.")),
    ("billing_space", gettext_lazy("Vos factures et vos règlements.")),
    ("documents", gettext_lazy("Envoyez vos pièces justificatives.")),
]


@login_required
def no_code(request):
    """« Je n’ai pas de code abonné »: how to get one from the collectivity."""
    return render(request, "family/no_code.html")


def _age(birth_date: date | None, today: date) -> str:
    if birth_date is None:
        return ""
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month
    if today.day < birth_date.day:
        months -= 1
    months = max(months, 0)
    if months < 24:
        return ngettext("%(count)d mois", "%(count)d mois", months) % {"count": months}
    years = months // 12
    return ngettext("%(count)d an", "%(count)d ans", years) % {"count": years}


@family_required
def family_space(request):
    """« Espace famille »: the families this account is subscribed to, here."""
    families = list(
        request.scope.families.order_by("name", "pk").prefetch_related(
            Prefetch("guardians", queryset=request.scope.rows(Guardian).order_by("rank", "pk")),
            Prefetch(
                "children",
                queryset=request.scope.rows(Child).order_by("birth_date", "first_name", "pk"),
            ),
        )
    )
    today = timezone.localdate()
    for family in families:
        for child in family.children.all():
            child.age = _age(child.birth_date, today)
    services = []
    for key, text in FAMILY_SERVICES:
        url = portal_link_url(key, request.collectivity)
        if url:
            services.append({"key": key, "title": PORTAL_LINKS[key][0], "text": text, "url": url})
    return render(request, "family/space.html", {"families": families, "services": services})
