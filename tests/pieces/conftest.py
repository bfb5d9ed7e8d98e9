"""A parent of a family of collectivity A with one child, the documents module on in A and B,
and the rows that could leak: another family of A and a family of B, with their documents."""

from types import SimpleNamespace

import pytest

from family.models import Guardian
from pieces.models import DocumentType
from pieces.services import document_upload
from tests.pieces.factories import DocumentTypeFactory, pdf_upload
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory


@pytest.fixture
def modules_on(collectivity_a, collectivity_b):
    for collectivity in (collectivity_a, collectivity_b):
        collectivity.module_documents = True
        collectivity.save()
    return collectivity_a, collectivity_b


def _family(collectivity, name, email):
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(family=family, rank=1, first_name="Léa", last_name=name)
    user = UserFactory(email=email)
    SubscriptionFactory(user=user, family=family)
    child = ChildFactory(family=family, first_name=f"Emma{name}")
    return SimpleNamespace(family=family, user=user, child=child)


@pytest.fixture
def world(modules_on, collectivity_a, collectivity_b, agent_a):
    insurance = DocumentTypeFactory(
        collectivity=collectivity_a, name="Attestation d’assurance", mandatory=True
    )
    vaccines = DocumentTypeFactory(
        collectivity=collectivity_a,
        name="Carnet de vaccination",
        holder=DocumentType.Holder.CHILD,
        mandatory=False,
    )
    own = _family(collectivity_a, "Dupont", "lea@example.test")
    other = _family(collectivity_a, "Interdite", "autre@example.test")
    far = _family(collectivity_b, "Lointaine", "loin@example.test")
    type_b = DocumentTypeFactory(collectivity=collectivity_b, name="Justificatif B")
    other_doc = document_upload(
        family=other.family,
        document_type=insurance,
        uploads=[pdf_upload("interdit.pdf")],
        by=other.user,
    )
    far_doc = document_upload(
        family=far.family, document_type=type_b, uploads=[pdf_upload("loin.pdf")], by=far.user
    )
    return SimpleNamespace(
        insurance=insurance,
        vaccines=vaccines,
        own=own,
        other=other,
        far=far,
        type_b=type_b,
        other_doc=other_doc,
        far_doc=far_doc,
        agent=agent_a,
    )
