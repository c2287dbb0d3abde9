import json

from django.core.management.base import BaseCommand, CommandError

from segmenta.caseio import read_json
from segmenta.outcomes.scoring import ScoreError, score, series


class Command(BaseCommand):
    help = ("Score a questionnaire: `segmenta score INSTRUMENT FILE` (a FHIR QuestionnaireResponse or "
            '{"answers": [...]}), or a series: `segmenta score INSTRUMENT --series FILE` ({"values": [...]}).')

    def add_arguments(self, parser):
        parser.add_argument("instrument", metavar="INSTRUMENT", help="nrs-11, pgic, psfs, phq-9, gad-7")
        parser.add_argument("file", metavar="FILE", nargs="?", help="answers, or - for standard input")
        parser.add_argument("--series", metavar="FILE", dest="series_file",
                            help="a series of scores, or - for standard input")

    def handle(self, *args, instrument, file, series_file, **options):
        path = series_file or file
        if not path:
            raise CommandError("FILE: give a file of answers or --series FILE", returncode=2)
        data = read_json(path)
        try:
            result = series(instrument, data) if series_file else score(instrument, data)
        except ScoreError as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
