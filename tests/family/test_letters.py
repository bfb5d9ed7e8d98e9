"""The letter carrying a family's subscriber code (PDF, one page per family)."""

import re
import zlib

from django.urls import reverse

import pytest

from family.models import Family, Guardian
from family.selectors.families import letters_families
from family.services import family_code_regenerate
from family.services.letters import letters_html
from tests.portal.factories import FamilyFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF, object streams included (no PDF library on the machine). Each stream is
    read by its ``/Length``, not up to the first ``endstream`` that its compressed bytes might
    happen to contain (which made the count 0 now and then)."""
    data = pdf
    for match in re.finditer(rb"/Length (\d+)[^>]*>>\s*stream\r?\n", pdf):
        start = match.end()
        try:
            data += zlib.decompress(pdf[start : start + int(match.group(1))])
        except zlib.error:
            continue
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def make_family(collectivity, name, *, code=True, civility="mme"):
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(
        family=family,
        rank=1,
        civility=civility,
        first_name="Claire",
        last_name=name,
        address="3 rue des Écoles",
        postal_code="45000",
        city="Orléans",
    )
    if code:
        family_code_regenerate(family=family)
    family.refresh_from_db()
    return family


@pytest.fixture
def agent_client(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


def test_letter_html_carries_code_address_and_instructions(collectivity_a):
    collectivity_a.address = "Hôtel de ville\n1 place de la Mairie"
    collectivity_a.contact_phone = "02 38 00 00 00"
    family = make_family(collectivity_a, "Dupont")
    html = letters_html(
        collectivity=collectivity_a,
        families=letters_families(Family.objects.filter(pk=family.pk)),
    )
    assert family.subscriber_code in html
    assert "Madame Claire DUPONT" in html
    assert "45000 ORLÉANS" in html
    assert "Ville de Alpha" in html and "1 place de la Mairie" in html
    assert collectivity_a.site.root_url in html
    assert "Mes abonnements" in html and "M’abonner" in html
    assert "Code abonné famille" in html
    assert "size: A4" in html


def test_single_letter_pdf(agent_client, collectivity_a):
    family = make_family(collectivity_a, "Dupont")
    url = reverse("family_admin:letter", args=[family.pk])
    confirm = agent_client.get(url)
    assert confirm.status_code == 200
    assert family.subscriber_code in confirm.content.decode()
    response = agent_client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    assert pdf_page_count(response.content) == 1
    family.refresh_from_db()
    assert family.subscriber_code  # unchanged: a letter does not regenerate an existing code


def test_letter_of_family_without_code_generates_one_first(agent_client, collectivity_a):
    family = make_family(collectivity_a, "Sanscode", code=False)
    url = reverse("family_admin:letter", args=[family.pk])
    confirm = agent_client.get(url).content.decode()
    assert "un code sera généré" in confirm
    family.refresh_from_db()
    assert family.subscriber_code is None  # the confirmation changes nothing
    response = agent_client.post(url)
    assert response.content.startswith(b"%PDF")
    family.refresh_from_db()
    assert family.subscriber_code and len(family.subscriber_code) == 12


def test_batch_of_selected_families_one_page_each(agent_client, collectivity_a, collectivity_b):
    families = [make_family(collectivity_a, name) for name in ("Alpha", "Bravo", "Charlie")]
    families.append(make_family(collectivity_a, "Delta", code=False))
    other = make_family(collectivity_b, "Autre")
    ids = [str(family.pk) for family in families] + [str(other.pk)]
    url = reverse("family_admin:letters")
    confirm = agent_client.get(url, {"family": ids}).content.decode()
    assert "4 familles" in confirm
    assert "Autre" not in confirm
    assert "un code sera généré pour chacune" in confirm
    response = agent_client.post(url, {"family": ids})
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert pdf_page_count(response.content) == 4
    other.refresh_from_db()
    assert other.subscriber_code  # untouched
    assert Family.objects.filter(collectivity=collectivity_a, subscriber_code=None).count() == 0


def test_batch_of_families_without_subscription(agent_client, collectivity_a, collectivity_b):
    subscribed = make_family(collectivity_a, "Abonnee")
    SubscriptionFactory(family=subscribed)
    make_family(collectivity_a, "Libre1")
    make_family(collectivity_a, "Libre2")
    make_family(collectivity_b, "LibreAilleurs")
    url = reverse("family_admin:letters")
    confirm = agent_client.get(url, {"selection": "sans-abonnement"}).content.decode()
    assert "Libre1" in confirm and "Libre2" in confirm
    assert "Abonnee" not in confirm and "LibreAilleurs" not in confirm
    response = agent_client.post(url, {"selection": "sans-abonnement"})
    assert pdf_page_count(response.content) == 2


def test_batch_without_selection_says_so(agent_client, collectivity_a):
    response = agent_client.get(reverse("family_admin:letters"), follow=True)
    assert "Aucune famille sélectionnée" in response.content.decode()
