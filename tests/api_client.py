"""An API client that authenticates the way integrators do: with a token."""

from rest_framework.test import APIClient

from clinic.api_tokens import api_token_issue


def api_as(user) -> APIClient:
    client = APIClient()
    _, key = api_token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
