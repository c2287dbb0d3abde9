# Segmenta: `make run` to try it, `make test` to check it. Both start with `make install`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lock messages clean

install: $(STAMP)

# Reinstalled only when the lock file or the project metadata change.
$(STAMP): requirements.lock pyproject.toml package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "Segmenta needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# htmx, for live updates (the pages work without it, through their buttons).
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; \
	  else echo "npm not found: pages work without live updates (install Node.js and npm for them)"; fi
	touch $(STAMP)

# The local demo: MFA off, demo clinics and users, development server.
run: install
	SEGMENTA_REQUIRE_MFA=0 $(BIN)/segmenta migrate --verbosity 0
	SEGMENTA_REQUIRE_MFA=0 $(BIN)/segmenta demo
	@echo ""
	@echo "Segmenta is starting at http://$(HOST):$(PORT)/"
	@echo "Log in as demo-doctor (or demo-admin, demo-hp, demo-assistant, other-doctor)"
	@echo "with the password: segmenta-demo   (two-factor login is off in this local demo)"
	@echo ""
	@# Reminders print to this console (e-mail and SMS) instead of reaching anyone.
	SEGMENTA_REQUIRE_MFA=0 SEGMENTA_EMAIL_BACKEND=console SEGMENTA_SMS_BACKEND=console $(BIN)/segmenta runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-pin every dependency after editing requirements.in.
lock:
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links --strip-extras \
	  -o requirements.lock requirements.in

# Bring the German and Spanish catalogs up to date with the code's strings, then compile them
# (needs GNU gettext: apt-get install gettext). Translate what is new before committing:
# segmenta/tests/test_translations.py fails on any message without its translation.
messages: install
	cd segmenta && SEGMENTA_VAR_DIR=$(CURDIR)/var ../$(BIN)/segmenta makemessages -l de -l es -e html,py,txt --no-obsolete \
	  --ignore 'tests/*' --ignore '*/tests/*'
	cd segmenta && SEGMENTA_VAR_DIR=$(CURDIR)/var ../$(BIN)/segmenta compilemessages

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .hypothesis
