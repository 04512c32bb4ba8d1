"""Running notebooks for the committed outputs: widgets leave no random model id behind, only their static views."""

import json

import nbformat

from course_lib.authoring.execution import WIDGET_VIEW, execute


def test_stored_outputs_of_a_widget_keep_its_static_views_and_no_model_id(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("from course_lib import show_session, SessionInspector\nSessionInspector()")]
    )
    execute(notebook, tmp_path)
    data = notebook.cells[0].outputs[0]["data"]
    assert WIDGET_VIEW not in data
    assert data["text/plain"].startswith("Session inspector (live)") and "course-session-view" in data["text/html"]
    assert "widgets" not in notebook.metadata
    assert "model_id" not in json.dumps(nbformat.writes(notebook))
