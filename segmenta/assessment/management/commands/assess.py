import json

from django.core.management.base import BaseCommand

from segmenta.assessment.engine import assess
from segmenta.caseio import read_case
from segmenta.knowledge.base import load


class Command(BaseCommand):
    help = "Assess a case (segmenta-case/1): red flags first, then ranked candidate fields and targets."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="a case file, or - for standard input")

    def handle(self, *args, file, **options):
        self.stdout.write(json.dumps(assess(read_case(file), load()), indent=2, ensure_ascii=False))
