"""Rewrites a wheel in place: files left out or added, its RECORD kept exact, the output the same at every build.

Used by build_site.py (on the build's Python) and by bytecode.py (inside Pyodide), so it needs nothing but the
standard library.
"""

import base64
import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold: added files do not change from build to build


def record_line(name: str, data: bytes) -> str:
    """A RECORD line for a file of the wheel: its path, sha256 (urlsafe base64, unpadded) and size."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def rewrite_wheel(wheel: Path, *, drop: Callable[[str], bool] = lambda _name: False, add: dict[str, bytes]) -> int:
    """Rewrite `wheel` without the files `drop` accepts, with `add` (path -> content); how many files it left out."""
    with zipfile.ZipFile(wheel) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    record = next(info.filename for info, _data in entries if info.filename.endswith(".dist-info/RECORD"))
    kept = [(info, data) for info, data in entries if info.filename != record and not drop(info.filename)]
    lines = [record_line(info.filename, data) for info, data in kept] + [record_line(n, d) for n, d in add.items()]
    scratch = wheel.with_suffix(".rewriting")
    with zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in kept:
            target.writestr(info, data)
        for name, data in {**add, record: "\n".join([*lines, f"{record},,", ""]).encode()}.items():
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            target.writestr(info, data)
    scratch.replace(wheel)
    return len(entries) - 1 - len(kept)
