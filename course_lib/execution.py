"""Runs notebooks top to bottom in a fresh kernel and stores their outputs."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

KERNEL = "python3"
CELL_TIMEOUT_SECONDS = 120


def execute(notebook: NotebookNode, folder: Path) -> NotebookNode:
    """Run the notebook in a fresh kernel whose working directory is `folder`; outputs are stored in place."""
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT_SECONDS,
        record_timing=False,
        coalesce_streams=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    return notebook


def execute_file(path: Path) -> None:
    """Run a notebook file in a fresh kernel and write it back with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    execute(notebook, path.parent)
    nbformat.write(notebook, path)
