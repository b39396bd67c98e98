"""Testing helpers for applications that use antq_core.

The helpers live in submodules, each with its own ``__all__``:

- :mod:`antq_core.testing.strategies`: Hypothesis strategies that generate
  valid periods, quantities, gazetteers, entities and whole datasets. It needs
  the ``testing`` extra (``pip install antq_core[testing]``), which installs
  Hypothesis.

This package itself exports nothing, so importing it never imports Hypothesis.
"""

__all__: list[str] = []
