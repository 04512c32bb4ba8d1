"""Judging rules every exercise shares: values that should be rows, replays on scratch databases, source reading."""
