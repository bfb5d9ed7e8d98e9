"""Demo content for the Portail Famille CMS pages.

Pure Python data, standard library only: no Django or Wagtail import, so the
module can be loaded by a management command, a data migration, a test or a
plain ``runpy.run_path`` call.

Every public function returns plain data (dicts, lists, strings):

* ``home_page(collectivity_name, tagline)``: the home page fields and its four tiles;
* ``help_index(collectivity_name)``: the help index page ("Aide");
* ``help_guides(collectivity_name)``: the help guides, with StreamField raw bodies;
* ``standard_pages(collectivity_name, address, email, phone)``: terms of use, legal
  notice, privacy notice and accessibility statement.

Rich text values are HTML strings limited to <p>, <strong>, <em>, <ul>, <ol>,
<li> and <a href="...">. Internal links use absolute paths; they are gathered
in ``URLS`` so they can be aligned with the project's URL configuration in one
place. StreamField bodies use only these raw block shapes:

* {"type": "heading", "value": {"text": str, "level": "h2" | "h3"}}
* {"type": "paragraph", "value": "<p>...</p>"}
* {"type": "steps", "value": [{"title": str, "text": "<p>...</p>"}, ...]}
* {"type": "callout", "value": {"kind": "info" | "warning" | "tip", "title": str, "text": "<p>...</p>"}}
* {"type": "faq", "value": [{"question": str, "answer": "<p>...</p>"}, ...]}

All user-facing text is in French; code, comments and docstrings are in English.
Collectivity names and contact details are HTML-escaped wherever they are put
into rich text; plain-text fields (titles, headings, summaries) are left raw
because templates escape them.
"""

from html import escape

__all__ = [
    "URLS",
    "SLOT_STATES",
    "DOCUMENT_STATES",
    "home_page",
    "help_index",
    "help_guides",
    "standard_pages",
]

# ---------------------------------------------------------------------------
# Internal links used in the rich text. Adjust here if the URL configuration
# uses other paths; help guides live under the help index ("/aide/<slug>/").
# ---------------------------------------------------------------------------
URLS = {
    "signup": "/compte/inscription/",
    "login": "/compte/connexion/",
    "password_reset": "/compte/mot-de-passe-oublie/",
    "resend_activation": "/compte/activation/renvoyer/",
    "account": "/mon-espace/",
    "subscriptions": "/mon-espace/abonnements/",
    "requests": "/mon-espace/demandes/",
    "family_space": "/famille/",
    "family_creation": "/famille/creation/",
    "dossier": "/famille/dossier/",
    "planning": "/famille/planning/",
    "long_period_request": "/famille/planning/",
    "documents": "/famille/pieces-justificatives/",
    "billing": "/facturation/",
    "help": "/aide/",
    "terms": "/conditions-generales-utilisation/",
    "legal": "/mentions-legales/",
    "privacy": "/donnees-personnelles/",
    "accessibility": "/accessibilite/",
}

# Slugs of the help guides, used for cross-links between guides.
GUIDE_SLUGS = {
    "account": "creer-un-compte",
    "subscription": "abonnement-espace-famille",
    "dossier": "dossier-famille",
    "planning": "planning-des-activites",
    "requests": "reservations-et-absences",
    "billing": "factures-et-paiements",
    "documents": "pieces-justificatives",
    "accessibility": "accessibilite-du-portail",
}

# Planning legend: each state is told by a colour, a symbol AND a text, never
# by colour alone. Exposed so templates and the help guide can stay aligned.
SLOT_STATES = [
    {
        "code": "enrolled",
        "label": "Inscrit, réservable",
        "colour": "blanc, bordure grise",
        "symbol": "« + »",
        "description": "Votre enfant est inscrit à l’activité ce jour-là ; vous pouvez demander une réservation.",
    },
    {
        "code": "closed",
        "label": "Inscrit, non réservable",
        "colour": "gris clair, bordure pointillée",
        "symbol": "cadenas",
        "description": "Votre enfant est inscrit ce jour-là, mais le délai de réservation est dépassé ou la réservation n’est pas encore ouverte : aucune demande n’est possible.",
    },
    {
        "code": "pending",
        "label": "Demande en attente de validation",
        "colour": "jaune",
        "symbol": "sablier",
        "description": "Vous avez envoyé une demande ; la collectivité ne l’a pas encore traitée.",
    },
    {
        "code": "booked",
        "label": "Réservé / présent",
        "colour": "vert",
        "symbol": "coche",
        "description": "La réservation est acceptée, ou votre enfant a été pointé présent.",
    },
    {
        "code": "waiting_list",
        "label": "En liste d’attente",
        "colour": "bleu",
        "symbol": "horloge",
        "description": "L’activité est complète ; votre enfant attend qu’une place se libère, sa position est indiquée.",
    },
    {
        "code": "absent",
        "label": "Absent",
        "colour": "gris",
        "symbol": "tiret",
        "description": "L’absence est enregistrée et n’est pas facturée.",
    },
    {
        "code": "billed_absence",
        "label": "Absence facturée",
        "colour": "rouge",
        "symbol": "« € »",
        "description": "L’absence a été signalée trop tard ou n’a pas été justifiée : le créneau reste facturé.",
    },
]

# Supporting document states, as parents read them (see DESIGN.md).
DOCUMENT_STATES = [
    {
        "code": "to_complete",
        "label": "À compléter",
        "description": "Aucun fichier n’a encore été déposé, ni par vous ni par la collectivité.",
    },
    {
        "code": "under_review",
        "label": "En cours de validation",
        "description": "Vous avez déposé au moins un fichier ; le service enfance ne l’a pas encore examiné.",
    },
    {
        "code": "transmitted",
        "label": "Transmis",
        "description": "Le document a été vérifié et enregistré dans le dossier de votre famille.",
    },
    {
        "code": "invalid",
        "label": "Invalide",
        "description": "Le document a été refusé ; le motif du refus est affiché à côté. Déposez un nouveau fichier.",
    },
    {
        "code": "obsolete",
        "label": "Obsolète",
        "description": "La date de fin de validité du document est passée ; un document à jour est nécessaire.",
    },
]


# ---------------------------------------------------------------------------
# Small builders for StreamField raw blocks.
# ---------------------------------------------------------------------------
def _a(key_or_path, label):
    """Return an HTML link; ``key_or_path`` is a URLS key or an absolute path/URL."""
    href = URLS.get(key_or_path, key_or_path)
    return f'<a href="{escape(href)}">{label}</a>'


def _guide_link(key, label):
    return _a(f"{URLS['help']}{GUIDE_SLUGS[key]}/", label)


def _ul(*items):
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _heading(text, level="h2"):
    return {"type": "heading", "value": {"text": text, "level": level}}


def _paragraph(*parts):
    """A paragraph block. Plain strings are wrapped in <p>; HTML lists are kept."""
    html_parts = []
    for part in parts:
        if part.startswith("<ul>") or part.startswith("<ol>") or part.startswith("<p>"):
            html_parts.append(part)
        else:
            html_parts.append(f"<p>{part}</p>")
    return {"type": "paragraph", "value": "".join(html_parts)}


def _steps(*steps):
    """Numbered steps: each argument is a (title, text_html) pair."""
    return {
        "type": "steps",
        "value": [{"title": title, "text": _wrap(text)} for title, text in steps],
    }


def _callout(kind, title, text):
    return {"type": "callout", "value": {"kind": kind, "title": title, "text": _wrap(text)}}


def _faq(*pairs):
    return {
        "type": "faq",
        "value": [{"question": question, "answer": _wrap(answer)} for question, answer in pairs],
    }


def _lower_first(text):
    """Lower-case the first letter (French: no capital after a colon)."""
    return text[:1].lower() + text[1:]


def _wrap(text):
    """Wrap plain text in a paragraph unless it already starts with a block tag."""
    if text.startswith(("<p>", "<ul>", "<ol>")):
        return text
    return f"<p>{text}</p>"


# ---------------------------------------------------------------------------
# Home page
# ---------------------------------------------------------------------------
def home_page(collectivity_name: str, tagline: str) -> dict:
    """Home page fields: title, welcome title and text, and the four tiles."""
    name = escape(collectivity_name)
    tagline_html = f"<p><em>{escape(tagline)}</em></p>" if tagline else ""
    welcome_text = (
        tagline_html
        + f"<p>Ce portail réunit en un seul endroit les démarches liées aux activités de vos enfants "
        f"proposées par {name} : restauration scolaire, accueils périscolaires, mercredis, "
        f"accueils de loisirs et séjours.</p>"
        "<p>Depuis votre téléphone comme depuis votre ordinateur, vous pouvez :</p>"
        + _ul(
            "tenir à jour le dossier de votre famille ;",
            "réserver les activités de vos enfants ou signaler leurs absences ;",
            "suivre vos demandes et lire les réponses de la collectivité ;",
            "consulter et payer vos factures ;",
            "déposer vos pièces justificatives.",
        )
        + "<p>Première visite ? "
        + _a("signup", "Créez votre compte citoyen")
        + ", puis reliez-le à votre famille grâce au code abonné reçu par courrier. "
        "Pas à pas, la rubrique " + _a("help", "Aide") + " vous accompagne.</p>"
        "<p>Le portail s’utilise au clavier, avec un lecteur d’écran et même sans JavaScript.</p>"
    )
    return {
        "title": "Accueil",
        "welcome_title": f"Bienvenue sur le Portail Famille — {collectivity_name}",
        "welcome_text": welcome_text,
        "tiles": [
            {
                "title": "Mon espace citoyen",
                "text": "Gérez votre compte, vos abonnements et suivez toutes vos demandes.",
                "target": "account_space",
            },
            {
                "title": "Espace famille",
                "text": "Mettez à jour votre dossier famille et réservez les activités de vos enfants.",
                "target": "family_space",
            },
            {
                "title": "Espace facturation",
                "text": "Consultez vos factures, vos règlements et payez en ligne en toute sécurité.",
                "target": "billing_space",
            },
            {
                "title": "Aide",
                "text": "Trouvez des guides pas à pas et les réponses aux questions les plus fréquentes.",
                "target": "help",
            },
        ],
    }


# ---------------------------------------------------------------------------
# Help index
# ---------------------------------------------------------------------------
def help_index(collectivity_name: str) -> dict:
    """The help index page ("Aide") that lists the guides."""
    name = escape(collectivity_name)
    intro = (
        f"<p>Vous trouverez ici des guides pour utiliser le Portail Famille de {name}, "
        "de la création de votre compte au paiement de vos factures. Chaque guide se lit "
        "indépendamment des autres et se termine par les questions les plus fréquentes.</p>"
        "<p>Vous commencez ? Suivez les deux premiers guides dans l’ordre : "
        + _guide_link("account", "créer votre compte citoyen")
        + ", puis "
        + _guide_link("subscription", "vous abonner à l’espace famille")
        + ".</p>"
        f"<p>Vous ne trouvez pas de réponse ? Le service enfance de {name} reste à votre "
        "disposition : ses coordonnées figurent en bas de chaque page.</p>"
    )
    return {"title": "Aide", "slug": "aide", "intro": intro}


# ---------------------------------------------------------------------------
# Help guides
# ---------------------------------------------------------------------------
def help_guides(collectivity_name: str) -> list:
    """All help guides, in reading order."""
    return [
        _guide_account(collectivity_name),
        _guide_subscription(collectivity_name),
        _guide_dossier(collectivity_name),
        _guide_planning(collectivity_name),
        _guide_requests(collectivity_name),
        _guide_billing(collectivity_name),
        _guide_documents(collectivity_name),
        _guide_accessibility(collectivity_name),
    ]


def _guide_account(collectivity_name):
    name = escape(collectivity_name)
    body = [
        _paragraph(
            f"Le compte citoyen est votre accès personnel au portail de {name}. Il vous "
            "identifie avec votre adresse e-mail et votre mot de passe. Une fois créé et "
            "activé, il vous suffit de le relier à votre famille pour accéder à l’espace "
            "famille et à l’espace facturation."
        ),
        _callout(
            "info",
            "Avant de commencer",
            "<p>Prévoyez :</p>"
            + _ul(
                "une adresse e-mail que vous consultez régulièrement : c’est là que vous recevrez "
                "le lien d’activation, puis les réponses à vos demandes ;",
                "un mot de passe que vous n’utilisez nulle part ailleurs ;",
                f"si vous l’avez, le <strong>code abonné famille</strong> indiqué sur le courrier "
                f"envoyé par {name}. Il est facultatif à cette étape : vous pourrez le saisir plus tard.",
            ),
        ),
        _heading("Remplir le formulaire d’inscription"),
        _steps(
            (
                "Ouvrez le formulaire",
                "Sur la page d’accueil du portail, choisissez <strong>Créer un compte</strong> "
                "(ou rendez-vous directement sur la page " + _a("signup", "Créer un compte") + ").",
            ),
            (
                "Présentez-vous",
                "Indiquez votre civilité, votre nom et votre prénom, tels qu’ils figurent dans "
                "votre dossier auprès de la collectivité.",
            ),
            (
                "Choisissez vos identifiants",
                "Saisissez votre adresse e-mail, puis le mot de passe de votre choix. Les règles "
                "à respecter (longueur minimale notamment) sont rappelées sous le champ.",
            ),
            (
                "Ajoutez votre code abonné famille (facultatif)",
                "Si vous avez reçu votre code abonné par courrier, recopiez-le dans le champ "
                "<strong>Code abonné famille</strong>. Votre compte sera alors relié à votre "
                "famille dès son activation.",
            ),
            (
                "Acceptez les conditions générales d’utilisation",
                "Lisez les "
                + _a("terms", "conditions générales d’utilisation")
                + " puis cochez la case qui confirme que vous les acceptez.",
            ),
            (
                "Laissez faire la vérification anti-robot",
                "Pour protéger le portail contre les inscriptions automatiques, votre navigateur "
                "effectue seul un petit calcul, en quelques secondes. Il n’y a ni image à "
                "déchiffrer, ni son à écouter, et aucune donnée n’est envoyée à un service "
                "extérieur.",
            ),
            (
                "Validez",
                "Cliquez sur <strong>S’inscrire</strong>. Un message vous confirme que votre "
                "compte est créé et qu’un e-mail d’activation vient de vous être envoyé.",
            ),
        ),
        _heading("Activer votre compte"),
        _steps(
            (
                "Ouvrez l’e-mail d’activation",
                f"Dans votre messagerie, ouvrez le message envoyé par le Portail Famille de {name}. "
                "S’il n’apparaît pas après quelques minutes, regardez dans le dossier des "
                "courriers indésirables.",
            ),
            (
                "Cliquez sur le lien d’activation",
                "Le lien confirme que l’adresse e-mail vous appartient et active votre compte.",
            ),
            (
                "Connectez-vous",
                "Vous pouvez maintenant vous "
                + _a("login", "connecter")
                + " avec votre adresse e-mail et votre mot de passe.",
            ),
        ),
        _callout(
            "warning",
            "Le lien d’activation a une durée de validité limitée",
            "Passé ce délai, le lien ne fonctionne plus. Pas d’inquiétude : sur la page de "
            "connexion, choisissez <strong>Renvoyer le lien</strong> (ou utilisez la page "
            + _a("resend_activation", "Renvoyer le lien d’activation")
            + "), saisissez votre adresse e-mail et un nouveau lien vous est envoyé. Seul le "
            "dernier lien reçu est valable.",
        ),
        _callout(
            "tip",
            "Et ensuite ?",
            "Si vous avez saisi votre code abonné dans le formulaire, l’espace famille et "
            "l’espace facturation vous sont ouverts dès la première connexion. Sinon, suivez le "
            "guide " + _guide_link("subscription", "S’abonner à l’espace famille") + ".",
        ),
        _faq(
            (
                "Je n’ai pas reçu l’e-mail d’activation. Que faire ?",
                "Vérifiez d’abord le dossier des courriers indésirables, puis l’orthographe de "
                "l’adresse saisie. Vous pouvez ensuite demander un nouvel envoi avec "
                "<strong>Renvoyer le lien</strong> sur la page de connexion.",
            ),
            (
                "Puis-je créer mon compte sans code abonné ?",
                "Oui. Le code abonné sert seulement à relier votre compte à votre famille. Vous "
                "pourrez le saisir plus tard dans <strong>Mon espace citoyen</strong>, rubrique "
                "<strong>Mes abonnements</strong>.",
            ),
            (
                "Les deux parents peuvent-ils avoir chacun un compte ?",
                "Oui. Un compte correspond à une personne et à une adresse e-mail. Chaque "
                "responsable peut donc créer son propre compte, puis l’abonner à la famille.",
            ),
            (
                "J’ai oublié mon mot de passe.",
                "Sur la page de connexion, choisissez "
                + _a("password_reset", "Mot de passe oublié")
                + " : vous recevrez par e-mail un lien pour en choisir un nouveau.",
            ),
        ),
    ]
    return {
        "title": "Créer et activer votre compte citoyen",
        "slug": GUIDE_SLUGS["account"],
        "summary": (
            "Comment créer votre compte citoyen sur le portail, puis l’activer grâce au lien "
            "reçu par e-mail."
        ),
        "body": body,
    }


def _guide_subscription(collectivity_name):
    name = escape(collectivity_name)
    body = [
        _paragraph(
            "L’abonnement relie votre compte citoyen au dossier de votre famille. C’est grâce à "
            f"lui que {name} vous reconnaît et vous donne accès à vos informations : enfants, "
            "activités, demandes, factures et pièces justificatives."
        ),
        _callout(
            "info",
            "Où trouver votre code abonné ?",
            f"Le code abonné famille figure sur le courrier que {name} vous a adressé. Vous ne "
            "l’avez pas reçu ou vous l’avez égaré ? Contactez le service enfance : il vous le "
            "communiquera.",
        ),
        _heading("Vous avez votre code abonné"),
        _steps(
            (
                "Connectez-vous",
                "Connectez-vous au portail avec votre compte citoyen.",
            ),
            (
                "Ouvrez vos abonnements",
                "Dans le menu, choisissez <strong>Mon espace citoyen</strong>, puis "
                + _a("subscriptions", "Mes abonnements")
                + ".",
            ),
            (
                "Cliquez sur « M’abonner »",
                "Un formulaire s’affiche pour saisir votre code.",
            ),
            (
                "Saisissez votre code puis cliquez sur « Rechercher »",
                "Recopiez le code tel qu’il apparaît sur le courrier. Le portail recherche la "
                "famille correspondante et vous l’affiche.",
            ),
            (
                "Confirmez",
                "Vérifiez que la famille proposée est bien la vôtre, puis confirmez. Votre "
                "abonnement apparaît dans la liste <strong>Mes abonnements</strong>.",
            ),
        ),
        _callout(
            "tip",
            "Votre abonnement est actif tout de suite",
            "Inutile de vous déconnecter puis de vous reconnecter : dès la confirmation, "
            "l’<strong>Espace famille</strong> et l’<strong>Espace facturation</strong> "
            "apparaissent dans le menu.",
        ),
        _heading("Vous n’avez pas de code abonné"),
        _paragraph(
            "C’est souvent le cas lors d’une première inscription. Depuis votre compte, ouvrez "
            "l’un des menus de l’espace famille : le portail vous explique que vous n’y avez pas "
            "encore accès et vous propose deux choix. Choisissez <strong>Je n’ai pas de code "
            "abonné</strong> pour ouvrir le "
            + _a("family_creation", "formulaire de création de l’espace famille")
            + ". Il se remplit en trois étapes ; vous pouvez revenir à l’étape précédente à tout "
            "moment."
        ),
        _steps(
            (
                "Ma famille",
                "<p>Renseignez les membres de votre famille. Au moins un responsable est "
                "nécessaire pour continuer.</p>"
                + _ul(
                    "Un deuxième responsable peut être ajouté ; le bouton <strong>Copier "
                    "l’adresse du responsable 1</strong> vous évite de la saisir deux fois.",
                    "Ajoutez ensuite vos enfants avec <strong>Ajouter un enfant</strong>, "
                    "autant de fois que nécessaire.",
                ),
            ),
            (
                "Mes informations financières",
                "Si vous souhaitez payer par prélèvement, saisissez vos coordonnées bancaires "
                "(IBAN et BIC). Le nom, le prénom et l’adresse sont repris du responsable payeur "
                "renseigné à l’étape 1. La seconde partie de l’étape concerne les données "
                "fiscales utiles au calcul de vos tarifs.",
            ),
            (
                "Inscriptions et envoi",
                "Indiquez les activités auxquelles vous souhaitez inscrire vos enfants, relisez "
                "le récapitulatif, puis envoyez votre demande.",
            ),
        ),
        _callout(
            "info",
            "Après l’envoi du formulaire",
            f"Le service enfance de {name} vérifie votre demande et peut vous demander des "
            "pièces justificatives. Vous êtes prévenu par e-mail dès qu’elle est validée : "
            "votre espace famille s’ouvre alors, sans autre démarche de votre part.",
        ),
        _faq(
            (
                "Le portail ne trouve aucune famille avec mon code.",
                "Vérifiez les caractères qui se ressemblent (le chiffre 0 et la lettre O, le "
                "chiffre 1 et la lettre I). Si le problème persiste, contactez le service "
                "enfance : le code a peut-être changé.",
            ),
            (
                "Dois-je me déconnecter pour que l’abonnement fonctionne ?",
                "Non. L’abonnement est actif dès que vous l’avez confirmé.",
            ),
            (
                "Puis-je m’abonner à plusieurs familles ?",
                "Oui, si la collectivité vous a remis un code pour chacune d’elles. Chaque "
                "abonnement apparaît dans la liste <strong>Mes abonnements</strong>.",
            ),
            (
                "Mon conjoint doit-il aussi s’abonner ?",
                "S’il souhaite accéder au portail avec son propre compte, oui : il crée son "
                "compte citoyen puis s’abonne avec le même code abonné famille.",
            ),
        ),
    ]
    return {
        "title": "S’abonner à l’espace famille avec votre code abonné",
        "slug": GUIDE_SLUGS["subscription"],
        "summary": (
            "Reliez votre compte citoyen au dossier de votre famille grâce au code abonné reçu "
            "par courrier, ou demandez la création de votre espace famille si vous n’en avez pas."
        ),
        "body": body,
    }


def _guide_dossier(collectivity_name):
    name = escape(collectivity_name)
    body = [
        _paragraph(
            "Le dossier famille rassemble toutes les informations dont le service enfance a "
            "besoin pour accueillir vos enfants. Pour l’ouvrir, choisissez <strong>Espace "
            "famille</strong>, puis "
            + _a("dossier", "Dossier famille")
            + ". Vous y trouvez un écran par responsable et un écran par enfant."
        ),
        _heading("Les responsables"),
        _paragraph(
            "Pour chaque responsable, vous pouvez consulter et modifier :",
            _ul(
                "les informations de base : civilité, nom, prénom, date de naissance, "
                "téléphones, adresse e-mail ;",
                "l’adresse postale ;",
                "la situation professionnelle, si la collectivité la demande.",
            ),
            "Le <strong>responsable payeur</strong> est celui au nom duquel les factures sont "
            "émises. Si vous payez par prélèvement, son écran affiche aussi vos "
            "<strong>informations bancaires</strong>. Pour les changer, saisissez le nouvel IBAN "
            "et le BIC : leur format est vérifié immédiatement, ce qui évite les erreurs de "
            "saisie. Le nouveau compte n’est utilisé qu’après validation par la collectivité.",
        ),
        _callout(
            "info",
            "Données fiscales : consultation seulement",
            f"Les données fiscales servent à calculer vos tarifs. Elles sont gérées par {name}, "
            "qui a besoin de justificatifs pour les modifier (avis d’imposition, attestation de "
            "quotient familial…). Elles sont donc affichées en lecture seule. En cas de "
            "changement, adressez-vous au service enfance ou, si ce service est proposé, "
            "déposez le justificatif dans " + _a("documents", "Pièces justificatives") + ".",
        ),
        _heading("Les enfants"),
        _paragraph(
            "L’écran de chaque enfant regroupe :",
            _ul(
                "ses <strong>informations générales</strong> : nom, prénom, date de naissance, école, classe ;",
                "ses <strong>autorisations</strong> : droit à l’image, sortie seul, transport, "
                "soins d’urgence… selon celles que prévoit la collectivité ;",
                "ses <strong>données sanitaires</strong> : allergies, régime alimentaire, "
                "traitements, vaccinations, médecin traitant ;",
                "les <strong>adultes habilités</strong> à venir le chercher, avec leurs coordonnées ;",
                "sa <strong>photo</strong>, qui aide les équipes à le reconnaître.",
            ),
        ),
        _callout(
            "tip",
            "Des données de santé protégées",
            "Les données sanitaires ne sont visibles que des personnes qui en ont besoin pour "
            "s’occuper de votre enfant. Chaque consultation est enregistrée.",
        ),
        _heading("Comment vos modifications sont traitées"),
        _steps(
            (
                "Modifiez",
                "Sur l’écran concerné, choisissez <strong>Modifier</strong>, corrigez les "
                "informations puis enregistrez.",
            ),
            (
                "Votre demande est envoyée",
                "Chaque modification devient une demande adressée à la collectivité. Tant qu’elle "
                "n’est pas traitée, la nouvelle valeur est surlignée en jaune et accompagnée de "
                "la mention <strong>en attente de validation</strong> ; l’ancienne valeur reste "
                "celle qui s’applique.",
            ),
            (
                "La collectivité valide ou refuse",
                "Un agent vérifie la modification. Si elle est acceptée, elle remplace "
                "l’ancienne valeur ; si elle est refusée, le motif vous est indiqué.",
            ),
            (
                "Vous êtes informé",
                "La réponse apparaît dans "
                + _a("requests", "Mes demandes")
                + " et vous est envoyée par e-mail.",
            ),
        ),
        _faq(
            (
                "Pourquoi ma modification n’apparaît-elle pas tout de suite ?",
                "Toute modification du dossier est vérifiée par la collectivité avant d’être "
                "prise en compte. En attendant, elle reste visible avec la mention « en attente "
                "de validation ».",
            ),
            (
                "Puis-je annuler une modification que je viens d’envoyer ?",
                "Oui, tant qu’elle n’a pas été traitée : ouvrez la demande dans "
                "<strong>Mes demandes</strong> et annulez-la.",
            ),
            (
                "Pourquoi ne puis-je pas modifier mes données fiscales ?",
                "Parce que la collectivité doit disposer d’un justificatif pour tout changement. "
                "Contactez le service enfance, qui mettra votre dossier à jour.",
            ),
            (
                "Quelle photo choisir pour mon enfant ?",
                "Une photo récente, de face, où le visage est bien visible, au format JPEG ou PNG.",
            ),
        ),
    ]
    return {
        "title": "Gérer votre dossier famille",
        "slug": GUIDE_SLUGS["dossier"],
        "summary": (
            "Consultez et mettez à jour les informations des responsables et des enfants ; "
            "chaque modification est validée par la collectivité."
        ),
        "body": body,
    }


def _guide_planning(collectivity_name):
    name = escape(collectivity_name)
    legend_items = [
        f"<strong>{state['label']}</strong> ({state['colour']}, symbole {state['symbol']}) : "
        f"{_lower_first(state['description'])}"
        for state in SLOT_STATES
    ]
    body = [
        _paragraph(
            "Le planning présente toutes les activités de vos enfants sur un même calendrier. "
            "Pour l’ouvrir, choisissez <strong>Espace famille</strong>, puis "
            + _a("planning", "Planning des activités")
            + ".",
            "Seules les activités auxquelles vos enfants sont inscrits y figurent. Pour une "
            f"nouvelle activité, une inscription auprès de {name} est nécessaire au préalable.",
        ),
        _heading("Choisir l’affichage"),
        _paragraph(
            "Au-dessus du planning, choisissez la vue qui vous convient :",
            _ul(
                "<strong>Mois</strong> : pour avoir une vue d’ensemble ;",
                "<strong>Semaine de 7 jours</strong> ou <strong>semaine de 5 jours</strong> "
                "(du lundi au vendredi) ;",
                "<strong>Jour</strong> : pour le détail d’une journée ;",
                "<strong>Liste</strong> : un tableau de vos demandes, que vous pouvez filtrer par enfant.",
            ),
            "Les flèches « Précédent » et « Suivant » vous déplacent dans le temps, et "
            "« Aujourd’hui » vous ramène à la date du jour.",
            "Chaque enfant et chaque activité dispose d’un interrupteur (« switch ») : activé, "
            "ses créneaux sont affichés ; désactivé, ils sont masqués. Vous pouvez ainsi "
            "n’afficher qu’un enfant, ou seulement la restauration scolaire. Chaque enfant a sa "
            "propre couleur, et son prénom est écrit sur chacun de ses créneaux.",
        ),
        _heading("Lire un créneau"),
        _paragraph(
            "Chaque créneau indique le prénom de l’enfant, le nom de l’activité, l’horaire et "
            "l’état du créneau. Au survol de la souris, ou lorsque vous l’atteignez au clavier "
            "avec la touche Tabulation, une info-bulle récapitule l’activité, le jour et l’état.",
            "Chaque état est signalé à la fois par une couleur, un symbole et un texte :",
            _ul(*legend_items),
        ),
        _callout(
            "tip",
            "Jamais la couleur seule",
            "Le symbole et le texte permettent de lire le planning sans distinguer les couleurs, "
            "à l’impression en noir et blanc comme avec un lecteur d’écran, qui annonce l’état "
            "de chaque créneau.",
        ),
        _heading("L’historique d’un créneau"),
        _paragraph(
            "Cliquez sur un créneau pour afficher son détail : vous y trouvez l’historique des "
            "actions (demande envoyée, acceptée, refusée, annulée, présence ou absence "
            "enregistrée), avec leur date, ainsi que les boutons pour faire une demande."
        ),
        _faq(
            (
                "Une activité de mon enfant n’apparaît pas.",
                "Vérifiez que l’interrupteur de l’enfant et celui de l’activité sont activés, "
                "et que la période affichée est la bonne. Si l’activité n’apparaît toujours "
                "pas, votre enfant n’y est sans doute pas encore inscrit : contactez le service "
                "enfance.",
            ),
            (
                "Quelle différence entre « inscrit » et « réservé » ?",
                "L’inscription autorise votre enfant à fréquenter l’activité sur une période. La "
                "réservation confirme sa présence un jour donné. Un enfant inscrit mais non "
                "réservé n’est pas attendu ce jour-là.",
            ),
            (
                "Le planning fonctionne-t-il sans JavaScript ?",
                "Oui. Les vues, les filtres et les demandes restent disponibles ; la page se "
                "recharge simplement à chaque changement.",
            ),
        ),
    ]
    return {
        "title": "Consulter le planning des activités",
        "slug": GUIDE_SLUGS["planning"],
        "summary": (
            "Affichez les activités de vos enfants par mois, semaine, jour ou en liste, et "
            "comprenez l’état de chaque créneau grâce à la légende."
        ),
        "body": body,
    }


def _guide_requests(collectivity_name):
    name = escape(collectivity_name)
    body = [
        _paragraph(
            "Vous pouvez demander la réservation d’une activité ou signaler une absence de deux "
            "façons : directement sur le planning pour un seul jour, ou avec le formulaire "
            "« Faire une demande sur une longue période » pour plusieurs semaines. Dans les deux "
            f"cas, la demande est ensuite étudiée par {name}."
        ),
        _heading("Pour un seul jour, depuis le planning"),
        _steps(
            (
                "Ouvrez le créneau",
                "Dans le "
                + _a("planning", "planning des activités")
                + ", cliquez sur le créneau qui vous intéresse.",
            ),
            (
                "Choisissez la demande",
                "Demandez une <strong>réservation</strong> si votre enfant est inscrit ce jour-là "
                "sans être réservé, ou signalez une <strong>absence</strong> s’il est déjà réservé.",
            ),
            (
                "Confirmez",
                "Le créneau passe à l’état « demande en attente de validation » jusqu’à la "
                "réponse de la collectivité.",
            ),
        ),
        _heading("Sur une période : « Faire une demande sur une longue période »"),
        _steps(
            (
                "Ouvrez le formulaire",
                "À côté du planning, choisissez "
                + _a("long_period_request", "Faire une demande sur une longue période")
                + ", puis le bouton <strong>Réservations</strong> ou le bouton "
                "<strong>Absences</strong>.",
            ),
            (
                "Choisissez l’enfant et l’activité",
                "Sélectionnez un ou plusieurs enfants, puis l’activité concernée.",
            ),
            (
                "Indiquez la période et les jours",
                "Saisissez la date de début et la date de fin, puis cochez les jours de la "
                "semaine voulus, par exemple le lundi, le mardi et le jeudi.",
            ),
            (
                "Vérifiez l’aperçu",
                "<p>Avant l’envoi, le portail liste les jours retenus et ceux qui seront "
                "exclus, avec la raison de chaque exclusion :</p>"
                + _ul(
                    "jour férié ou vacances scolaires ;",
                    "aucun créneau de l’activité ce jour-là ;",
                    "enfant non inscrit à cette date ;",
                    "déjà réservé (ou, pour une absence, pas de réservation à annuler) ;",
                    "délai de prévenance dépassé.",
                ),
            ),
            (
                "Envoyez la demande",
                "Confirmez : une seule demande regroupe tous les jours retenus.",
            ),
        ),
        _callout(
            "warning",
            "Attention aux délais de prévenance",
            "Chaque activité a son propre délai, fixé par la collectivité, pour réserver ou "
            "annuler. Passé ce délai, la demande ne peut plus être faite en ligne. Une absence "
            "signalée trop tard ou non justifiée peut être facturée : elle apparaît alors comme "
            "« absence facturée » sur le planning.",
        ),
        _callout(
            "info",
            "Quand l’activité est complète : la liste d’attente",
            "Si toutes les places sont prises, votre demande de réservation est placée en liste "
            "d’attente. Le créneau affiche l’état « en liste d’attente » et la position de votre "
            "enfant dans la file. Dès qu’une place se libère, la demande est étudiée dans "
            "l’ordre de la liste et vous recevez la réponse comme pour toute autre demande.",
        ),
        _heading("Suivre vos demandes"),
        _paragraph(
            _ul(
                "<strong>Accusé de réception</strong> : dès l’envoi de votre demande, un e-mail "
                "vous en confirme la bonne réception, avec son détail.",
                "<strong>Réponses groupées à 13 h et à 18 h</strong> : les décisions de la "
                "collectivité vous sont envoyées en un seul e-mail, deux fois par jour. Celui de "
                "13 h reprend les décisions prises depuis 18 h la veille ; celui de 18 h, celles "
                "prises depuis 13 h.",
                "<strong>Mes demandes</strong> : dans "
                + _a("requests", "Mon espace citoyen › Mes demandes")
                + ", chaque demande affiche son état et son historique. La mention "
                "« N nouveau(x) message(s) » signale une réponse ou un commentaire que vous "
                "n’avez pas encore lu.",
                "<strong>Vous avez changé d’avis ?</strong> Tant que la collectivité n’a pas "
                "répondu, vous pouvez annuler votre demande depuis le créneau ou depuis "
                "<strong>Mes demandes</strong>.",
            ),
        ),
        _faq(
            (
                "Pourquoi certains jours de ma période ont-ils été exclus ?",
                "L’aperçu donne la raison pour chaque jour : jour férié, vacances, absence de "
                "créneau, enfant non inscrit, jour déjà réservé ou délai dépassé.",
            ),
            (
                "Ma réservation a été acceptée, mais mon enfant ne viendra pas.",
                "Signalez une absence sur ce créneau, en respectant le délai de prévenance de "
                "l’activité.",
            ),
            (
                "Je n’ai pas encore reçu la réponse par e-mail.",
                "Les réponses sont envoyées à 13 h et à 18 h. Vous pouvez aussi suivre l’état de "
                "votre demande à tout moment dans <strong>Mes demandes</strong>.",
            ),
            (
                "Mon enfant est en liste d’attente : dois-je refaire une demande ?",
                "Non. Sa demande est conservée avec sa position ; vous serez prévenu de la "
                "décision. Vous pouvez aussi l’annuler si vous n’avez plus besoin de la place.",
            ),
        ),
    ]
    return {
        "title": "Demander une réservation ou signaler une absence",
        "slug": GUIDE_SLUGS["requests"],
        "summary": (
            "Réservez une activité ou signalez une absence pour un jour ou sur une longue "
            "période, puis suivez la réponse de la collectivité."
        ),
        "body": body,
    }


def _guide_billing(collectivity_name):
    name = escape(collectivity_name)
    body = [
        _paragraph(
            "L’"
            + _a("billing", "Espace facturation")
            + f" regroupe les factures émises par {name} pour les activités de vos enfants, "
            "ainsi que les règlements qui s’y rapportent."
        ),
        _heading("La liste de vos factures"),
        _paragraph(
            "Pour chaque facture, vous voyez :",
            _ul(
                "son numéro et la période facturée ;",
                "la <strong>date d’échéance</strong>, c’est-à-dire la date limite de paiement ;",
                "le <strong>montant</strong> et le reste à payer ;",
                "l’<strong>émetteur</strong> (la régie ou le service qui l’a établie) ;",
                "la mention <strong>À payer</strong> lorsqu’un montant reste dû.",
            ),
        ),
        _heading("Le détail d’une facture"),
        _paragraph(
            "Ouvrez une facture pour voir le détail des activités facturées et les règlements "
            "associés : numéro du règlement, type (prélèvement, paiement en ligne, chèque…), "
            "date et montant. Vous pouvez aussi télécharger la facture au format PDF pour la "
            "conserver ou l’imprimer."
        ),
        _heading("Payer en ligne"),
        _steps(
            (
                "Choisissez la facture",
                "Dans la liste, repérez une facture marquée <strong>À payer</strong> et "
                "cliquez sur <strong>Payer en ligne</strong>.",
            ),
            (
                "Réglez sur la page de paiement sécurisé",
                "Vous êtes dirigé vers le service de paiement sécurisé choisi par la collectivité. "
                "Vos coordonnées bancaires y sont saisies et ne sont jamais conservées par le portail.",
            ),
            (
                "Revenez sur le portail",
                "Une fois le paiement accepté, vous revenez sur le portail. Le règlement "
                "apparaît sur la facture dès sa confirmation par le service de paiement.",
            ),
        ),
        _callout(
            "info",
            "Le paiement en ligne dépend de votre collectivité",
            f"Si {name} ne propose pas le paiement en ligne pour une facture, le bouton n’apparaît "
            "pas. Les autres moyens de paiement acceptés sont indiqués sur la facture.",
        ),
        _callout(
            "warning",
            "Vous payez par prélèvement ?",
            "Ne réglez pas la facture en ligne : le montant sera prélevé automatiquement à "
            "l’échéance. Un double paiement donnerait lieu à un remboursement, qui prend du temps.",
        ),
        _faq(
            (
                "Mon paiement n’apparaît pas encore sur la facture.",
                "La confirmation du service de paiement peut prendre quelques minutes. Si le "
                "règlement n’apparaît toujours pas le lendemain, contactez la régie.",
            ),
            (
                "Je pense qu’il y a une erreur sur ma facture.",
                "Contactez l’émetteur indiqué sur la facture en précisant son numéro ; il "
                "vérifiera les présences et absences facturées.",
            ),
            (
                "Combien de temps mes factures restent-elles consultables ?",
                "Les factures restent disponibles dans l’espace facturation ; téléchargez le "
                "PDF si vous avez besoin de les conserver, par exemple pour vos justificatifs "
                "de frais de garde.",
            ),
        ),
    ]
    return {
        "title": "Consulter et payer vos factures",
        "slug": GUIDE_SLUGS["billing"],
        "summary": (
            "Retrouvez vos factures, leur échéance et leurs règlements, téléchargez-les en PDF "
            "et payez en ligne."
        ),
        "body": body,
    }


def _guide_documents(collectivity_name):
    name = escape(collectivity_name)
    state_items = [
        f"<strong>{state['label']}</strong> : {_lower_first(state['description'])}"
        for state in DOCUMENT_STATES
    ]
    body = [
        _paragraph(
            "Le service enfance peut vous demander des documents : attestation d’assurance, "
            "justificatif de domicile, carnet de vaccination, attestation de quotient "
            "familial… Dans <strong>Espace famille</strong>, puis "
            + _a("documents", "Pièces justificatives")
            + ", vous les déposez, les remplacez et suivez leur vérification."
        ),
        _callout(
            "info",
            "Un service proposé par certaines collectivités",
            "Les pièces justificatives font partie des modules complémentaires. Si ce menu "
            f"n’apparaît pas, c’est que {name} ne le propose pas encore : remettez alors vos "
            "documents directement au service enfance.",
        ),
        _heading("Suivre l’état de vos pièces"),
        _paragraph(
            "Chaque pièce affiche l’un de ces cinq états :",
            _ul(*state_items),
            "Trois filtres vous aident à vous y retrouver :",
            _ul(
                "<strong>État</strong> : n’affiche que les pièces dans l’état choisi, par exemple "
                "« À compléter » pour voir ce qu’il vous reste à fournir ;",
                "<strong>Document</strong> : n’affiche qu’un type de document ;",
                "<strong>Obligatoire uniquement</strong> : cochez cette case pour ne garder que "
                "les pièces indispensables à votre dossier.",
            ),
        ),
        _heading("Déposer un document"),
        _steps(
            (
                "Repérez la pièce demandée",
                "Dans la liste, trouvez la ligne du document, par exemple une pièce "
                "« À compléter », « Invalide » ou « Obsolète ».",
            ),
            (
                "Ajoutez votre fichier",
                "Cliquez sur <strong>Ajouter un fichier</strong> et choisissez le document sur "
                "votre ordinateur ou votre téléphone. Les formats acceptés et la taille maximale "
                "sont indiqués à côté du champ.",
            ),
            (
                "Envoyez",
                "Validez : la pièce passe à l’état « En cours de validation ». Vous serez "
                "informé de la décision dans <strong>Mes demandes</strong>.",
            ),
        ),
        _callout(
            "tip",
            "Une photo prise au téléphone convient",
            "Photographiez le document à plat, en entier, dans un endroit bien éclairé, et "
            "vérifiez qu’il est lisible avant de l’envoyer.",
        ),
        _callout(
            "warning",
            "Pièce « Invalide » ou « Obsolète »",
            "Lisez le motif affiché, puis déposez un nouveau document sur la même ligne. Une "
            "pièce obligatoire invalide ou obsolète peut bloquer certaines inscriptions.",
        ),
        _faq(
            (
                "Qui peut voir mes documents ?",
                f"Seuls les agents de {name} chargés de votre dossier. Les documents sont "
                "conservés en France et ne sont jamais transmis à des tiers sans base légale.",
            ),
            (
                "Je me suis trompé de fichier.",
                "Tant que la pièce est « En cours de validation », vous pouvez remplacer le "
                "fichier. Sinon, prévenez le service enfance.",
            ),
            (
                "Pourquoi une pièce déjà envoyée est-elle redevenue « Obsolète » ?",
                "Certains documents ont une durée de validité, comme une attestation "
                "d’assurance annuelle. Une fois la date de fin dépassée, un document à jour est "
                "nécessaire.",
            ),
        ),
    ]
    return {
        "title": "Déposer vos pièces justificatives",
        "slug": GUIDE_SLUGS["documents"],
        "summary": (
            "Envoyez les documents demandés par le service enfance et suivez leur état, de "
            "« À compléter » à « Transmis »."
        ),
        "body": body,
    }


def _guide_accessibility(collectivity_name):
    name = escape(collectivity_name)
    body = [
        _paragraph(
            f"Le Portail Famille de {name} est conçu pour être utilisé par tous, quel que soit "
            "l’appareil ou la façon de naviguer."
        ),
        _heading("Au clavier et avec un lecteur d’écran"),
        _paragraph(
            _ul(
                "Un lien « Aller au contenu » en haut de chaque page permet de passer directement "
                "au contenu principal.",
                "Tous les boutons, filtres et créneaux du planning s’atteignent avec la touche "
                "Tabulation et s’activent avec Entrée ou Espace.",
                "Les titres structurent chaque page, ce qui permet de la parcourir rapidement "
                "avec un lecteur d’écran.",
                "Les messages d’erreur des formulaires sont placés à côté du champ concerné et "
                "annoncés par les lecteurs d’écran.",
            ),
        ),
        _heading("Sans JavaScript"),
        _paragraph(
            "Toutes les démarches fonctionnent même si JavaScript est désactivé ou bloqué : les "
            "formulaires s’envoient normalement et la page se recharge après chaque action. "
            "JavaScript ne sert qu’à rendre certains écrans plus confortables."
        ),
        _heading("Une vérification anti-robot sans casse-tête"),
        _paragraph(
            "Le portail ne vous demande jamais de reconnaître des images ou des lettres "
            "déformées. La vérification est un calcul effectué par votre navigateur, sur nos "
            "propres serveurs, sans service extérieur. Si JavaScript est désactivé, la page "
            "vous indique comment terminer la vérification."
        ),
        _callout(
            "tip",
            "Adapter l’affichage",
            "Vous pouvez agrandir le texte jusqu’à 200 % avec le zoom de votre navigateur "
            "(Ctrl et + ou Cmd et +) : les pages s’adaptent sans perte d’information.",
        ),
        _callout(
            "info",
            "Un problème d’accès ?",
            "Si un contenu ou une démarche vous pose difficulté, signalez-le : nous vous "
            "aiderons à l’accomplir par un autre moyen. Consultez la "
            + _a("accessibility", "déclaration d’accessibilité")
            + " pour connaître nos coordonnées et vos recours.",
        ),
    ]
    return {
        "title": "Utiliser le portail au clavier, avec un lecteur d’écran ou sans JavaScript",
        "slug": GUIDE_SLUGS["accessibility"],
        "summary": (
            "Les aides disponibles pour naviguer au clavier, avec un lecteur d’écran ou sans "
            "JavaScript, et que faire si un contenu reste difficile d’accès."
        ),
        "body": body,
    }


# ---------------------------------------------------------------------------
# Standard pages
# ---------------------------------------------------------------------------
def standard_pages(collectivity_name: str, address: str, email: str, phone: str) -> list:
    """Terms of use, legal notice, privacy notice and accessibility statement."""
    contact = {
        "name": escape(collectivity_name),
        "address": escape(address),
        "email": escape(email),
        "email_link": f'<a href="mailto:{escape(email)}">{escape(email)}</a>',
        "phone": escape(phone),
        "phone_link": (
            f'<a href="tel:{escape("".join(c for c in phone if c.isdigit() or c == "+"))}">'
            f"{escape(phone)}</a>"
        ),
    }
    return [
        _page_terms(contact),
        _page_legal(contact),
        _page_privacy(contact),
        _page_accessibility(contact),
    ]


def _page_terms(c):
    name = c["name"]
    body = [
        _paragraph(
            f"Les présentes conditions générales d’utilisation encadrent l’usage du Portail "
            f"Famille de {name}. En créant un compte, vous déclarez les avoir lues et les accepter."
        ),
        _heading("Objet du service"),
        _paragraph(
            "Le portail permet aux familles de consulter et de mettre à jour leur dossier, de "
            "demander des réservations et de signaler des absences pour les activités de leurs "
            "enfants, de suivre leurs demandes, de consulter et payer leurs factures et de "
            "transmettre des pièces justificatives. Son utilisation est gratuite."
        ),
        _heading("Compte citoyen"),
        _paragraph(
            _ul(
                "Un compte correspond à une seule personne, identifiée par son adresse e-mail.",
                "Vous vous engagez à fournir des informations exactes et à les tenir à jour.",
                "Votre mot de passe est personnel : ne le communiquez à personne. Si vous pensez "
                "qu’il a été découvert, changez-le sans attendre et prévenez la collectivité.",
                "Le compte n’est utilisable qu’après activation par le lien envoyé par e-mail.",
            ),
        ),
        _heading("Abonnement à l’espace famille"),
        _paragraph(
            f"L’accès aux données d’une famille passe par un abonnement, obtenu avec le code "
            f"abonné remis par {name} ou après validation d’une demande de création d’espace "
            "famille. Le code abonné est confidentiel : il donne accès aux informations de vos "
            "enfants. Ne le transmettez qu’aux personnes qui ont autorité sur eux."
        ),
        _heading("Demandes et engagements"),
        _paragraph(
            "Les modifications du dossier, les demandes de réservation et d’absence et les pièces "
            "justificatives sont soumises à la validation de la collectivité. Une demande ne vaut "
            "engagement qu’une fois acceptée. Les délais de prévenance, les conditions de "
            "facturation des absences et les tarifs sont ceux du règlement des services "
            f"périscolaires et extrascolaires de {name}, qui prévaut sur les informations "
            "affichées sur le portail."
        ),
        _heading("Disponibilité et responsabilité"),
        _paragraph(
            "La collectivité s’efforce de rendre le portail accessible à tout moment, mais peut "
            "l’interrompre pour maintenance ou en cas d’incident. En cas d’indisponibilité, les "
            "démarches restent possibles auprès du service enfance. La collectivité ne saurait "
            "être tenue responsable d’une utilisation du compte par un tiers à qui vous auriez "
            "communiqué vos identifiants."
        ),
        _heading("Données personnelles"),
        _paragraph(
            "Le traitement de vos données est décrit sur la page "
            + _a("privacy", "Données personnelles et confidentialité")
            + "."
        ),
        _heading("Évolution des conditions"),
        _paragraph(
            "Ces conditions peuvent évoluer. En cas de changement important, vous en serez "
            "informé lors de votre prochaine connexion. Elles sont soumises au droit français."
        ),
        _callout(
            "info",
            "Une question ?",
            f"Contactez {name} par e-mail à {c['email_link']}, par téléphone au "
            f"{c['phone_link']} ou par courrier : {c['address']}.",
        ),
    ]
    return {
        "title": "Conditions générales d’utilisation",
        "slug": "conditions-generales-utilisation",
        "role": "terms",
        "body": body,
    }


def _page_legal(c):
    name = c["name"]
    body = [
        _heading("Éditeur du portail"),
        _paragraph(
            f"<strong>{name}</strong>",
            f"Adresse : {c['address']}",
            f"Téléphone : {c['phone_link']}",
            f"Courriel : {c['email_link']}",
        ),
        _heading("Directeur de la publication"),
        _paragraph(
            f"Le directeur de la publication est le représentant légal de {name} (maire ou "
            "président de la collectivité)."
        ),
        _heading("Hébergement"),
        _paragraph(
            "Le portail et ses données sont hébergés en France, sur des serveurs exploités "
            f"pour le compte de {name}."
        ),
        _callout(
            "warning",
            "Information à compléter par la collectivité",
            "Indiquez ici le nom, l’adresse et le numéro de téléphone de l’hébergeur, comme "
            "l’exige la loi pour la confiance dans l’économie numérique.",
        ),
        _heading("Propriété intellectuelle"),
        _paragraph(
            f"Les textes, logos et illustrations de ce portail appartiennent à {name} ou sont "
            "utilisés avec l’accord de leurs auteurs. Leur reproduction est soumise à "
            "autorisation, sauf pour un usage strictement personnel."
        ),
        _heading("Liens"),
        _paragraph(
            "Le portail peut renvoyer vers d’autres sites, notamment le service de paiement en "
            "ligne. La collectivité n’est pas responsable de leur contenu."
        ),
        _heading("Cookies"),
        _paragraph(
            "Le portail n’utilise que les cookies indispensables à son fonctionnement : maintien "
            "de votre connexion et protection des formulaires. Aucun cookie publicitaire ni de "
            "mesure d’audience tiers n’est déposé ; aucun consentement n’est donc demandé."
        ),
        _heading("Données personnelles et accessibilité"),
        _paragraph(
            "Voir les pages "
            + _a("privacy", "Données personnelles et confidentialité")
            + " et "
            + _a("accessibility", "Déclaration d’accessibilité")
            + "."
        ),
    ]
    return {"title": "Mentions légales", "slug": "mentions-legales", "role": "legal", "body": body}


def _page_privacy(c):
    name = c["name"]
    body = [
        _paragraph(
            f"{name} attache une grande importance à la protection de vos données et de celles "
            "de vos enfants. Cette page explique, conformément au règlement général sur la "
            "protection des données (RGPD) et à la loi Informatique et Libertés, quelles données "
            "sont traitées, pourquoi, combien de temps et comment exercer vos droits."
        ),
        _heading("Responsable du traitement"),
        _paragraph(
            f"Le responsable du traitement est {name}, {c['address']}. Le prestataire qui "
            "héberge et maintient le portail agit pour son compte, en tant que sous-traitant, "
            "et n’utilise vos données pour aucun autre usage."
        ),
        _heading("Finalités et bases légales"),
        _paragraph(
            _ul(
                "Gestion des comptes citoyens et des abonnements aux espaces famille ;",
                "inscription, réservation et suivi de la présence des enfants aux activités "
                "(restauration scolaire, accueils périscolaires et de loisirs, séjours) ;",
                "sécurité et santé des enfants pendant l’accueil (données sanitaires, "
                "autorisations, adultes habilités) ;",
                "calcul des tarifs, facturation et encaissement ;",
                "vérification des pièces justificatives ;",
                "envoi des e-mails liés à vos démarches (activation, accusés de réception, "
                "réponses à vos demandes).",
            ),
            "Ces traitements sont nécessaires à l’exécution des missions de service public de "
            "la collectivité. Certaines autorisations, comme le droit à l’image, reposent sur "
            "votre consentement, que vous pouvez retirer à tout moment depuis le dossier famille.",
        ),
        _heading("Données collectées"),
        _paragraph(
            "Identité et coordonnées des responsables et des adultes habilités ; identité, "
            "scolarité, autorisations et données sanitaires des enfants ; données fiscales "
            "utiles au calcul des tarifs ; coordonnées bancaires en cas de prélèvement ; "
            "historique des réservations, présences, demandes et factures ; journaux de "
            "connexion."
        ),
        _heading("Destinataires"),
        _paragraph(
            "Seuls les agents habilités de la collectivité accèdent à vos données, chacun pour "
            "ce qui relève de sa mission : service enfance, équipes d’animation, régie et "
            "comptable public pour la facturation. Aucune donnée n’est vendue ni cédée."
        ),
        _callout(
            "info",
            "Données de santé : accès limité au strict nécessaire",
            "Les données sanitaires de vos enfants (allergies, traitements, protocoles d’accueil "
            "individualisé…) ne sont accessibles qu’aux personnes qui en ont besoin pour les "
            "accueillir en sécurité. Chaque consultation est tracée.",
        ),
        _heading("Durées de conservation"),
        _paragraph(
            _ul(
                "Compte citoyen : supprimé après trois ans sans connexion, après un e-mail "
                "de prévenance.",
                "Dossier famille et données des enfants : conservés tant que vos enfants "
                "fréquentent les activités, puis archivés ou supprimés selon les règles des "
                "archives publiques.",
                "Factures et règlements : conservés pendant la durée imposée par les règles de "
                "la comptabilité publique.",
                "Pièces justificatives : conservées pendant leur durée de validité, puis "
                "supprimées lorsqu’elles ne sont plus nécessaires.",
                "Journaux de connexion : un an.",
            ),
        ),
        _heading("Hébergement et sécurité"),
        _paragraph(
            "Les données sont hébergées en France. Les échanges sont chiffrés (HTTPS), les mots "
            "de passe ne sont jamais conservés en clair et les accès des agents sont tracés."
        ),
        _heading("Ni traceur tiers, ni CAPTCHA externe"),
        _paragraph(
            "Le portail ne contient aucun outil de mesure d’audience tiers, aucun bouton de "
            "réseau social et aucun traceur publicitaire. La vérification anti-robot est "
            "réalisée par le portail lui-même : aucune donnée n’est transmise à un service "
            "extérieur lors de cette vérification."
        ),
        _heading("Vos droits"),
        _paragraph(
            "Vous disposez d’un droit d’accès, de rectification, d’effacement, de limitation et "
            "d’opposition, ainsi que, le cas échéant, d’un droit à la portabilité de vos données "
            "et du droit de retirer votre consentement. Une grande partie de vos données peut "
            "être consultée et corrigée directement dans le "
            + _a("dossier", "dossier famille")
            + ".",
        ),
        _heading("Contacter le délégué à la protection des données"),
        _paragraph(
            f"Pour exercer vos droits ou poser une question, écrivez au délégué à la protection "
            f"des données de {name} : par courriel à {c['email_link']} (objet : « Données "
            f"personnelles »), ou par courrier à l’adresse {c['address']}, à l’attention du "
            "délégué à la protection des données. Une réponse vous sera apportée dans un délai "
            "d’un mois."
        ),
        _callout(
            "tip",
            "Vous n’êtes pas satisfait de la réponse ?",
            "Vous pouvez adresser une réclamation à la Commission nationale de l’informatique "
            'et des libertés (CNIL) sur <a href="https://www.cnil.fr/">www.cnil.fr</a>.',
        ),
    ]
    return {
        "title": "Données personnelles et confidentialité",
        "slug": "donnees-personnelles",
        "role": "privacy",
        "body": body,
    }


def _page_accessibility(c):
    name = c["name"]
    body = [
        _paragraph(
            f"{name} s’engage à rendre ses services numériques accessibles, conformément à "
            "l’article 47 de la loi n° 2005-102 du 11 février 2005. Cette déclaration "
            f"d’accessibilité s’applique au Portail Famille de {name}."
        ),
        _heading("État de conformité"),
        _paragraph(
            "Le portail a été conçu pour respecter le référentiel général d’amélioration de "
            "l’accessibilité (RGAA), version 4.1. <strong>Un audit de conformité est en "
            "cours.</strong> Nous ne pouvons donc pas encore publier de taux de conformité.",
            "Tant que les résultats de cet audit ne sont pas connus, la réglementation impose "
            "d’indiquer que le portail est <em>non conforme</em>. Cette déclaration sera mise à "
            "jour dès la fin de l’audit.",
        ),
        _heading("Contenus non accessibles"),
        _paragraph(
            "La liste des non-conformités sera publiée avec les résultats de l’audit. Ne sont "
            "pas soumis à l’obligation d’accessibilité :",
            _ul(
                "les documents déposés par les familles dans leurs pièces justificatives ;",
                "la page de paiement du prestataire de paiement en ligne, qui relève de son "
                "propre éditeur.",
            ),
            "Si vous rencontrez une difficulté, signalez-la : nous vous proposerons un autre "
            "moyen d’accéder au contenu ou d’effectuer la démarche.",
        ),
        _heading("Établissement de cette déclaration"),
        _paragraph(
            "Cette déclaration a été établie lors de la mise en service du portail. Elle sera "
            "complétée à l’issue de l’audit, avec sa date, l’environnement de test et les pages "
            "de l’échantillon.",
        ),
        _heading("Technologies utilisées", "h3"),
        _paragraph(
            "HTML, CSS et, en complément seulement, JavaScript : toutes les démarches "
            "fonctionnent sans JavaScript."
        ),
        _heading("Pages de l’échantillon audité", "h3"),
        _paragraph(
            _ul(
                "Accueil ;",
                "Créer un compte, connexion et activation ;",
                "Mes abonnements et Mes demandes ;",
                "Dossier famille ;",
                "Planning des activités et demande sur une longue période ;",
                "Espace facturation ;",
                "Pièces justificatives ;",
                "Aide, mentions légales et présente déclaration.",
            ),
        ),
        _heading("Retour d’information et contact"),
        _paragraph(
            f"Si vous ne parvenez pas à accéder à un contenu ou à un service, contactez {name} "
            "pour être orienté vers une alternative accessible ou obtenir le contenu sous une "
            "autre forme :",
            _ul(
                f"par courriel : {c['email_link']} ;",
                f"par téléphone : {c['phone_link']} ;",
                f"par courrier : {c['address']}.",
            ),
        ),
        _heading("Voies de recours"),
        _paragraph(
            "Si vous avez signalé un défaut d’accessibilité qui vous empêche d’accéder à un "
            "contenu ou à un service du portail et que vous n’avez pas obtenu de réponse "
            "satisfaisante, vous pouvez saisir le Défenseur des droits :",
            _ul(
                'par le formulaire en ligne sur <a href="https://www.defenseurdesdroits.fr/">'
                "www.defenseurdesdroits.fr</a> ;",
                "en contactant le délégué du Défenseur des droits de votre région ;",
                "par courrier, gratuit et sans affranchissement : Défenseur des droits, Libre "
                "réponse 71120, 75342 Paris CEDEX 07.",
            ),
        ),
    ]
    return {
        "title": "Déclaration d’accessibilité",
        "slug": "accessibilite",
        "role": "accessibility",
        "body": body,
    }
