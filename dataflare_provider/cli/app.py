"""The Typer applications every CLI module registers its commands on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="dataflare",
    help="Run, build and publish sandboxed WebAssembly data plugins.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
plugin_app = typer.Typer(help="Build, test, inspect and publish plugins.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
app.add_typer(plugin_app, name="plugin")
app.add_typer(keys_app, name="keys")
