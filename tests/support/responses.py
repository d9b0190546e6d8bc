"""Reading a Flask test client's answer as the JSON object every error and result must be."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse


def json_object(response: TestResponse) -> dict[str, Any]:
    """The answer's JSON object; fails, showing the body, when it is not one."""
    assert response.mimetype == "application/json", response.get_data(as_text=True)
    document = response.get_json()
    assert isinstance(document, dict)
    return document
