"""akeneo-sync: export an Akeneo PIM catalog to files and databases, and keep it in sync."""

__version__ = "0.1.0"

__all__ = ["__version__"]
