# gatescope: two commands, `make serve` and `make test`, do all set-up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The CPU build of torch lies on this machine's disk; a bare `torch` would pull a CUDA build of GBs.
TORCH_SPEC ?= torch==2.13.0
CHROMIUM ?= /usr/bin/chromium

# Plotly's cartesian bundle (all the pages draw, a third of the full one's size), the same plotly.js
# version as the Python plotly package bundles; installed into the git-ignored vendor/.
PLOTLY_NPM ?= plotly.js-cartesian-dist-min@4.1.1
VENDOR_PLOTLY := vendor/node_modules/plotly.js-cartesian-dist-min/plotly-cartesian.min.js

.PHONY: serve test test-fast bench bench-page lint install install-test browser proxy vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files so repeated runs skip what is already installed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check "$(TORCH_SPEC)"
	$(BIN)/pip install --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test browser proxy

# Without npm (or when it fails) the server sends the full bundle from the Python package instead:
# slower to start in the browser, same charts. Nothing is fetched at run time either way.
$(VENDOR_PLOTLY):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix vendor --no-save --no-audit --no-fund --loglevel=error \
	    --fetch-retries=1 --fetch-timeout=30000 "$(PLOTLY_NPM)" \
	  || echo "warning: npm could not install $(PLOTLY_NPM); serving the full Plotly bundle"; \
	else \
	  echo "warning: npm not found; serving the full Plotly bundle from the Python package"; \
	fi

vendor: $(VENDOR_PLOTLY)

# Browser tests drive Debian's chromium (Playwright cannot download its own browser here),
# with a Korean font so Hangul renders. Installed with apt-get when missing and we are root.
browser:
	@if [ ! -x "$(CHROMIUM)" ] || ! fc-list 2>/dev/null | grep -qi -e nanum -e noto.*cjk; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing chromium and a Korean font with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null; \
	  else \
	    echo "warning: $(CHROMIUM) or a Korean font is missing and we are not root; browser tests will skip"; \
	  fi; \
	fi

# tests/api/test_behind_nginx.py runs Debian's nginx in front of two servers (docs/deploy.md);
# wrk is the load generator for the throughput goals. Installed with apt-get when missing and root.
proxy:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] || ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing nginx-light and wrk with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null; \
	  else \
	    echo "warning: nginx or wrk is missing and we are not root; the tests behind nginx will skip"; \
	  fi; \
	fi

serve: install vendor
	$(BIN)/gatescope serve --host $(HOST) --port $(PORT)

test: install-test vendor
	$(BIN)/python -m pytest --cov=app --cov-report=term:skip-covered $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

bench: install
	$(BIN)/gatescope bench

# A cold shared link in headless Chromium: median page-ready and first-plot times of 5 visits.
bench-page: install-test vendor
	$(BIN)/gatescope bench --page

lint: install-test
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .coverage vendor
