"""What the record viewsets share beyond scoping: the audit actor of token requests, optimistic concurrency
(ETag / If-Match) and the explicit, audited reveal of personal data."""

from __future__ import annotations

from auditlog.context import auditlog_value
from django.db import transaction
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from registry.access import access_for
from registry.audit import record_event
from registry.concurrency import current_version, version_of

from .filters import FALSE_VALUES, TRUE_VALUES


class AuditActorMixin:
    """Record changes made through the API are logged with the caller as actor.

    django-auditlog's middleware reads ``request.user`` before DRF authenticates the request, so a token caller
    would be logged as nobody; once DRF has authenticated, the caller is put into the request's audit context.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        user = request.user
        if user is None or not user.is_authenticated:
            return
        try:
            context = auditlog_value.get()
        except LookupError:  # no AuditlogMiddleware around this call (a test calling the view directly)
            return
        if context.get("actor") is None:
            context["actor"] = user


# --- optimistic concurrency -------------------------------------------------------------------------------------

PRECONDITION_FAILED = _(
    "保存失败：该记录已被他人修改（%(when)s），If-Match 与当前版本不一致。本次修改没有保存，请重新读取后再修改。"
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="记录的版本；修改时作为 If-Match 发回",
)
IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="读取时得到的 ETag。记录此后已被修改则返回 412，不保存；不发送则不检查。",
)


def etag(version: str) -> str:
    return f'"{version}"'


def parse_if_match(request) -> set[str] | None:
    """The versions an If-Match header accepts (``*`` for any); None when the header is absent or empty."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        return None
    versions = set()
    for part in raw.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        versions.add(part.strip().strip('"'))
    return versions


class VersionETagMixin:
    """Optimistic concurrency over REST (the version of registry.concurrency, the same the edit forms carry).

    Retrieve, create and update answer with the record's version as ``ETag``; a PUT/PATCH with an ``If-Match``
    that no longer matches is refused with 412 and saves nothing. Without If-Match the write is not checked.
    """

    def get_object(self):
        # Fetched once per request: the precondition and the update look at the same row.
        cached = getattr(self, "_versioned_object", None)
        if cached is None:
            cached = self._versioned_object = super().get_object()
        return cached

    def _set_etag(self, response, pk) -> Response:
        version, _when = current_version(self.get_queryset().model(pk=pk))
        if version:
            response["ETag"] = etag(version)
        return response

    @extend_schema(parameters=[ETAG_HEADER])
    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            response["ETag"] = etag(version_of(self.get_object()))
        return response

    @extend_schema(parameters=[ETAG_HEADER])
    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        if response.status_code == status.HTTP_201_CREATED and isinstance(response.data, dict):
            self._set_etag(response, response.data.get("id"))
        return response

    @extend_schema(parameters=[IF_MATCH_HEADER, ETAG_HEADER])
    def update(self, request, *args, **kwargs):
        return self._checked_update(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH_HEADER, ETAG_HEADER])
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self._checked_update(request, *args, **kwargs)

    def _checked_update(self, request, *args, **kwargs):
        accepted = parse_if_match(request)
        with transaction.atomic():
            instance = self.get_object()
            if accepted is not None:
                # Lock the row (PostgreSQL) so nobody saves between the check and our save.
                list(
                    type(instance)
                    ._default_manager.select_for_update()
                    .filter(pk=instance.pk)
                    .values_list("pk")
                )
                current, when = current_version(instance)
                if "*" not in accepted and current not in accepted:
                    when_text = date_format(timezone.localtime(when), "Y-m-d H:i:s") if when else ""
                    return Response(
                        {"detail": PRECONDITION_FAILED % {"when": when_text}},
                        status=status.HTTP_412_PRECONDITION_FAILED,
                        headers={"ETag": etag(current)},
                    )
            response = super().update(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            self._set_etag(response, instance.pk)
        return response


# --- personal data ----------------------------------------------------------------------------------------------

REVEAL_PARAMETER = OpenApiParameter(
    "reveal",
    OpenApiTypes.BOOL,
    description=(
        "true：返回完整的身份证号码和联系电话（仅系统管理员、组织部工作人员；其他角色 403），每次都记入审计日志。"
        "仅 JSON；列表和 csv/xlsx 下载始终脱敏。"
    ),
)


class RevealMixin:
    """ID numbers and phones are read masked; ``?reveal=true`` on a retrieve shows them in full to roles that may
    reveal (registry.access.Access.can_reveal) and logs a "reveal" event; other roles get 403, as on the pages.

    The serializer masks unless its context has ``reveal`` set, which only this retrieve does.
    """

    reveal_detail = ""
    revealing = False

    def reveal_requested(self, request) -> bool:
        raw = request.query_params.get("reveal", "")
        if raw in ("", *FALSE_VALUES):
            return False
        if raw in TRUE_VALUES:
            return True
        raise exceptions.ValidationError({"reveal": [_("请填写 true 或 false。")]})

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "reveal": self.revealing}

    def retrieve(self, request, *args, **kwargs):
        reveal = self.reveal_requested(request)
        if reveal:
            if not access_for(request.user).can_reveal:
                raise exceptions.PermissionDenied(_("当前账号不能查看完整的身份证号码和联系电话。"))
            if request.accepted_renderer.format not in ("json", "api"):
                raise exceptions.ValidationError({"reveal": [_("完整个人信息只能以 JSON 查看，不能下载。")]})
        instance = self.get_object()
        self.revealing = reveal
        data = self.get_serializer(instance).data
        response = Response(data)
        if reveal:
            record_event(request, "reveal", obj=instance, detail=str(self.reveal_detail))
            patch_cache_control(response, no_store=True, private=True)  # the full values are kept nowhere
        return response
