"""Akeneo REST API client: auth, retries, paging, one method per endpoint."""

from akeneo_sync.client.api import AkeneoClient
from akeneo_sync.client.auth import BearerAuth, PasswordAuth
from akeneo_sync.client.http import HttpStats, RetryPolicy
from akeneo_sync.client.paging import Page, iter_items, iter_pages

__all__ = [
    "AkeneoClient",
    "BearerAuth",
    "HttpStats",
    "Page",
    "PasswordAuth",
    "RetryPolicy",
    "iter_items",
    "iter_pages",
]
