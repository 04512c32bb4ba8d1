"""Issue 13: a check judges the latest run of the answer, never a variable an earlier attempt left behind."""

import pytest

from course_lib.checks import Status
from course_lib.classroom.answer_log import AnswerLog, bound_names

PETER = 'Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")'
LEFTOVER = "is left over from an earlier run"


@pytest.mark.parametrize(
    ("checkpoint", "first", "then", "name"),
    [
        ("add_rollback.new_reader", f"new_reader = {PETER}", f"reader = {PETER}", "new_reader"),
        ("the_database.ann", "ann = db.session.get(Reader, 123)", "anne = db.session.get(Reader, 123)", "ann"),
        ("reading.book_1", "book_1 = db.session.get(Book, 12)", "book1 = db.session.get(Book, 12)", "book_1"),
        (
            "reading.reviews",
            "reviews = db.session.scalars(db.select(Review)).all()",
            "print(db.session.scalars(db.select(Review)).all())",
            "reviews",
        ),
        (
            "deleting.delete",
            "ann = db.session.get(Reader, 123)\ndb.session.delete(ann)",
            "db.session.delete(db.session.get(Reader, 123))",
            "ann",
        ),
    ],
)
def test_a_variable_the_latest_run_no_longer_assigns_is_not_judged(notebook, checkpoint, first, then, name):
    notebook.answer(checkpoint, first)
    assert notebook.verdict(checkpoint).status is Status.PASSED
    notebook.answer(checkpoint, then)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.MISTAKE, verdict
    assert f"{name} {LEFTOVER}" in verdict.message


def test_a_cell_found_by_its_id_leaves_its_old_names_behind_too(notebook):
    notebook.shell.run_cell(f"# answer: add_rollback.new_reader\nnew_reader = {PETER}", cell_id="answer-new-reader")
    notebook.shell.run_cell(f"reader = {PETER}", cell_id="answer-new-reader")
    verdict = notebook.verdict("add_rollback.new_reader")
    assert verdict.status is Status.MISTAKE, verdict
    assert f"new_reader {LEFTOVER}" in verdict.message


def test_kim_id_left_over_is_named_as_such(notebook):
    notebook.answer("add_and_commit.pending", 'kim = Reader(name="Kim", surname="Lee", email="kim.lee@example.com")')
    notebook.run("db.session.add(kim)")
    notebook.answer("add_and_commit.flush", "db.session.flush()\nkim_id = kim.id")
    notebook.answer("add_and_commit.flush", "db.session.flush()\nthe_id = kim.id")
    verdict = notebook.verdict("add_and_commit.flush")
    assert verdict.status is Status.MISTAKE, verdict
    assert f"kim_id {LEFTOVER}" in verdict.message


def test_a_variable_moved_to_an_earlier_answer_cell_is_current(notebook):
    notebook.answer("add_rollback.add", f"new_reader = {PETER}\ndb.session.add(new_reader)")
    notebook.answer("add_rollback.new_reader", f"new_reader = {PETER}")
    notebook.answer("add_rollback.add", "db.session.add(new_reader)")
    verdict = notebook.verdict("add_rollback.add")
    assert verdict.status is Status.PASSED, verdict


def test_a_plain_cell_that_assigns_the_name_again_makes_it_current(notebook):
    notebook.answer("the_database.ann", "ann = db.session.get(Reader, 123)")
    notebook.answer("the_database.ann", "anne = db.session.get(Reader, 123)")
    notebook.run("ann = anne")
    verdict = notebook.verdict("the_database.ann")
    assert verdict.status is Status.PASSED, verdict


def test_leftovers_are_only_names_an_answer_cell_bound_before():
    log = AnswerLog()
    log.record("# answer: the_database.ann\nann = 1\nx = 2", None)
    log.record("scratch = 3", None)
    log.record("# answer: the_database.ann\nanne = 1\nx = 2", None)
    assert log.stale_names() == {"ann"}
    assert log.latest("the_database.ann").stale == {"ann"}


def test_bound_names_covers_every_way_of_binding_at_the_top_level():
    source = (
        "import os.path\nfrom x import y as z\na, (b, c) = 1, (2, 3)\nfor d in []: pass\nwith open(p) as e: pass\n"
        "try:\n    f = 1\nexcept Exception as g:\n    pass\ndef h():\n    inner = 1\nclass K: pass\n"
        "m = [n for n in []]\nif (o := 1): pass"
    )
    assert bound_names(source) == set("abcdefghmo") | {"os", "z", "K"}
    assert bound_names("not python (") == set()
