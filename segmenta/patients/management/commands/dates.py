"""`segmenta dates check`: stored dates outside the clinical range, to be corrected by a
clinician through the app's forms (this command changes nothing)."""

import json

from django.core.management.base import BaseCommand, CommandError

from segmenta.stored_dates import out_of_range


class Command(BaseCommand):
    help = ("Stored dates outside the clinical range (before 1900, or further ahead than a year; ten years for a "
            "product's expiry), stored before the app refused them. `dates check` lists every such row, one a "
            "line (exit 1 when it finds any, 0 when none); it changes nothing.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        check = sub.add_parser("check", help="list every row whose date or date-time lies outside the clinical range")
        check.add_argument("--json", action="store_true", help="as a JSON list")

    def handle(self, *args, subcommand, **options):
        found = out_of_range()
        if options["json"]:
            self.stdout.write(json.dumps(found))
        for row in [] if options["json"] else found:
            owner = f"  patient {row['patient']}" if row["patient"] is not None else ""
            self.stdout.write(f"{row['model']} {row['id']}  {row['field']} = {row['stored']}{owner}")
        if found:
            raise CommandError(f"{len(found)} stored date(s) outside the clinical range; a clinician corrects each "
                               "through the app (a chart entry or the patient's details: Edit; a draft session's time: "
                               "PATCH /api/v1/sessions/ID; a signed session: an amendment); nothing was changed")
        if not options["json"]:
            self.stdout.write("dates OK: every stored date lies within the clinical range")
