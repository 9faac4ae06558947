"""hscourse: turn a human-security course kept as YAML into print-ready teaching material."""

__version__ = "0.1.0"
