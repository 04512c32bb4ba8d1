"""$COURSE_DATABASE set to what the kit cannot use: in a notebook, one short error naming it and what it accepts."""

import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_lib.bookclub.database import DatabaseSettingError, check_database_setting, database_url
from course_lib.classroom import lesson
from course_lib.protocol import DATABASE_VARIABLE

BAD_SETTINGS = {
    "nonsense": "is not a database URL",
    "postgres//user:secret@host/db": "is not a database URL",
    "foo://host/db": "which SQLAlchemy does not know",
    "mysql://user:secret@host/db": "whose driver is not installed",
    "sqlite:////no/such/folder/club.db": "could not open the database sqlite:////no/such/folder/club.db",
    "postgresql://user:secret@127.0.0.1:1/db": "could not open the database postgresql://user:***@127.0.0.1:1/db",
}


@pytest.mark.parametrize("setting", BAD_SETTINGS)
def test_a_lesson_on_a_database_the_kit_cannot_use_says_so_in_one_line(setting, monkeypatch, capsys):
    monkeypatch.setenv(DATABASE_VARIABLE, setting)
    shell = InteractiveShell.instance()
    try:
        result = shell.run_cell("from course_lib import start_lesson\napp = start_lesson()", store_history=False)
    finally:
        lesson._end_previous_lesson()
    shown = capsys.readouterr().out.strip()
    assert isinstance(result.error_in_exec, DatabaseSettingError)
    assert len(shown.splitlines()) == 1 and "Traceback" not in shown, shown
    assert shown.startswith("DatabaseSettingError: ") and BAD_SETTINGS[setting] in shown
    assert f"${DATABASE_VARIABLE}" in shown and "accepts: nothing (unset or empty: in-memory SQLite)" in shown
    assert "secret" not in shown


@pytest.mark.parametrize("setting", ["", "postgresql", "sqlite://", "sqlite:///club.db", "postgresql://u:p@h/d"])
def test_settings_the_kit_can_use_are_accepted_without_connecting(setting):
    check_database_setting(setting)
    if setting != "postgresql":  # that one starts the kit's server: tests/test_postgres.py
        assert database_url(setting) == (setting or "sqlite://")
