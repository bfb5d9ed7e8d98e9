"""Reactions of the family app to account events."""

from django.dispatch import receiver

from allauth.account.signals import email_confirmed

from .services import signup_codes_apply


@receiver(email_confirmed)
def apply_signup_codes(sender, request, email_address, **kwargs):
    """A code given at sign-up links the family as soon as the address is confirmed."""
    signup_codes_apply(user=email_address.user)
