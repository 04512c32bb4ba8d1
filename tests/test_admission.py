"""Admission: the course's vocabulary admits every honest answer and refuses, by category, what reaches around it."""

import builtins
import pkgutil
import sys
from pathlib import Path

import nbformat
import pytest
from IPython.utils.capture import capture_output

import course_lib
from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.mutation import mutants_of
from course_lib.bookclub.models import Reader
from course_lib.checks.admission import held_message, real_attributes, refusals
from course_lib.checks.vocabulary import BUILTINS, MODEL_FIELDS, MODULES, SHELL_NAMES

COURSE = CourseLayout(Path(__file__).resolve().parent.parent)


def refused(source: str) -> list[str]:
    return [refusal.construct for refusal in refusals([(0, source)])]


def code_cells(path: Path) -> list[tuple[int, str]]:
    notebook = nbformat.read(path, as_version=4)
    return [(index, cell.source) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]


# --- no honest answer is held -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*COURSE.solutions, *COURSE.exercises], ids=lambda path: path.name)
def test_every_exercise_as_shipped_is_admitted_solved_and_unsolved(path):
    assert refusals(code_cells(path)) == []


@pytest.mark.parametrize("path", COURSE.solutions, ids=lambda path: path.name)
def test_every_mutant_of_every_solution_is_admitted(path):
    """The mutants are the wrong answers students write: each must be judged, never held."""
    notebook = nbformat.read(path, as_version=4)
    answers = [cell for cell in notebook.cells if "answer" in cell.metadata.get("tags", [])]
    for cell in answers:
        for mutant in mutants_of(path.name, cell.metadata.course.checkpoint, cell.source):
            assert refused(mutant.source) == [], mutant.description


ACCEPTED_STYLES = {
    "legacy Model.query": "ann = Reader.query.get(123)\nadams = Reader.query.filter_by(surname='Adams').all()\n"
    "first = Book.query.filter(Book.year <= 2019).order_by(Book.id).first()\nn = Review.query.count()",
    "session.query": "readers = db.session.query(Reader).filter(Reader.email.like('%@sample%')).all()",
    "execute and scalars": "rows = db.session.execute(db.select(Reader)).scalars().all()\n"
    "one = db.session.execute(select(Reader).where(Reader.id == 1)).scalar_one_or_none()",
    "with db.session.begin()": "with db.session.begin():\n    db.session.add(Reader(name='A', surname='B', "
    "email='a@b.c'))",
    "savepoint block": "with db.session.begin_nested():\n    db.session.add(leo)\n"
    "savepoint = db.session.begin_nested()\nsavepoint.rollback()",
    "helper function": "def add_reader(name, surname, email):\n    reader = Reader(name=name, surname=surname, "
    "email=email)\n    db.session.add(reader)\n    return reader\n\npeter = add_reader('Peter', 'J', 'p@x.y')",
    "exception details": "try:\n    db.session.commit()\nexcept IntegrityError as error:\n"
    "    db.session.rollback()\n    print('refused:', error.orig, error.params)\n    print(str(error).splitlines()[0])",
    "driver exception caught (a mistake to diagnose)": "import sqlite3\ntry:\n    db.session.commit()\n"
    "except sqlite3.IntegrityError:\n    db.session.rollback()",
    "module aliases": "import sqlalchemy as sa\nfrom sqlalchemy import exc, orm\nq = sa.select(Reader).where("
    "sa.func.lower(Reader.surname) == 'adams')\ntry:\n    db.session.commit()\nexcept sa.exc.IntegrityError:\n"
    "    db.session.rollback()\nexcept exc.OperationalError:\n    pass\ns = orm.Session(db.engine)",
    "MethodView": "from flask.views import MethodView\nclass SignUp(MethodView):\n    methods = ['GET', 'POST']\n"
    "    def get(self):\n        return render_template('sign_up.html')\n    def post(self):\n"
    "        return redirect(url_for('readers'), code=303)\nsign_up = SignUp.as_view('sign_up')",
    "abort and jsonify": "from flask import abort, jsonify, make_response\ndef profile(reader_id):\n"
    "    reader = db.session.get(Reader, reader_id)\n    if reader is None:\n        abort(404)\n"
    "    return jsonify(id=reader.id, email=reader.email)",
    "decorated view": "from functools import wraps\ndef logged(view):\n    @wraps(view)\n"
    "    def wrapper(*args, **kwargs):\n        return view(*args, **kwargs)\n    return wrapper\n"
    "@logged\ndef readers():\n    return str(len(db.session.scalars(db.select(Reader)).all()))",
    "own exception class": "class EmailTaken(Exception):\n    pass\nclass Worse(EmailTaken):\n    pass",
    "http status": "from http import HTTPStatus\ndef view():\n    return 'taken', HTTPStatus.CONFLICT",
    "request form": "def sign_up():\n    if request.method == 'POST':\n        email = request.form.get('email', "
    "'').strip().lower()\n        name = request.form['name']\n        return redirect(url_for('profile', "
    "reader_id=1), 303)\n    return render_template('sign_up.html'), 200",
    "model assignments": "book_19.month = 'June'\nbook_19.year += 1\nreview.book.title = 'X'\n"
    "readers[0].email = 'x@y.z'\nfor r in readers:\n    r.surname = r.surname.upper()\ndel sam\n"
    "Book.month = 'June'",
    "comprehensions and throwaway names": "emails = [r.email for r in readers if r.id > 100]\n"
    "for _ in range(2):\n    pass\nfirst, *_ = emails\ntotal = sum(review.stars for review in reviews)",
    "upserts and locks": "from sqlalchemy.dialects.sqlite import insert\n"
    "statement = insert(Reader).values(name='A', surname='B', email='c').on_conflict_do_nothing()\n"
    "book = db.session.scalars(select(Book).where(Book.id == 19).with_for_update()).one()\n"
    "from sqlalchemy.orm.exc import StaleDataError",
    "typos, which fail as they run": "db.session.rolback()\nfrom sqlalchemy.exc import IntegrityErorr\n"
    "import sqlalchmy\nx = db.session.comit",
    "the kit's helpers": "from course_lib import SessionInspector, show_session, show_sql\nshow_session('now')\n"
    "show_sql(False)\nclub = create_club_app(profile)\nclient = club.test_client()\n"
    "print(client.get('/readers/1').status_code)",
}


@pytest.mark.parametrize("style", ACCEPTED_STYLES)
def test_every_accepted_style_is_admitted(style):
    assert refused(ACCEPTED_STYLES[style]) == []


# --- what reaches around the rules is refused, by category -------------------------------------------------------

UNSAFE_BUILTINS = sorted(
    name
    for name in dir(builtins)
    if not name.startswith("_")
    and name not in BUILTINS
    and not (isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), BaseException))
)


def test_the_builtins_the_issue_names_are_outside():
    named = {"exec", "eval", "compile", "getattr", "setattr", "delattr", "globals", "vars", "open", "breakpoint"}
    assert named <= set(UNSAFE_BUILTINS) | SHELL_NAMES
    assert {"type", "object", "locals", "input", "help", "memoryview"} <= set(UNSAFE_BUILTINS)


@pytest.mark.parametrize("name", UNSAFE_BUILTINS)
def test_every_other_builtin_is_refused_used_or_assigned(name):
    assert refused(f"x = {name}") == [f"`{name}`"]
    assert refused(f"{name}(1)") == [f"`{name}`"]
    assert refused(f"{name} = 1") == [f"`{name}`"]


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os')",
        "x = _",
        "_private = 1",
        "x = reader.__class__",
        "reader.__dict__['email'] = 'x'",
        "x = db._app_engines",
        "def _helper():\n    pass",
        "def view(_hidden):\n    pass",
        "class _Secret(Exception):\n    pass",
        "print(__builtins__)",
        "x = [c for c in ().__class__.__base__.__subclasses__()]",
    ],
)
def test_every_name_or_attribute_starting_with_an_underscore_is_refused(source):
    assert refused(source)


@pytest.mark.parametrize("name", sorted(SHELL_NAMES))
def test_the_shells_own_names_are_refused(name):
    assert refused(f"x = {name}")


@pytest.mark.parametrize(
    "source",
    [
        "%time db.session.commit()",
        "%%capture\ndb.session.commit()",
        "!ls /",
        "files = !ls",
        "db.session?",
        "%env SECRET",
        "%run other.py",
        "%load_ext autoreload",
        "get_ipython().run_cell('x = 1')",
    ],
)
def test_magics_shell_escapes_and_the_shell_are_refused(source):
    found = refusals([(0, source)])
    assert found and all(refusal.line == 1 for refusal in found)


STANDARD_MODULES = sorted(
    name for name in sys.stdlib_module_names if name not in MODULES and not name.startswith("_") and len(name) > 1
)


def test_every_standard_module_outside_the_vocabulary_is_refused():
    admitted = [name for name in STANDARD_MODULES if not refused(f"import {name}")]
    assert admitted == []
    assert [name for name in STANDARD_MODULES if not refused(f"from {name} import x")] == []


def kit_modules() -> list[str]:
    found = [
        module.name for module in pkgutil.walk_packages(course_lib.__path__, "course_lib.") if module.name in MODULES
    ]
    assert found == []  # none of the kit's own modules is importable by answers
    return [module.name for module in pkgutil.walk_packages(course_lib.__path__, "course_lib.")]


@pytest.mark.parametrize("module", kit_modules())
def test_every_internal_module_of_the_kit_is_refused(module):
    package, _, name = module.rpartition(".")
    assert refused(f"import {module}")
    assert refused(f"from {module} import x")
    assert refused(f"from {package} import {name}")


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy\nsqlalchemy.event.listen(1, 2, 3)",
        "from sqlalchemy import event",
        "from sqlalchemy import create_engine",
        "import sqlalchemy as sa\nsa.orm.attributes.set_committed_value(1, 2, 3)",
        "import flask\nflask.cli",
        "from flask import render_template_string",
        "import sqlite3\nsqlite3.connect(':memory:')",
        "import json\njson.dump",
        "from sqlalchemy import Select",
        "from course_lib import checks",
        "import course_lib\ncourse_lib.bookclub.webapp",
        "from sqlalchemy import *",
        "from . import x",
        "import logging",
    ],
)
def test_a_module_offers_answers_only_its_listed_names(source):
    assert refused(source)


ATTRIBUTES_OF_THE_LIBRARIES = sorted(name for name in real_attributes() if name not in MODEL_FIELDS)


def test_every_attribute_outside_a_models_columns_may_not_be_assigned_or_deleted():
    for name in ATTRIBUTES_OF_THE_LIBRARIES:
        for source in (
            f"db.session.{name} = 1",
            f"x.{name} = 1",
            f"x.{name} += 1",
            f"del x.{name}",
            f"x.{name}: int = 1",
            f"for x.{name} in []:\n    pass",
            f"with y as x.{name}:\n    pass",
            f"a, x.{name} = 1, 2",
        ):
            assert refused(source), source


@pytest.mark.parametrize(
    "source",
    [
        "x = db.engine.dispatch",
        "x = db.session.bind",
        "x = db.session.identity_map",
        "x = app.view_functions",
        "x = app.extensions",
        "x = app.config",
        "x = (i for i in []).gi_frame.f_back",
        "x = inspect(reader).dict",
        "x = Reader.metadata",
        "x = request.environ",
    ],
)
def test_attributes_outside_the_vocabulary_are_refused_even_read(source):
    assert refused(source)


@pytest.mark.parametrize(
    "source",
    [
        "class Fake(Reader):\n    pass",
        "class Fake(object):\n    pass",
        "class Fake(type):\n    pass",
        "class Fake(dict):\n    pass",
        "class Fake(db.Model):\n    pass",
        "class Fake(Exception, metaclass=print):\n    pass",
        "from flask.views import View\nView = Reader\nclass Fake(View):\n    pass",
        "Exception = Reader\nclass Fake(Exception):\n    pass",
        "def f(base):\n    class Fake(base):\n        pass",
    ],
)
def test_classes_may_only_build_on_views_and_exceptions(source):
    assert refused(source)


@pytest.mark.parametrize(
    "source", ["async def f():\n    await g()", "async def f():\n    async for x in y:\n        pass"]
)
def test_async_code_is_refused(source):
    assert refused(source)


@pytest.mark.parametrize(
    "source",
    [
        "db.session.bind",
        "from course_lib import checks",
        "from sqlalchemy import Select",
        "import httpx",
        "json.dump",
    ],
)
def test_a_name_one_letter_from_the_vocabulary_that_names_something_real_is_not_a_typo(source):
    assert refused(source if "import" in source else f"import json\nx = {source}")


def test_a_model_accepts_only_its_columns_and_relationships_as_keywords():
    with pytest.raises(TypeError, match="'__dict__' is an invalid keyword argument for Reader"):
        Reader(**{"__dict__": {}})
    with pytest.raises(TypeError, match="'emial' is an invalid keyword argument for Reader"):
        Reader(emial="x")
    assert Reader(name="Peter", reviews=[]).name == "Peter"


# --- what the student and the instructor are told ----------------------------------------------------------------


def test_the_refusal_names_the_cell_the_line_and_the_construct():
    found = refusals([(0, "from course_lib import db"), (3, "# answer: add_rollback.add\nx = 1\ny = getattr(x, 'a')")])
    assert [refusal.sentence() for refusal in found] == [
        'cell 4 ("# answer: add_rollback.add"), line 3: `getattr`, a built-in the exercises do not use '
        "(if it is your variable, rename it)"
    ]
    assert held_message(found).startswith(
        "The grader would hold this notebook for your instructor to read before giving it any points: in the cell "
        'that starts "# answer: add_rollback.add", line 3: `getattr` is a built-in the exercises do not use'
    )


def test_a_students_check_says_at_once_that_a_line_would_be_held(notebook_with_check):
    notebook_with_check.run("# answer: add_rollback.new_reader\nnew_reader = Reader(name='Peter')\nimport os")
    shown = checked(notebook_with_check, "add_rollback.new_reader")
    assert "held for review" in shown and "`import os` is a module the exercises do not use" in shown
    notebook_with_check.run("app = start_lesson(show_sql=False)")  # the notebook from the top: held no more
    notebook_with_check.run("# answer: add_rollback.new_reader\nnew_reader = Reader(name='Peter')")
    shown = checked(notebook_with_check, "add_rollback.new_reader")
    assert "held for review" not in shown and "mistake" in shown


def checked(notebook, checkpoint: str) -> str:
    """What the check cell shows, as text."""
    with capture_output() as shown:
        notebook.run(f'check("{checkpoint}")')
    return " ".join(output.data.get("text/plain", "") for output in shown.outputs)


@pytest.fixture
def notebook_with_check(notebook):
    yield notebook
    notebook.ran.clear()  # it ran `import os` on purpose: the fixture's own admission check is not for this test
