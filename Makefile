# DataFlare developer entry points. The README's two commands: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
export DATAFLARE_HOME ?= $(CURDIR)/.dataflare

.PHONY: install examples demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,airflow,dagster]'
	touch $@

install: $(VENV)/.installed

examples:
	$(MAKE) -C examples

demo: install examples
	$(PY) -m dataflare_provider.demo

test: install examples
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check dataflare_provider tests benchmarks dags examples
	$(VENV)/bin/mypy

bench: install examples
	$(PY) -m benchmarks --quick --json bench.json

clean:
	$(MAKE) -C examples clean
	rm -rf .dataflare build dist *.egg-info
