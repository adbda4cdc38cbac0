"""Airflow Assets connecting the DAGs, declared once."""

from airflow.sdk import Asset

RAW_RESPONSES = Asset(name="culturewatch_raw_responses", uri="culturewatch://raw/responses")
MARTS = Asset(name="culturewatch_marts", uri="culturewatch://warehouse/marts")
