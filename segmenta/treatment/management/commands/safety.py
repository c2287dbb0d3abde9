from segmenta.caseio import EngineCommand
from segmenta.treatment.safety import check


class Command(EngineCommand):
    help = "Check a case's planned injections: dose limits, contraindications and scope of practice."

    def engine(self, case, kb):
        return check(case, kb)
