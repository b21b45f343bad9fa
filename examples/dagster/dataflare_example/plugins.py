"""The example plugins and sample data locations shared by the example code locations.

``ensure_example_plugins()`` builds the C example plugins (``make -C examples``) and publishes them
to the local registry (``$DATAFLARE_HOME/registry``) unless they are already there. The
``example_plugins`` asset runs it, so ``dagster asset materialize --select '*'`` works on a fresh
machine; from a shell: ``python -m dataflare_example.plugins`` (in ``examples/dagster``).
"""

import os
from pathlib import Path

import dagster as dg

from dataflare_provider import examples
from dataflare_provider.registry import RegistryClient
from dataflare_provider.settings import dataflare_home

NAMES = ("basic-transformer", "row-filter", "streaming-aggregator")

BASIC_TRANSFORMER = "dataflare/basic-transformer:^1.0"
ROW_FILTER = "dataflare/row-filter:^1.0"
AGGREGATOR = "dataflare/streaming-aggregator:^1.0"


def data_dir() -> Path:
    """Where the examples write sample input and outputs: ``$DATAFLARE_EXAMPLE_DATA``, default
    ``$DATAFLARE_HOME/examples/dagster``."""
    env = os.environ.get("DATAFLARE_EXAMPLE_DATA")
    return Path(env) if env else dataflare_home() / "examples" / "dagster"


def ensure_example_plugins(client: RegistryClient | None = None) -> dict[str, str]:
    """Publish the example plugins that the local registry lacks (building them first);
    returns name -> manifest digest."""
    return examples.ensure_example_plugins(NAMES, client=client)


@dg.asset(group_name="setup", kinds={"wasm"})
def example_plugins(context: dg.AssetExecutionContext) -> dg.MaterializeResult[None]:
    """The C example plugins, built from source and published to the local registry if missing."""
    digests = ensure_example_plugins()
    for name, digest in digests.items():
        context.log.info("dataflare/%s:^1.0 -> %s", name, digest)
    return dg.MaterializeResult(
        metadata={f"dataflare/{name}": dg.MetadataValue.text(d) for name, d in digests.items()}
    )


if __name__ == "__main__":
    for plugin, digest in ensure_example_plugins().items():
        print(f"dataflare/{plugin}:^1.0  {digest}")
