"""OpenLineage facets of a run, when the ``apache-airflow-providers-openlineage`` is installed."""

from __future__ import annotations

from typing import Any

from dataflare_provider.pipeline import RunReport


def dataset_id(uri: str) -> tuple[str, str]:
    """OpenLineage (namespace, name) of a location: ``s3://bucket/key`` -> (``s3://bucket``,
    ``key``); a local path -> (``file``, path)."""
    if "://" not in uri:
        return "file", uri
    scheme, rest = uri.split("://", 1)
    if scheme in ("file", "local"):
        return "file", "/" + rest.lstrip("/")
    bucket, _, key = rest.partition("/")
    return f"{scheme}://{bucket}", key or "/"


def operator_lineage(report: RunReport | None, input_uri: str | None, output_uri: str) -> Any:
    """An ``OperatorLineage`` (inputs, outputs with row counts), or None without OpenLineage."""
    try:
        from airflow.providers.common.compat.openlineage.facet import (
            InputDataset,
            OutputDataset,
            OutputStatisticsOutputDatasetFacet,
        )
        from airflow.providers.openlineage.extractors import OperatorLineage
    except ImportError:
        return None
    if InputDataset is None:  # common.compat's placeholder when openlineage-python is missing
        return None
    inputs = [InputDataset(*dataset_id(input_uri))] if input_uri else []
    out_facets: dict[str, Any] = {}
    if report is not None:
        out_facets["outputStatistics"] = OutputStatisticsOutputDatasetFacet(
            rowCount=report.rows_out
        )
    outputs = [OutputDataset(*dataset_id(output_uri), outputFacets=out_facets)]
    if report is not None and report.dead_letter:
        dl_facets = {
            "outputStatistics": OutputStatisticsOutputDatasetFacet(rowCount=report.rows_error)
        }
        outputs.append(OutputDataset(*dataset_id(report.dead_letter), outputFacets=dl_facets))
    return OperatorLineage(inputs=inputs, outputs=outputs)
