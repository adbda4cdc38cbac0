"""The raw response contract (docs/raw-data.md) as the one Arrow schema every writer and reader uses."""

from __future__ import annotations

import pyarrow as pa

RAW_RESPONSE_KEY: tuple[str, ...] = (
    "run_id",
    "instrument",
    "item_id",
    "country",
    "prompt_language",
    "style",
    "strategy",
    "variant",
    "trial",
)

RAW_RESPONSE_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("instrument", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("country", pa.string()),
        pa.field("prompt_language", pa.string(), nullable=False),
        pa.field("style", pa.string(), nullable=False),
        pa.field("strategy", pa.string(), nullable=False),
        pa.field("variant", pa.string(), nullable=False),
        pa.field("trial", pa.int32(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("response_text", pa.string()),
        pa.field("response_truncated", pa.bool_()),  # cut at the client's max_reply_bytes; null without text
        pa.field("answer", pa.float64()),
        pa.field("answer_probs", pa.list_(pa.float64())),
        pa.field("answer_method", pa.string(), nullable=False),
        pa.field("option_mass", pa.float64()),
        pa.field("parse_status", pa.string(), nullable=False),
        pa.field("requested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("instrument_version", pa.string(), nullable=False),
        pa.field("parser_version", pa.string(), nullable=False),
        pa.field("temperature", pa.float64(), nullable=False),
        pa.field("seed", pa.int64()),
        pa.field("max_tokens", pa.int32(), nullable=False),
        pa.field("latency_ms", pa.float64()),
        pa.field("prompt_tokens", pa.int32()),
        pa.field("completion_tokens", pa.int32()),
        pa.field("cache_hit", pa.bool_(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("response_language", pa.string()),
        pa.field("response_language_matches", pa.bool_()),
        pa.field("judge_model", pa.string()),
        pa.field("judge_response", pa.string()),
        # the trial whose request gave this row's answer (identical trials asked once); null: its own
        pa.field("answer_shared_from_trial", pa.int32()),
    ]
)

RAW_RESPONSE_COLUMNS: tuple[str, ...] = tuple(RAW_RESPONSE_SCHEMA.names)

RUN_EVENT_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("event", pa.string(), nullable=False),
        pa.field("instrument", pa.string()),
        pa.field("model", pa.string(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("base_url", pa.string(), nullable=False),
        pa.field("prompt_language", pa.string()),
        pa.field("cells_planned", pa.int64(), nullable=False),
        pa.field("cells_answered", pa.int64(), nullable=False),
        pa.field("requests_sent", pa.int64(), nullable=False),
        pa.field("prompt_tokens", pa.int64(), nullable=False),
        pa.field("completion_tokens", pa.int64(), nullable=False),
        pa.field("cost_usd", pa.float64()),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("message", pa.string()),
        # the Airflow DAG run that probed (`manual__…`, `probe__<run id>`, …); null outside Airflow
        pa.field("airflow_dag_run_id", pa.string()),
    ]
)

JUDGEMENT_KEY: tuple[str, ...] = (*RAW_RESPONSE_KEY, "respondent")

# LLM-as-judge stances (Rystrøm et al.): one row per hypothetical respondent of one
# "survey 10 people" reply, keyed to the raw response it judges (RAW_RESPONSE_KEY) plus the
# respondent's 0-based position in the judge's list. Written under raw/judgements/.
JUDGEMENT_SCHEMA = pa.schema(
    [
        *(RAW_RESPONSE_SCHEMA.field(name) for name in RAW_RESPONSE_KEY),
        pa.field("respondent", pa.int32(), nullable=False),
        pa.field("stance", pa.string(), nullable=False),
        pa.field("judge_model", pa.string(), nullable=False),
        pa.field("judge_version", pa.string(), nullable=False),
        pa.field("judge_prompt_version", pa.string(), nullable=False),
        pa.field("judged_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


# Data-quality verdicts on a run (append-only, raw/run_status/run_id=<run>/): the latest event
# of a run decides whether analysts and alerts see it. `quarantined` hides the run from every
# mart; `validated` and `released` (a quarantined run re-validated after a fix, or released by
# ops) publish it. Nothing is ever deleted: the raw answers stay for diagnosis.
RUN_STATUS_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # validated | quarantined | released
        pa.field("stage", pa.string(), nullable=False),  # raw | marts | manual
        pa.field("reason", pa.string()),
        pa.field("failed_expectations", pa.string()),  # JSON list: expectation, column, observed value
        pa.field("data_docs_url", pa.string()),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

# Model version sightings (discovery): one row per model version seen by one poll of an
# endpoint's /v1/models or of the MLflow registry, append-only, under raw/versions/.
VERSION_SIGHTING_SCHEMA = pa.schema(
    [
        pa.field("watch_id", pa.string(), nullable=False),  # the poll (watch DAG run id or CLI stamp)
        pa.field("sighted_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("source", pa.string(), nullable=False),  # `endpoint` | `mlflow`
        pa.field("location", pa.string(), nullable=False),  # base URL or registry URI (no credentials)
        pa.field("model", pa.string(), nullable=False),  # served model id or registered model name
        pa.field("model_version", pa.string(), nullable=False),  # the version identity
        pa.field("probe_model", pa.string()),  # the configured model it is probed as; null = not watched
        pa.field("aliases", pa.list_(pa.string())),  # registry aliases held at the sighting
        pa.field("details", pa.string()),  # JSON of what the source reported (identity fields)
    ]
)

# Alert ledger: one row per alert and channel once delivered (or suppressed by a mute),
# append-only, under alerts/ledger/. A delivery in the ledger is never sent again.
ALERT_LEDGER_SCHEMA = pa.schema(
    [
        pa.field("alert_id", pa.string(), nullable=False),  # `<kind>:<event id>`: version pair x metric
        pa.field("kind", pa.string(), nullable=False),  # `regression` | `recovered`
        pa.field("regression_id", pa.string(), nullable=False),  # the event id (alerts.events)
        pa.field("channel", pa.string(), nullable=False),  # `slack` | `email` | `webhook` | `*` (muted)
        pa.field("status", pa.string(), nullable=False),  # `sent` | `muted`
        pa.field("model", pa.string(), nullable=False),
        pa.field("previous_version", pa.string()),
        pa.field("version", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("country", pa.string()),
        pa.field("prompt_language", pa.string()),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("detail", pa.string()),  # recipients / mute reason
    ]
)

# Alert state set by ops (`culturewatch alerts ack|mute|unmute`), append-only, under alerts/state/.
ALERT_STATE_SCHEMA = pa.schema(
    [
        pa.field("action", pa.string(), nullable=False),  # `ack` | `mute` | `unmute`
        pa.field("target", pa.string(), nullable=False),  # alert id (ack) or model name (mute, unmute)
        pa.field("until", pa.timestamp("us", tz="UTC")),  # end of a mute
        pa.field("actor", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
