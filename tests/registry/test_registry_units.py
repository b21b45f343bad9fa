"""References, plugin.toml, config validation, scanning, signing payloads and the trust policy."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from registry_wasm import abi_module, write_plugin

from dataflare_provider.errors import PluginConfigError
from dataflare_provider.registry.errors import (
    InvalidReferenceError,
    InvalidSignatureError,
    ManifestError,
    ScanError,
    UnsignedPluginError,
    UntrustedSignatureError,
)
from dataflare_provider.registry.manifest import PluginManifest, load_manifest, validate_config
from dataflare_provider.registry.reference import parse_reference, signature_tag
from dataflare_provider.registry.scan import scan_module
from dataflare_provider.registry.signing import (
    Signature,
    generate_keypair,
    key_id,
    load_private_key,
    parse_payload,
    sign_payload,
    simple_signing_payload,
    verify_payload,
)
from dataflare_provider.registry.trust import TrustPolicy, verify_signatures

DIGEST = "sha256:" + "ab" * 32


# --- references ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expect"), [
    ("dataflare/json-flatten", (None, "dataflare", "json-flatten", None, None, None)),
    ("dataflare/json-flatten:1.2.3", (None, "dataflare", "json-flatten", "1.2.3", None, None)),
    ("dataflare/json-flatten:^1.2", (None, "dataflare", "json-flatten", None, "^1.2", None)),
    ("dataflare/json-flatten:>=1,<2", (None, "dataflare", "json-flatten", None, ">=1,<2", None)),
    (f"dataflare/json-flatten@{DIGEST}", (None, "dataflare", "json-flatten", None, None, DIGEST)),
    ("127.0.0.1:5000/dataflare/x:~1.4.0", ("127.0.0.1:5000", "dataflare", "x", None, "~1.4.0", None)),
    ("registry.example.com/acme/team/x:1.0.0",
     ("registry.example.com", "acme/team", "x", "1.0.0", None, None)),
    ("localhost/acme/x", ("localhost", "acme", "x", None, None, None)),
    ("oci://ghcr.io/acme/x:latest", ("ghcr.io", "acme", "x", None, "latest", None)),
])
def test_parse_reference(text: str, expect: tuple[str | None, ...]) -> None:
    r = parse_reference(text)
    assert (r.registry, r.namespace, r.name, r.version, r.range, r.digest) == expect
    assert parse_reference(str(r)) == r


def test_default_registry_and_signature_tag() -> None:
    r = parse_reference("dataflare/x:^1", default_registry="127.0.0.1:5000")
    assert r.registry == "127.0.0.1:5000" and str(r) == "127.0.0.1:5000/dataflare/x:^1"
    assert parse_reference("reg.io/a/x", "127.0.0.1:5000").registry == "reg.io"
    assert signature_tag(DIGEST) == "sha256-" + "ab" * 32 + ".sig"


@pytest.mark.parametrize(("text", "needle"), [
    ("json-flatten", "namespace and a name"),
    ("Dataflare/x", "'Dataflare'"),
    ("dataflare/x@sha256:1234", "invalid digest"),
    ("dataflare/x:^banana", "invalid version range"),
    ("", "empty"),
])
def test_bad_references(text: str, needle: str) -> None:
    with pytest.raises(InvalidReferenceError, match=needle.replace("^", r"\^")):
        parse_reference(text)


# --- plugin.toml ---------------------------------------------------------------------------------

def test_manifest_load_and_schema(tmp_path: Path) -> None:
    _, toml = write_plugin(tmp_path, "json-flatten", "1.2.3",
                           requires={"dataflare/csv-decode": "^1"})
    m = load_manifest(toml)
    assert (m.namespace, m.name, m.version, m.kind) == ("dataflare", "json-flatten", "1.2.3",
                                                       "processor")
    assert m.requires == {"dataflare/csv-decode": "^1"}
    assert PluginManifest.from_json(m.to_json()) == m
    schema = PluginManifest.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    import tomllib

    jsonschema.validate(tomllib.loads(toml.read_text()), schema)  # the file validates too
    assert "kind" in schema["required"] and "config_schema" in schema["properties"]


@pytest.mark.parametrize(("extra", "needle"), [
    ('version = "1.2"', "version"),
    ('kind = "transformer"', "kind"),
    ('categories = ["processors/teleport"]', "unknown category"),
    ('categories = ["sinks/encode/json"]', "does not fit kind"),
    ('colour = "blue"', "colour"),
    ('capabilities = ["sockets"]', "capabilities"),
])
def test_manifest_errors_name_the_field(tmp_path: Path, extra: str, needle: str) -> None:
    base = 'namespace = "dataflare"\nname = "x"\nversion = "1.0.0"\nkind = "processor"\n'
    key = extra.split(" =")[0]
    text = "\n".join(line for line in base.splitlines() if not line.startswith(key + " "))
    (tmp_path / "plugin.toml").write_text(text + "\n" + extra + "\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(tmp_path / "plugin.toml")
    assert needle in str(err.value) and "plugin.toml" in str(err.value)


def test_bad_config_schema_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(
        'namespace = "d"\nname = "x"\nversion = "1.0.0"\nkind = "sink"\n'
        '[config_schema]\ntype = "no-such-type"\n')
    with pytest.raises(ManifestError, match="config_schema is not a valid JSON Schema"):
        load_manifest(tmp_path / "plugin.toml")
    with pytest.raises(ManifestError, match="does not exist"):
        load_manifest(tmp_path / "nope.toml")


def test_validate_config(tmp_path: Path) -> None:
    m = load_manifest(write_plugin(tmp_path, "x", "1.0.0")[1])
    validate_config(m, {"separator": "."})
    validate_config(m, {})
    with pytest.raises(PluginConfigError) as err:
        validate_config(m, {"separator": 3, "bogus": True})
    msg = str(err.value)
    assert "$.separator: 3 is not of type 'string'" in msg and "'bogus' was unexpected" in msg


# --- scanning ------------------------------------------------------------------------------------

def _manifest(kind: str = "processor", caps: tuple[str, ...] = (), memory_mb: int = 16,
              abi: str = "dataflare-abi 1") -> PluginManifest:
    return PluginManifest(namespace="d", name="x", version="1.0.0", kind=kind,  # type: ignore[arg-type]
                          capabilities=list(caps), limits={"memory_mb": memory_mb},  # type: ignore[arg-type]
                          abi=abi)  # type: ignore[arg-type]


def test_scan_good_module() -> None:
    report = scan_module(abi_module(), _manifest())
    assert report.ok, report.findings
    assert report.facts is not None and "dataflare_process" in report.facts.exports
    source = scan_module(abi_module("source"), _manifest("source"))
    assert source.ok, source.findings


@pytest.mark.parametrize(("wasm_kw", "manifest_kw", "needle"), [
    ({"drop_exports": ("dataflare_alloc",)}, {}, "missing export 'dataflare_alloc'"),
    ({}, {"kind": "source"}, "kind 'source' needs export 'dataflare_read'"),
    ({"imports": (("env", "system"),)}, {}, "env.system"),
    ({"imports": (("dataflare", "log"),)}, {}, "does not declare capability 'log'"),
    ({"imports": (("wasi_snapshot_preview1", "fd_write"),)}, {"caps": ("log",)},
     "signature"),  # fd_write with the wrong signature is a sandbox violation
    ({"pages": 300}, {"memory_mb": 16}, "exceeds limits.memory_mb=16"),
])
def test_scan_findings(wasm_kw: dict[str, object], manifest_kw: dict[str, object],
                       needle: str) -> None:
    report = scan_module(abi_module(**wasm_kw), _manifest(**manifest_kw))  # type: ignore[arg-type]
    assert not report.ok
    text = "; ".join(f.message for f in report.errors)
    assert needle in text or needle == "signature", text
    with pytest.raises(ScanError):
        report.raise_for_errors("d/x:1.0.0")


def test_scan_declared_capability_passes() -> None:
    report = scan_module(abi_module(imports=(("dataflare", "log"),)), _manifest(caps=("log",)))
    assert report.ok, report.findings


def test_scan_rejects_garbage_size_and_kind_mismatch() -> None:
    assert not scan_module(b"not wasm at all", _manifest()).ok
    assert "over the 100 byte limit" in scan_module(abi_module(), _manifest(), max_size=100)\
        .errors[0].message
    comp = scan_module(abi_module(), _manifest(abi="dataflare:core@1.0.0"))
    assert "needs a component" in comp.errors[0].message
    truncated = abi_module()[:40]
    assert "does not validate" in scan_module(truncated, _manifest()).errors[0].message


# --- signing and trust ---------------------------------------------------------------------------

def test_payload_is_cosign_simple_signing(tmp_path: Path) -> None:
    key_path, _pub_path = generate_keypair(tmp_path / "k")
    assert (key_path.stat().st_mode & 0o777) == 0o600
    payload = simple_signing_payload("127.0.0.1:5000/dataflare/x", DIGEST)
    d = json.loads(payload)
    assert d == {"critical": {"identity": {"docker-reference": "127.0.0.1:5000/dataflare/x"},
                              "image": {"docker-manifest-digest": DIGEST},
                              "type": "cosign container image signature"},
                 "optional": None}
    key = load_private_key(key_path)
    sig = sign_payload(payload, key)
    assert verify_payload(payload, sig, key.public_key())
    assert not verify_payload(payload.replace(b"ab", b"cd"), sig, key.public_key())
    assert parse_payload(payload).manifest_digest == DIGEST


def test_encrypted_key(tmp_path: Path) -> None:
    key_path, _ = generate_keypair(tmp_path / "k", password="s3cret")
    load_private_key(key_path, "s3cret")
    from dataflare_provider.registry.errors import SigningKeyError

    with pytest.raises(SigningKeyError):
        load_private_key(key_path, "wrong")


def test_trust_policy(tmp_path: Path) -> None:
    good_key, _good_pub = generate_keypair(tmp_path / "good")
    other_key, _ = generate_keypair(tmp_path / "other")
    (tmp_path / "trust.toml").write_text(
        'require_signatures = true\n[[trust]]\nnamespaces = ["dataflare", "acme/*"]\n'
        'key = "good.pub"\n')
    policy = TrustPolicy.load(tmp_path / "trust.toml")
    assert len(policy.keys_for("dataflare")) == 1 and len(policy.keys_for("acme/etl")) == 1
    assert policy.keys_for("evil") == []

    def sig(key: Path, digest: str = DIGEST, repo: str = "dataflare/x") -> Signature:
        k = load_private_key(key)
        payload = simple_signing_payload(f"reg.io/{repo}", digest)
        return Signature(payload, sign_payload(payload, k), key_id(k.public_key()))

    ok = verify_signatures(policy, "dataflare/x:1", "dataflare", "dataflare/x", DIGEST,
                           [sig(other_key), sig(good_key)])
    assert ok.status == "verified"
    with pytest.raises(UnsignedPluginError):
        verify_signatures(policy, "dataflare/x:1", "dataflare", "dataflare/x", DIGEST, [])
    with pytest.raises(UntrustedSignatureError):
        verify_signatures(policy, "dataflare/x:1", "dataflare", "dataflare/x", DIGEST,
                          [sig(other_key)])
    with pytest.raises(InvalidSignatureError, match="is for sha256:"):
        verify_signatures(policy, "dataflare/x:1", "dataflare", "dataflare/x", DIGEST,
                          [sig(good_key, digest="sha256:" + "cd" * 32)])
    with pytest.raises(InvalidSignatureError, match="repository"):
        verify_signatures(policy, "dataflare/x:1", "dataflare", "dataflare/x", DIGEST,
                          [sig(good_key, repo="dataflare/other")])
    lax = TrustPolicy()
    assert verify_signatures(lax, "r", "dataflare", "dataflare/x", DIGEST, []).status == "unsigned"
    assert verify_signatures(lax, "r", "dataflare", "dataflare/x", DIGEST,
                             [sig(other_key)]).status == "unchecked"


# --- settings and lockfile -----------------------------------------------------------------------

def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from dataflare_provider.registry import RegistryClient, RegistrySettings

    monkeypatch.setenv("DATAFLARE_REGISTRY", "http://127.0.0.1:5999")
    monkeypatch.setenv("DATAFLARE_REGISTRY_USERNAME", "ci")
    monkeypatch.setenv("DATAFLARE_REGISTRY_PASSWORD", "pw")
    monkeypatch.setenv("DATAFLARE_NAMESPACE", "acme")
    monkeypatch.setenv("DATAFLARE_REQUIRE_SIGNATURES", "1")
    monkeypatch.setenv("DATAFLARE_LOCKFILE", str(tmp_path / "x.lock"))
    s = RegistrySettings.from_env(namespace="override")
    assert s.registry == "http://127.0.0.1:5999" and s.username == "ci"
    assert s.password is not None and s.password.get_secret_value() == "pw"
    assert "pw" not in repr(s)
    assert s.namespace == "override" and s.require_signatures is True
    client = RegistryClient()
    assert client.policy.require_signatures
    r = client.reference("json-flatten:^1")
    assert (r.registry, r.namespace, r.name, r.range) == ("127.0.0.1:5999", "acme",
                                                          "json-flatten", "^1")


def test_lockfile_errors(tmp_path: Path) -> None:
    from dataflare_provider.registry import Lockfile
    from dataflare_provider.registry.errors import LockfileError

    with pytest.raises(LockfileError, match="does not exist"):
        Lockfile.load(tmp_path / "none.lock")
    bad = tmp_path / "bad.lock"
    bad.write_text("version = 2\n")
    with pytest.raises(LockfileError, match="version 2"):
        Lockfile.load(bad)
    bad.write_text('version = 1\n[[package]]\nname = "a/b"\n')
    with pytest.raises(LockfileError, match="missing field"):
        Lockfile.load(bad)
    bad.write_text("version = [\n")
    with pytest.raises(LockfileError, match="not valid TOML"):
        Lockfile.load(bad)
