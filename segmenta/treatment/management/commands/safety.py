import json

from django.core.management.base import BaseCommand

from segmenta.caseio import read_case
from segmenta.knowledge.base import load
from segmenta.treatment.safety import check


class Command(BaseCommand):
    help = "Check a case's planned injections: dose limits, contraindications and scope of practice."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="a case file, or - for standard input")

    def handle(self, *args, file, **options):
        self.stdout.write(json.dumps(check(read_case(file), load()), indent=2, ensure_ascii=False))
