import json

from django.core.management.base import BaseCommand, CommandError

from segmenta.accounts.models import Clinic
from segmenta.outcomes.summary import summary


class Command(BaseCommand):
    help = "The practice's outcomes: `segmenta outcomes summary --json [--clinic NAME]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        summary_parser = sub.add_parser("summary", help="responder proportions with 95 % Wilson intervals")
        summary_parser.add_argument("--json", action="store_true", required=True, help="as JSON")
        summary_parser.add_argument("--clinic", help="one clinic by name (default: all)")

    def handle(self, *args, subcommand, clinic=None, **options):
        clinics = Clinic.objects.all()
        if clinic:
            clinics = clinics.filter(name=clinic)
            if not clinics.exists():
                raise CommandError(f"--clinic: no clinic named {clinic!r}", returncode=2)
        self.stdout.write(json.dumps(summary(clinics), indent=2, ensure_ascii=False))
