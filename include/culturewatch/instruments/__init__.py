"""Survey instruments as data (YAML), validated on load."""
