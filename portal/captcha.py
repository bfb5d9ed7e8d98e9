"""A self-hosted, accessible CAPTCHA: ALTCHA proof-of-work, with a question as fallback.

No third-party call: the challenge is made and checked here. The browser solves it with the
ALTCHA widget (served from npm's ``node_modules`` through the static files, see
``STATICFILES_DIRS``). Without JavaScript, or when the widget cannot run, the form shows a
small question in French instead; its answer is never sent to the browser (only an HMAC of
it). Each solved challenge and each question is accepted once: the signature is remembered in
the cache until the challenge expires (replay protection).

The question path is the cheap one for a script, so (issue #11, item 9):

- its wording varies — sums, differences, the number after or before, doubles, the largest
  of three, with numbers in words or in figures and in either order — so that no fixed
  pattern answers them all (« Combien font huit plus cinq ? » was solved by three lines);
- a trap field, invisible and hidden from assistive technologies, must stay empty: only a
  robot that fills every input fills it;
- it allows far fewer tries per address and per hour (``PORTAL_THROTTLES["signup_question"]``,
  taken before the answer is checked) than the proof of work (allauth's ``signup`` limit).

``PORTAL_CAPTCHA_ENABLED = False`` (the test settings) turns the whole check off.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

import altcha

from .throttle import address_subject, throttle_rate, throttle_take

ALGORITHM = "PBKDF2/SHA-256"
# The browser must find a counter in this range with PBKDF2 at this cost: well under a second
# on a phone, costly for a bot that posts thousands of forms.
COST = 1_000
COUNTER_MIN, COUNTER_MAX = 1_000, 4_000
LIFETIME = 30 * 60  # seconds: time to fill the form
NUMBERS = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
    "vingt",
]
QUESTION_THROTTLE = "signup_question"
TRAP_FIELD = "website"
_SALT = "portal.captcha"

ERROR_MISSING = _(
    "Merci de compléter la vérification anti-robot : cochez « Je ne suis pas un robot » "
    "ou répondez à la question."
)
ERROR_INVALID = _(
    "La vérification anti-robot a échoué ou a expiré. Une nouvelle vérification vous est "
    "proposée : merci de la refaire."
)
ERROR_WRONG_ANSWER = _(
    "La réponse à la question anti-robot est incorrecte. Une nouvelle question vous est "
    "posée : merci d’y répondre en chiffres."
)
ERROR_QUESTION_THROTTLED = _(
    "Trop d’inscriptions par la question anti-robot depuis votre connexion. Réessayez dans "
    "une heure, ou activez JavaScript pour cocher « Je ne suis pas un robot »."
)


def captcha_enabled() -> bool:
    return getattr(settings, "PORTAL_CAPTCHA_ENABLED", True)


def _key(purpose: str) -> str:
    # Derived from SECRET_KEY, never the key itself.
    return salted_hmac(_SALT, purpose).hexdigest()


@dataclass(frozen=True)
class CaptchaChallenge:
    """What a form shows: the ALTCHA challenge (JSON) and the fallback question."""

    challenge_json: str
    question: str
    token: str


def challenge_create() -> CaptchaChallenge:
    challenge = altcha.create_challenge(
        ALGORITHM,
        COST,
        counter=COUNTER_MIN + secrets.randbelow(COUNTER_MAX - COUNTER_MIN),
        expires_at=int(time.time()) + LIFETIME,
        hmac_secret=_key("altcha"),
        hmac_key_secret=_key("altcha-key"),
    )
    question, answer = question_create()
    nonce = secrets.token_hex(16)
    token = signing.dumps({"n": nonce, "h": _answer_hash(nonce, answer)}, salt=f"{_SALT}.question")
    return CaptchaChallenge(
        challenge_json=json.dumps(challenge.to_dict()), question=question, token=token
    )


def _number(value: int) -> str:
    """A number as the question writes it: in words or in figures, at random."""
    return NUMBERS[value] if secrets.randbelow(2) else str(value)


def _sum():
    a, b = secrets.randbelow(10) + 1, secrets.randbelow(10) + 1
    wording = secrets.choice(
        [
            _("Combien font %(a)s plus %(b)s ?"),
            _("Quelle est la somme de %(a)s et de %(b)s ?"),
            _("Ajoutez %(a)s à %(b)s : quel nombre obtenez-vous ?"),
            _("J’ai %(a)s pommes et on m’en donne %(b)s : combien en ai-je ?"),
        ]
    )
    return wording % {"a": _number(a), "b": _number(b)}, a + b


def _difference():
    b = secrets.randbelow(9) + 1
    a = b + secrets.randbelow(10) + 1
    wording = secrets.choice(
        [
            _("Combien font %(a)s moins %(b)s ?"),
            _("Retirez %(b)s de %(a)s : combien reste-t-il ?"),
            _("J’avais %(a)s billes et j’en ai perdu %(b)s : combien m’en reste-t-il ?"),
        ]
    )
    return wording % {"a": _number(a), "b": _number(b)}, a - b


def _next():
    a = secrets.randbelow(19) + 1
    wording = secrets.choice(
        [
            _("Quel est le nombre qui suit %(a)s ?"),
            _("Quel nombre vient juste après %(a)s ?"),
        ]
    )
    return wording % {"a": _number(a)}, a + 1


def _previous():
    a = secrets.randbelow(19) + 2
    wording = secrets.choice(
        [
            _("Quel nombre vient juste avant %(a)s ?"),
            _("Quel est le nombre qui précède %(a)s ?"),
        ]
    )
    return wording % {"a": _number(a)}, a - 1


def _double():
    a = secrets.randbelow(10) + 1
    return _("Quel est le double de %(a)s ?") % {"a": _number(a)}, 2 * a


def _largest():
    values = []
    while len(values) < 3:
        value = secrets.randbelow(20) + 1
        if value not in values:
            values.append(value)
    wording = secrets.choice(
        [
            _("Quel est le plus grand nombre parmi %(a)s, %(b)s et %(c)s ?"),
            _("De %(a)s, %(b)s et %(c)s, lequel est le plus grand ?"),
        ]
    )
    a, b, c = (_number(value) for value in values)
    return wording % {"a": a, "b": b, "c": c}, max(values)


QUESTION_KINDS = (_sum, _difference, _next, _previous, _double, _largest)


def question_create() -> tuple[str, int]:
    """A question of a random kind and wording, and its answer (a whole number)."""
    text, answer = secrets.choice(QUESTION_KINDS)()
    return f"{text} {_('Répondez en chiffres.')}", answer


def _answer_hash(nonce: str, answer: int) -> str:
    return salted_hmac(f"{_SALT}.answer", f"{nonce}:{answer}").hexdigest()


def _use_once(identifier: str) -> bool:
    """True the first time ``identifier`` is seen within LIFETIME (atomic ``cache.add``)."""
    return cache.add(f"captcha:used:{identifier}", 1, timeout=LIFETIME + 60)


def solution_verify(payload: str) -> bool:
    """A base64 ALTCHA payload from the widget: valid, signed here, unexpired, first use."""
    try:
        result = altcha.verify_solution(
            payload, hmac_secret=_key("altcha"), hmac_key_secret=_key("altcha-key")
        )
    except (ValueError, TypeError, KeyError):
        return False
    if not result.verified:
        return False
    try:
        signature = altcha.Payload.from_base64(payload).challenge.signature
    except (ValueError, TypeError, KeyError):
        signature = None
    return _use_once(str(signature))


def answer_verify(token: str, answer: str) -> bool:
    """The fallback question: the signed token and the answer typed, first use only."""
    try:
        data = signing.loads(token, salt=f"{_SALT}.question", max_age=LIFETIME)
        value = int(answer.strip())
    except (signing.BadSignature, ValueError, TypeError, AttributeError):
        return False
    if not isinstance(data, dict) or not _use_once(f"q:{data.get('n')}"):
        return False
    return constant_time_compare(str(data.get("h")), _answer_hash(str(data.get("n")), value))


class CaptchaFormMixin(forms.Form):
    """Adds the CAPTCHA to a form; errors are attached to the ``altcha`` field.

    The template renders ``form.captcha`` (a fresh challenge and question at each display)
    with ``account/snippets/captcha.html``, and the trap field ``website`` out of sight.
    """

    altcha = forms.CharField(required=False, widget=forms.HiddenInput)
    captcha_token = forms.CharField(required=False, widget=forms.HiddenInput)
    captcha_answer = forms.CharField(
        required=False,
        max_length=5,
        label=_("Réponse à la question anti-robot"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # The trap: rendered by the snippet off screen and hidden from assistive technologies
    # (aria-hidden, tabindex=-1); a person never fills it, a robot filling every input does.
    website = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.captcha_enabled = captcha_enabled()
        self.captcha = challenge_create() if self.captcha_enabled else None

    def captcha_clean(self, *, address: str | None = None) -> bool:
        """Check the CAPTCHA; True when it passed (or is switched off). ``address`` is the
        client's, for the question path's own (lower) rate."""
        if not self.captcha_enabled:
            return True
        if self.cleaned_data.get(TRAP_FIELD):
            self.add_error("altcha", ERROR_INVALID)
            return False
        payload = (self.cleaned_data.get("altcha") or "").strip()
        answer = (self.cleaned_data.get("captcha_answer") or "").strip()
        if payload:
            if solution_verify(payload):
                return True
            self.add_error("altcha", ERROR_INVALID)
            return False
        if answer:
            return self._question_clean(answer, address)
        self.add_error("altcha", ERROR_MISSING)
        return False

    def _question_clean(self, answer: str, address: str | None) -> bool:
        # The slot is taken before the answer is checked, right or wrong (portal.throttle).
        slots = throttle_take(
            QUESTION_THROTTLE,
            subjects=[address_subject(address)],
            rate=throttle_rate(QUESTION_THROTTLE),
        )
        if slots is None:
            self.add_error("altcha", ERROR_QUESTION_THROTTLED)
            return False
        if answer_verify(self.cleaned_data.get("captcha_token") or "", answer):
            return True
        self.add_error("altcha", ERROR_WRONG_ANSWER)
        return False
