# ImportJob moves here from reports (the Excel engine lives in registry/excel/). State only: the table
# reports_importjob is renamed to registry_importjob, rows kept, by reports.0009_move_import_job.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_constraint_messages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportJob",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("kind", models.CharField(max_length=20, verbose_name="数据类别")),
                        ("dry_run", models.BooleanField(default=True, verbose_name="仅预览")),
                        ("file", models.FileField(upload_to="imports/%Y/%m/", verbose_name="文件")),
                        (
                            "original_name",
                            models.CharField(blank=True, max_length=200, verbose_name="原文件名"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "排队中"),
                                    ("running", "处理中"),
                                    ("done", "已完成"),
                                    ("failed", "失败"),
                                ],
                                default="pending",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        ("progress", models.PositiveSmallIntegerField(default=0, verbose_name="进度")),
                        ("result", models.JSONField(blank=True, null=True, verbose_name="结果")),
                        ("error", models.TextField(blank=True, verbose_name="错误")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="提交时间")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "导入任务",
                        "verbose_name_plural": "导入任务",
                        "ordering": ["-created_at"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
