import re

PASSWORD = "Pivoine-Lavande-2026"


def signup_data(**overrides):
    data = {
        "civility": "mme",
        "last_name": "Durand",
        "first_name": "Claire",
        "email": "claire.durand@example.test",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "subscriber_code": "",
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


def activation_link(message) -> str:
    match = re.search(r"https?://[^\s\"<>]+/compte/confirmer/[^\s\"<>]+/", message.body)
    assert match, message.body
    return match.group(0)
