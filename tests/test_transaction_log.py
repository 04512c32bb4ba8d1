"""The transaction log a judge reads: the SQL of a block in the order the database received it, each line cut short."""

from course_lib.bookclub.database import create_course_app, dispose
from course_lib.bookclub.models import Reader, db
from course_lib.checks.judging.transactions import LOG_LINE_LENGTH, logged, transaction_log


def test_the_log_holds_begin_statements_savepoints_and_the_end_in_order_each_line_cut_short():
    app = create_course_app()
    try:
        with app.app_context():
            db.session.scalar(db.select(Reader.id).where(Reader.id == 123))  # before the block: not in its log
            with transaction_log() as log:
                db.session.commit()
                db.session.add(Reader(name="Long", surname="x" * 2 * LOG_LINE_LENGTH, email="long@example.com"))
                savepoint = db.session.begin_nested()
                db.session.add(Reader(name="Leo", surname="Park", email="leo.park@example.com"))
                db.session.flush()
                savepoint.rollback()
                db.session.rollback()
                assert log == []  # filled when the block ends
            db.session.remove()
    finally:
        dispose(app)
    assert [line.split(" (")[0].split("  --")[0] for line in log] == [
        "COMMIT",
        "BEGIN",
        "INSERT INTO reader",
        "SAVEPOINT sa_savepoint_1",
        "INSERT INTO reader",
        "ROLLBACK TO SAVEPOINT sa_savepoint_1",
        "ROLLBACK",
    ]
    assert len(log[2]) == LOG_LINE_LENGTH and len(log[4]) < LOG_LINE_LENGTH
    assert logged(log, "INSERT INTO reader") == [2, 4]
    assert logged(log, "ROLLBACK") == [5, 6] and logged(log, "SAVEPOINT") == [3]
