"""The one error type of the domain (HackSoftware's ``core/exceptions.py``).

Every refusal of a service (an illegal transition, bad input) raises a subclass of
``DomainError`` carrying the French message shown to the parent or the agent; nothing was
changed when it is raised. Views catch ``DomainError`` and show ``error.message``.
"""


class DomainError(Exception):
    """A refused operation; ``.message`` (also ``str(error)``) is the French text for the
    user. ``code`` is an optional machine-readable reason for callers that branch on it."""

    def __init__(self, message, *, code: str = ""):
        super().__init__(message)
        self.message = str(message)
        self.code = code

    def __str__(self):
        return self.message


def refusal_reason(reason, *, error: type[DomainError], message) -> str:
    """The reason of a refusal, stripped: every refusal is explained to the family, so a blank
    one raises ``error`` (the calling app's ``DomainError``) with ``message``."""
    reason = (reason or "").strip()
    if not reason:
        raise error(message)
    return reason
