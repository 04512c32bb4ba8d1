"""The course's vocabulary: every module, name and attribute a submitted exercise may use, as an allow-list.

`admission.py` admits a notebook only when each of its code cells keeps to these lists. They hold what the
exercises' answers need (the solutions, and the styles students bring from tutorials: legacy `Model.query`,
`with db.session.begin()`, class-based views, `abort(404)`, ...) with a modest margin; nothing a lesson uses only to
demonstrate (the kit's internal modules, `sqlalchemy.event`, `logging`, dunder names) is in them.
"""


def _words(text: str) -> frozenset[str]:
    """The words of a text, as a set: the lists below are written as text, a few words a line."""
    return frozenset(text.split())


#: The columns and relationships of the course's models: the only attributes an answer may assign or delete.
MODEL_FIELDS = frozenset(
    {
        "id", "name", "surname", "email", "title", "author_name", "author_surname", "month", "year", "stars", "text",
        "book_id", "reviewer_id", "reviews", "annotations", "book", "reviewer", "author", "copies", "on_loan",
        "version",
    }
)  # fmt: skip

_EXCEPTIONS = (
    "IntegrityError", "OperationalError", "PendingRollbackError", "InvalidRequestError", "DataError",
    "DatabaseError", "DBAPIError", "ProgrammingError", "InterfaceError", "InternalError", "NotSupportedError",
    "StatementError", "SQLAlchemyError", "NoResultFound", "MultipleResultsFound", "ArgumentError",
    "ResourceClosedError", "TimeoutError", "NoSuchColumnError", "UnboundExecutionError", "CompileError",
)  # fmt: skip

#: Importable modules and the names each offers an answer (`from module import name`, or `module.name`).
MODULES: dict[str, frozenset[str]] = {
    name: _words(names)
    for name, names in {
        "course_lib": "Annotation Book Reader Review SessionInspector Shelf VersionedShelf check create_club_app db "
        "open_session rollback_playground show_session show_sql start_lesson",
        "sqlalchemy": "select insert update delete func text and_ or_ not_ desc asc exists literal case cast "
        "distinct null true false tuple_ between nulls_first nulls_last union union_all inspect exc orm dialects "
        "String Integer Text Boolean Date DateTime Float Numeric",
        "sqlalchemy.exc": " ".join(_EXCEPTIONS),
        "sqlalchemy.orm": "Session sessionmaker selectinload joinedload subqueryload lazyload raiseload noload "
        "load_only defer undefer contains_eager aliased with_parent object_session exc",
        "sqlalchemy.orm.exc": "StaleDataError ObjectDeletedError DetachedInstanceError NoResultFound "
        "MultipleResultsFound UnmappedInstanceError FlushError",
        "sqlalchemy.dialects": "sqlite postgresql",
        "sqlalchemy.dialects.sqlite": "insert",
        "sqlalchemy.dialects.postgresql": "insert",
        "flask": "Flask Blueprint request render_template redirect url_for flash "
        "get_flashed_messages abort jsonify make_response Response current_app session views",
        "flask.views": "MethodView View",
        "flask_sqlalchemy": "SQLAlchemy",
        "werkzeug.exceptions": "HTTPException NotFound BadRequest Conflict UnprocessableEntity Forbidden "
        "MethodNotAllowed abort",
        "http": "HTTPStatus",
        "datetime": "date datetime time timedelta timezone",
        "decimal": "Decimal",
        "math": "ceil floor sqrt isclose inf",
        "re": "match search fullmatch sub compile findall IGNORECASE",
        "functools": "wraps",
        "typing": "Any Optional Union",
        "collections": "Counter defaultdict",
        "time": "sleep perf_counter monotonic",
        "json": "dumps loads",
        "contextlib": "suppress",
        "IPython.display": "display",
        "sqlite3": "IntegrityError OperationalError DatabaseError Error",
        "psycopg": "errors IntegrityError OperationalError DatabaseError Error",
        "psycopg.errors": "UniqueViolation SerializationFailure DeadlockDetected LockNotAvailable",
    }.items()
}

#: Built-in names an answer may use; every other built-in (exec, eval, getattr, open, type, vars, ...) is refused.
BUILTINS = _words(
    """abs all any ascii bin bool bytes callable chr classmethod complex dict dir divmod enumerate filter float format
    frozenset hasattr hash hex id int isinstance issubclass iter len list map max min next oct ord pow print property
    range repr reversed round set slice sorted staticmethod str sum super tuple zip True False None Ellipsis
    NotImplemented display"""
)

#: Names an IPython shell puts in a notebook's namespace that give a way around the rules (magics, the history).
SHELL_NAMES = frozenset({"get_ipython", "In", "Out", "exit", "quit", "open"})

#: Attribute names an answer may read (and call), beyond the model fields and the names of the modules above.
ATTRIBUTES = _words(
    """
    add add_all begin begin_nested close commit connection delete execute expire expire_all expunge expunge_all
    flush get get_one in_nested_transaction in_transaction is_active is_modified merge new dirty deleted
    no_autoflush query refresh remove rollback scalar scalars autoflush nested bulk_save_objects
    bulk_insert_mappings bulk_update_mappings
    session select get_or_404 first_or_404 one_or_404 paginate engine create_all drop_all Model
    all first one one_or_none count filter filter_by where order_by group_by having limit offset join outerjoin
    options distinct select_from with_for_update returning values execution_options subquery scalar_subquery exists
    update scalar_one scalar_one_or_none fetchall fetchone fetchmany mappings unique rowcount keys tuples
    inserted_primary_key items pages total page per_page has_next has_prev next_num prev_num iter_pages
    like ilike not_like not_ilike notlike startswith endswith contains icontains istartswith iendswith in_ not_in
    notin_ is_ is_not isnot between desc asc label nulls_first nulls_last collate any has
    max min sum avg lower upper length coalesce now random abs round trim substr concat date
    on_conflict_do_nothing on_conflict_do_update excluded
    method form args values json get_json is_json path full_path url headers cookies endpoint view_args getlist
    to_dict route post put patch add_url_rule errorhandler test_client test_request_context app_context
    before_request after_request teardown_request teardown_appcontext register_blueprint as_view methods
    decorators init_every_request dispatch_request
    status_code status location data get_data mimetype content_type
    orig statement params code description
    transient pending persistent detached was_deleted expired modified has_identity identity key
    expired_attributes
    append extend insert pop sort reverse index copy clear setdefault discard strip lstrip rstrip split rsplit
    splitlines replace format capitalize casefold isdigit isalpha isnumeric zfill partition rpartition find
    removeprefix removesuffix ljust rjust center
    today day hour minute second isoformat strftime fromisoformat days seconds total_seconds
    value phrase most_common fromkeys title isupper islower isspace isalnum count
    dialect remote_addr referrer user_agent accept_mimetypes
    """
)
