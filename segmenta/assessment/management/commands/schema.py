import json

from django.core.management.base import BaseCommand

from segmenta import caseformat
from segmenta.assessment import schema as assessment_schema

SCHEMAS = {"case": caseformat.build_schema, "assessment": assessment_schema.build_schema}


class Command(BaseCommand):
    help = "Print a published JSON Schema: `segmenta schema case` or `segmenta schema assessment`."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(SCHEMAS))

    def handle(self, *args, name, **options):
        self.stdout.write(json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False))
