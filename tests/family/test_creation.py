"""The family-space creation form (« Je n’ai pas de code abonné »): steps, draft, agent
decision."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

import pytest

from family.models import Family, FamilyCreationRequest, Subscription
from family.services import (
    CreationError,
    creation_accept,
    creation_draft_get,
    creation_refuse,
    creation_step_save,
    creation_submit,
)
from notifications.models import OutboxEmail, TimelineEvent
from tests.conftest import HOST_A, HOST_B
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"
STEP1 = "/famille/creation/etape-1/"
STEP2 = "/famille/creation/etape-2/"
STEP3 = "/famille/creation/etape-3/"

GUARDIAN1 = {
    "r1-civility": "mme",
    "r1-last_name": "Durand",
    "r1-first_name": "Claire",
    "r1-birth_date": "1985-04-02",
    "r1-address": "3 rue des Lilas",
    "r1-address_complement": "Bâtiment B",
    "r1-postal_code": "69001",
    "r1-city": "Lyon",
    "r1-phone_mobile": "06 12 34 56 78",
    "r1-email": "claire@example.test",
}
GUARDIAN2 = {"r2-civility": "m", "r2-last_name": "Durand", "r2-first_name": "Paul"}


def _management(total: int) -> dict:
    return {
        "enfants-TOTAL_FORMS": str(total),
        "enfants-INITIAL_FORMS": str(total),
        "enfants-MIN_NUM_FORMS": "0",
        "enfants-MAX_NUM_FORMS": "30",
    }


def _child(index: int, first_name: str, birth_date: str) -> dict:
    return {
        f"enfants-{index}-last_name": "Durand",
        f"enfants-{index}-first_name": first_name,
        f"enfants-{index}-birth_date": birth_date,
        f"enfants-{index}-sex": "F",
        f"enfants-{index}-school": "École Jules-Ferry",
        f"enfants-{index}-school_class": "CE1",
    }


@pytest.fixture
def parent(collectivity_a):
    return UserFactory(email="parent.durand@example.test")


@pytest.fixture
def parent_client(parent):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(parent)
    return client


@pytest.fixture
def agent_client(agent_a):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(agent_a)
    return client


def _valid_data() -> dict:
    return {
        "guardians": [
            {"last_name": "Martin", "first_name": "Léa", "address": "1 place", "city": "Lyon"}
        ],
        "children": [{"last_name": "Martin", "first_name": "Tom", "birth_date": "2018-01-02"}],
    }


def _pending(user, collectivity) -> FamilyCreationRequest:
    request = creation_draft_get(user=user, collectivity=collectivity)
    creation_step_save(request=request, step=1, data=_valid_data())
    creation_step_save(
        request=request, step=2, data={"payer": 1, "bank": {"iban": ""}, "fiscal": {}}
    )
    return creation_submit(request=request, by=user)


def test_whole_flow_without_javascript(parent_client, parent, agent_client, collectivity_a):
    # The no-family page leads to the form.
    page = parent_client.get("/famille/").content.decode()
    assert 'href="/famille/creation/"' in page and "ai pas de code abonné" in page
    response = parent_client.get("/famille/creation/")
    assert response.status_code == 302 and response.url == STEP1
    page = parent_client.get(STEP1).content.decode()
    assert "Étape 1 sur 3 : Ma famille" in page and 'aria-current="step"' in page
    assert "Enfant 1" not in page  # no child by default

    # « Copier l'adresse du responsable 1 » without JavaScript: the page comes back with it.
    post = {**GUARDIAN1, **GUARDIAN2, **_management(0), "action": "copy_address"}
    page = parent_client.post(STEP1, post).content.decode()
    assert 'name="r2-address" value="3 rue des Lilas"' in page
    assert 'name="r2-postal_code" value="69001"' in page and 'name="r2-city" value="Lyon"' in page
    draft = FamilyCreationRequest.objects.get(user=parent)
    assert draft.status == "draft" and draft.step == 1
    assert draft.data["guardians"][1]["city"] == "Lyon"  # valid as typed: saved

    # « Ajouter un enfant » twice: one more empty child form each time.
    guardians = {
        **GUARDIAN1,
        **GUARDIAN2,
        "r2-address": "3 rue des Lilas",
        "r2-address_complement": "Bâtiment B",
        "r2-postal_code": "69001",
        "r2-city": "Lyon",
    }
    page = parent_client.post(
        STEP1, {**guardians, **_management(0), "action": "add_child"}
    ).content.decode()
    assert "Enfant 1" in page and 'name="enfants-0-first_name"' in page
    page = parent_client.post(
        STEP1,
        {**guardians, **_management(1), **_child(0, "Emma", "2017-05-06"), "action": "add_child"},
    ).content.decode()
    assert "Enfant 2" in page and 'name="enfants-1-first_name"' in page
    assert 'value="Emma"' in page

    response = parent_client.post(
        STEP1,
        {
            **guardians,
            **_management(2),
            **_child(0, "Emma", "2017-05-06"),
            **_child(1, "Hugo", "2019-09-10"),
            "action": "next",
        },
    )
    assert response.status_code == 302 and response.url == STEP2

    # Step 2: holder pre-filled from the paying guardian.
    page = parent_client.get(STEP2).content.decode()
    assert "Étape 2 sur 3 : Mes informations financières" in page
    assert 'value="Claire Durand"' in page
    assert 'value="3 rue des Lilas, Bâtiment B, 69001 Lyon"' in page
    response = parent_client.post(
        STEP2,
        {
            "payer": "1",
            "holder_name": "Claire Durand",
            "holder_address": "3 rue des Lilas, 69001 Lyon",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPP",
            "reference_tax_income": "32000",
            "tax_shares": "3",
            "allowance_body": "caf",
            "allowance_number": "1234567",
            "family_quotient": "780.50",
        },
    )
    assert response.status_code == 302 and response.url == STEP3

    page = parent_client.get(STEP3).content.decode()
    assert "Récapitulatif" in page and "Emma" in page and "Hugo" in page and IBAN in page
    assert "Envoyer ma demande" in page and 'href="/famille/creation/etape-1/"' in page
    response = parent_client.post(STEP3)
    assert response.status_code == 302 and response.url == "/famille/creation/envoyee/"
    assert "Votre demande a été envoyée" in parent_client.get(response.url).content.decode()
    draft.refresh_from_db()
    assert draft.status == "pending" and draft.submitted_at is not None
    assert OutboxEmail.objects.filter(to=[parent.email], subject__contains="Accusé").exists()
    assert "en attente de validation" in parent_client.get("/famille/").content.decode()
    assert "en attente de validation" in parent_client.get("/famille/creation/").content.decode()

    # The agent reads it and accepts it.
    page = agent_client.get(f"/admin/familles/creations/{draft.pk}/").content.decode()
    assert "Claire" in page and "Hugo" in page and "Accepter" in page
    response = agent_client.post(f"/admin/familles/creations/{draft.pk}/accepter/")
    assert response.status_code == 302
    family = Family.objects.get(collectivity=collectivity_a)
    assert family.name == "Durand" and len(family.subscriber_code) == 12
    guardians_db = list(family.guardians.order_by("rank"))
    assert [(g.rank, g.first_name, g.is_payer) for g in guardians_db] == [
        (1, "Claire", True),
        (2, "Paul", False),
    ]
    assert guardians_db[1].city == "Lyon" and guardians_db[1].postal_code == "69001"
    assert sorted(c.first_name for c in family.children.all()) == ["Emma", "Hugo"]
    assert family.bank_details.iban == IBAN and family.bank_details.bic == "AGRIFRPP"
    assert str(family.fiscal_data.family_quotient) == "780.50"
    # The QF starts its period of validity on the first day of the month of acceptance.
    period = family.quotients.get()
    assert str(period.value) == "780.50" and period.valid_to is None
    assert period.valid_from == timezone.localdate().replace(day=1)
    assert family.fiscal_data.allowance_body == "caf"
    assert Subscription.objects.filter(user=parent, family=family).exists()
    assert TimelineEvent.objects.filter(
        verb="family_creation_accepted", digest=True, family_id=family.pk
    ).exists()
    page = agent_client.get(f"/admin/familles/creations/{draft.pk}/").content.decode()
    assert family.subscriber_code in page

    # The parent sees the family at once, in the same session.
    page = parent_client.get("/famille/").content.decode()
    assert "Famille Durand" in page and "Emma" in page
    assert parent_client.get("/famille/creation/").url == "/famille/"


def test_leaving_and_coming_back_resumes_the_draft(parent_client, parent):
    parent_client.post(STEP1, {**GUARDIAN1, **_management(0), "action": "next"})
    # Later, another session of the same account.
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(parent)
    response = client.get("/famille/creation/")
    assert response.url == STEP2
    page = client.get(STEP1).content.decode()
    assert 'value="Durand"' in page and 'value="3 rue des Lilas"' in page
    assert FamilyCreationRequest.objects.filter(user=parent).count() == 1
    # Step 3 cannot be reached before step 2 is saved.
    assert client.get(STEP3).url == STEP2


def test_invalid_iban_is_refused_and_nothing_saved(parent_client, parent):
    parent_client.post(STEP1, {**GUARDIAN1, **_management(0), "action": "next"})
    before = FamilyCreationRequest.objects.get(user=parent)
    response = parent_client.post(
        STEP2, {"payer": "1", "holder_name": "Claire Durand", "iban": "FR76 1234 5678 9012"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "IBAN invalide" in page
    assert 'role="alert"' in page and 'aria-invalid="true"' in page
    after = FamilyCreationRequest.objects.get(user=parent)
    assert after.data == before.data and after.step == 2


def test_birth_date_in_the_future_and_postal_code(parent_client, parent):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = parent_client.post(
        STEP1,
        {
            **GUARDIAN1,
            "r1-postal_code": "6900",
            **_management(1),
            **_child(0, "Emma", future),
            "action": "next",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "La date de naissance ne peut pas être dans le futur." in page
    assert "Code postal invalide : 5 chiffres de 0 à 9" in page
    assert not FamilyCreationRequest.objects.exists()


def test_guardian_1_names_are_required(parent_client, parent):
    response = parent_client.post(STEP1, {**_management(0), "action": "next"})
    page = response.content.decode()
    assert "Indiquez le nom du responsable 1." in page
    assert "Indiquez le prénom du responsable 1." in page
    assert not FamilyCreationRequest.objects.exists()
    # A second guardian partly typed needs names too.
    response = parent_client.post(
        STEP1, {**GUARDIAN1, "r2-city": "Lyon", **_management(0), "action": "next"}
    )
    assert "Indiquez le nom du responsable 2" in response.content.decode()


def test_submit_without_guardian_is_refused(parent, collectivity_a):
    request = creation_draft_get(user=parent, collectivity=collectivity_a)
    with pytest.raises(CreationError, match="responsable 1"):
        creation_submit(request=request, by=parent)
    request.refresh_from_db()
    assert request.status == "draft"


def test_remove_a_child(parent_client, parent):
    post = {
        **GUARDIAN1,
        **_management(2),
        **_child(0, "Emma", "2017-05-06"),
        **_child(1, "Hugo", "2019-09-10"),
        "action": "remove-0",
    }
    page = parent_client.post(STEP1, post).content.decode()
    assert 'value="Hugo"' in page and 'value="Emma"' not in page and "Enfant 2" not in page


def test_double_submit_gives_one_pending_request(parent_client, parent):
    parent_client.post(STEP1, {**GUARDIAN1, **_management(0), "action": "next"})
    parent_client.post(STEP2, {"payer": "1"})
    first = parent_client.post(STEP3)
    second = parent_client.post(STEP3)
    assert first.url == "/famille/creation/envoyee/"
    assert second.status_code == 302
    assert FamilyCreationRequest.objects.filter(user=parent).count() == 1
    assert FamilyCreationRequest.objects.get(user=parent).status == "pending"
    assert OutboxEmail.objects.filter(subject__contains="Accusé").count() == 1


def test_refusal_needs_a_reason_and_the_parent_reads_it(
    parent_client, parent, agent_client, collectivity_a
):
    request = _pending(parent, collectivity_a)
    url = f"/admin/familles/creations/{request.pk}/refuser/"
    response = agent_client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "Indiquez le motif du refus" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"
    with pytest.raises(CreationError):
        creation_refuse(request=request, by=None, reason="")

    agent_client.post(url, {"reason": "Justificatif de domicile manquant."})
    request.refresh_from_db()
    assert request.status == "refused"
    for path in ("/famille/", "/famille/creation/"):
        page = parent_client.get(path).content.decode()
        assert "refusée" in page and "Justificatif de domicile manquant." in page
    assert TimelineEvent.objects.filter(
        digest=True, account=parent, message__contains="Justificatif de domicile"
    ).exists()
    # Starting again: a new draft pre-filled with the refused values.
    response = parent_client.post("/famille/creation/recommencer/")
    assert response.url == STEP1
    assert 'value="Martin"' in parent_client.get(STEP1).content.decode()
    assert FamilyCreationRequest.objects.filter(user=parent, status="draft").count() == 1


def test_agent_of_another_collectivity_gets_404(collectivity_a, collectivity_b, agent_a):
    parent_b = UserFactory(email="parent.b@example.test")
    request_b = _pending(parent_b, collectivity_b)
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(agent_a)
    assert client.get(f"/admin/familles/creations/{request_b.pk}/").status_code == 404
    assert client.post(f"/admin/familles/creations/{request_b.pk}/accepter/").status_code == 404
    request_b.refresh_from_db()
    assert request_b.status == "pending" and not Family.objects.exists()
    # A drafts stays the parent's own.
    parent_a = UserFactory(email="parent.a@example.test")
    draft = creation_draft_get(user=parent_a, collectivity=collectivity_a)
    assert client.get(f"/admin/familles/creations/{draft.pk}/").status_code == 404
    # A parent (not an agent) is kept out of the back office.
    parent_client = Client(HTTP_HOST=HOST_A)
    parent_client.force_login(parent_a)
    own = _pending(UserFactory(email="p3@example.test"), collectivity_a)
    assert parent_client.get(f"/admin/familles/creations/{own.pk}/").status_code in (302, 403)
    # The agent of B on B's host sees it (the URL itself works).
    assert Client(HTTP_HOST=HOST_B).get("/admin/familles/creations/1/").status_code == 302


def test_accept_twice_is_refused_with_one_family(parent, agent_a, collectivity_a, agent_client):
    request = _pending(parent, collectivity_a)
    creation_accept(request=request, by=agent_a)
    with pytest.raises(CreationError, match="déjà été traitée"):
        creation_accept(request=request, by=agent_a)
    response = agent_client.post(f"/admin/familles/creations/{request.pk}/accepter/", follow=True)
    assert "déjà été traitée" in response.content.decode()
    assert Family.objects.count() == 1
    assert Subscription.objects.filter(user=parent).count() == 1


def test_one_open_request_per_account_and_collectivity(parent, collectivity_a, collectivity_b):
    first = creation_draft_get(user=parent, collectivity=collectivity_a)
    assert creation_draft_get(user=parent, collectivity=collectivity_a) == first
    other = creation_draft_get(user=parent, collectivity=collectivity_b)
    assert other != first
    creation_step_save(request=first, step=1, data=_valid_data())
    creation_step_save(request=first, step=2, data={"payer": 1})
    creation_submit(request=first, by=parent)
    assert creation_draft_get(user=parent, collectivity=collectivity_a) == first
    with pytest.raises(CreationError):
        creation_step_save(request=first, step=1, data=_valid_data())


def test_account_with_a_family_is_sent_to_the_family_space(parent_client, parent, collectivity_a):
    from tests.portal.factories import FamilyFactory

    family = FamilyFactory(collectivity=collectivity_a)
    Subscription.objects.create(user=parent, family=family)
    assert parent_client.get("/famille/creation/").url == "/famille/"
    assert parent_client.get(STEP1).url == "/famille/"


@pytest.fixture
def no_enrolment_provider():
    from family.services import creation

    registered = creation._enrolment_choices_provider
    creation.enrolment_choices_provider_register(None)
    yield
    creation.enrolment_choices_provider_register(registered)


def test_without_a_registered_provider_no_activity_is_offered(
    no_enrolment_provider, collectivity_a
):
    from family.services.creation import enrolment_choices

    assert enrolment_choices(collectivity_a) == []


def test_a_registered_provider_lists_the_activities(collectivity_a):
    from family.services import creation

    registered = creation._enrolment_choices_provider
    creation.enrolment_choices_provider_register(lambda collectivity: [{"id": 1, "name": "Judo"}])
    try:
        assert creation.enrolment_choices(collectivity_a) == [{"id": 1, "name": "Judo"}]
    finally:
        creation.enrolment_choices_provider_register(registered)


# --- Hostile inputs (issue #11, item 7): each refused with a French message, nothing saved


@pytest.mark.parametrize(
    "postal_code",
    ["７５００１", "٤٥٦٣٠", "४५६३०"],
    ids=["full-width", "arabic-indic", "devanagari"],
)
def test_postal_code_in_non_ascii_digits_refused(parent_client, parent, postal_code):
    """« ７５００１ » matched ``\\d{5}`` and was accepted."""
    response = parent_client.post(
        STEP1,
        {**GUARDIAN1, "r1-postal_code": postal_code, **_management(0), "action": "next"},
    )
    assert response.status_code == 200
    assert "Code postal invalide : 5 chiffres de 0 à 9" in response.content.decode()
    assert not FamilyCreationRequest.objects.exists()


@pytest.mark.parametrize(
    ("guardian_birth", "child_birth", "message"),
    [
        ("0001-01-01", "2018-05-01", "postérieure au 1er janvier 1900"),
        ("1800-06-15", "2018-05-01", "postérieure au 1er janvier 1900"),
        ("1985-04-02", "1800-06-15", "un enfant est né il y a moins de 30 ans"),
        ("1985-04-02", "0001-01-01", "un enfant est né il y a moins de 30 ans"),
        ("9999-12-31", "2018-05-01", "ne peut pas être dans le futur"),
    ],
)
def test_birth_date_in_year_1_or_1800_refused(
    parent_client, parent, guardian_birth, child_birth, message
):
    response = parent_client.post(
        STEP1,
        {
            **GUARDIAN1,
            "r1-birth_date": guardian_birth,
            **_management(1),
            **_child(0, "Emma", child_birth),
            "action": "next",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FamilyCreationRequest.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("r1-last_name", "\u200b\u200c\u200d", "caractères invisibles"),
        ("r1-last_name", "\u3164\u3164", "aucun caractère visible"),
        ("r1-first_name", "Claire\u202egnp.exe", "inversent le sens d’écriture"),
        ("r1-city", "Lyon\u2066", "inversent le sens d’écriture"),
        ("r1-address", "x" * 201, "au plus 200 caractères"),
    ],
)
def test_invisible_or_bidi_names_refused(parent_client, parent, field, value, message):
    response = parent_client.post(
        STEP1, {**GUARDIAN1, field: value, **_management(0), "action": "next"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FamilyCreationRequest.objects.exists()
