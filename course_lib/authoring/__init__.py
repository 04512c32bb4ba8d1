"""Authoring the course: the manifest, the notebook format, exercises built from solutions, the self-check."""
