"""Regression alerts: what to send (regressions mart + ledger + ack/mute state), how to word it
for each medium, and where (routing per model). Nothing here imports Airflow: the
Airflow notifiers that send an alert are in `culturewatch.orchestration.alert_notifiers`."""
