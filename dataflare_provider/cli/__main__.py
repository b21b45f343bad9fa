"""``python -m dataflare_provider.cli``."""

from dataflare_provider.cli import main

main()
