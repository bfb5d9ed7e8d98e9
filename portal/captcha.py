"""A self-hosted, accessible CAPTCHA: ALTCHA proof-of-work, with a question as fallback.

No third-party call: the challenge is made and checked here. The browser solves it with the
ALTCHA widget (served from npm's ``node_modules`` through the static files, see
``STATICFILES_DIRS``). Without JavaScript, or when the widget cannot run, the form shows a
simple arithmetic question written in French words instead; its answer is never sent to the
browser (only an HMAC of it). Each solved challenge and each question is accepted once: the
signature is remembered in the cache until the challenge expires (replay protection).

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
]
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
    left, right = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_hex(16)
    token = signing.dumps(
        {"n": nonce, "h": _answer_hash(nonce, left + right)}, salt=f"{_SALT}.question"
    )
    question = _("Combien font %(left)s plus %(right)s ? Répondez en chiffres.") % {
        "left": NUMBERS[left],
        "right": NUMBERS[right],
    }
    return CaptchaChallenge(
        challenge_json=json.dumps(challenge.to_dict()), question=question, token=token
    )


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
    with ``account/snippets/captcha.html``.
    """

    altcha = forms.CharField(required=False, widget=forms.HiddenInput)
    captcha_token = forms.CharField(required=False, widget=forms.HiddenInput)
    captcha_answer = forms.CharField(
        required=False,
        max_length=5,
        label=_("Réponse à la question anti-robot"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.captcha_enabled = captcha_enabled()
        self.captcha = challenge_create() if self.captcha_enabled else None

    def captcha_clean(self) -> bool:
        """Check the CAPTCHA; True when it passed (or is switched off)."""
        if not self.captcha_enabled:
            return True
        payload = (self.cleaned_data.get("altcha") or "").strip()
        answer = (self.cleaned_data.get("captcha_answer") or "").strip()
        if payload:
            if solution_verify(payload):
                return True
            self.add_error("altcha", ERROR_INVALID)
            return False
        if answer:
            if answer_verify(self.cleaned_data.get("captcha_token") or "", answer):
                return True
            self.add_error("altcha", ERROR_WRONG_ANSWER)
            return False
        self.add_error("altcha", ERROR_MISSING)
        return False
