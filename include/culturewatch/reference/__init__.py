"""Reference data shared by the probe and dbt: the countries and their prompt languages."""
