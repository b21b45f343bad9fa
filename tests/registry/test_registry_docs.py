"""docs/taxonomy.md lists exactly the categories of the taxonomy module."""

from __future__ import annotations

import re
from pathlib import Path

from dataflare_provider.registry.taxonomy import CATEGORIES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_taxonomy_doc_in_step() -> None:
    text = (DOCS / "taxonomy.md").read_text()
    listed = set(re.findall(r"^\| `([a-z/]+)` \|", text, flags=re.M))
    assert listed == set(CATEGORIES)
