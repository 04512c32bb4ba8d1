"""Under every page of the served book club (`make app`), the transaction its request ran, from the kit's own echo.

The panel lists the SQL the request sent and its BEGIN, COMMIT, ROLLBACK and SAVEPOINT lines. The request's session
is removed as its response leaves the view, as Flask-SQLAlchemy's teardown would do a moment later, so that the
panel shows how its transaction ended (a page that only reads ends with the ROLLBACK of that removal). A redirect
has no page to show: its transaction is kept for the browser that asked, and shown on the page it lands on (after a
successful sign-up, the COMMIT).
"""

import re
import secrets
from dataclasses import dataclass
from http import HTTPStatus

from flask import Flask, g, request, session
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from course_lib.bookclub.models import db
from course_lib.classroom.echo import echo_of

BROWSER_KEY = "course_lib.browser"  # the session cookie's name for the browser, which a redirect's SQL waits for
CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b")
ENDING = (
    "When a request ends, Flask-SQLAlchemy removes its session: a transaction still open is rolled back, so a page "
    "that only reads ends with ROLLBACK, and only a COMMIT keeps a change."
)


@dataclass(frozen=True)
class RequestSql:
    """What one request sent to the database, and how it was answered."""

    request: str  # such as "POST /sign-up"
    answer: str  # such as "303 See Other"
    lines: tuple[str, ...]


def show_transactions(app: Flask) -> None:
    """Add the transaction panel to every HTML page the app answers (see the module's note)."""
    echo = echo_of(app)
    waiting: dict[str, list[RequestSql]] = {}  # browser -> the redirects it followed, not shown yet

    @app.before_request
    def mark() -> None:
        g.course_lib_sql_mark = echo.sent

    @app.after_request
    def panel(response: Response) -> Response:
        db.session.remove()
        ran = RequestSql(
            f"{request.method} {request.full_path.rstrip('?')}",
            f"{response.status_code} {HTTPStatus(response.status_code).phrase}",
            tuple(echo.since(g.get("course_lib_sql_mark", echo.sent))),
        )
        browser = session.setdefault(BROWSER_KEY, secrets.token_hex(8))
        if response.status_code in range(300, 400):
            waiting.setdefault(browser, []).append(ran)
        elif response.mimetype == "text/html" and not response.direct_passthrough:
            html = response.get_data(as_text=True)
            shown = panel_html([*waiting.pop(browser, []), ran])
            at = html.rfind("</body>")
            response.set_data(html[:at] + shown + html[at:] if at >= 0 else html + shown)
        return response


def panel_html(requests: list[RequestSql]) -> str:
    """The panel: each request in order (the redirects the browser followed, then this page's), with its SQL."""
    parts = ['<aside class="transaction" aria-labelledby="transaction-title">']
    parts.append('<h2 id="transaction-title">The transactions behind this page</h2>')
    for number, ran in enumerate(requests, start=1):
        sent_here = "and sent the browser here" if number < len(requests) else "with this page"
        parts.append(
            f"<p><code>{escape(ran.request)}</code> answered <strong>{escape(ran.answer)}</strong> {sent_here}. "
            f"{'It sent:' if ran.lines else 'It sent no SQL.'}</p>"
        )
        if ran.lines:
            parts.append(f"<pre><code>{''.join(line_html(line) for line in ran.lines)}</code></pre>")
    parts.append(f"<p>{ENDING}</p></aside>")
    return "\n".join(parts) + "\n"


def line_html(line: str) -> Markup:
    """One line of SQL, its transaction keyword (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) in bold."""
    if CONTROL.match(line):
        return Markup('<span class="control">{}</span>\n').format(line)
    return Markup("{}\n").format(line)
