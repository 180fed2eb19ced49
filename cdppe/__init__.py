"""CDPPE: the annual cycle of the French child-protection contracts."""

__version__ = "0.1.0"
