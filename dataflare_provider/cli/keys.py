"""``dataflare keys generate``: an ECDSA P-256 signing key pair for ``plugin publish --sign-key``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from dataflare_provider.cli.app import keys_app
from dataflare_provider.cli.registry import _errors, out
from dataflare_provider.registry.signing import generate_keypair, key_id, load_public_key


@keys_app.command("generate")
def generate(
    prefix: Annotated[Path, typer.Argument(help="Writes PREFIX.key and PREFIX.pub")] = Path(
        "dataflare"
    ),
    password_env: Annotated[
        str | None, typer.Option("--password-env", help="Encrypt the key with this env var's value")
    ] = None,
) -> None:
    """Generate a key pair (private key mode 0600; the .pub goes into trust policies)."""
    with _errors():
        pw = os.environ.get(password_env) if password_env else None
        key, pub = generate_keypair(prefix, pw)
    out.print(f"private key {key}\npublic key  {pub}\nkey id      {key_id(load_public_key(pub))}",
              highlight=False)
