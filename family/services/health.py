"""The health-data access log: who displayed which child's health data, and when."""

from ..models import HealthAccessLog


def health_access_record(*, collectivity, user, child_ids) -> list[HealthAccessLog]:
    """One ``HealthAccessLog`` row per child whose health data a page displays to ``user``."""
    return HealthAccessLog.objects.bulk_create(
        [
            HealthAccessLog(collectivity=collectivity, user=user, child_id=child_id)
            for child_id in sorted(set(child_ids))
        ]
    )
