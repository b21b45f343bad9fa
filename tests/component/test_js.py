"""The JavaScript example built with componentize-js (skipped unless componentize-js is installed:
``npm install`` in examples/js-json-enrich). Slow: an npm build is 25-100 s and compiling the
12 MB component another 10-40 s on 2 cores."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from dataflare_provider.errors import ForbiddenImportError

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "examples" / "js-json-enrich"
HAVE_JS = (JS / "node_modules" / ".bin" / "componentize-js").exists() or shutil.which(
    "componentize-js"
) is not None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_JS, reason="componentize-js is not installed (npm install)"),
]

CONFIG = {"upper": ["name"], "add": {"source": "crm"}, "drop_if_missing": "email"}


@pytest.fixture(scope="module")
def js_plugin(component_build_dir: Path, component_cache):  # type: ignore[no-untyped-def]
    from dataflare_provider.runtime.component import ComponentPlugin
    from dataflare_provider.runtime.component.build import build_js_plugin

    out = component_build_dir / "js-json-enrich.wasm"
    build_js_plugin(JS / "plugin.js", out)
    return ComponentPlugin.from_file(out, name="js-json-enrich", cache=component_cache)


def test_js_example_matches_the_python_example(js_plugin) -> None:  # type: ignore[no-untyped-def]
    from dataflare_provider.runtime.component.local import LocalProcessor

    sys.path.insert(0, str(ROOT / "examples" / "python-json-enrich" / "src"))
    try:
        from json_enrich import JsonEnrich  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    batch = pa.record_batch(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "name": ["ada", "bob", "eve"],
            "email": ["a@x.org", None, "e@x.org"],
            "score": [1.5, 2.25, None],
        }
    )
    with js_plugin.instantiate(CONFIG) as inst:
        got = inst.process(batch)
    want = LocalProcessor(JsonEnrich(), CONFIG).process(batch)
    assert got.output is not None and got.output.equals(want.output)


def test_js_with_fetch_enabled_is_refused(tmp_path: Path) -> None:
    """componentize-js's default build imports wasi:http (for fetch): outside the sandbox."""
    import subprocess

    from dataflare_provider.runtime.component import ComponentPlugin
    from dataflare_provider.runtime.component.build import componentize_js
    from dataflare_provider.runtime.component.wit import WIT_DIR

    out = tmp_path / "with-http.wasm"
    subprocess.run(
        [*componentize_js(JS / "node_modules"), str(JS / "plugin.js"), "--wit", str(WIT_DIR),
         "--world-name", "processor", "-o", str(out)],
        check=True, capture_output=True, cwd=JS, timeout=900,
    )  # fmt: skip
    with pytest.raises(ForbiddenImportError, match="wasi:http/"):
        ComponentPlugin.from_file(out, name="with-http")
