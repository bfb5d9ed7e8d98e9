"""The planning domain's refusal: an illegal move or bad input, with a French message."""

from portal.errors import DomainError


class PlanningError(DomainError):
    """A refused planning operation; ``.message`` (also ``str(error)``) is the French text
    shown to the parent or the agent. Nothing was changed when it is raised."""
