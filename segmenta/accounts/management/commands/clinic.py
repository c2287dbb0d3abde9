"""`segmenta clinic`: set up clinics and their first admins from the server's shell."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from segmenta.accounts.models import Clinic, Membership, PractitionerProfile, Role
from segmenta.audit.trail import record
from segmenta.knowledge import vocabulary


class Command(BaseCommand):
    help = "Create clinics and add members. A new user gets a random initial password, printed once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        create = sub.add_parser("create", help="create a clinic (and its first admin)")
        create.add_argument("name")
        create.add_argument("--admin", metavar="USERNAME", help="make USERNAME its clinic admin")
        add = sub.add_parser("add-member", help="add a user to a clinic with a role")
        add.add_argument("clinic", help="clinic name")
        add.add_argument("username")
        add.add_argument("role", choices=[r.value for r in Role])
        add.add_argument("--profession", choices=vocabulary.codes("profession"), default="")
        sub.add_parser("list", help="list clinics and their members")

    def handle(self, *args, subcommand, **options):
        if subcommand == "list":
            for clinic in Clinic.objects.prefetch_related("memberships__user"):
                self.stdout.write(clinic.name)
                for m in clinic.memberships.all():
                    self.stdout.write(f"  {m.user.username}  {m.role}")
            return
        with transaction.atomic():
            if subcommand == "create":
                name = options["name"].strip()
                if not name:
                    raise CommandError("name: must not be empty", returncode=2)
                if Clinic.objects.filter(name=name).exists():
                    raise CommandError(f"name: a clinic named {name!r} exists already", returncode=2)
                clinic = Clinic.objects.create(name=name)
                record("create", clinic=clinic, obj=clinic, detail={"via": "cli"})
                self.stdout.write(f"created clinic {name!r}")
                if options["admin"]:
                    self._add(clinic, options["admin"], Role.ADMIN, "")
            else:
                clinic = Clinic.objects.filter(name=options["clinic"]).first()
                if clinic is None:
                    raise CommandError(f"clinic: no clinic named {options['clinic']!r}", returncode=2)
                self._add(clinic, options["username"], options["role"], options["profession"])

    def _add(self, clinic, username, role, profession):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(username=username, password=password)
            PractitionerProfile.objects.create(user=user, profession=profession)
            self.stdout.write(f"created user {username!r}; initial password (shown once): {password}")
        member, created = Membership.objects.update_or_create(user=user, clinic=clinic, defaults={"role": role})
        record("create" if created else "update", clinic=clinic, obj=member,
               detail={"username": username, "role": role, "via": "cli"})
        self.stdout.write(f"{username} is {role} of {clinic.name!r}")
