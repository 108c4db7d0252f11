# The two commands: `make run` and `make test`. Both set everything up first
# and are safe to repeat.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
PROTOS := $(shell find protos -name '*.proto')

export RESGW_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test bench setup stubs lint clean

setup: $(STAMPS)/venv $(STAMPS)/stubs $(STAMPS)/chromium

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	@touch $@

# Generated code lives in reservations/ (ignored by git) and is made only here.
$(STAMPS)/stubs: $(STAMPS)/venv $(PROTOS)
	rm -rf reservations
	$(BIN)/python -m grpc_tools.protoc -Iprotos \
		--python_out=. --grpc_python_out=. --pyi_out=. $(PROTOS)
	find reservations -type d -exec touch {}/__init__.py \;
	@touch $@

stubs: $(STAMPS)/stubs

# OpenTable needs a real Chromium. Playwright's own build is used where its
# download works; otherwise Debian's package, installed here when missing.
$(STAMPS)/chromium: $(STAMPS)/venv
	@if $(BIN)/python -m playwright install chromium >/dev/null 2>&1; then \
		echo "chromium: Playwright's own build"; \
	elif command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then \
		echo "chromium: $$(command -v chromium || command -v chromium-browser)"; \
	else \
		echo "chromium: installing Debian's package"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi
	@touch $@

run: setup
	@mkdir -p $(RESGW_DATA_DIR)
	$(BIN)/reservation-gateway serve

lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy

test: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup
	@mkdir -p bench/results
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) $(STAMPS) reservations .pytest_cache .mypy_cache .ruff_cache
