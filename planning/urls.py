"""Parent-side URLs of the planning app, mounted at the site root (full paths).

The whole list is gated by the "planning" module (pre-enrolments by the "enrolment" module):
when a collectivity switches a module off, every one of these URLs answers 404.
"""

from portal.modules import Module, gate_patterns

from . import urls_enrolments, urls_planning, urls_requests

app_name = "planning"

urlpatterns = [
    *gate_patterns(Module.PLANNING, urls_planning.urlpatterns),
    *gate_patterns(Module.PLANNING, urls_requests.urlpatterns),
    *gate_patterns(Module.ENROLMENT, urls_enrolments.urlpatterns),
]
