"""The demo families: known codes, parent accounts, and a loader that can run twice."""

from io import StringIO

from django.core.management import call_command
from django.test import Client

import pytest

from family.demo import FAMILIES
from family.models import (
    AuthorizationType,
    AuthorizedAdult,
    BankDetails,
    ChangeRequest,
    Child,
    ChildAuthorization,
    Family,
    FiscalData,
    Guardian,
    HealthRecord,
    Subscription,
)
from family.services import CODE_ALPHABET, CODE_LENGTH
from notifications.models import TimelineEvent
from portal.models import Membership, User

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Family.objects.count(),
        Guardian.objects.count(),
        Child.objects.count(),
        Subscription.objects.count(),
        User.objects.count(),
        tuple(Family.objects.order_by("pk").values_list("subscriber_code", flat=True)),
        AuthorizationType.objects.count(),
        HealthRecord.objects.count(),
        AuthorizedAdult.objects.count(),
        ChildAuthorization.objects.count(),
        BankDetails.objects.count(),
        FiscalData.objects.count(),
        ChangeRequest.objects.count(),
        TimelineEvent.objects.filter(verb="change_requested").count(),
        Membership.objects.count(),
    )


def test_demo_families_are_complete_and_idempotent():
    out = StringIO()
    call_command("demo_load", stdout=out)
    first = _counts()
    # A demo user tried « M'abonner » with the not-yet-subscribed account: the next load
    # resets the demo.
    moreau = Family.objects.get(name="Moreau")
    parent2 = User.objects.get(email="parent2@beaulieu.localhost")
    Subscription.objects.create(user=parent2, family=moreau)
    call_command("demo_load", quiet=True)
    assert _counts() == first

    assert first[0] == 6
    for family in Family.objects.prefetch_related("guardians", "children"):
        assert family.guardians.count() == 2
        assert 1 <= family.children.count() <= 3
        town = "Beaulieu-sur-Loire" if "Beaulieu" in family.collectivity.name else "Val-Fleuri"
        assert {guardian.city for guardian in family.guardians.all()} == {town}
        code = family.subscriber_code
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    codes = [spec["code"] for specs in FAMILIES.values() for spec in specs]
    assert len(set(codes)) == len(codes)

    printed = out.getvalue()
    assert "parent1@beaulieu.localhost" in printed and "parent2@valfleuri.localhost" in printed
    assert "Code abonné de la famille Moreau (Beaulieu) : MRCW4HKPTX9E" in printed
    assert "Code abonné de la famille Fontaine (Val Fleuri) : FNT9CWKE3HQA" in printed


def test_demo_parents_one_subscribed_one_to_subscribe():
    call_command("demo_load", quiet=True)
    subscribed = User.objects.get(email="parent1@beaulieu.localhost")
    assert subscribed.check_password("Portail-Demo-2026")
    client = Client(HTTP_HOST="localhost")
    client.force_login(subscribed)
    space = client.get("/famille/").content.decode()
    assert "Famille Dupont" in space and "Léa" in space

    to_subscribe = User.objects.get(email="parent2@beaulieu.localhost")
    client = Client(HTTP_HOST="localhost")
    client.force_login(to_subscribe)
    assert "family/no_family.html" in [t.name for t in client.get("/famille/").templates]
    found = client.post("/mon-espace/abonnements/ajouter/", {"code": "mrcw-4hkp-tx9e"})
    client.post(found["Location"], {"action": "confirm"})
    assert "Famille Moreau" in client.get("/famille/").content.decode()

    valfleuri = Client(HTTP_HOST="valfleuri.localhost")
    valfleuri.force_login(User.objects.get(email="parent1@valfleuri.localhost"))
    page = valfleuri.get("/famille/").content.decode()
    assert "Famille Roux" in page and "Dupont" not in page


def test_demo_dossier_for_the_agents():
    out = StringIO()
    call_command("demo_load", stdout=out)
    from schwifty import IBAN

    assert AuthorizationType.objects.filter(label="Rentrer seul").count() == 2
    assert BankDetails.objects.count() == FiscalData.objects.count() == 6
    for bank in BankDetails.objects.all():
        IBAN(bank.iban)  # raises on an invalid IBAN
    assert HealthRecord.objects.count() == Child.objects.count()
    assert HealthRecord.objects.filter(has_pai=True).exists()
    assert AuthorizedAdult.objects.filter(relation="voisine").exists()
    for collectivity_name in ("Beaulieu", "Val Fleuri"):
        pending = ChangeRequest.objects.filter(
            family__collectivity__name__icontains=collectivity_name,
            status=ChangeRequest.Status.PENDING,
        )
        assert pending.count() == 4
        assert pending.filter(target=ChangeRequest.Target.HEALTH).count() == 1
    health = Membership.objects.filter(role=Membership.Role.HEALTH)
    assert {m.collectivity.name for m in health} == {
        Family.objects.get(name="Dupont").collectivity.name
    }
    assert "Données sanitaires" in out.getvalue()

    agent = health.get().user
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    page = client.get("/admin/familles/demandes/").content.decode()
    assert "8 avenue de la Gare" in page and "kiwi" in page
