"""Runs notebooks top to bottom in a fresh kernel and stores their outputs."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

KERNEL = "python3"
# The kit's kernel settings (see that file): read by every kernel of a venv made by `make setup`, passed here as well.
KERNEL_CONFIG = Path(__file__).resolve().parents[2] / "etc" / "ipython" / "ipython_kernel_config.py"
CELL_TIMEOUT_SECONDS = 120
# A widget's output names its model by a random id; the HTML and text views beside it are what a stored notebook keeps.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def execute(notebook: NotebookNode, folder: Path) -> NotebookNode:
    """Run the notebook in a fresh kernel whose working directory is `folder`; outputs are stored in place."""
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT_SECONDS,
        record_timing=False,
        coalesce_streams=True,
        store_widget_state=False,
        resources={"metadata": {"path": str(folder)}},
        extra_arguments=[f"--config={KERNEL_CONFIG}"] if KERNEL_CONFIG.exists() else [],
    )
    client.execute()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    return notebook


def execute_file(path: Path) -> None:
    """Run a notebook file in a fresh kernel and write it back with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    execute(notebook, path.parent)
    nbformat.write(notebook, path)
