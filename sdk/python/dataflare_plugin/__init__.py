"""DataFlare Python plugin SDK.

Write a processor as a plain class, test it with :func:`run_local`, build it into a WebAssembly
component with ``dataflare plugin build`` (componentize-py) and run it with the DataFlare host::

    from dataflare_plugin import Processor, Record, Error

    class Upper(Processor):
        def process(self, record: Record) -> Record | Error | None:
            doc = record.json()
            doc["name"] = doc["name"].upper()
            return record.with_json(doc)

``process`` returns a :class:`Record` (success), :class:`Error` (the record goes to the
dead-letter output), or ``None``/:data:`SKIP` (the record is dropped); an exception is an
:class:`Error` with its message. Override ``process_batch`` to work on a whole batch at once.
"""

from dataflare_plugin.local import run_local, run_local_source
from dataflare_plugin.plugin import Destination, Processor, Source
from dataflare_plugin.types import SKIP, Error, Record, Result, Skip
from dataflare_plugin import log, metrics

__all__ = [
    "SKIP",
    "Destination",
    "Error",
    "Processor",
    "Record",
    "Result",
    "Skip",
    "Source",
    "log",
    "metrics",
    "run_local",
    "run_local_source",
]
