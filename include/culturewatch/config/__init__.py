"""The typed run configuration (YAML): models to watch, the probe grid, client limits."""
