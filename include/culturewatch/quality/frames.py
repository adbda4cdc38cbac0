"""The dataframes the checkpoints validate: a run's raw rows and what is derived from them (grid
cells, per-group rates, the files' physical schemas). A run's rows of each mart are
`culturewatch.marts.read_mart`.

Derivation is plain pandas/pyarrow and fast (a full grid of 28,800 rows in well under a second);
judging the frames is left to the expectation suites.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from culturewatch.quality.run_plan import RunPlan
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import parquet_files
from culturewatch.storage.schema import RAW_RESPONSE_KEY, RAW_RESPONSE_SCHEMA

SCALE_MIN = "expected_scale_min"
SCALE_MAX = "expected_scale_max"
RATE_GROUP = ("prompt_language", "style")


def type_name(data_type: pa.DataType) -> str:
    """An Arrow type as text, list element names left out (Parquet renames them)."""
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return f"list<{type_name(data_type.value_type)}>"
    return str(data_type)


@dataclass(frozen=True)
class RawRun:
    """A run's raw files as read from disk: the rows, and each file's physical schema."""

    table: pa.Table
    schemas: list[tuple[str, pa.Schema]]


def read_raw_run(paths: DataPaths, run_id: str, columns: list[str] | None = None) -> RawRun:
    """Every Parquet file of the run: each file's physical schema as written (footers only: a file
    that breaks the contract must be seen), and the rows of `columns` (default: all) of all files,
    read in one DuckDB scan (per-file reads cost ~3 ms a file; a full grid has 1,200 files)."""
    import duckdb

    store = paths.store
    files = parquet_files(paths.run_dir(run_id))
    if not files:
        empty = RAW_RESPONSE_SCHEMA.empty_table()
        return RawRun(empty.select(columns) if columns else empty, [])
    schemas = [(file.name, store.parquet_schema(file.path)) for file in files]
    wanted = columns or list(RAW_RESPONSE_SCHEMA.names)
    selected = ", ".join(f'"{column}"' for column in wanted)
    try:
        with store.duckdb() as con:
            table = con.sql(f"select {selected} from {store.read_parquet_sql(files)}").to_arrow_table()
    except duckdb.Error:  # a column missing everywhere, or types no union reconciles: read file by file
        tables = []
        for file in files:
            with store.fs.open_input_file(store.fs_path(file.path)) as source:
                tables.append(_cast_loosely(pq.read_table(source)))
        table = pa.concat_tables(tables, promote_options="permissive").select(wanted)
    return RawRun(table, schemas)


def _cast_loosely(table: pa.Table) -> pa.Table:
    columns = []
    for field in RAW_RESPONSE_SCHEMA:
        if field.name in table.column_names:
            try:
                columns.append(table.column(field.name).cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                columns.append(pa.nulls(table.num_rows, field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=RAW_RESPONSE_SCHEMA.with_metadata(None))


def files_frame(schemas: list[tuple[str, pa.Schema]]) -> pd.DataFrame:
    """One row per (file, column) of the contract or of the file: expected and observed type."""
    expected = {field.name: type_name(field.type) for field in RAW_RESPONSE_SCHEMA}
    rows = []
    for name, schema in schemas:
        observed = {field.name: type_name(field.type) for field in schema}
        for column in [*expected, *(c for c in observed if c not in expected)]:
            rows.append(
                {
                    "file": name,
                    "column": column,
                    "expected_type": expected.get(column),
                    "observed_type": observed.get(column),
                }
            )
    return pd.DataFrame(rows, columns=["file", "column", "expected_type", "observed_type"])


def rows_frame(table: pa.Table, plan: RunPlan) -> pd.DataFrame:
    """The raw rows, plus each row's expected answer scale (from the instrument, by item)."""
    frame = table.to_pandas()
    scales = plan.item_scales()
    if scales is None or "item_id" not in frame:
        frame[SCALE_MIN] = pd.Series(float("nan"), index=frame.index, dtype="float64")
        frame[SCALE_MAX] = pd.Series(float("nan"), index=frame.index, dtype="float64")
    else:
        frame[SCALE_MIN] = (
            frame["item_id"].map({item: low for item, (low, _) in scales.items()}).astype("float64")
        )
        frame[SCALE_MAX] = (
            frame["item_id"].map({item: high for item, (_, high) in scales.items()}).astype("float64")
        )
    return frame


def cells_frame(rows: pd.DataFrame, plan: RunPlan) -> pd.DataFrame:
    """One row per cell planned or found: the key, whether it was planned, how many rows it has."""
    key = list(RAW_RESPONSE_KEY)
    planned = pd.DataFrame([{"run_id": plan.run_id, **cell.__dict__} for cell in plan.cells], columns=key)
    planned["trial"] = planned["trial"].astype("int64")
    planned["planned"] = True
    present = [column for column in key if column in rows]
    if len(present) == len(key) and len(rows):
        found = rows[key].astype({"trial": "int64"}).groupby(key, dropna=False).size().rename("n_rows")
        found = found.reset_index()
    else:
        found = pd.DataFrame(columns=[*key, "n_rows"])
    for column in key:
        if column != "trial":
            planned[column] = planned[column].astype("object")
            found[column] = found[column].astype("object")
    found["trial"] = found["trial"].astype("int64")
    cells = planned.merge(found, on=key, how="outer")
    cells["planned"] = cells["planned"].eq(True)
    cells["n_rows"] = cells["n_rows"].fillna(0).astype("int64")
    return cells


def rates_frame(rows: pd.DataFrame, plan: RunPlan) -> pd.DataFrame:
    """One row per (prompt language, style) found: parse rate and reply-language rate with the
    model's thresholds for that group."""
    columns = [
        *RATE_GROUP,
        "n_rows",
        "n_ok",
        "parse_rate",
        "min_parse_rate",
        "n_language_identified",
        "language_match_rate",
        "min_language_match_rate",
    ]
    if not len(rows) or not set(RATE_GROUP) <= set(rows):
        return pd.DataFrame(columns=columns)
    work = pd.DataFrame(
        {
            "prompt_language": rows["prompt_language"],
            "style": rows["style"],
            "ok": rows["parse_status"].eq("ok"),
            "identified": rows["response_language_matches"].notna(),
            "matches": rows["response_language_matches"].eq(True),
        }
    )
    groups = work.groupby(list(RATE_GROUP)).agg(
        n_rows=("ok", "size"),
        n_ok=("ok", "sum"),
        n_language_identified=("identified", "sum"),
        n_matches=("matches", "sum"),
    )
    groups = groups.reset_index()
    groups["parse_rate"] = groups["n_ok"] / groups["n_rows"]
    thresholds = plan.quality
    groups["min_parse_rate"] = [
        thresholds.min_parse_rate_for(language, style)
        for language, style in zip(groups["prompt_language"], groups["style"], strict=True)
    ]
    identified = groups["n_language_identified"].where(groups["n_language_identified"] > 0)
    groups["language_match_rate"] = groups["n_matches"] / identified
    minimum = thresholds.min_response_language_match_rate
    groups["min_language_match_rate"] = float("nan") if minimum is None else minimum
    return groups[columns]
