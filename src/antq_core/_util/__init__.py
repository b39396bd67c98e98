"""Helpers every layer may use: optional extras, progress reporting, bundled data files.

Nothing here knows about the domain.
"""
