"""The token endpoint: hashed, expiring tokens (django-rest-knox)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from registry.validators import check_text


class LoginThrottle(AnonRateThrottle):
    scope = "login"  # its own count: other anonymous requests (throttled as "anon") do not use up logins
    rate = "30/min"


class TokenView(APIView):
    """POST {"username", "password"} → {"token": "..."}; send it as ``Authorization: Token <token>``."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]

    @extend_schema(
        summary="获取接口令牌",
        description=(
            "用账号和密码换取令牌，之后每个请求都带上请求头 `Authorization: Token <令牌>`。"
            "令牌有有效期（默认 30 天）；修改密码或停用账号后原令牌失效，需重新获取。"
            "账号或密码错误返回 400；连续输错多次后暂时锁定，返回 429。\n\n"
            '请求示例：`{"username": "zhangsan", "password": "••••••"}`，返回 `{"token": "3f1c…"}`。'
        ),
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        username, password = data.get("username"), data.get("password")
        errors = {}
        for field, value in (("username", username), ("password", password)):
            if not isinstance(value, str) or not value:
                errors[field] = [_("该字段是必填项。")]
        try:
            check_text(username)  # the lockout records the username: a NUL must not reach the database
        except DjangoValidationError as exc:
            errors["username"] = exc.messages
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        user = authenticate(request._request, username=username, password=password)
        if user is None or not user.is_active:
            return Response(
                {"non_field_errors": [_("用户名或密码错误。")]}, status=status.HTTP_400_BAD_REQUEST
            )
        _instance, token = AuthToken.objects.create(user)
        return Response({"token": token})
