"""The notebook around the checks: a database error shown short, a hanging answer costs its own checkpoint only,
and answer cells run again on an old database are told to start from a fresh one."""

from IPython.utils.capture import capture_output

from course_lib.checks import Status

PETER = 'new_reader = Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")'
COMMIT = "try:\n    db.session.commit()\nexcept IntegrityError:\n    db.session.rollback()"


def test_a_database_error_in_a_cell_is_shown_in_the_databases_words_with_the_students_line(notebook):
    taken = 'new_reader = Reader(name="Pat", surname="Adams", email="ann.adams@example.com")'
    notebook.answer("add_rollback.new_reader", taken)
    notebook.answer("add_rollback.add", "db.session.add(new_reader)")
    with capture_output() as shown:
        notebook.answer("add_rollback.commit", "x = 1\ndb.session.commit()")
    lines = shown.stdout.splitlines()
    assert lines[0] == "IntegrityError: UNIQUE constraint failed: reader.email"
    assert lines[1].startswith("  in your cell ") and lines[1].endswith(", line 3:  db.session.commit()")
    assert lines[2] == (
        "  See lesson 03, which catches it and rolls back. (start_lesson(short_errors=False) shows whole tracebacks.)"
    )
    assert len(lines) == 3 and "site-packages" not in shown.stdout
    assert notebook.verdict("add_rollback.commit").status is Status.RAISED  # the cell still failed
    notebook.run("app = start_lesson(show_sql=False, short_errors=False)")
    notebook.answer("add_rollback.new_reader", taken)
    notebook.answer("add_rollback.add", "db.session.add(new_reader)")
    with capture_output() as full:
        notebook.answer("add_rollback.commit", "db.session.commit()")
    assert "site-packages/sqlalchemy" in full.stdout  # the whole traceback, when asked for
    notebook.run("app = start_lesson(show_sql=False)")


def test_an_interrupted_answer_costs_its_own_checkpoint_and_the_checks_after_it_do_not_run_it_again(notebook):
    notebook.answer("add_rollback.new_reader", PETER)
    notebook.answer("add_rollback.add", "db.session.add(new_reader)\nraise KeyboardInterrupt  # the student's Ctrl+C")
    notebook.run("db.session.add(new_reader)")  # done again by hand, outside the answer cell
    notebook.answer("add_rollback.commit", COMMIT)
    assert notebook.verdict("add_rollback.add").status is Status.RAISED
    commit = notebook.verdict("add_rollback.commit")  # its replays use the reference's add: nothing hangs or raises
    assert commit.status is Status.PASSED, commit.message


def test_answer_cells_run_again_on_an_old_database_are_told_to_start_from_a_fresh_one(notebook):
    for checkpoint, body in (
        ("add_rollback.new_reader", PETER),
        ("add_rollback.add", "db.session.add(new_reader)"),
        ("add_rollback.commit", COMMIT),
    ):
        notebook.answer(checkpoint, body)
    assert notebook.verdict("add_rollback.commit").status is Status.PASSED
    for checkpoint, body in (
        ("add_rollback.new_reader", PETER),
        ("add_rollback.add", "db.session.add(new_reader)"),
        ("add_rollback.commit", COMMIT),
    ):
        notebook.answer(checkpoint, body)  # Peter is committed already: this commit fails and is rolled back
    with capture_output() as shown:
        notebook.run('check("add_rollback.commit")')
    text = " ".join(output.data.get("text/plain", "") for output in shown.outputs)
    assert "not run yet" in text and "Run the setup cell (start_lesson()) again" in text, text
    notebook.run("app = start_lesson(show_sql=False)")
    for checkpoint, body in (
        ("add_rollback.new_reader", PETER),
        ("add_rollback.add", "db.session.add(new_reader)"),
        ("add_rollback.commit", COMMIT),
    ):
        notebook.answer(checkpoint, body)
    with capture_output() as shown:
        notebook.run('check("add_rollback.commit")')
    assert "passed" in " ".join(output.data.get("text/plain", "") for output in shown.outputs)


def test_a_library_warning_in_a_check_becomes_a_tip_not_raw_output(notebook):
    notebook.answer("reading.book_1", "book_1 = Book.query.get(12)")
    with capture_output() as shown:
        notebook.run('check("reading.book_1")')
    text = " ".join(output.data.get("text/plain", "") for output in shown.outputs)
    assert "passed" in text and "Tip: Model.query.get(...) is the legacy form" in text
    assert "LegacyAPIWarning" not in shown.stderr and "ipython-input" not in shown.stderr


def test_a_warning_no_tip_explains_is_named_once_in_the_verdict():
    from course_lib.checks.registry import WARNINGS, Status, decide

    evidence = {"review_count": {"kind": "number", "value": 5}, WARNINGS: ["SAWarning: Something odd."]}
    verdict = decide("the_database.review_count", "review_count = 5", None, evidence)
    assert verdict.status is Status.MISTAKE
    assert verdict.message.endswith(" Tip: the library warned as your answer ran (SAWarning: Something odd.).")


def test_an_object_sqlalchemy_names_by_its_address_is_named_by_its_class_in_a_verdict(notebook):
    notebook.answer("add_rollback.new_reader", 'new_reader = Reader(name="Peter", surname="Johnson", email="p@x.y")')
    notebook.run("db.session.add(new_reader)\ndb.session.commit()\ndb.session.expunge(new_reader)")
    notebook.answer("add_rollback.add", "db.session.refresh(new_reader)")
    message = notebook.verdict("add_rollback.add").message
    assert "(a Reader object)" in message and " at 0x" not in message, message


def test_a_cell_refused_by_the_database_hints_at_a_fresh_start_only_after_cells_ran_again(notebook):
    notebook.answer("add_rollback.new_reader", PETER)
    notebook.answer("add_rollback.add", "db.session.add(new_reader)")
    notebook.answer("add_rollback.commit", "db.session.commit()")
    assert "ran more than once" not in notebook.verdict("add_rollback.commit").message  # ran once: no hint
    with capture_output():
        notebook.answer("add_rollback.new_reader", PETER)
        notebook.answer("add_rollback.add", "db.session.add(new_reader)")
        notebook.answer("add_rollback.commit", "db.session.commit()")  # Peter is committed already: refused
    with capture_output() as shown:
        notebook.run('check("add_rollback.commit")')
    text = " ".join(output.data.get("text/plain", "") for output in shown.outputs)
    assert "answer raised" in text and "ran more than once" in text and "start_lesson()" in text, text
