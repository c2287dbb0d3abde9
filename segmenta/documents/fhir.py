"""The patient's record as a FHIR Bundle, from the interoperability app's
``segmenta.interop.fhir.everything.everything(patient)`` (Patient/$everything). An
installation without it offers the PDF only."""

import importlib
import importlib.util

MODULE = "segmenta.interop.fhir.everything"


def available():
    try:
        return importlib.util.find_spec(MODULE) is not None
    except ModuleNotFoundError:
        return False


def bundle(patient):
    return importlib.import_module(MODULE).everything(patient)
