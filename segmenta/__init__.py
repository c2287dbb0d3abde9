"""Segmenta: clinical software for practitioners of neural therapy."""
