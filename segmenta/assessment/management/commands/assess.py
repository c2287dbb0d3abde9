from segmenta.assessment.engine import assess
from segmenta.caseio import EngineCommand


class Command(EngineCommand):
    help = "Assess a case (segmenta-case/1): red flags first, then ranked candidate fields and targets."

    def engine(self, case, kb):
        return assess(case, kb)
