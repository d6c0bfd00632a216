# Every target creates .venv and installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.docs-installed
MUTATE_STAMP := $(VENV)/.mutate-installed

.PHONY: demo test bench lint soak docs dist mutate clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[testing,crypto,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py

test: $(STAMP)
	$(PY) -m pytest -q

# `make bench BENCH=quick`: every section, smaller (a few minutes); BENCH_SECTIONS picks sections.
BENCH_QUICK := BENCH_ROUNDS=1 BENCH_SEQUENTIAL=600 BENCH_PIPELINED=4000 \
	BENCH_STREAM_MESSAGES=10000 BENCH_BOOK_EVENTS=5000 BENCH_SCALE_SECONDS=3 \
	BENCH_BOOKS=10,50 BENCH_STREAMS=100,500 BENCH_IDLE_SECONDS=10

bench: $(STAMP)
	$(if $(filter quick,$(BENCH)),env $(BENCH_QUICK)) $(PY) benchmarks/run.py

soak: $(STAMP)
	$(PY) benchmarks/soak.py --minutes $${SOAK_MINUTES:-10}

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

# The API reference (docs/_build/html/index.html); any Sphinx warning fails the build. Then
# every page is opened in headless Chromium at 1280 px: no sideways overflow, none over 300 KB
# (docs/check_pages.py; it installs Debian's chromium + chromium-driver when they are missing).
docs: $(DOCS_STAMP)
	rm -rf docs/_build/html
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	$(PY) docs/check_pages.py docs/_build/html --width 1280 --max-kb 300

$(MUTATE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[mutate]'
	touch $(MUTATE_STAMP)

# Mutation testing of the critical modules (not in CI: minutes per module). MODULES=outcome
# redact ... picks some; JOBS=2 runs two modules at once. Prints killed/total and survivors.
mutate: $(MUTATE_STAMP)
	$(PY) tools/mutate.py -j $${JOBS:-1} $(MODULES)

# The wheel and the sdist in dist/, built as a user's pip would (isolated), checked by twine.
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

lint: $(STAMP)
	$(PY) -m ruff check binance_usdm_ws tests examples benchmarks tools docs/conf.py docs/check_pages.py
	$(PY) -m ruff format --check binance_usdm_ws tests examples benchmarks tools docs/conf.py docs/check_pages.py
	$(PY) -m mypy binance_usdm_ws
	$(PY) -m mypy --strict examples

clean:
	rm -rf $(VENV) .mutate build dist *.egg-info .mypy_cache .pytest_cache .ruff_cache docs/_build docs/api
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
