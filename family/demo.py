"""Demo loader of the family app: three families per demo collectivity, with fixed subscriber
codes, and parent accounts (one already subscribed, one who still has to use « M'abonner »).

Idempotent: families are found again by their ``external_ref``; guardians by rank, children by
first name; codes and subscriptions are reset to the demo's state on every run.
"""

from datetime import date

from django.utils import timezone

from .models import Child, Family, Guardian, Subscription
from .services import CODE_ALPHABET, CODE_LENGTH, subscription_create

TOWNS = {
    "beaulieu": {
        "label": "Beaulieu",
        "postal_code": "45630",
        "city": "Beaulieu-sur-Loire",
        "schools": ("École élémentaire Jules-Ferry", "École maternelle Les Tilleuls"),
    },
    "valfleuri": {
        "label": "Val Fleuri",
        "postal_code": "26400",
        "city": "Val-Fleuri",
        "schools": ("École primaire Marie-Curie", "École maternelle Les Coquelicots"),
    },
}

# (external_ref, name, code, address, guardians, children, parent account)
# guardians: (civility, first name, last name, e-mail, mobile, payer)
# children: (first name, sex, birth date, school index, class)
# parent account: (e-mail, guardian rank, subscribed?) or None
FAMILIES = {
    "beaulieu": [
        {
            "ref": "DEMO-BEAULIEU-1",
            "name": "Dupont",
            "code": "DEMQ3AKTW7HA",
            "address": "12 rue des Écoles",
            "guardians": [
                ("mme", "Sophie", "Dupont", "sophie.dupont@exemple.fr", "06 12 34 56 78", True),
                ("m", "Marc", "Dupont", "marc.dupont@exemple.fr", "06 23 45 67 89", False),
            ],
            "children": [
                ("Léa", "F", date(2016, 3, 14), 0, "CM1"),
                ("Hugo", "M", date(2019, 9, 2), 0, "CP"),
            ],
            "account": ("parent1@beaulieu.localhost", 1, True),
        },
        {
            "ref": "DEMO-BEAULIEU-2",
            "name": "Moreau",
            "code": "MRCW4HKPTX9E",
            "address": "5 allée des Peupliers",
            "guardians": [
                ("mme", "Camille", "Moreau", "camille.moreau@exemple.fr", "06 34 56 78 90", True),
                ("m", "Julien", "Moreau", "julien.moreau@exemple.fr", "06 45 67 89 01", False),
            ],
            "children": [
                ("Chloé", "F", date(2017, 6, 21), 0, "CE2"),
                ("Nathan", "M", date(2020, 1, 30), 1, "Grande section"),
                ("Inès", "F", date(2021, 11, 5), 1, "Petite section"),
            ],
            "account": ("parent2@beaulieu.localhost", 1, False),
        },
        {
            "ref": "DEMO-BEAULIEU-3",
            "name": "Nguyen",
            "code": "NGY7KQ3RCMVA",
            "address": "28 quai de la Loire",
            "guardians": [
                ("m", "Thomas", "Nguyen", "thomas.nguyen@exemple.fr", "06 56 78 90 12", True),
                ("mme", "Aurélie", "Nguyen", "aurelie.nguyen@exemple.fr", "06 67 89 01 23", False),
            ],
            "children": [("Emma", "F", date(2018, 4, 9), 0, "CE1")],
            "account": None,
        },
    ],
    "valfleuri": [
        {
            "ref": "DEMO-VALFLEURI-1",
            "name": "Roux",
            "code": "RXQ4TMHW7CKD",
            "address": "3 chemin des Vignes",
            "guardians": [
                ("mme", "Élodie", "Roux", "elodie.roux@exemple.fr", "06 78 90 12 34", True),
                ("m", "Nicolas", "Roux", "nicolas.roux@exemple.fr", "06 89 01 23 45", False),
            ],
            "children": [
                ("Louis", "M", date(2015, 10, 17), 0, "CM2"),
                ("Jade", "F", date(2018, 2, 25), 0, "CE1"),
            ],
            "account": ("parent1@valfleuri.localhost", 1, True),
        },
        {
            "ref": "DEMO-VALFLEURI-2",
            "name": "Fontaine",
            "code": "FNT9CWKE3HQA",
            "address": "14 place du Marché",
            "guardians": [
                ("m", "Antoine", "Fontaine", "antoine.fontaine@exemple.fr", "06 90 12 34 56", True),
                (
                    "mme",
                    "Claire",
                    "Fontaine",
                    "claire.fontaine@exemple.fr",
                    "07 01 23 45 67",
                    False,
                ),
            ],
            "children": [
                ("Manon", "F", date(2019, 7, 8), 1, "Moyenne section"),
                ("Gabriel", "M", date(2016, 12, 1), 0, "CM1"),
            ],
            "account": ("parent2@valfleuri.localhost", 1, False),
        },
        {
            "ref": "DEMO-VALFLEURI-3",
            "name": "Girard",
            "code": "GRD3VAYTP7MX",
            "address": "7 impasse des Lilas",
            "guardians": [
                ("mme", "Laura", "Girard", "laura.girard@exemple.fr", "07 12 34 56 78", True),
                ("m", "Kévin", "Girard", "kevin.girard@exemple.fr", "07 23 45 67 89", False),
            ],
            "children": [
                ("Arthur", "M", date(2017, 5, 3), 0, "CE2"),
                ("Lina", "F", date(2020, 8, 19), 1, "Grande section"),
                ("Rose", "F", date(2022, 3, 28), 1, "Petite section"),
            ],
            "account": None,
        },
    ],
}


def _check_code(code: str) -> str:
    # A demo code must be one the product could have generated.
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise ValueError(f"Invalid demo subscriber code: {code}")
    return code


def load(context):
    context.notes.append(
        "\nCodes abonnés des familles de démonstration (Mon espace citoyen → Mes abonnements "
        "→ M'abonner) :"
    )
    for key, specs in FAMILIES.items():
        collectivity = context.collectivities.get(key)
        if collectivity is None:
            continue
        town = TOWNS[key]
        for spec in specs:
            family = _family_load(collectivity, town, spec)
            context.notes.append(
                f"  Code abonné de la famille {family.name} ({town['label']}) : "
                f"{family.subscriber_code}"
            )
            if spec["account"]:
                _account_load(context, collectivity, family, spec)


def _family_load(collectivity, town, spec) -> Family:
    family, _created = Family.objects.update_or_create(
        collectivity=collectivity, external_ref=spec["ref"], defaults={"name": spec["name"]}
    )
    code = _check_code(spec["code"])
    if family.subscriber_code != code:
        family.subscriber_code = code
        family.code_generated_at = timezone.now()
        family.save(update_fields=["subscriber_code", "code_generated_at"])
    for rank, (civility, first, last, email, mobile, payer) in enumerate(spec["guardians"], 1):
        Guardian.objects.update_or_create(
            family=family,
            rank=rank,
            defaults={
                "civility": civility,
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone_mobile": mobile,
                "is_payer": payer,
                "address": spec["address"],
                "postal_code": town["postal_code"],
                "city": town["city"],
            },
        )
    for first, sex, birth_date, school, school_class in spec["children"]:
        Child.objects.update_or_create(
            family=family,
            first_name=first,
            defaults={
                "last_name": spec["name"],
                "sex": sex,
                "birth_date": birth_date,
                "school": town["schools"][school],
                "school_class": school_class,
            },
        )
    return family


def _account_load(context, collectivity, family, spec):
    email, rank, subscribed = spec["account"]
    guardian = family.guardians.get(rank=rank)
    user = context.user(
        email,
        first_name=guardian.first_name,
        last_name=guardian.last_name,
        civility=guardian.civility,
    )
    if subscribed:
        subscription_create(user=user, family=family)
        role = f"parent abonné ({family.name})"
    else:
        # Reset: this account is there to try « M'abonner » with the printed code.
        Subscription.objects.filter(user=user, family__collectivity=collectivity).delete()
        role = f"parent à abonner ({family.name})"
    context.logins.append((role, collectivity.name, email))
