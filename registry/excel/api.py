"""Excel import over REST: the template, the upload (dry run or commit) and background jobs' status.

Thin: parse the request, call the engine, answer. Any invalid row → 400 with every problem, nothing written.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.access import access_for
from registry.api.mixins import AuditActorMixin
from registry.models import ImportJob
from registry.tasks import start_job

from .importer import KINDS, preflight, run_import
from .sheets import XLSX_CONTENT_TYPE, template_workbook

# URLs load after every AppConfig.ready(), so the registered kinds are known here.
KIND = OpenApiParameter(
    "kind",
    str,
    OpenApiParameter.PATH,
    enum=sorted(KINDS),
    description="导入类别：" + "、".join(f"`{name}` {kind.title}" for name, kind in KINDS.items()),
)
RESULT = inline_serializer(
    "ImportResult",
    {
        "kind": serializers.CharField(),
        "dry_run": serializers.BooleanField(),
        "applied": serializers.BooleanField(),
        "summary": serializers.DictField(child=serializers.IntegerField()),
        "rows": serializers.ListField(child=serializers.DictField()),
        "errors": serializers.ListField(child=serializers.DictField()),
    },
)
JOB = inline_serializer(
    "ImportJob",
    {
        "id": serializers.IntegerField(),
        "kind": serializers.CharField(),
        "dry_run": serializers.BooleanField(),
        "status": serializers.CharField(),
        "progress": serializers.IntegerField(),
        "result": RESULT,
        "error": serializers.CharField(),
    },
)


def kind_or_404(kind: str) -> str:
    if kind not in KINDS:
        raise Http404(_("未知的导入类别“%(kind)s”。") % {"kind": kind})
    return kind


def require_writer(request) -> None:
    if not access_for(request.user).can_write:
        raise exceptions.PermissionDenied(_("您没有导入数据的权限。"))


def job_data(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "dry_run": job.dry_run,
        "status": job.status,
        "progress": job.progress,
        "result": job.result,
        "error": job.error,
    }


class ImportTemplateView(APIView):
    """The import template of ``kind``: Chinese headers, one example row and a 填写说明 sheet."""

    @extend_schema(
        summary="下载导入模板",
        description=(
            "某一类数据的 Excel 导入模板：中文表头、一行示例和“填写说明”工作表。"
            "按模板填写后用 `POST /api/v1/imports/{kind}/` 上传。"
        ),
        parameters=[KIND],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request, kind: str):
        definition = KINDS[kind_or_404(kind)]
        response = HttpResponse(template_workbook(definition), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.xlsx"'
        return response


class ImportView(AuditActorMixin, APIView):
    """POST multipart ``file`` and ``dry_run=true|false``.

    200: the result (per row create/update/unchanged with field changes); 400: every problem, nothing written;
    202: a large file was queued as a job (poll ``/api/v1/imports/jobs/<id>/``).
    """

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="导入 Excel",
        description=(
            "上传 .xlsx 文件（multipart 字段 `file`）。`dry_run=true`（默认）只校验、不写入，返回每一行将新增、"
            "修改还是不变，以及各字段的变化；`dry_run=false` 校验通过后写入。任何一行有错时返回 400，"
            "列出全部问题（行号、列、说明），不写入任何内容。文件较大时转为后台任务，返回 202 和任务，"
            "用 `GET /api/v1/imports/jobs/{id}/` 查询进度和结果。需要写入权限（只读角色返回 403）。\n\n"
            "请求示例：\n\n```\ncurl -H 'Authorization: Token <令牌>' -F file=@单位台账.xlsx -F dry_run=true \\\n"
            "     https://<服务器>/api/v1/imports/enterprises/\n```"
        ),
        parameters=[KIND],
        request={
            "multipart/form-data": inline_serializer(
                "ImportUpload",
                {"file": serializers.FileField(), "dry_run": serializers.BooleanField(default=True)},
            )
        },
        responses={
            200: RESULT,
            202: JOB,
            # Either the result with its row errors or, before any row is read, field errors ({"file": [...]}).
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description="文件或数据有误：列出全部问题，未写入任何内容"
            ),
            403: OpenApiResponse(description="当前账号没有导入（写入）权限"),
        },
    )
    def post(self, request, kind: str):
        kind_or_404(kind)
        require_writer(request)
        upload = request.FILES.get("file")
        raw = str(request.data.get("dry_run", "true")).strip().lower()
        if raw not in ("true", "false", "1", "0"):
            raise exceptions.ValidationError({"dry_run": [_("dry_run 应为 true 或 false。")]})
        if upload is None:
            raise exceptions.ValidationError({"file": [_("请上传 .xlsx 文件（字段名 file）。")]})
        dry_run = raw in ("true", "1")
        if upload.size is not None and upload.size > settings.IMPORT_INLINE_MAX_BYTES:
            refused = preflight(kind, upload, dry_run=dry_run)  # too big, not a workbook, too many rows
            if refused is not None:
                return Response(refused.to_dict(), status=status.HTTP_400_BAD_REQUEST)
            job = start_job(kind=kind, upload=upload, dry_run=dry_run, user=request.user)
            job.refresh_from_db()
            return Response(job_data(job), status=status.HTTP_202_ACCEPTED)
        result = run_import(kind, upload, dry_run=dry_run, user=request.user)
        return Response(
            result.to_dict(), status=status.HTTP_200_OK if result.ok else status.HTTP_400_BAD_REQUEST
        )


class ImportJobView(APIView):
    """A queued import's status, progress (0–100) and, when done, its result."""

    @extend_schema(
        summary="导入任务进度",
        description=(
            "后台导入任务的状态和进度（0–100）；完成后 `result` 为导入结果，格式同直接导入的返回。"
            "只能查看本人提交的任务（系统管理员可查看全部）。"
        ),
        responses=JOB,
    )
    def get(self, request, pk: int):
        job = ImportJob.objects.filter(pk=pk).first()
        if job is None or (job.created_by_id != request.user.pk and not access_for(request.user).is_admin):
            raise Http404
        return Response(job_data(job))
