"""Entry point of `python -m course_lib`."""

import sys

from course_lib.slow_imports import skip_slow_optional_imports

skip_slow_optional_imports()

from course_lib.cli import main  # noqa: E402  (after the slow import is marked absent)

sys.exit(main())
