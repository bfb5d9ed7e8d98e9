"""The « Dossier famille » page's query count does not grow with the number of children."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from family.models import (
    AuthorizationType,
    AuthorizedAdult,
    ChangeRequest,
    Child,
    ChildAuthorization,
    Guardian,
    HealthRecord,
)
from family.services import change_request_submit
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _add_child(family, types, parent, n):
    child = Child.objects.create(
        family=family, first_name=f"Enfant{n}", last_name="Dupont", birth_date=date(2015, 1, n)
    )
    HealthRecord.objects.create(child=child, allergies="Arachide", diet="no_pork")
    for i in range(2):
        AuthorizedAdult.objects.create(
            child=child,
            first_name=f"A{i}",
            last_name="Martin",
            relation="Oncle",
            phone="0600000000",
        )
    for authorization_type in types:
        ChildAuthorization.objects.create(
            child=child, authorization_type=authorization_type, granted=True
        )
    change_request_submit(
        family=family,
        target=ChangeRequest.Target.HEALTH,
        child=child,
        new_values={"allergies": f"Kiwi {n}"},
        by=parent,
    )


def _count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("family:dossier"))
    assert response.status_code == 200
    return len(queries)


def test_dossier_query_count_does_not_grow_with_children(client_a, collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(family=family, rank=1, first_name="Sophie", last_name="Dupont")
    Guardian.objects.create(family=family, rank=2, first_name="Marc", last_name="Dupont")
    types = [
        AuthorizationType.objects.create(collectivity=collectivity_a, label=label, order=i)
        for i, label in enumerate(["Droit à l’image", "Partir seul", "Transport"])
    ]
    parent = UserFactory()
    SubscriptionFactory(user=parent, family=family)
    client_a.force_login(parent)

    _add_child(family, types, parent, 1)
    _count(client_a)  # warm caches (site, settings)
    one = _count(client_a)
    for n in range(2, 5):
        _add_child(family, types, parent, n)
    four = _count(client_a)
    html = client_a.get(reverse("family:dossier")).content.decode()
    assert html.count("Kiwi") == 4
    assert four == one, (one, four)
