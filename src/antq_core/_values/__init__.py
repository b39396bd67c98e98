"""The values layer: periods, quantities and units, identifiers, geography, Vietnamese text.

Small frozen types that the entities are made of. Nothing here knows about a
dataset; every module imports only :mod:`antq_core.errors` and its siblings.
"""
