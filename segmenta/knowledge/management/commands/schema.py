import json

from django.core.management.base import BaseCommand

from segmenta import caseformat

SCHEMAS = {"case": caseformat.build_schema}


class Command(BaseCommand):
    help = "Print a published JSON Schema: `segmenta schema case`."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(SCHEMAS))

    def handle(self, *args, name, **options):
        self.stdout.write(json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False))
