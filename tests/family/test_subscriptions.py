"""« Mes abonnements » and « M’abonner »: the subscription by subscriber code, end to end
through the test client."""

import re
from datetime import date

from django.test import Client

import pytest

from family.models import Child, CodeAttempt, Guardian, Subscription
from family.services import family_code_regenerate, family_code_revoke, subscription_create
from tests.conftest import HOST_A
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/mon-espace/abonnements/"
ADD_URL = "/mon-espace/abonnements/ajouter/"
UNKNOWN_CODE_MESSAGE = "Ce code abonné n’est pas reconnu"
SUCCESS_MESSAGE = "Votre abonnement est actif : vous pouvez accéder à votre Espace famille."


def _family(collectivity, name="Dupont", *, children=("Léa", "Hugo")):
    family = FamilyFactory(collectivity=collectivity, name=name)
    Guardian.objects.create(
        family=family, rank=1, first_name="Sophie", last_name=name, is_payer=True
    )
    Guardian.objects.create(family=family, rank=2, first_name="Marc", last_name=name)
    for index, first_name in enumerate(children):
        Child.objects.create(
            family=family,
            first_name=first_name,
            last_name=name,
            birth_date=date(2016 + index, 3, 14),
        )
    code = family_code_regenerate(family=family)
    family.refresh_from_db()
    return family, code


def _logged_in(user, host=HOST_A):
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def _search(client, code):
    return client.post(ADD_URL, {"code": code})


def _token_from(response):
    match = re.match(r"^/mon-espace/abonnements/confirmer/([^/]+)/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def _confirm_url(token):
    return f"/mon-espace/abonnements/confirmer/{token}/"


def _content(response):
    return response.content.decode()


def test_full_journey_subscription_is_active_at_once(collectivity_a):
    family, code = _family(collectivity_a)
    user = UserFactory()
    client = _logged_in(user)

    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert f'href="{ADD_URL}"' in _content(listing)
    assert "Votre compte n’est abonné à aucune famille" in _content(listing)

    form = client.get(ADD_URL)
    assert form.status_code == 200
    page = _content(form)
    assert '<label for="id_code">Code abonné</label>' in page
    assert "Rechercher" in page
    assert "Où obtenir votre code abonné ?" in page
    assert "Votre collectivité vous l’a transmis par courrier. Sinon, contactez-la." in page
    assert "XXXXXXXXXXXX" in page

    found = _search(client, code)
    assert found.status_code == 302
    token = _token_from(found)
    confirm_page = client.get(found["Location"])
    page = _content(confirm_page)
    assert "Famille D•••••" in page
    assert "Dupont" not in page  # masked until the parent confirms
    assert "Confirmer l’abonnement" in page and "Annuler" in page
    assert not Subscription.objects.exists()  # nothing happens before confirmation

    done = client.post(_confirm_url(token), {"action": "confirm"}, follow=True)
    assert done.redirect_chain[-1][0] == LIST_URL
    page = _content(done)
    assert SUCCESS_MESSAGE in page
    assert "Famille Dupont" in page
    assert "Sophie, Marc" in page and "Léa, Hugo" in page
    assert Subscription.objects.filter(user=user, family=family).count() == 1

    # Same session, no log-out / log-in: the Espace famille opens.
    space = client.get("/famille/")
    assert space.status_code == 200
    assert "Famille Dupont" in _content(space)
    assert "Léa" in _content(space)

    attempt = CodeAttempt.objects.get()
    assert attempt.success and attempt.user == user and attempt.family == family
    assert attempt.ip_address == "127.0.0.1"
    assert attempt.code_hint == code[:3]


def test_second_guardian_subscribes_with_the_same_code_on_their_own_account(collectivity_a):
    family, code = _family(collectivity_a)
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        client = _logged_in(user)
        token = _token_from(_search(client, code))
        client.post(_confirm_url(token), {"action": "confirm"})
        assert "Famille Dupont" in _content(client.get("/famille/"))
    assert set(family.subscriptions.values_list("user", flat=True)) == {first.pk, second.pk}


def test_wrong_code_is_refused_in_french_and_changes_nothing(collectivity_a):
    _family(collectivity_a)
    user = UserFactory()
    client = _logged_in(user)
    response = _search(client, "ACDEFGHJKMNP")
    assert response.status_code == 200
    page = _content(response)
    assert UNKNOWN_CODE_MESSAGE in page
    assert 'role="alert"' in page and 'aria-invalid="true"' in page
    assert not Subscription.objects.exists()
    assert "family.subscription_candidates" not in client.session
    attempt = CodeAttempt.objects.get()
    assert not attempt.success and attempt.user == user and attempt.family is None


def test_empty_code_asks_for_a_code_without_a_look_up(collectivity_a):
    client = _logged_in(UserFactory())
    response = _search(client, " - ")
    assert "Saisissez votre code abonné." in _content(response)
    assert not CodeAttempt.objects.exists()


def test_code_of_another_collectivity_is_not_recognised_here(collectivity_a, collectivity_b):
    _other_family, other_code = _family(collectivity_b, "Bertin")
    user = UserFactory()
    client = _logged_in(user)
    response = _search(client, other_code)
    page = _content(response)
    assert UNKNOWN_CODE_MESSAGE in page  # the same neutral message as an unknown code
    assert "Bertin" not in page and "B•••" not in page
    assert not Subscription.objects.exists()
    assert CodeAttempt.objects.get().collectivity == collectivity_a


def test_code_typed_with_spaces_dashes_and_lower_case_is_accepted(collectivity_a):
    family, code = _family(collectivity_a)
    typed = f"  {code[:4].lower()} {code[4:8]}-{code[8:].lower()} "
    client = _logged_in(UserFactory())
    response = _search(client, typed)
    assert response.status_code == 302
    client.post(_confirm_url(_token_from(response)), {"action": "confirm"})
    assert family.subscriptions.count() == 1


def test_sixth_look_up_after_five_failures_is_refused_even_with_the_right_code(collectivity_a):
    family, code = _family(collectivity_a)
    client = _logged_in(UserFactory())
    for _attempt in range(5):
        assert UNKNOWN_CODE_MESSAGE in _content(_search(client, "ACDEFGHJKMNP"))
    response = _search(client, code)
    assert response.status_code == 200
    assert "Trop de tentatives infructueuses" in _content(response)
    assert not Subscription.objects.exists()
    assert CodeAttempt.objects.count() == 6  # every attempt is logged, the refused one too
    assert CodeAttempt.objects.filter(success=True).count() == 0


def test_failures_are_throttled_per_address_across_accounts(collectivity_a):
    _family_, code = _family(collectivity_a)
    for _attempt in range(5):
        _search(_logged_in(UserFactory()), "ACDEFGHJKMNP")
    response = _search(_logged_in(UserFactory()), code)
    assert "Trop de tentatives infructueuses" in _content(response)


def test_double_submit_of_the_confirmation_gives_one_subscription(collectivity_a):
    family, code = _family(collectivity_a)
    user = UserFactory()
    client = _logged_in(user)
    token = _token_from(_search(client, code))
    first = client.post(_confirm_url(token), {"action": "confirm"})
    second = client.post(_confirm_url(token), {"action": "confirm"}, follow=True)
    assert first["Location"] == LIST_URL
    assert second.redirect_chain[-1][0] == LIST_URL
    assert SUCCESS_MESSAGE in _content(second)
    assert Subscription.objects.filter(user=user, family=family).count() == 1
    assert family.subscriptions.count() == 1
    # The token is spent: the confirmation page is not shown again.
    replay = client.get(_confirm_url(token))
    assert replay["Location"] == ADD_URL


def test_replayed_token_after_cancel_subscribes_nobody(collectivity_a):
    _family_, code = _family(collectivity_a)
    client = _logged_in(UserFactory())
    token = _token_from(_search(client, code))
    cancelled = client.post(_confirm_url(token), {"action": "cancel"}, follow=True)
    assert "Abonnement annulé" in _content(cancelled)
    replay = client.post(_confirm_url(token), {"action": "confirm"}, follow=True)
    assert replay.redirect_chain[-1][0] == ADD_URL
    assert "Cette recherche a expiré ou a déjà été utilisée" in _content(replay)
    assert not Subscription.objects.exists()


def test_token_of_another_users_session_is_unusable(collectivity_a):
    family, code = _family(collectivity_a)
    owner, intruder = UserFactory(), UserFactory()
    owner_client = _logged_in(owner)
    token = _token_from(_search(owner_client, code))

    intruder_client = _logged_in(intruder)
    assert intruder_client.get(_confirm_url(token))["Location"] == ADD_URL
    response = intruder_client.post(_confirm_url(token), {"action": "confirm"}, follow=True)
    assert "Cette recherche a expiré ou a déjà été utilisée" in _content(response)
    assert "Famille D•••••" not in _content(response)
    assert not Subscription.objects.exists()

    # The owner's token still works for the owner.
    owner_client.post(_confirm_url(token), {"action": "confirm"})
    assert list(family.subscriptions.values_list("user", flat=True)) == [owner.pk]


def test_token_found_on_one_host_is_unusable_on_another(collectivity_a, collectivity_b):
    _family_, code = _family(collectivity_a)
    user = UserFactory()
    client = _logged_in(user)
    token = _token_from(_search(client, code))
    # Same session, other collectivity's host (a shared cookie domain is not assumed, but
    # the token must not travel anyway).
    client.defaults["HTTP_HOST"] = "autre.localhost"
    response = client.post(_confirm_url(token), {"action": "confirm"})
    assert response["Location"] == ADD_URL
    assert not Subscription.objects.exists()


def test_code_revoked_between_search_and_confirmation_is_refused(collectivity_a):
    family, code = _family(collectivity_a)
    client = _logged_in(UserFactory())
    token = _token_from(_search(client, code))
    family_code_revoke(family=family)
    response = client.post(_confirm_url(token), {"action": "confirm"})
    assert response["Location"] == ADD_URL
    assert not Subscription.objects.exists()


def test_already_subscribed_gets_a_clear_message(collectivity_a):
    family, code = _family(collectivity_a)
    user = UserFactory()
    subscription_create(user=user, family=family)
    client = _logged_in(user)
    response = client.post(ADD_URL, {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == LIST_URL
    assert "Votre compte est déjà abonné à cette famille (famille Dupont)." in _content(response)
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [LIST_URL, ADD_URL, _confirm_url("abc"), "/famille/", "/famille/sans-code-abonne/"],
)
def test_anonymous_is_sent_to_the_login_page(client_a, url):
    response = client_a.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/")
    assert "next=" in response["Location"]


def test_anonymous_post_subscribes_nobody(client_a, collectivity_a):
    _family_, code = _family(collectivity_a)
    response = client_a.post(ADD_URL, {"code": code})
    assert response.status_code == 302 and response["Location"].startswith("/compte/")
    assert not CodeAttempt.objects.exists()


def test_list_shows_only_this_collectivitys_subscriptions(collectivity_a, collectivity_b):
    family_a, _code = _family(collectivity_a, "Dupont")
    family_b, _code = _family(collectivity_b, "Bertin")
    other_family_a, _code = _family(collectivity_a, "Nguyen")
    # Fixed names: a random one (Faker) could be "Nguyen" or "Bertin" and show in the header.
    user = UserFactory(first_name="Claire", last_name="Martin")
    other_user = UserFactory(first_name="Paul", last_name="Durand")
    subscription_create(user=user, family=family_a)
    subscription_create(user=user, family=family_b)
    subscription_create(user=other_user, family=other_family_a)

    page_a = _content(_logged_in(user).get(LIST_URL))
    assert "Famille Dupont" in page_a
    assert "Bertin" not in page_a and "Nguyen" not in page_a

    page_b = _content(_logged_in(user, "autre.localhost").get(LIST_URL))
    assert "Famille Bertin" in page_b
    assert "Dupont" not in page_b


def test_list_query_count_does_not_grow_with_subscriptions(
    collectivity_a, django_assert_max_num_queries
):
    user = UserFactory()
    client = _logged_in(user)
    family, _code = _family(collectivity_a, "Dupont", children=("Léa",))
    subscription_create(user=user, family=family)
    client.get(LIST_URL)  # warm caches (site settings, session)
    with django_assert_max_num_queries(12) as small:
        client.get(LIST_URL)
    for name in ("Bernard", "Petit", "Robert", "Richard"):
        other, _code = _family(collectivity_a, name, children=("Jade", "Louis", "Emma"))
        subscription_create(user=user, family=other)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(LIST_URL)
    assert _content(response).count("<tr>") == 1 + 5


def test_unsubscribed_account_gets_the_no_family_page_on_the_family_space(collectivity_a):
    family, _code = _family(collectivity_a)
    subscription_create(user=UserFactory(), family=family)  # someone else's family
    client = _logged_in(UserFactory())
    response = client.get("/famille/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "family/no_family.html"
    page = _content(response)
    assert f'href="{ADD_URL}"' in page and "J’ai un code abonné" in page
    assert 'href="/famille/creation/"' in page and "Je n’ai pas de code abonné" in page
    assert "Dupont" not in page


def test_no_code_page_says_how_to_get_a_code(client_a, collectivity_a):
    collectivity_a.contact_email = "enfance@alpha.test"
    collectivity_a.contact_phone = "01 23 45 67 89"
    collectivity_a.save()
    user = UserFactory()
    client_a.force_login(user)
    page = _content(client_a.get("/famille/sans-code-abonne/"))
    assert "enfance@alpha.test" in page and "01 23 45 67 89" in page
    assert "contactez le service enfance" in page
    assert user.email in page
    assert "<form" not in page.split('id="contenu"')[1]  # no fake creation form


def test_help_text_shows_the_collectivitys_contact(client_a, collectivity_a):
    collectivity_a.contact_email = "enfance@alpha.test"
    collectivity_a.contact_phone = "01 23 45 67 89"
    collectivity_a.save()
    client_a.force_login(UserFactory())
    page = _content(client_a.get(ADD_URL))
    assert "mailto:enfance@alpha.test" in page and "01 23 45 67 89" in page
