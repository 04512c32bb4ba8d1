"""Grading a class: submissions matched to their reference, graded copies run by nbval, a gradebook to trust."""
