from django.contrib.auth import get_user_model

import factory

from family.models import Family, Subscription


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"parent{n}@example.test")
    # Names made from a sequence, never random: a random surname could be one a test asserts
    # is absent ("Dupont", "Martin"…). The trailing letter keeps "Compte1X" from matching
    # inside "Compte12X".
    first_name = factory.Sequence(lambda n: f"Prénom{n}X")
    last_name = factory.Sequence(lambda n: f"Compte{n}X")
    password = factory.django.Password("Un-mot-de-passe-solide-2026")


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    name = factory.Sequence(lambda n: f"Famille{n}X")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    user = factory.SubFactory(UserFactory)
    family = factory.SubFactory(FamilyFactory)
