"""The dataset layer: :class:`~antq_core.Dataset`, its column store, its native JSON document.

Also the built-in catalog and sample, the crosswalk between geographies, and the
row-key and overlap kernels that aggregation and validation share.
"""
