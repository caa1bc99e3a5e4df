"""The documented dtype of every outcome column (docs/results-format.md), for typed tables: Parquet, DataFrames.

The outcome rows are written as text (``outcomes.csv``, where a blank is a missing value); these
tables say what each column holds, so that a reader gets ``entry_period`` as an integer column
with missing values, not floats or strings.
"""

from __future__ import annotations

from negsim.scenario.schema import FRONTS

#: outcome columns by dtype (docs/results-format.md); a front's ``<front>_agreed`` / ``_survived`` are boolean
BOOLEAN = (
    "reached", "complete", "holdout_bought_off", "ratified", "ratification_holdout_paid", "in_force", "survived",
    "breach_seen", "breach_chosen",
)  # fmt: skip
INTEGER = (
    "replicate", "seed", "point", "rounds", "issues_agreed", "pacts_signed", "entry_period", "pacts_in_force",
    "pacts_surviving", "breakdown_period", "violations_detected", "violations_undetected", "breaches_chosen",
    "breach_period", "incidents", "subversions",
)  # fmt: skip
FLOAT = (
    "holdout_demand", "holdout_price", "ratification_holdout_demand", "ratification_holdout_periods", "talks_months",
    "entry_month", "final_trust",
)  # fmt: skip
#: each front's ``<front>_agreed`` and ``<front>_survived``
FRONT_COLUMNS = frozenset(f"{f}_{what}" for f in FRONTS for what in ("agreed", "survived"))
#: causes and rules: few values each, so categoricals
CATEGORY = (
    "end_cause", "veto_rule", "veto_reason", "walkout_cause", "holdout_how", "breakdown_cause", "breakdown_reason",
    "breach_followed",
)  # fmt: skip


def dtype(column: str) -> str:
    """The column's dtype: ``boolean``, ``Int64``, ``Float64``, ``category`` or ``string`` (pandas' nullable names)."""
    if column in BOOLEAN or column in FRONT_COLUMNS:
        return "boolean"
    if column in INTEGER:
        return "Int64"
    if column in FLOAT:
        return "Float64"
    if column in CATEGORY:
        return "category"
    return "string"


def arrow_type(column: str):
    """The column's pyarrow type (``category``: dictionary-encoded strings)."""
    import pyarrow as pa

    return {
        "boolean": pa.bool_(),
        "Int64": pa.int64(),
        "Float64": pa.float64(),
        "category": pa.dictionary(pa.int32(), pa.string()),
        "string": pa.string(),
    }[dtype(column)]


def write_typed_parquet(csv_path, fh, params: tuple = ()) -> None:
    """An outcome CSV as Parquet with the documented types (``params``: a sweep's parameter columns, inferred)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    with open(csv_path, newline="") as src:
        header = src.readline().rstrip("\r\n").split(",")
    types = {c: arrow_type(c) for c in header if c not in params}
    dictionary = [c for c, t in types.items() if pa.types.is_dictionary(t)]
    plain = {c: (pa.string() if c in dictionary else t) for c, t in types.items()}
    opts = pacsv.ConvertOptions(column_types=plain, null_values=[""], strings_can_be_null=True,
                                true_values=["True"], false_values=["False"])  # fmt: skip
    table = pacsv.read_csv(csv_path, convert_options=opts)
    for c in dictionary:
        i = table.schema.get_field_index(c)
        table = table.set_column(i, c, table.column(c).dictionary_encode())
    pq.write_table(table, fh)
