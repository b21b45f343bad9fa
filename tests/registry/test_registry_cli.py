"""The registry CLI end to end (real local store, real docker-registry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_servers import RegistryServer
from registry_wasm import write_plugin
from typer.testing import CliRunner

import dataflare_provider.cli.keys
import dataflare_provider.cli.registry  # noqa: F401 - registers the commands
from dataflare_provider.cli.app import app

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


def test_schema_is_json_schema() -> None:
    schema = json.loads(run("plugin", "schema"))
    assert schema["title"] == "DataFlare plugin.toml"
    assert set(schema["required"]) >= {"namespace", "name", "version", "kind"}


def test_keys_publish_pull_verify_inspect_list_search(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert "key id" in run("keys", "generate", str(tmp_path / "k" / "team"))
    key, pub = tmp_path / "k" / "team.key", tmp_path / "k" / "team.pub"
    wasm, toml = write_plugin(tmp_path / "src", "cli-flatten", "1.3.0")
    out = run("plugin", "publish", str(wasm), "--manifest", str(toml), "--sign-key", str(key))
    assert "published dataflare/cli-flatten:1.3.0@sha256:" in out and "signed with key" in out
    policy = tmp_path / "trust.toml"
    policy.write_text(f'require_signatures = true\n[[trust]]\nnamespaces = ["dataflare"]\n'
                      f'key = "{pub}"\n')
    pulled = json.loads(run("plugin", "pull", "dataflare/cli-flatten:^1", "--trust-policy",
                            str(policy), "--json"))
    assert pulled["version"] == "1.3.0" and pulled["verification"]["status"] == "verified"
    assert Path(pulled["path"]).is_file()
    assert "verified by key" in run("plugin", "verify", "dataflare/cli-flatten:1.3.0",
                                    "--key", str(pub))
    other = tmp_path / "k" / "other"
    run("keys", "generate", str(other))
    err = run("plugin", "verify", "dataflare/cli-flatten:1.3.0", "--key", f"{other}.pub", code=1)
    assert "error:" in err and "not by a key trusted" in err
    info = run("plugin", "inspect", "dataflare/cli-flatten:1.3.0", "--trust-policy", str(policy))
    assert "scan:       ok" in info and "downloads:  1" in info and "verified" in info
    inspected_file = json.loads(run("plugin", "inspect", str(wasm), "-m", str(toml), "--json"))
    assert inspected_file["scan"]["ok"]
    listed = json.loads(run("plugin", "list", "--json"))
    assert [p["reference"] for p in listed] == ["dataflare/cli-flatten:1.3.0"]
    assert listed[0]["downloads"] == 1
    assert "cli-flatten" in run("plugin", "search", "flatten")
    assert "no plugins found" in run("plugin", "search", "flatten", "--kind", "source")
    # lock + lockfile-only pull
    assert "wrote" in run("lock", "dataflare/cli-flatten:^1")
    assert (tmp_path / "dataflare.lock").exists()
    assert "dataflare/cli-flatten 1.3.0 sha256:" in run("lock")  # re-lock the existing roots
    run("plugin", "pull", "dataflare/cli-flatten:^1", "--lockfile-only", "--allow-unsigned")
    err = run("plugin", "pull", "dataflare/other:^1", "--lockfile-only", code=1)
    assert "not in" in err and "lockfile-only" in err


def test_cli_errors_exit_codes(tmp_path: Path) -> None:
    err = run("plugin", "pull", "Bad/Ref", code=1)
    assert "error:" in err and "invalid path component" in err
    err = run("plugin", "pull", "dataflare/x:^1", "--registry", "http://127.0.0.1:9", code=75)
    assert "unavailable" in err


def test_cli_remote(tmp_path: Path, registry: RegistryServer) -> None:
    wasm, toml = write_plugin(tmp_path / "src", "cli-remote", "0.3.0", kind="source")
    run("plugin", "publish", str(wasm), "-m", str(toml), "--registry", registry.url)
    found = json.loads(run("plugin", "search", "--registry", registry.url, "--kind", "source",
                           "--category", "sources", "--refresh", "--json"))
    assert "dataflare/cli-remote" in [p["repository"] for p in found]
    out = run("plugin", "pull", f"{registry.name}/dataflare/cli-remote:~0.3", "--allow-unsigned")
    assert "version 0.3.0, signature: unsigned" in out


def test_dataflare_run_accepts_a_reference(tmp_path: Path, registry: RegistryServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`dataflare run REF`: pulled from a real registry, signature-checked under a strict policy
    given through the environment, then run over a Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import dataflare_provider.cli.run  # noqa: F401 - registers `run`

    run("keys", "generate", str(tmp_path / "k"))
    policy = tmp_path / "trust.toml"
    policy.write_text(f'require_signatures = true\n[[trust]]\nnamespaces = ["dataflare"]\n'
                      f'key = "{tmp_path / "k.pub"}"\n')
    example = Path(__file__).resolve().parents[2] / "examples" / "basic-transformer"
    built = example / "build" / "basic-transformer.wasm"
    if built.exists():
        wasm, toml, config, ref = (built, example / "plugin.toml", '{"lowercase": ["s"]}',
                                   "dataflare/basic-transformer:^1")
    else:
        wasm, toml = write_plugin(tmp_path / "src", "run-passthrough", "1.0.0")
        config, ref = "{}", "dataflare/run-passthrough:^1"
    run("plugin", "publish", str(wasm), "-m", str(toml), "-r", registry.url,
        "--sign-key", str(tmp_path / "k.key"))
    monkeypatch.setenv("DATAFLARE_REGISTRY", registry.url)
    monkeypatch.setenv("DATAFLARE_TRUST_POLICY", str(policy))
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"s": ["AbC", "dEf"], "n": pa.array([1, 2], pa.int64())}), src)
    out = tmp_path / "out.parquet"
    run("run", ref, "-i", str(src), "-o", str(out), "-c", config)
    result = pq.read_table(out)
    assert result.num_rows == 2
    if built.exists():
        assert result.column("s").to_pylist() == ["abc", "def"]
    # an unsigned plugin under the same policy is refused before anything runs
    wasm2, toml2 = write_plugin(tmp_path / "src2", "run-unsigned", "1.0.0")
    run("plugin", "publish", str(wasm2), "-m", str(toml2), "-r", registry.url)
    result2 = runner.invoke(app, ["run", "dataflare/run-unsigned:1.0.0", "-i", str(src), "-o",
                                  str(tmp_path / "never.parquet")])
    assert result2.exit_code == 1 and "has no signature" in " ".join(result2.output.split())
    assert not (tmp_path / "never.parquet").exists()
