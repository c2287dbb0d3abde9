from segmenta.caseio import EngineCommand
from segmenta.treatment.huneke import classify


class Command(EngineCommand):
    help = "Classify the test injections of a case: local, huneke, confirmed, partial or negative."

    def engine(self, case, kb):
        return classify(case, kb)
