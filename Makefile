# feedhub: `make run` to try it, `make test` to check it.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Tests need real services; these are the local defaults (override in the environment).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/feedhub
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test setup browser lint format bench bench-quick soak clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  feedhub is starting on http://$(HOST):$(PORT)/"
	@echo "  Sign in as: demo / feedhub-demo"
	@echo ""
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) feedhub.asgi:application

# Browser tests drive Debian's Chromium; install it when missing (needs root and apt).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Install Debian's chromium package (sudo apt-get install chromium)"; exit 1; fi; }

test: $(STAMP) browser
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  SECRET_KEY=$${SECRET_KEY:-tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz} HTTPS=false \
	  $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks (README, "Benchmarks"): own databases feedhub_bench*, Redis db 15, results in bench/results/.
# The quick tier takes under 3 minutes and is a crash-only check (no timing assertions).
bench: $(STAMP)
	$(PY) -m bench --tier standard $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(PY) -m bench --tier quick $(BENCH_ARGS)

# Soak (README, "What feedhub promises"): 30 minutes by default; SOAK_SECONDS=300 for a short run.
SOAK_SECONDS ?= 1800
SOAK_SOCKETS ?= 1000
soak: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  SECRET_KEY=$${SECRET_KEY:-tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz} HTTPS=false \
	  FEEDHUB_SOAK_SECONDS=$(SOAK_SECONDS) FEEDHUB_SOAK_SOCKETS=$(SOAK_SOCKETS) \
	  $(PY) -m pytest tests/soak -m soak -s $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
