"""Orders: sample data -> lowercase + derived cents -> filter (rejected rows as an asset) ->
totals per country, in memory through the IO manager; and the same plugins as a files -> files
chain over a directory of Parquet files.

    cd examples/dagster
    dagster definitions validate -m dataflare_example.orders
    dagster asset materialize --select '*' -m dataflare_example.orders
"""

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dataflare_example.plugins import (
    AGGREGATOR,
    BASIC_TRANSFORMER,
    ROW_FILTER,
    data_dir,
    example_plugins,
)
from dataflare_provider.dagster import (
    DataFlareResource,
    PluginSpec,
    wasm_transform_asset,
    wasm_transform_multi_asset,
)

ROWS = 20_000
COUNTRIES = ["DE", "FR", "US", "JP", "BR", "IN"]
NAMES = ["Ada Lovelace", "GRACE Hopper", "alan TURING", "Edsger Dijkstra", "Barbara LISKOV"]


def sample_orders(rows: int = ROWS, seed: int = 7) -> pa.Table:
    """Deterministic sample orders; about 2% have no amount (they end up in the dead letter)."""
    rng = np.random.default_rng(seed)
    amount = np.round(rng.gamma(2.0, 60.0, rows), 2)
    missing = rng.random(rows) < 0.02
    return pa.table(
        {
            "order_id": pa.array(np.arange(1, rows + 1), pa.int64()),
            "customer": pa.array([NAMES[i] for i in rng.integers(0, len(NAMES), rows)]),
            "country": pa.array([COUNTRIES[i] for i in rng.integers(0, len(COUNTRIES), rows)]),
            "amount": pa.array(amount, pa.float64(), mask=missing),
            "quantity": pa.array(rng.integers(1, 10, rows), pa.int32()),
        }
    )


@dg.asset(group_name="orders")
def orders_raw() -> pa.Table:
    """Sample orders, generated (no data files in the repository)."""
    return sample_orders()


orders_clean = wasm_transform_asset(
    BASIC_TRANSFORMER,
    name="orders_clean",
    config={
        "lowercase": ["customer"],
        "derive": [{"name": "amount_cents", "from": "amount", "multiply": 100}],
    },
    upstream=orders_raw,
    deps=[example_plugins],
    group_name="orders",
)

orders_valid = wasm_transform_multi_asset(
    ROW_FILTER,
    name="orders_valid",
    dead_letter_name="orders_rejected",
    config={"column": "amount", "op": ">", "value": 0},
    upstream=orders_clean,
    deps=[example_plugins],
    max_error_rate=0.05,
    group_name="orders",
)

order_totals = wasm_transform_asset(
    AGGREGATOR,
    name="order_totals",
    config={"group_by": "country", "sum": "amount_cents"},
    upstream=orders_valid,
    deps=[example_plugins],
    group_name="orders",
)


@dg.asset(group_name="orders_files")
def orders_files(context: dg.AssetExecutionContext) -> dg.MaterializeResult[None]:
    """The sample orders as a directory of four Parquet files."""
    root = data_dir() / "orders" / "raw"
    root.mkdir(parents=True, exist_ok=True)
    table = sample_orders()
    quarter = table.num_rows // 4
    for i in range(4):
        pq.write_table(table.slice(i * quarter, quarter), root / f"orders-{i}.parquet")
    context.log.info("wrote %d rows to %s", 4 * quarter, root)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(root))})


large_orders = wasm_transform_asset(
    [
        PluginSpec(BASIC_TRANSFORMER, {"lowercase": ["customer", "country"]}),
        PluginSpec(ROW_FILTER, {"column": "amount", "op": ">=", "value": 250}),
    ],
    name="large_orders",
    input=str(data_dir() / "orders" / "raw") + "/",
    output=str(data_dir() / "orders" / "large_orders.parquet"),
    dead_letter=str(data_dir() / "orders" / "large_orders_rejected.parquet"),
    deps=[orders_files, example_plugins],
    max_error_rate=0.05,
    group_name="orders_files",
)

defs = dg.Definitions(
    assets=[example_plugins, orders_raw, orders_clean, orders_valid, order_totals,
            orders_files, large_orders],
    resources={"dataflare": DataFlareResource(workers=2)},
    # One process for the whole run: each step is about a second of work, while a fresh step
    # process (the default multiprocess executor) costs several seconds of imports on 2 cores.
    executor=dg.in_process_executor,
)  # fmt: skip
