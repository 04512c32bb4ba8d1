# Two commands: `make lab` opens the lessons in JupyterLab, `make test` runs every test. Both set up .venv first.
# Optional: `make app` serves the book-club web app (lesson 07) on http://127.0.0.1:5000 (or PORT=...), and
# `make lite` builds the course as a static JupyterLite site in build/lite/ (tools in .venv-lite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The kit's IPython kernel settings, read by every kernel the venv's Python starts (see the file).
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py
LITE_VENV ?= .venv-lite
LITE_INSTALLED := $(LITE_VENV)/.installed
LESSON ?= notebooks/01_the_database.ipynb
LAB_FLAGS ?=
PORT ?= 5000
# JupyterLab refuses to start as root (as in containers) unless told it is on purpose.
AS_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: setup lab app test build bench lite bench-lite clean

setup: $(INSTALLED) $(KERNEL_CONFIG)

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(KERNEL_CONFIG): etc/ipython/ipython_kernel_config.py | $(INSTALLED)
	mkdir -p $(dir $@)
	cp etc/ipython/ipython_kernel_config.py $@

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(AS_ROOT) $(LAB_FLAGS) $(LESSON)

app: setup
	$(BIN)/python -m course_lib app --port $(PORT)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m course_lib check
	$(BIN)/python -m pytest -n auto --dist loadfile

# The lite tools get a venv of their own: the Pyodide kernel's JupyterLab extension must stay out of `make lab`.
$(LITE_INSTALLED): requirements-lite.txt
	$(PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LITE_VENV)/bin/python -m pip install --quiet -r requirements-lite.txt
	touch $@

lite: $(LITE_INSTALLED)
	$(LITE_VENV)/bin/python lite/build_site.py

bench-lite: setup
	$(BIN)/python bench/bench_lite.py

build: setup
	$(BIN)/python -m course_lib build

bench: setup
	$(BIN)/python bench/bench_course.py

clean:
	rm -rf $(VENV) $(LITE_VENV) build/lite build/lite-stage build/lite-cache build/lite-build.log .pytest_cache .ruff_cache
