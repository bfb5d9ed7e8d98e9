import pytest

from family.models import ChangeRequest, FiscalData, Guardian
from family.selectors.dossier import pending_changes
from family.services import (
    DossierError,
    change_request_accept,
    change_request_cancel,
    change_request_refuse,
    change_request_submit,
)
from notifications.models import OutboxEmail, TimelineEvent
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db
Target = ChangeRequest.Target


@pytest.fixture
def family(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(
        family=family,
        rank=1,
        last_name="Dupont",
        first_name="Léa",
        address="1 rue A",
        postal_code="45000",
        city="Orléans",
    )
    return family


def test_edit_is_pending_then_applied_on_acceptance(family, agent_a):
    parent = UserFactory()
    guardian = family.guardians.get()
    request = change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"address": "2 rue B", "city": "Orléans"},
        by=parent,
    )
    assert request.changes == {"address": {"old": "1 rue A", "new": "2 rue B"}}
    guardian.refresh_from_db()
    assert guardian.address == "1 rue A"
    pending = pending_changes(family)[(Target.GUARDIAN, guardian.pk, None)]
    assert pending["address"]["new"] == "2 rue B"
    change_request_accept(change_request=request, by=agent_a)
    guardian.refresh_from_db()
    assert guardian.address == "2 rue B"
    assert not pending_changes(family)
    verbs = set(TimelineEvent.objects.filter(family_id=family.pk).values_list("verb", flat=True))
    assert {"change_requested", "change_accepted"} <= verbs
    with pytest.raises(DossierError):
        change_request_accept(change_request=request, by=agent_a)


def test_second_edit_of_a_pending_field_keeps_one_pending_value(family):
    parent = UserFactory()
    guardian = family.guardians.get()
    first = change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"address": "2 rue B", "city": "Tours"},
        by=parent,
    )
    second = change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"address": "3 rue C"},
        by=parent,
    )
    first.refresh_from_db()
    assert set(first.changes) == {"city"} and first.status == ChangeRequest.Status.PENDING
    third = change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"city": "Blois"},
        by=parent,
    )
    first.refresh_from_db()
    assert first.status == ChangeRequest.Status.SUPERSEDED
    pending = pending_changes(family)[(Target.GUARDIAN, guardian.pk, None)]
    assert pending["address"]["new"] == "3 rue C" and pending["city"]["new"] == "Blois"
    assert ChangeRequest.objects.filter(family=family).count() == 3
    assert second.pk != third.pk


def test_refusal_needs_a_reason_and_keeps_the_dossier(family, agent_a):
    guardian = family.guardians.get()
    request = change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"city": "Tours"},
        by=UserFactory(),
    )
    with pytest.raises(DossierError):
        change_request_refuse(change_request=request, by=agent_a, reason=" ")
    change_request_refuse(change_request=request, by=agent_a, reason="Justificatif manquant")
    request.refresh_from_db()
    assert request.refusal_reason == "Justificatif manquant"
    guardian.refresh_from_db()
    assert guardian.city == "Orléans"


def test_fiscal_data_are_read_only_unless_allowed(family, collectivity_a):
    with pytest.raises(DossierError, match="gérées par votre collectivité"):
        change_request_submit(
            family=family,
            target=Target.FISCAL,
            new_values={"family_quotient": "650.00"},
            by=UserFactory(),
        )
    assert not ChangeRequest.objects.exists()
    collectivity_a.parents_may_edit_fiscal_data = True
    collectivity_a.save()
    family.collectivity.refresh_from_db()
    request = change_request_submit(
        family=family,
        target=Target.FISCAL,
        new_values={"family_quotient": "650.00"},
        by=UserFactory(),
    )
    change_request_accept(change_request=request, by=None)
    assert str(FiscalData.objects.get(family=family).family_quotient) == "650.00"


def test_nothing_changed_is_refused(family):
    guardian = family.guardians.get()
    with pytest.raises(DossierError, match="Aucune modification"):
        change_request_submit(
            family=family,
            target=Target.GUARDIAN,
            object_id=guardian.pk,
            new_values={"city": "Orléans"},
            by=UserFactory(),
        )


def test_another_familys_guardian_is_refused(family, collectivity_a):
    other = FamilyFactory(collectivity=collectivity_a)
    stranger = Guardian.objects.create(family=other, last_name="X", first_name="Y")
    with pytest.raises(DossierError):
        change_request_submit(
            family=family,
            target=Target.GUARDIAN,
            object_id=stranger.pk,
            new_values={"city": "Paris"},
            by=UserFactory(),
        )


def test_cancel_only_while_pending_and_emails_are_queued(family):
    parent = UserFactory(email="p@example.test")
    guardian = family.guardians.get()
    request = change_request_submit(
        family=family,
        target=Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"city": "Tours"},
        by=parent,
    )
    change_request_cancel(change_request=request, by=parent)
    with pytest.raises(DossierError, match="déjà été traitée"):
        change_request_cancel(change_request=request, by=parent)
    subjects = list(
        OutboxEmail.objects.filter(to=["p@example.test"]).values_list("subject", flat=True)
    )
    assert subjects == ["[Ville de Alpha] Accusé de réception de votre demande de modification"]
