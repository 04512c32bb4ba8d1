"""Entry point of `python -m course_lib`."""

import sys

from course_lib.protocol import SLOW_OPTIONAL_MODULE

sys.modules.setdefault(SLOW_OPTIONAL_MODULE, None)  # type: ignore[arg-type]  (before nbformat is imported)

from course_lib.cli import main  # noqa: E402  (after the slow import is marked absent)

sys.exit(main())
