"""Token authentication for the API: knox's hashed, expiring tokens, without a database round trip per request.

Knox's own ``TokenAuthentication`` reads the token and its user, and then scans every other token of the user to
delete the expired ones, on every request. Here:

- the per-request scan is gone: ``delete_expired_tokens()`` runs periodically instead (the Celery beat entry
  ``delete-expired-api-tokens``);
- a token that checked out is remembered in this process's memory (the "local" cache), by its digest, with its
  user and that user's access, for ``API_TOKEN_CACHE_SECONDS`` (60 s by default), together with the "revocations
  generation" (``registry.generations``) current when it was remembered. A password change or a deactivation
  deletes the user's tokens in the same save (``revoke_tokens``) and bumps that shared number: the saving process
  refuses the tokens at once, every other process within a second (it re-reads the shared number at most once a
  second; the number lives in Redis when ``CACHE_URL`` is set, and the embedded default is one process). The
  token's own expiry is checked on every request. A token deleted by hand, a changed role or a changed area follow
  within the 60 s bound. That is the price of not asking the database on every request (it halved P4's throughput).
"""

from __future__ import annotations

import binascii
import datetime as dt

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.signals import token_expired
from rest_framework import exceptions

from registry.access import access_for
from registry.generations import SharedGeneration

CACHE_PREFIX = "api-token:"
# Process memory, even with Redis configured: a round trip to Redis costs more than it saves here, and the bound
# above holds either way (nothing is evicted early).
TOKEN_CACHE = "local"
# Bumped by every revocation: retires every remembered token in every process (within a second).
REVOCATIONS = SharedGeneration("api-token-revocations")


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
        revocations = REVOCATIONS.current()
        remembered = cache.get(key)
        if remembered is not None:
            auth_token, access, fresh_until, generation = remembered
            expired = auth_token.expiry is not None and auth_token.expiry < now
            if now < fresh_until and not expired and generation == revocations:
                user = auth_token.user
                user._registry_access = access  # what access_for(user) caches on the user for the request
                return user, auth_token
            cache.delete(key)  # and ask the database, which refuses (and deletes) an expired token
        user, auth_token = super().authenticate_credentials(token)
        seconds = token_cache_seconds()
        if seconds > 0:
            access = access_for(user)
            cache.set(key, (auth_token, access, now + dt.timedelta(seconds=seconds), revocations), seconds)
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


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out login (``AXES_LOCKOUT_CALLABLE``): under /api/ a JSON 429 like every
    other API error (``{"detail": …}`` with Retry-After), elsewhere the lockout page."""
    from axes.helpers import get_client_username, get_cool_off, get_failure_limit

    limit = get_failure_limit(request, credentials)
    cool_off = get_cool_off(request)
    if request.path.startswith("/api/"):
        message = _("登录失败次数过多（%(limit)s 次），该账号已暂时锁定，请稍后再试或联系系统管理员。") % {
            "limit": limit
        }
        response = JsonResponse({"detail": message}, status=429, json_dumps_params={"ensure_ascii": False})
        if cool_off:
            response["Retry-After"] = str(int(cool_off.total_seconds()))
        return response
    context = {
        "failure_limit": limit,
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": cool_off,
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)


def revoke_tokens(user) -> int:
    """Delete every API token of ``user`` and forget them in this process's token cache; returns how many."""
    tokens = get_token_model().objects.filter(user=user)
    cache = caches[TOKEN_CACHE]
    cache.delete_many([CACHE_PREFIX + digest for digest in tokens.values_list("digest", flat=True)])
    deleted, _rows = tokens.delete()
    REVOCATIONS.bump_now_and_after_commit()
    return deleted


def _note_credential_change(sender, instance, update_fields=None, **kwargs) -> None:
    """Before a user is saved: does this save set a new password (``set_password``; not the silent re-hash at
    login, which clears ``_password``) or deactivate the user? Then the save revokes the API tokens."""
    instance._revoke_api_tokens = False
    if instance.pk is None or (
        update_fields is not None and not {"password", "is_active"} & set(update_fields)
    ):
        return
    if getattr(instance, "_password", None) is not None:
        instance._revoke_api_tokens = True
    elif not instance.is_active:
        instance._revoke_api_tokens = sender.objects.filter(pk=instance.pk, is_active=True).exists()


def _revoke_after_credential_change(sender, instance, **kwargs) -> None:
    if getattr(instance, "_revoke_api_tokens", False):
        instance._revoke_api_tokens = False
        revoke_tokens(instance)


def connect_token_revocation() -> None:
    """A password change or a deactivation revokes the user's API tokens in the same save (a signal: this is
    authentication, which every way of changing a password goes through, not a coverage write)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save, pre_save

    user_model = get_user_model()
    pre_save.connect(_note_credential_change, sender=user_model, dispatch_uid="api-token-revocation-pre")
    post_save.connect(_revoke_after_credential_change, sender=user_model, dispatch_uid="api-token-revocation")
