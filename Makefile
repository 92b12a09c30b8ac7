# The two commands: `make run` brings the system up on the embedded default; `make test` passes.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench clean test-tools

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/gongkai up

lint: $(VENV)/.installed
	$(BIN)/ruff check .

test: $(VENV)/.installed test-tools
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Tools the tests use from Debian: Chromium and CJK fonts (browser tests, letter PDFs),
# poppler-utils (pdftotext reads the letters back), prometheus (promtool checks the alert rules).
# Installed when missing and we may (root with apt-get); otherwise those tests skip, except
# under CI=true, where the browser tests fail instead.
TEST_PACKAGES := chromium fonts-noto-cjk poppler-utils prometheus
test-tools:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null \
	    || ! command -v promtool >/dev/null || ! fc-list 2>/dev/null | grep -qi cjk; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $(TEST_PACKAGES) for the tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $(TEST_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing test tools (apt-get install $(TEST_PACKAGES)): some tests will skip"; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench
