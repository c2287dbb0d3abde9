import json

from django.core.management.base import BaseCommand

from segmenta.caseio import read_case
from segmenta.knowledge.base import load
from segmenta.treatment.huneke import classify


class Command(BaseCommand):
    help = "Classify the test injections of a case: local, huneke, confirmed, partial or negative."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="a case file, or - for standard input")

    def handle(self, *args, file, **options):
        self.stdout.write(json.dumps(classify(read_case(file), load()), indent=2, ensure_ascii=False))
