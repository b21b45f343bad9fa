"""Test plugin: each record's JSON payload names an operation that probes the sandbox."""

from __future__ import annotations

import os
import sys
from typing import Any

from dataflare_plugin import Processor, Record, log, metrics


class Probe(Processor):
    def init(self, config: dict[str, Any]) -> None:
        if config.get("fail"):
            raise ValueError("probe refuses this config")
        self.stateful = bool(config.get("stateful"))
        self.seen = 0

    def process(self, record: Record) -> Any:
        self.seen += 1
        op = record.json()["op"] if record.payload.startswith(b'{"op"') else "echo"
        if op == "echo":
            return record
        if op == "skip":
            return None
        if op == "fail":
            raise RuntimeError("asked to fail")
        if op == "open":
            try:
                with open("/etc/passwd") as f:
                    return record.with_json({"op": op, "ok": True, "data": f.read(20)})
            except OSError as exc:
                return record.with_json({"op": op, "ok": False, "error": type(exc).__name__})
        if op == "listdir":
            try:
                return record.with_json({"op": op, "ok": True, "entries": os.listdir("/")})
            except OSError as exc:
                return record.with_json({"op": op, "ok": False, "error": type(exc).__name__})
        if op == "env":
            return record.with_json({"op": op, "env": dict(os.environ), "argv": sys.argv})
        if op == "connect":
            try:
                import socket

                socket.create_connection(("127.0.0.1", int(record.json()["port"])), timeout=2)
                return record.with_json({"op": op, "ok": True})
            except Exception as exc:
                return record.with_json({"op": op, "ok": False, "error": type(exc).__name__})
        if op == "print":
            print("hello from the guest")
            print("guest warning", file=sys.stderr)
            log.warn("guest log line")
            metrics.increment_counter("printed", 2)
            metrics.record_histogram("latency", 1.5)
            return record
        if op == "spin":
            while True:
                pass
        if op == "alloc":
            blob = bytearray(int(record.json()["mb"]) * 1024 * 1024)
            return record.with_json({"op": op, "size": len(blob)})
        if op == "work":
            total = 0
            for i in range(int(record.json()["n"])):
                total += i
            return record.with_json({"op": op, "total": total})
        return record.with_json({"op": op, "unknown": True})

    def finish(self) -> list[Record]:
        if not self.stateful:
            return []
        return [Record.from_json("summary", {"seen": self.seen})]
