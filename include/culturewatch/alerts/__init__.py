"""Regression alerts: what to send (regressions mart + ledger + ack/mute state), how to word it
for each medium, and where (routing per model). Airflow notifiers are in `alerts.notifiers`
(the one module here that imports Airflow); everything else imports without it."""
