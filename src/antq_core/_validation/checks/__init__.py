"""The checks of validation, one module per family."""
