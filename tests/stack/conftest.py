"""Fixtures shared with the end-to-end tests (the real test model, assembled from PyPI parts)."""

from tests.e2e.conftest import test_model_path  # noqa: F401  (a fixture)
