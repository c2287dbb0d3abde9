"""`segmenta retention report | purge --confirm`: charts past their retention period."""

import json

from django.core.management.base import BaseCommand, CommandError

from segmenta.knowledge import retention
from segmenta.patients import erasure

CLI_USER = "cli: segmenta retention purge"


class Command(BaseCommand):
    help = ("Charts past their retention period: `retention report` lists them (and those without a known "
            "period); `retention purge --confirm` deletes them and leaves a tombstone in the audit trail.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        report = sub.add_parser("report", help="charts past retention, and charts without a known period")
        report.add_argument("--json", action="store_true", help="as JSON")
        purge = sub.add_parser("purge", help="delete every chart past its retention period")
        purge.add_argument("--confirm", action="store_true",
                           help="required: purging deletes charts, their sessions, answers and uploads for good")

    def handle(self, *args, subcommand, **options):
        found = erasure.charts()
        if subcommand == "report":
            return self._report(found, options["json"])
        if not options["confirm"]:
            raise CommandError("--confirm: purging deletes charts for good; check `segmenta retention report`, "
                               "then run `segmenta retention purge --confirm`", returncode=2)
        self._purge(found)

    def _held(self, held):
        """Charts past their own period that are kept for what must be kept longer (issued
        invoices, by tax law): the invoice needs its patient and session, so the chart stays."""
        for chart in held:
            patient = chart["patient"]
            self.stdout.write(f"kept patient {patient.pk} of {patient.clinic.name} (record "
                              f"{patient.record_number or '-'}): past its chart's period, but {chart['held']['why']}; "
                              "the whole chart stays with them")

    def _report(self, found, as_json):
        past = [c for c in found if c["status"] == retention.PAST]
        unknown = [c for c in found if c["status"] == retention.NO_PERIOD]
        kept = len(found) - len(past) - len(unknown)
        if as_json:
            # Charts past their own period that a hold keeps (issued invoices) are counted as kept
            # and listed apart, with why.
            self.stdout.write(json.dumps({"past_retention": [_row(c) for c in past],
                                          "no_known_period": [_row(c) for c in unknown],
                                          "held": [_row(c) for c in found if c.get("held")],
                                          "kept": kept}, indent=2, ensure_ascii=False))
            return
        self.stdout.write("Retention periods:")
        seen = set()
        for chart in found:
            clinic = chart["patient"].clinic
            if clinic.pk not in seen:
                seen.add(clinic.pk)
                self.stdout.write(f"  {clinic.name} ({clinic.jurisdiction or 'no jurisdiction'}): "
                                  f"{erasure.explain(chart['period'], clinic.jurisdiction)}")
        self.stdout.write("")
        self.stdout.write(f"Past retention ({len(past)}; `segmenta retention purge --confirm` deletes them):")
        if past:
            self.stdout.write("clinic\trecord number\tpatient id\tlast treatment\tdue\trestricted")
        for chart in past:
            row = _row(chart)
            self.stdout.write("\t".join([row["clinic"], row["record_number"] or "-", str(row["patient"]),
                                         row["last_treatment"], row["due"], "yes" if row["restricted"] else "no"]))
        self.stdout.write("")
        self.stdout.write(f"Without a known retention period ({len(unknown)}; kept until the clinic sets one "
                          "under Clinic settings):")
        if unknown:
            self.stdout.write("clinic\trecord number\tpatient id\tlast treatment\twhy")
        for chart in unknown:
            row = _row(chart)
            self.stdout.write("\t".join([row["clinic"], row["record_number"] or "-", str(row["patient"]),
                                         row["last_treatment"], row["why"]]))
        self.stdout.write("")
        held = [c for c in found if c.get("held")]
        if held:
            self.stdout.write(f"Past the chart's period but kept for what must be kept longer ({len(held)}):")
            self._held(held)
            self.stdout.write("")
        self.stdout.write(f"{len(past)} past retention, {kept} within it, {len(unknown)} without a known period.")

    def _purge(self, found):
        past = [c for c in found if c["status"] == retention.PAST]
        failed = 0
        for chart in past:
            patient = chart["patient"]
            where = f"patient {patient.pk} of {patient.clinic.name} (record {patient.record_number or '-'})"
            try:
                done = erasure.purge(patient, erasure.RETENTION_ENDED, username=CLI_USER)
            except Exception as error:  # one chart that cannot go must not stop the others
                failed += 1
                self.stderr.write(f"{where}: not purged: {error}")
                continue
            self.stdout.write(f"purged {where}: last treatment {_last_treatment(chart)}, due {chart['due']}; "
                              f"{sum(done['deleted'].values())} rows, {done['versions']} versions, "
                              f"{done['files']} files")
        held = [c for c in found if c.get("held")]
        self._held(held)
        unknown = sum(1 for c in found if c["status"] == retention.NO_PERIOD)
        self.stdout.write(f"purged {len(past) - failed} chart(s) past retention; {unknown} chart(s) without a known "
                          f"period and {len(held)} with records kept longer (issued invoices) were kept "
                          "(see `segmenta retention report`).")
        if failed:
            raise CommandError(f"{failed} chart(s) could not be purged (see above)", returncode=1)


def _last_treatment(chart):
    return (chart["last_session"] or chart["last_entry"]).isoformat()


def _row(chart):
    patient = chart["patient"]
    return {"clinic": patient.clinic.name, "record_number": patient.record_number, "patient": patient.pk,
            "last_treatment": _last_treatment(chart), "counted_from": chart["from"].isoformat(),
            "due": chart["due"].isoformat() if chart["due"] else None, "restricted": patient.restricted,
            "years": chart["period"].years, "basis": chart["period"].basis,
            "held": chart["held"]["why"] if chart.get("held") else None,
            "why": erasure.explain(chart["period"], patient.clinic.jurisdiction)}
