"""`segmenta clinic`: set up clinics and their first admins from the server's shell."""

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from segmenta.accounts.models import Clinic, Membership, PractitionerProfile, Role
from segmenta.audit.trail import record
from segmenta.knowledge import vocabulary
from segmenta.validators import jurisdiction_code


class Command(BaseCommand):
    help = "Create clinics and add members. A new user gets a random initial password, printed once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        create = sub.add_parser("create", help="create a clinic (and its first admin)")
        create.add_argument("name")
        create.add_argument("--admin", metavar="USERNAME", help="make USERNAME its clinic admin")
        create.add_argument("--jurisdiction", metavar="CODE", default="",
                            help="where the clinic practises: DE, AT, CH, ES, a US state as US-OR, …")
        add = sub.add_parser("add-member", help="add a user to a clinic with a role")
        add.add_argument("clinic", help="clinic name")
        add.add_argument("username")
        add.add_argument("role", choices=[r.value for r in Role])
        add.add_argument("--profession", choices=vocabulary.codes("profession"), default="",
                         help="a new user's profession, verified by you as the server operator")
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
                jurisdiction = _jurisdiction(options["jurisdiction"])
                if Clinic.objects.filter(name=name).exists():
                    raise CommandError(f"name: a clinic named {name!r} exists already", returncode=2)
                clinic = Clinic.objects.create(name=name, jurisdiction=jurisdiction)
                record("create", clinic=clinic, obj=clinic, detail={"via": "cli", "jurisdiction": jurisdiction})
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
            profile = PractitionerProfile(user=user)
            # The server operator who names a profession here vouches for it, as an
            # admin does on the members page.
            profile.set_licence(None, profession=profession, licence_number="", licence_jurisdiction="")
            profile.save()
            if profession:
                record("update", clinic=clinic, obj=profile,
                       detail={"username": username, "profession": ["", profession], "verified": True, "via": "cli"})
            self.stdout.write(f"created user {username!r}; initial password (shown once): {password}")
        member, created = Membership.objects.update_or_create(user=user, clinic=clinic, defaults={"role": role})
        record("create" if created else "update", clinic=clinic, obj=member,
               detail={"username": username, "role": role, "via": "cli"})
        self.stdout.write(f"{username} is {role} of {clinic.name!r}")


def _jurisdiction(value):
    """The code upper case ("de" means DE); empty stays empty (unknown)."""
    code = value.strip().upper()
    try:
        if code:
            jurisdiction_code(code)
    except ValidationError as error:
        raise CommandError(f"--jurisdiction: {value!r} is not a jurisdiction code; use a country code such as "
                           "DE, AT, CH or ES, or a US state as US-OR", returncode=2) from error
    return code
