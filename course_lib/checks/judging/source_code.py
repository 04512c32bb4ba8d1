"""Reads an answer's source, only to word a diagnosis well: verdicts themselves rest on behaviour."""

import ast


def parse(source: str) -> ast.Module:
    """The syntax tree of the source, empty when it does not parse."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def calls(node: ast.AST, method: str) -> bool:
    """True when the code calls a method of that name anywhere inside node."""
    return any(
        isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == method
        for inner in ast.walk(node)
    )


def names_without_calling(source: str, method: str) -> bool:
    """True when a statement is just `something.method`, naming the method without calling it."""
    return any(
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Attribute) and node.value.attr == method
        for node in ast.walk(parse(source))
    )


def compares_attribute(source: str, attribute: str) -> bool:
    """True when a statement is just `something.attribute == value`: a comparison whose result is thrown away."""
    return any(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Compare)
        and isinstance(node.value.left, ast.Attribute)
        and node.value.left.attr == attribute
        for node in ast.walk(parse(source))
    )


def try_statements(source: str) -> list[ast.Try]:
    """Every try statement of the source."""
    return [node for node in ast.walk(parse(source)) if isinstance(node, ast.Try)]


def creates(source: str, class_name: str) -> bool:
    """True when the code calls a class (or function) of that name: `Book(...)`."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == class_name
        for node in ast.walk(parse(source))
    )


def subscripts(source: str) -> bool:
    """True when the code takes an item by index or slice: `something[0]`."""
    return any(isinstance(node, ast.Subscript) for node in ast.walk(parse(source)))


def legacy_get(source: str) -> bool:
    """True when the code uses the legacy `Model.query.get(...)`."""
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "query"
        for node in ast.walk(parse(source))
    )


def sorts_in_python(source: str) -> bool:
    """True when the code sorts or picks a minimum in Python: sorted(...), min(...), .sort(...)."""
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id in ("sorted", "min"))
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "sort")
        )
        for node in ast.walk(parse(source))
    )
