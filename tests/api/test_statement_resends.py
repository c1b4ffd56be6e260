"""Re-sent statements (Communication 2.1.1, Data 2.3.1 comparison)."""

from __future__ import annotations

import uuid

from tests.api.conftest import statement


def test_a_resend_may_add_the_timestamp_the_lrs_assigned_the_first_time(client):
    # Data 2.3.1: differences the LRS's own assignments could cause are ignored.
    body = statement(id=str(uuid.uuid4()))
    assert client.post_statements(body).status_code == 200
    again = {**body, "timestamp": "2015-11-18T12:17:00Z"}
    assert client.post_statements(again).status_code == 200
    different = {**again, "verb": {"id": "http://example.com/verbs/other"}}
    assert client.post_statements(different).status_code == 409
