"""Text from students' files made safe to show: names of any bytes, invisible characters, and spreadsheet formulas.

Every name in the gradebook comes from a path, and a path may hold any bytes but `/` and NUL: bytes that are not
UTF-8 (a zip made on another system), control characters, or a right-to-left override that turns a name around.
"""

import hashlib
import html
import re
import unicodedata
from pathlib import PurePosixPath

#: Characters shown as they are, by Unicode general category: letters, marks, numbers, punctuation, symbols, spaces,
#: and the two joiners some scripts need inside a word. Every other one (controls, bidirectional and other format
#: characters, line and paragraph separators, surrogates, private-use and unassigned code points) is written as an
#: escape, such as \u202e.
SHOWN_CATEGORIES = ("L", "M", "N", "P", "S")
JOINERS = "\u200c\u200d"
#: What a spreadsheet reads as the start of a formula (OWASP's CSV injection list, and NUL, as ASVS 1.2.10 adds).
FORMULA_STARTS = "=+-@\t\r\0"
MAX_NAME_BYTES = 255  # the longest file or folder name most file systems hold
NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def visible(text: str, keep: str = "") -> str:
    r"""The text with every invisible or control character written as an escape (\u202e), those in `keep` excepted."""
    return "".join(character if character in keep or _shown(character) else _escape(character) for character in text)


def html_text(text: str, *, code: bool = False) -> str:
    """Text for an HTML page: escaped, each invisible character shown (code for `<pre>` keeps line breaks and tabs)."""
    return html.escape(visible(text, "\n\r\t" if code else ""))


def name_of_path(relative: str) -> str:
    r"""A path's name in the gradebook: readable, and distinct for distinct paths.

    Bytes that are not UTF-8 (which Python reads as surrogates) become `\xe9`, invisible characters `\u202e`, and a
    backslash is doubled, so that every backslash starts an escape; any other character stays as it is.
    """
    parts = []
    for character in relative:
        if "\udc80" <= character <= "\udcff":  # an undecodable byte, as os.fsdecode gives it
            parts.append(f"\\x{ord(character) - 0xDC00:02x}")
        elif character == "\\":
            parts.append("\\\\")
        else:
            parts.append(visible(character))
    return "".join(parts)


def storable_path(name: str) -> str:
    """A gradebook name as a relative path any file system holds, for the graded copy.

    A part longer than 255 bytes (escapes make a name longer than the one submitted) is cut, and ends in a hash of
    the whole part, so that it stays distinct; any other part stays as it is.
    """
    parts = []
    for part in name.split("/"):
        if len(part.encode()) > MAX_NAME_BYTES:
            suffix = PurePosixPath(part).suffix[:16]
            digest = hashlib.sha256(part.encode()).hexdigest()[:16]
            part = part.encode()[: MAX_NAME_BYTES - 40].decode(errors="ignore") + f"-{digest}{suffix}"
        parts.append(part)
    return "/".join(parts)


def spreadsheet_safe(cell: object) -> object:
    """A CSV cell that a spreadsheet shows as text and never runs, as OWASP advises.

    A cell that starts like a formula (=, +, -, @, tab, carriage return, NUL, also after spaces or as a full-width
    sign) gets a `'` before it. A number, a negative one too, stays a number: it is no formula, and platforms must
    import it as one; so does a lone `-`, which runs nothing and is what Moodle's worksheet holds for "no date".
    """
    if not isinstance(cell, str) or NUMBER.fullmatch(cell) or cell == "-":
        return cell
    starts = {cell[:1], unicodedata.normalize("NFKC", cell.lstrip()[:1])} - {""}
    return "'" + cell if any(start in FORMULA_STARTS for start in starts) else cell


def _shown(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] in SHOWN_CATEGORIES or category == "Zs" or character in JOINERS


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
