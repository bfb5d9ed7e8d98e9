"""Demo loader of the family app: three families per demo collectivity, with fixed subscriber
codes, and parent accounts (one already subscribed, one who still has to use « M’abonner »).

Idempotent: families are found again by their ``external_ref``; guardians by rank, children by
first name; codes and subscriptions are reset to the demo's state on every run.

The dossier (issue 4): authorisation types per collectivity, health records (one PAI),
authorised adults, authorisations, bank details (IBANs computed by schwifty) and fiscal data,
and four pending change requests of the subscribed demo parent for the agents to process.
Beaulieu's agent holds the health-data role, Val Fleuri's does not: the demo shows both.
"""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from schwifty import IBAN

from portal.models import Membership
from portal.services import membership_grant

from .models import (
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
from .services.changes import DossierError, change_request_submit
from .services.subscriptions import CODE_ALPHABET, CODE_LENGTH, subscription_create

AUTHORIZATION_TYPES = [
    (
        "Droit à l’image / photos",
        "J’autorise la collectivité à photographier mon enfant lors des activités et à "
        "utiliser ces photos dans ses publications.",
    ),
    ("Rentrer seul", "Mon enfant peut quitter seul l’accueil à la fin de l’activité."),
    ("Transport en car", "Mon enfant peut être transporté en car lors des sorties."),
    (
        "Soins d’urgence",
        "J’autorise les responsables à faire soigner mon enfant en cas d’urgence.",
    ),
]

# Health records by child index within the family (the first child of each first family has
# a PAI).
HEALTH = [
    {
        "allergies": "Arachides, fruits à coque",
        "diet": HealthRecord.Diet.MEDICAL,
        "meal_plan": "Panier repas",
        "vaccinations": "DTP à jour (rappel 2025)",
        "doctor_name": "Dr Martine Lefèvre",
        "doctor_phone": "02 38 00 00 01",
        "has_pai": True,
        "pai_details": "Stylo d’adrénaline dans le sac ; appeler le 15 en cas de réaction.",
    },
    {
        "allergies": "",
        "diet": HealthRecord.Diet.NO_PORK,
        "vaccinations": "DTP à jour",
        "doctor_name": "Dr Paul Marchand",
        "doctor_phone": "02 38 00 00 02",
        "medical_notes": "Asthme léger à l’effort.",
    },
    {"allergies": "Pollen de graminées", "vaccinations": "DTP à jour"},
]

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
        "→ M’abonner) :"
    )
    for key, specs in FAMILIES.items():
        collectivity = context.collectivities.get(key)
        if collectivity is None:
            continue
        town = TOWNS[key]
        types = _authorization_types_load(collectivity)
        for index, spec in enumerate(specs):
            family = _family_load(collectivity, town, spec)
            _dossier_load(family, types, index=index)
            context.notes.append(
                f"  Code abonné de la famille {family.name} ({town['label']}) : "
                f"{family.subscriber_code}"
            )
            if spec["account"]:
                user = _account_load(context, collectivity, family, spec)
                if spec["account"][2]:
                    _pending_requests_load(family, types, user)
    _health_role_load(context)


def _authorization_types_load(collectivity) -> list[AuthorizationType]:
    types = []
    for order, (label, description) in enumerate(AUTHORIZATION_TYPES, 1):
        authorization_type, _created = AuthorizationType.objects.update_or_create(
            collectivity=collectivity,
            label=label,
            defaults={"description": description, "order": order, "active": True},
        )
        types.append(authorization_type)
    return types


def _dossier_load(family: Family, types, *, index: int) -> None:
    payer = family.guardians.get(is_payer=True)
    iban = IBAN.generate(
        "FR",
        bank_code="30006",
        branch_code="00001",
        account_code=f"{family.pk % 10**11:011d}",
    )
    BankDetails.objects.update_or_create(
        family=family,
        defaults={
            "holder_name": f"{payer.first_name} {payer.last_name}",
            "holder_address": f"{payer.address}, {payer.postal_code} {payer.city}",
            "iban": str(iban.compact),
            "bic": str(iban.bic.compact) if iban.bic else "",
        },
    )
    FiscalData.objects.update_or_create(
        family=family,
        defaults={
            "reference_tax_income": Decimal("32450.00") + Decimal(index * 7000),
            "tax_shares": Decimal("2.50") + Decimal(index) / 2,
            "allowance_body": FiscalData.AllowanceBody.CAF,
            "allowance_number": f"{4512300 + family.pk}",
            "family_quotient": Decimal("780.00") + Decimal(index * 120),
        },
    )
    for child_index, child in enumerate(family.children.order_by("birth_date", "pk")):
        health = dict(HEALTH[child_index % len(HEALTH)])
        if health.get("has_pai") and index != 0:
            health["has_pai"], health["pai_details"] = False, ""
        defaults = dict.fromkeys(("allergies", "meal_plan", "vaccinations"), "")
        defaults.update(
            {
                "diet": "",
                "doctor_name": "",
                "doctor_phone": "",
                "medical_notes": "",
                "has_pai": False,
                "pai_details": "",
            }
        )
        defaults.update(health)
        HealthRecord.objects.update_or_create(child=child, defaults=defaults)
        for type_index, authorization_type in enumerate(types):
            granted = not (type_index == 1 and child_index > 0)  # young ones do not leave alone
            ChildAuthorization.objects.update_or_create(
                child=child, authorization_type=authorization_type, defaults={"granted": granted}
            )
        adults = [
            ("Mamie", family.name, "grand-mère", "06 11 22 33 44", True),
            ("Papi", family.name, "grand-père", "06 55 66 77 88", True),
            ("Isabelle", "Petit", "voisine", "06 99 88 77 66", child_index == 0),
        ]
        for first, last, relation, phone, may_pick_up in adults:
            AuthorizedAdult.objects.update_or_create(
                child=child,
                first_name=first,
                last_name=last,
                defaults={"relation": relation, "phone": phone, "may_pick_up": may_pick_up},
            )


def _pending_requests_load(family: Family, types, user) -> None:
    """Four pending requests of the demo parent; kept as they are while still pending."""
    guardian = family.guardians.get(rank=2)
    first, second = list(family.children.order_by("birth_date", "pk"))[:2]
    planned = [
        {
            "target": ChangeRequest.Target.GUARDIAN,
            "object_id": guardian.pk,
            "new_values": {"address": "8 avenue de la Gare", "phone_mobile": "06 10 20 30 40"},
        },
        {
            "target": ChangeRequest.Target.CHILD,
            "object_id": second.pk,
            "child": second,
            "new_values": {"school_class": "CE1" if second.school_class != "CE1" else "CE2"},
        },
        {
            "target": ChangeRequest.Target.HEALTH,
            "child": first,
            "new_values": {"allergies": "Arachides, fruits à coque, kiwi"},
        },
        {
            "target": ChangeRequest.Target.AUTHORIZATIONS,
            "child": second,
            "new_values": {f"auth_{types[0].pk}": False},
        },
    ]
    for request in planned:
        exists = ChangeRequest.objects.filter(
            family=family,
            target=request["target"],
            object_id=request.get("object_id"),
            child=request.get("child"),
            created_by=user,
            status=ChangeRequest.Status.PENDING,
        ).exists()
        if exists:
            continue
        try:
            change_request_submit(family=family, by=user, **request)
        except DossierError:  # already the dossier's value: nothing to ask
            continue


def _health_role_load(context) -> None:
    beaulieu = context.collectivities.get("beaulieu")
    if beaulieu is None:
        return
    for membership in Membership.objects.filter(
        collectivity=beaulieu, role=Membership.Role.AGENT
    ).select_related("user"):
        membership_grant(user=membership.user, collectivity=beaulieu, role=Membership.Role.HEALTH)
        context.notes.append(
            f"\nDonnées sanitaires : l’agent {membership.user.email} (Beaulieu) y a accès "
            "(rôle « agent habilité aux données sanitaires ») ; l’agent de Val Fleuri non, "
            "il voit « accès restreint »."
        )


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
    return user
