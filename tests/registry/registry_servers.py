"""Real registry servers for tests: Debian's ``docker-registry`` (CNCF distribution 2.8) on
127.0.0.1, with no auth, htpasswd Basic auth, or token auth backed by :class:`TokenServer`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import bcrypt
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"
SERVICE = "dataflare-test-registry"
ISSUER = "dataflare-test-issuer"
USERS = {"alice": "wonderland-42", "bob": "builder-7"}  # the test registries' accounts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class RegistryServer:
    """A running docker-registry; ``name`` is ``127.0.0.1:PORT``."""

    name: str
    url: str
    root: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def storage_blob(self, digest: str) -> Path:
        hexd = digest.split(":", 1)[1]
        return (self.root / "storage" / "docker" / "registry" / "v2" / "blobs" / "sha256"
                / hexd[:2] / hexd / "data")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_registry(root: Path, auth_yaml: str = "") -> RegistryServer:
    """Start docker-registry with filesystem storage under ``root``; waits until it answers."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = root / "config.yml"
    config.write_text(f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root / 'storage'}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: {secrets.token_hex(16)}
{auth_yaml}""")
    log = root / "registry.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)], stdout=fh, stderr=fh,
                                stdin=subprocess.DEVNULL)
    server = RegistryServer(f"127.0.0.1:{port}", f"http://127.0.0.1:{port}", root, proc, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {log.read_text()}")
        try:
            httpx.get(f"{server.url}/v2/", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"docker-registry did not start: {log.read_text()}")


def htpasswd_yaml(root: Path, users: dict[str, str]) -> str:
    """An htpasswd file (bcrypt) and the registry config section pointing at it."""
    path = root / "htpasswd"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(
        f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=5)).decode()}\n"
        for u, p in users.items()
    ))
    return f"auth:\n  htpasswd:\n    realm: dataflare-test\n    path: {path}\n"


@dataclass
class TokenServer:
    """A token server signing ES256 JWTs (distribution's token spec) with an x5c header."""

    users: dict[str, str]
    root: Path
    expires_in: int = 300
    issued: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        self.cert = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.root.mkdir(parents=True, exist_ok=True)
        self.cert_path = self.root / "token-ca.pem"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def registry_yaml(self) -> str:
        return (f"auth:\n  token:\n    realm: {self.realm}\n    service: {SERVICE}\n"
                f"    issuer: {ISSUER}\n    rootcertbundle: {self.cert_path}\n")

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        q = parse_qs(urlparse(req.path).query)
        user = None
        header = req.headers.get("Authorization", "")
        if header.startswith("Basic "):
            u, _, p = base64.b64decode(header[6:]).decode().partition(":")
            if self.users.get(u) != p:
                req.send_response(401)
                req.end_headers()
                return
            user = u
        access = []
        for scope in q.get("scope", []):
            typ, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            granted = actions.split(",") if user else []
            access.append({"type": typ, "name": name, "actions": granted})
        token = self.sign(user or "", access)
        self.issued.append({"user": user, "access": access})
        body = json.dumps({"token": token, "access_token": token,
                           "expires_in": self.expires_in}).encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    def sign(self, subject: str, access: list[dict[str, object]]) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256",
                  "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER))
                          .decode()]}
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + self.expires_in,
                  "nbf": now - 1, "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = (_b64url(json.dumps(header).encode()) + "."
                         + _b64url(json.dumps(claims).encode()))
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
