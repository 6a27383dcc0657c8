"""Token authentication for the API: knox's hashed, expiring tokens, without a database round trip per request.

Knox's own ``TokenAuthentication`` reads the token and its user, and then scans every other token of the user to
delete the expired ones, on every request. Here:

- the per-request scan is gone: ``delete_expired_tokens()`` runs periodically instead (the Celery beat entry
  ``delete-expired-api-tokens``);
- a token that checked out is remembered in this process's memory (the "local" cache), by its digest, with its
  user and that user's access, for ``API_TOKEN_CACHE_SECONDS`` (60 s by default). The token's own expiry is still
  checked on every request, so an expired token is refused at once. A token deleted (revoked), a user
  deactivated, or a role or area changed takes effect within that bound: until then the remembered answer
  stands. That is the price of not asking the database.
"""

from __future__ import annotations

import binascii
import datetime as dt

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.signals import token_expired
from rest_framework import exceptions

from registry.access import access_for

CACHE_PREFIX = "api-token:"
# Process memory, even with Redis configured: a round trip to Redis costs more than it saves here, and the bound
# above holds either way (nothing is evicted early).
TOKEN_CACHE = "local"


def token_cache_seconds() -> int:
    return getattr(settings, "API_TOKEN_CACHE_SECONDS", 60)


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``: knox tokens, remembered briefly (see the module docstring for the bound)."""

    def authenticate_credentials(self, token: bytes):
        try:
            digest = hash_token(token.decode("utf-8"))
        except (TypeError, UnicodeDecodeError, binascii.Error):
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        key = CACHE_PREFIX + digest
        now = timezone.now()
        cache = caches[TOKEN_CACHE]
        remembered = cache.get(key)
        if remembered is not None:
            auth_token, access, fresh_until = remembered
            expired = auth_token.expiry is not None and auth_token.expiry < now
            if now < fresh_until and not expired:
                user = auth_token.user
                user._registry_access = access  # what access_for(user) caches on the user for the request
                return user, auth_token
            cache.delete(key)  # and ask the database, which refuses (and deletes) an expired token
        user, auth_token = super().authenticate_credentials(token)
        seconds = token_cache_seconds()
        if seconds > 0:
            access = access_for(user)
            cache.set(key, (auth_token, access, now + dt.timedelta(seconds=seconds)), seconds)
        return user, auth_token

    def _cleanup_token(self, auth_token) -> bool:
        """Only the token at hand: the user's other expired tokens are left to ``delete_expired_tokens``."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class CachedTokenScheme(KnoxTokenScheme):
    """The OpenAPI schema describes it as the knox token it is."""

    target_class = "registry.api.auth.CachedTokenAuthentication"


def delete_expired_tokens() -> int:
    """Delete every expired API token; returns how many were deleted."""
    deleted, _rows = get_token_model().objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
