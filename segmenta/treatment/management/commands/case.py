import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from segmenta.audit.trail import record
from segmenta.treatment.case import chart_queryset, patient_case


class Command(BaseCommand):
    help = "Print a stored patient in the case format (segmenta-case/1) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("patient_id", help="the patient's id")

    def handle(self, *args, patient_id, **options):
        if not patient_id.isdigit():
            raise CommandError(f"PATIENT_ID: {patient_id!r} is not a patient id (a positive number)", returncode=2)
        patient = chart_queryset().filter(pk=int(patient_id)).first()
        if patient is None:
            raise CommandError(f"PATIENT_ID: no patient with id {patient_id}", returncode=2)
        with transaction.atomic():
            case = patient_case(patient)
            record("export", patient=patient, obj=patient, detail={"format": "case", "via": "cli"})
        self.stdout.write(json.dumps(case, indent=2, ensure_ascii=False))
