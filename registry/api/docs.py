"""What an API client reads in the documentation (/api/docs/): a Chinese summary and description per operation.

The docstrings of views, viewsets and serializers are written for the developers of this project and may speak
of internals; drf-spectacular would show them to clients. So each operation gets its own text (``extend_schema``;
``record_docs`` below for the record viewsets), and a schema hook (``client_texts``, in SPECTACULAR_SETTINGS) gives
objects and parameters theirs. tests/test_api_docs.py keeps every one of them in Chinese.
"""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema, extend_schema_view

SCOPE = "只包含本人所在区域及其下级区域的记录；范围之外的记录按不存在处理（404）。"
LIST = (
    "分页返回（`?page=`、`?page_size=`，每页最多 1000 条）；加 `format=csv` 或 `format=xlsx` 下载全部结果。"
)
FILTERS = "可按下方参数筛选。"
WRITE = "需要写入权限（系统管理员、组织部工作人员）；只读角色返回 403。字段有误时返回 400，指明每个字段的问题，不保存任何内容。"
VERSION = "响应头 `ETag` 为记录的当前版本。"
IF_MATCH = (
    "可带请求头 `If-Match`（读取时得到的 `ETag`）：记录在此期间已被他人修改则返回 412，不保存；不带则不检查。"
)
NO_DELETE = "记录不能删除（DELETE 返回 405）。"


def record_docs(
    noun: str,
    *,
    about: str,
    create: str = "",
    update: str | None = "",
    versioned: bool = True,
    filtered: bool = True,
    **more,
):
    """``extend_schema_view`` for a record viewset: list, create, retrieve and (unless ``update`` is None) update
    and partial update of ``noun``, each with a Chinese summary and a description built from ``about`` (what the
    record is), ``create`` and ``update`` (what a write does). ``more`` gives further actions' schemas, as
    ``extend_schema_view`` takes them; one given for a listed action is applied on top (its parameters are added,
    its texts replace these)."""
    version = VERSION if versioned else ""
    if_match = IF_MATCH if versioned else ""
    schemas = {
        "list": extend_schema(
            summary=f"{noun}列表", description=f"{about}\n\n{SCOPE}{FILTERS if filtered else ''}{LIST}"
        ),
        "create": extend_schema(
            summary=f"登记{noun}",
            description=f"{create}\n\n{WRITE}成功时返回 201 和新记录。{version}".strip(),
        ),
        "retrieve": extend_schema(summary=f"{noun}详情", description=f"{about}\n\n{SCOPE}{version}"),
    }
    if update is not None:
        schemas["update"] = extend_schema(
            summary=f"修改{noun}（全部字段）",
            description=f"{update}\n\n须提交全部必填字段。{WRITE}{if_match}{NO_DELETE}".strip(),
        )
        schemas["partial_update"] = extend_schema(
            summary=f"修改{noun}（部分字段）",
            description=f"{update}\n\n只修改请求中给出的字段。{WRITE}{if_match}{NO_DELETE}".strip(),
        )
    for action, schema in more.items():
        schemas[action] = [schemas[action], schema] if action in schemas else schema
    return extend_schema_view(**schemas)


# --- the schema as a whole: texts drf-spectacular takes from code -------------------------------------------------

# Schema objects' descriptions. drf-spectacular would take them from serializer docstrings (or a mixin's, when the
# serializer has none), which are written for this project's developers; a client reads these instead. A request
# body ("EnterpriseRequest", "PatchedEnterpriseRequest") shares its object's text.
COMPONENTS = {
    "Figure": (
        "一项覆盖指标的统计数字：分子 `numerator`、分母 `denominator`、百分数 `percent`（字符串，四舍五入保留一位"
        '小数，如 "51.5"；分母为 0 时为 null），分母中各覆盖状态的单位数 `breakdown` 和党员人数 `members`。'
        "`period` 为季度（按日期实时计算时为 null），`as_of` 为统计日，`frozen` 为 true 表示该季度已关账。"
    ),
    "Breakdown": (
        "分母中各覆盖状态的单位数：`single` 单独组建、`joint` 联合组建、`work` 工作覆盖（未建党组织，派有党建"
        "指导员）、`none` 未覆盖；四项之和等于分母。"
    ),
    "Members": (
        "统计日区域内的党员人数：`total` 合计、`full` 正式党员、`probationary` 预备党员、`female` 女党员、"
        "`minority` 少数民族、`college_or_above` 大专及以上学历、`under_35` 35 岁以下、`mobile` 流动党员。"
    ),
    "SeriesPoint": "一个季度的统计数字：季度、统计日、分子、分母、百分数和计算时间。",
    "DrillEnterprise": (
        "计入统计的一个单位；`coverage` 为统计日的覆盖状态；`unmet_conditions` 为有效覆盖指标分母名单中"
        "该单位未满足的有效覆盖条件（其他情况为空列表）。"
    ),
    "Indicator": "一项覆盖指标的定义：统计范围（分母）、分子条件、小数位数、政策依据，以及启用和停用日期。",
    "Development": "一个区域（含下级区域）一年的发展党员计划、接收人数、完成率和各阶段人数。",
    "DevelopmentPlan": "发展党员指导性计划：一个区域一年一条，该区域及其下级区域的发展人数都计入。",
    "Area": "区域：代码、名称、类别和上级区域代码。",
    "Enterprise": "两新组织（单位）的登记信息，以及今天是否规模以上、党员数和覆盖状态。",
    "Organization": "党组织及其今天覆盖的单位。",
    "Member": "党员。身份证号码和联系电话读取时脱敏，出生日期只显示年份。",
    "MemberTransfer": "组织关系转接：转入的党组织 `organization`、转接日期 `on`，可同时变更工作单位 `enterprise`。",
    "MemberConfirm": "转正日期 `on`。",
    "MemberExtendProbation": "延长后的预备期截止日期 `until`。",
    "MemberHistory": "党员的历史记录，每一类按时间先后排列；`end` 不含当日，null 表示至今。",
    "MembershipSpan": "一段组织关系：所在党组织、起止日期、怎样开始和怎样结束。",
    "EmploymentSpan": "一段工作单位记录。",
    "CategorySpan": "一段党员类别（正式党员或预备党员）记录。",
    "MobilitySpan": "一段外出流动记录及流向。",
    "Instructor": "党建指导员。联系电话读取时脱敏。",
    "InstructorAssignment": "党建指导员选派：指导员、单位和起止日期（`end` 不含当日，null 表示至今）；创建后只能填 `end` 结束。",
    "Applicant": "发展党员：入党申请人、入党积极分子、发展对象及其各阶段日期。身份证号码和联系电话读取时脱敏，出生日期只显示年份。",
    "ApplicantAdvance": "进入的下一阶段 `stage` 和日期 `on`。",
    "InstructorVisit": "党建指导员的一次走访或指导：指导员、单位、走访日期、类型、走访内容和发现的问题。",
    "EnterpriseRequestRecord": "单位的一条诉求：单位、经办指导员、受理日期、类别、内容，办结日期和办理结果（未办结时为 null）。",
    "RequestSummary": "一个季度的诉求办结率：受理数 `received`、其中到季末已办结数 `closed`、办结率 `percent`（没有受理时为 null）。",
    "ImportUpload": "上传的 .xlsx 文件 `file`，以及是否只校验不写入 `dry_run`（默认 true）。",
    "ImportResult": (
        "导入结果：`summary` 各类行数，`rows` 每一行将新增、修改还是不变及字段变化，`errors` 全部问题；"
        "有问题时不写入任何内容（`applied` 为 false）。"
    ),
    "ImportJob": "后台导入任务：`status` 状态、`progress` 进度（0–100），完成后 `result` 为导入结果，失败时 `error` 为原因。",
    "TokenRequest": "账号和密码。",
    "TokenResponse": "接口令牌，放在请求头 `Authorization: Token <令牌>` 中。",
}
PAGINATED = "分页列表：`count` 总条数，`next`、`previous` 为下一页和上一页的地址（没有时为 null），`results` 为本页记录。"
# Parameters drf-spectacular leaves without a description (the format suffix, path ids, plain filters).
PARAMETERS = {
    "format": "返回格式：`json`（默认），或 `csv`、`xlsx` 下载为文件。",
    "id": "记录 id。",
    "code": "区域代码。",
    "year": "年度，如 2026。",
    "enterprise": "单位 id。",
    "instructor": "党建指导员 id。",
}
TOKEN_AUTH = "请求头 `Authorization: Token <令牌>`；令牌用 `POST /api/v1/auth/token/` 获取。"
SESSION_AUTH = "登录网页后浏览器保存的会话：在本页试用接口时使用；程序调用请用令牌。"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def component_text(name: str) -> str | None:
    if name.startswith("Paginated") and name.endswith("List"):
        return PAGINATED
    base = name.removeprefix("Patched").removesuffix("Request")
    return COMPONENTS.get(base)


def client_texts(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS): the schema speaks to a client, in Chinese.

    Objects get the texts above; a description taken from code that has no Chinese in it (a developer's docstring)
    is dropped rather than shown. Parameters without a description get one; list examples are shown as one page."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        text = component_text(name)
        if text:
            schema["description"] = text
        elif not CHINESE.search(schema.get("description", "")):
            schema.pop("description", None)
    for scheme in result.get("components", {}).get("securitySchemes", {}).values():
        scheme["description"] = TOKEN_AUTH if scheme.get("in") == "header" else SESSION_AUTH
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if not parameter.get("description") and parameter["name"] in PARAMETERS:
                    parameter["description"] = PARAMETERS[parameter["name"]]
            for response in operation.get("responses", {}).values():
                for content in response.get("content", {}).values():
                    for example in content.get("examples", {}).values():
                        _one_page(example.get("value"))
    return result


def _one_page(value) -> None:
    """drf-spectacular wraps a list example in DRF's sample page ("count": 123, "next": ".../accounts/?page=4");
    show it as the only page it is."""
    if isinstance(value, dict) and isinstance(value.get("results"), list) and "next" in value:
        value.update(count=len(value["results"]), next=None, previous=None)
