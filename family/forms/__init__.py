"""Forms of the family app: the parents' (subscriptions, dossier, creation, sign-up) and
the agents' (``admin``)."""
