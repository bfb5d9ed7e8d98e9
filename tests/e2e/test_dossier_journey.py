"""Dossier famille in a browser: Espace famille → Dossier famille → edit guardian 1's address
→ the new address shows in yellow « En attente de validation » → the agent accepts → the
dossier shows the new address and no pending marker. axe-core runs on every page."""

from django.conf import settings
from django.test import Client

import pytest
from playwright.sync_api import expect

from family.models import ChangeRequest, Child, Guardian
from family.services import change_request_accept
from portal.models import Membership
from portal.services import membership_grant
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_address_edit_pending_then_accepted(live_server, page, axe, collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    guardian = Guardian.objects.create(
        family=family,
        rank=1,
        first_name="Sophie",
        last_name="Dupont",
        address="1 rue des Lilas",
        postal_code="45000",
        city="Orléans",
        is_payer=True,
    )
    Child.objects.create(family=family, first_name="Léa", last_name="Dupont")
    parent = UserFactory(email="sophie.e2e@example.test")
    SubscriptionFactory(user=parent, family=family)
    agent = UserFactory(email="agent.e2e@example.test")
    membership_grant(user=agent, collectivity=collectivity_a, role=Membership.Role.AGENT)
    _log_in(page, live_server, parent)

    page.goto(live_server.url + "/famille/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace famille")
    axe(page)

    page.get_by_role("link", name="Dossier famille").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier famille")
    axe(page)

    page.get_by_role("link", name="Modifier l’adresse de Sophie Dupont").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Adresse")
    axe(page)

    # An invalid postal code first: a French error, announced, nothing sent.
    page.get_by_label("Adresse", exact=True).fill("8 avenue Foch")
    page.get_by_label("Code postal").fill("451")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient une erreur")
    expect(page.get_by_text("Code postal invalide")).to_be_visible()
    axe(page, context="formulaire Adresse avec erreur")
    assert not ChangeRequest.objects.exists()

    page.get_by_label("Code postal").fill("45100")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier famille")
    expect(page.get_by_text("Votre demande de modification a été envoyée")).to_be_visible()
    address = page.locator(f"#responsable-{guardian.pk}-adresse")
    pending = address.locator(".pending").first
    expect(pending).to_contain_text("En attente de validation")
    expect(pending).to_contain_text("8 avenue Foch")
    background = pending.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(255, 241, 118)"  # yellow
    expect(address).to_contain_text("1 rue des Lilas")
    axe(page, context="dossier avec modification en attente")

    change_request_accept(change_request=ChangeRequest.objects.get(), by=agent)

    page.reload()
    address = page.locator(f"#responsable-{guardian.pk}-adresse")
    expect(address).to_contain_text("8 avenue Foch")
    expect(address).to_contain_text("45100")
    expect(address).not_to_contain_text("1 rue des Lilas")
    expect(page.locator(".pending")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("En attente de validation :")
    expect(address).not_to_contain_text("En attente de validation")
    axe(page, context="dossier après validation")
