"""Interoperability: FHIR R4 exchange with the clinic's EHR."""
