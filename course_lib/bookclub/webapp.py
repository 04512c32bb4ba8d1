"""The book club as a web app: five views at fixed URLs, small templates, and the kit's own version of each view.

`create_club_app(sign_up, profile, ...)` builds a Flask app on a fresh seeded database and registers the view
functions it is given under their own names; any view it is not given is the kit's. A lesson or an exercise writes
plain functions, and the kit (or a check, on a scratch app) puts them at their URLs:

    readers        GET        /readers                     the list of readers
    profile        GET        /readers/<int:reader_id>     one reader
    sign_up        GET, POST  /sign-up                     the sign-up form, and adding a reader
    edit_email     GET, POST  /readers/<int:reader_id>/email
    delete_reader  GET, POST  /readers/<int:reader_id>/delete

`python -m course_lib app` serves the kit's views on 127.0.0.1 for a browser, each page with the transaction its
request ran in a panel under it (transaction_panel.py). Every page is styled by Simple.css (static/simple.css, version
2.3.7 from the npm registry, MIT licence beside it, vendored unchanged so that the app needs no network and no npm)
and the club's few rules (static/club.css).
"""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from jinja2 import DictLoader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from course_lib.bookclub.database import create_course_app, database_url
from course_lib.bookclub.models import Reader, db
from course_lib.bookclub.transaction_panel import show_transactions as add_transaction_panel
from course_lib.classroom.echo import echo_of

#: endpoint (the view function's name), URL rule, methods
ROUTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("readers", "/readers", ("GET",)),
    ("profile", "/readers/<int:reader_id>", ("GET",)),
    ("sign_up", "/sign-up", ("GET", "POST")),
    ("edit_email", "/readers/<int:reader_id>/email", ("GET", "POST")),
    ("delete_reader", "/readers/<int:reader_id>/delete", ("GET", "POST")),
)
TAKEN = "that email is already registered"
ERRORS_KEY = "course_lib.club_errors"

STATIC = Blueprint("club", __name__, static_folder="static", static_url_path="/static/club")
# Each page's text (what the checks read) is the same as before the styles: the separators are hidden by club.css.
TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}Book club{% endblock %}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ url_for('club.static', filename='simple.css') }}">
<link rel="stylesheet" href="{{ url_for('club.static', filename='club.css') }}"></head>
<body>
<header><nav aria-label="Book club"><a href="{{ url_for('readers') }}">Readers</a><span class="separator"> |</span>
<a href="{{ url_for('sign_up') }}">Sign up</a><span class="separator"> |</span>
<span class="club-size">the club has {{ club_size() }} members</span></nav></header>
<main>
{% for message in get_flashed_messages() %}<p class="flash">{{ message }}</p>
{% endfor %}{% block content %}{% endblock %}
</main>
</body></html>""",
    "readers.html": """{% extends "base.html" %}{% block content %}<h1>Readers</h1>
<table id="readers">{% for reader in readers %}
<tr><td>{{ reader.id }}</td><td><a href="{{ url_for('profile', reader_id=reader.id) }}">{{ reader.name }}
{{ reader.surname }}</a></td><td>{{ reader.email }}</td></tr>{% endfor %}
</table>{% endblock %}""",
    "profile.html": """{% extends "base.html" %}{% block content %}<h1>{{ reader.name }} {{ reader.surname }}</h1>
<p>Email: {{ reader.email }}</p>
<p><a href="{{ url_for('edit_email', reader_id=reader.id) }}">Change the email</a> |
<a href="{{ url_for('delete_reader', reader_id=reader.id) }}">Leave the club</a></p>{% endblock %}""",
    "sign_up.html": """{% extends "base.html" %}{% block content %}<h1>Sign up</h1>
<form method="post" action="{{ url_for('sign_up') }}">
<label>Name <input name="name" value="{{ request.form.get('name', '') }}" required></label>
<label>Surname <input name="surname" value="{{ request.form.get('surname', '') }}" required></label>
<label>Email <input name="email" type="email" value="{{ request.form.get('email', '') }}" required></label>
<button type="submit">Sign up</button>
</form>{% endblock %}""",
    "edit_email.html": """{% extends "base.html" %}{% block content %}<h1>{{ reader.name }}'s email</h1>
<form method="post" action="{{ url_for('edit_email', reader_id=reader.id) }}">
<label>Email <input name="email" type="email" value="{{ request.form.get('email', reader.email) }}" required></label>
<button type="submit">Save</button>
</form>{% endblock %}""",
    "confirm_delete.html": """{% extends "base.html" %}{% block content %}
<h1>Delete {{ reader.name }} {{ reader.surname }}?</h1>
<p>Their reviews and annotations are deleted with them.</p>
<form method="post" action="{{ url_for('delete_reader', reader_id=reader.id) }}">
<button type="submit">Delete</button>
</form>{% endblock %}""",
    "error.html": """{% extends "base.html" %}{% block title %}{{ error.code }} {{ error.name }}{% endblock %}
{% block content %}<h1>{{ error.code }} {{ error.name }}</h1>
<p>{{ error.description }}</p>{% endblock %}""",
}


# --- the kit's views: what `make app` serves, and what a check uses for the views it does not judge ---------------


def readers() -> str:
    """Every reader, in id order."""
    everyone = db.session.scalars(db.select(Reader).order_by(Reader.id)).all()
    return render_template("readers.html", readers=everyone)


def profile(reader_id: int) -> str:
    """One reader, or 404 Not Found."""
    reader = db.get_or_404(Reader, reader_id)
    return render_template("profile.html", reader=reader)


def sign_up() -> Response | str | tuple[str, int]:
    """GET shows the form; POST adds the reader, or says the email is taken (409 Conflict) and shows the form again."""
    if request.method == "POST":
        reader = Reader(name=request.form["name"], surname=request.form["surname"], email=request.form["email"])
        db.session.add(reader)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            flash(TAKEN)
            return render_template("sign_up.html"), 409
        return redirect(url_for("profile", reader_id=reader.id), code=303)
    return render_template("sign_up.html")


def edit_email(reader_id: int) -> Response | str | tuple[str, int]:
    """GET shows the form; POST changes the email, or says it is taken (409 Conflict) and shows the form again."""
    reader = db.get_or_404(Reader, reader_id)
    if request.method == "POST":
        reader.email = request.form["email"]
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            flash(TAKEN)
            return render_template("edit_email.html", reader=reader), 409
        return redirect(url_for("profile", reader_id=reader_id), code=303)
    return render_template("edit_email.html", reader=reader)


def delete_reader(reader_id: int) -> Response | str:
    """GET asks for confirmation; POST deletes the reader (the ORM cascade takes their reviews and annotations)."""
    reader = db.get_or_404(Reader, reader_id)
    if request.method == "POST":
        name = f"{reader.name} {reader.surname}"
        db.session.delete(reader)
        db.session.commit()
        flash(f"{name} has left the club")
        return redirect(url_for("readers"), code=303)
    return render_template("confirm_delete.html", reader=reader)


KIT_VIEWS: dict[str, Callable[..., Any]] = {
    "readers": readers,
    "profile": profile,
    "sign_up": sign_up,
    "edit_email": edit_email,
    "delete_reader": delete_reader,
}


def create_club_app(
    *views: Callable[..., Any],
    url: str | None = None,
    show_sql: bool = False,
    log_errors: bool = False,
    show_transactions: bool = False,
) -> Flask:
    """A book-club web app on a fresh seeded database, with these view functions (by name) and the kit's for the rest.

    `url` defaults to what $COURSE_DATABASE asks for (in-memory SQLite unless it says otherwise). With `show_sql`,
    each request prints a line `--> METHOD /path` and the SQL it sends, and a view that raises prints its error
    (the 500 page says it too); `log_errors` logs its traceback as Flask does by default. With `show_transactions`
    (what `make app` serves), every page shows the transaction its request ran in a panel under it, and an HTTP
    error is a page of the club's own.
    """
    chosen = dict(KIT_VIEWS)
    for view in views:
        name = getattr(view, "__name__", None)
        if name not in KIT_VIEWS:
            raise ValueError(f"{name!r} is not a view of the book club: name it one of {', '.join(KIT_VIEWS)}.")
        chosen[name] = view
    app = create_course_app(database_url() if url is None else url)
    app.secret_key = "book-club-course"  # flash() keeps its messages in the signed session cookie
    app.jinja_loader = DictLoader(TEMPLATES)
    app.register_blueprint(STATIC)
    for endpoint, rule, methods in ROUTES:
        app.add_url_rule(rule, endpoint, chosen[endpoint], methods=list(methods))
    app.add_url_rule("/", "home", lambda: redirect(url_for("readers")))
    app.context_processor(lambda: {"club_size": _club_size})
    app.extensions[ERRORS_KEY] = []
    echo = echo_of(app)
    echo.enabled = show_sql
    if show_sql:
        app.before_request(lambda: print(f"--> {request.method} {request.full_path.rstrip('?')}"))
    log_exception = app.log_exception

    def record_error(exc_info: Any) -> None:
        text = _error_text(exc_info[1])
        app.extensions[ERRORS_KEY].append(text)
        if echo.enabled:
            print(f"!!! the view raised {text}")
        elif log_errors:
            log_exception(exc_info)

    app.log_exception = record_error  # type: ignore[method-assign]
    app.register_error_handler(InternalServerError, _server_error)
    if show_transactions:
        app.register_error_handler(HTTPException, _error_page)
        add_transaction_panel(app)
    return app


def _club_size() -> int:
    """How many readers the club has: every page shows it, so every page queries the database."""
    return db.session.scalar(select(func.count()).select_from(Reader)) or 0


def _server_error(error: InternalServerError) -> tuple[str, int]:
    """A one-line 500 page naming the exception (fine for a course; a real app would hide it)."""
    return f"<h1>500 Internal Server Error</h1><p>{_error_text(error.original_exception)}</p>", 500


def _error_page(error: HTTPException) -> tuple[str, int]:
    """An HTTP error (404 Not Found, 405 Method Not Allowed...) as a page of the club."""
    return render_template("error.html", error=error), error.code or 500


def _error_text(error: BaseException | None) -> str:
    if error is None:
        return "an unknown error"
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


def serve(host: str = "127.0.0.1", port: int = 5000) -> None:
    """Serve the kit's book-club app on a fresh database until interrupted (one request at a time)."""
    app = create_club_app(log_errors=True, show_transactions=True)
    print(f"The book club is open at http://{host}:{port}/readers (Ctrl+C stops it; the data is fresh at each start)")
    # One thread: an in-memory SQLite database is one connection (StaticPool), which two requests must not share.
    app.run(host=host, port=port, threaded=False, use_reloader=False)
