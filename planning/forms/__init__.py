"""Forms of the planning app: activities, enrolments, requests (parents and agents)."""
