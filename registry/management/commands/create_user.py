import os
import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry.choices import Role
from registry.services import create_user


class Command(BaseCommand):
    help = "Create a user with one role and one area (password from NEW_USER_PASSWORD, else generated and printed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--area", help="area code (required except for admin and instructor)")
        parser.add_argument("--instructor", type=int, help="the Instructor record's id (role instructor)")

    def handle(self, *args, username, role, area=None, instructor=None, **options):
        password = os.environ.get("NEW_USER_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        try:
            create_user(
                username=username, password=password, role=role, area_code=area, instructor_id=instructor
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"created {username} ({role}, area {area or '-'})")
        if generated:
            self.stdout.write(f"password: {password}")
