"""Create (or reset) the ``admin`` superuser for the demo: ``manage.py ensure_admin``."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Ensure a superuser named 'admin' exists. The password comes from DEMO_PASSWORD; without it a new "
        "account gets a generated password (printed once) and an existing one keeps its password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        password = os.environ.get("DEMO_PASSWORD", "")
        user = User.objects.filter(username=username).first()
        if user is not None:
            if not (user.is_superuser and user.is_staff and user.is_active):
                user.is_superuser = user.is_staff = user.is_active = True
                user.save(update_fields=["is_superuser", "is_staff", "is_active"])
            if password:
                user.set_password(password)
                user.save(update_fields=["password"])
                self.stdout.write(f"Superuser '{username}' exists; password set from DEMO_PASSWORD.")
            else:
                self.stdout.write(
                    f"Superuser '{username}' exists; password left unchanged (set DEMO_PASSWORD to reset it)."
                )
            return
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        if generated:
            self.stdout.write(self.style.SUCCESS(f"Created superuser '{username}' with password: {password}"))
            self.stdout.write("Keep it: it is not shown again (set DEMO_PASSWORD to choose one).")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Created superuser '{username}' (password from DEMO_PASSWORD).")
            )
