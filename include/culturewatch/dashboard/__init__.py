"""The Alignment view of the Airflow UI: queries on the marts, server-rendered HTML and SVG."""
