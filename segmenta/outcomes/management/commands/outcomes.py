import json

from django.core.management.base import BaseCommand, CommandError

from segmenta.accounts.models import Clinic
from segmenta.outcomes import aggregates
from segmenta.outcomes.summary import summary
from segmenta.replica import reports_from_replica


class Command(BaseCommand):
    help = ("The practice's outcomes: `segmenta outcomes summary --json [--clinic NAME]`; "
            "`segmenta outcomes rebuild` recomputes the figures kept per complaint and patient from every session.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        summary_parser = sub.add_parser("summary", help="responder proportions with 95 % Wilson intervals")
        summary_parser.add_argument("--json", action="store_true", required=True, help="as JSON")
        summary_parser.add_argument("--clinic", help="one clinic by name (default: all)")
        sub.add_parser("rebuild", help="recompute the kept figures from every session")

    def handle(self, *args, subcommand, clinic=None, **options):
        if subcommand == "rebuild":
            complaints, patients = aggregates.rebuild()
            self.stdout.write(f"rebuilt the practice outcomes: {complaints} complaints, {patients} patients")
            return
        clinics = Clinic.objects.all()
        if clinic:
            clinics = clinics.filter(name=clinic)
            if not clinics.exists():
                raise CommandError(f"--clinic: no clinic named {clinic!r}", returncode=2)
        with reports_from_replica():
            result = summary(clinics)
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
