"""Knowledge base: sourced, versioned clinical data (vocabularies, anatomy, drug rules).

Clinical facts live in data files under ``data/``, never as literals in code.
"""
