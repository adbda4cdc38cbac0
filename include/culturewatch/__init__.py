"""culturewatch: watch the cultural value alignment of LLMs, version after version."""

__version__ = "0.1.0"
