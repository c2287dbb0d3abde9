"""FHIR R4: resources made from the chart, read and search under /fhir/r4/."""
