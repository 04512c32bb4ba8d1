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
