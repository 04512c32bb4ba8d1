# `make lab` opens the lessons in JupyterLab, `make app` serves the book-club web app (lesson 7) on
# http://127.0.0.1:5000 (or PORT=...), `make test` runs every test. Each sets up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LESSON ?= notebooks/01_the_database.ipynb
LAB_FLAGS ?=
PORT ?= 5000
# JupyterLab refuses to start as root (as in containers) unless told it is on purpose.
AS_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: setup lab app test build bench clean

setup: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(AS_ROOT) $(LAB_FLAGS) $(LESSON)

app: setup
	$(BIN)/python -m course_lib app --port $(PORT)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m course_lib check
	$(BIN)/python -m pytest

build: setup
	$(BIN)/python -m course_lib build

bench: setup
	$(BIN)/python bench/bench_course.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
