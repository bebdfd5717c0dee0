"""The package version (one place: the package, summaries and run stores read it)."""

__version__ = "0.1.0"
