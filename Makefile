# The two commands: `make run` brings the system up on the embedded default; `make test` passes.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench clean browser

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

test: $(VENV)/.installed browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium, with CJK fonts for the screenshots. Installed when
# missing and we may (root with apt-get); otherwise those tests skip, except under CI=true.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi cjk; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium and CJK fonts for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "Chromium or CJK fonts missing (apt-get install chromium fonts-noto-cjk)"; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench
