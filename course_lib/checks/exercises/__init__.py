"""One module per exercise: the judge of each of its checkpoints."""
