# gatescope: two commands, `make serve` and `make test`, do all set-up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The CPU build of torch lies on this machine's disk; a bare `torch` would pull a CUDA build of GBs.
TORCH_SPEC ?= torch==2.13.0
CHROMIUM ?= /usr/bin/chromium

.PHONY: serve test test-fast bench lint install install-test browser clean

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
install-test: $(VENV)/.installed-test browser

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

serve: install
	$(BIN)/gatescope serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest --cov=app --cov-report=term:skip-covered $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

bench: install
	$(BIN)/gatescope bench

lint: install-test
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .coverage
