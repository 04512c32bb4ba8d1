"""Grading a class: submissions matched to their reference, run in the kit's sandboxed runner, a gradebook to trust."""
