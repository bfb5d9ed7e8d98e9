"""The planning domain's refusal: an illegal move or bad input, with a French message."""


class PlanningError(Exception):
    """A refused planning operation; ``.message`` (also ``str(error)``) is the French text
    shown to the parent or the agent. Nothing was changed when it is raised."""

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)

    def __str__(self):
        return self.message
