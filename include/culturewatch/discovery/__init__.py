"""Discovery: which model versions the endpoints and the MLflow registry offer, and which are new.

`endpoints` polls OpenAI-compatible `/v1/models`, `registry` the MLflow model registry,
`sightings` appends every sighting to raw/versions/, `watch` decides what to probe.
"""
