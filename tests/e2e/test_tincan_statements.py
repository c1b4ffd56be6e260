"""The tincan package's RemoteLRS against a real ``lrs serve``."""

from __future__ import annotations

import uuid

from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    LanguageMap,
    RemoteLRS,
    Statement,
    StatementRef,
    Verb,
)

from tests.e2e.conftest import KEY, SECRET

COMPLETED = Verb(id="http://adlnet.gov/expapi/verbs/completed", display=LanguageMap({"en-US": "completed"}))
VOIDED = Verb(id="http://adlnet.gov/expapi/verbs/voided", display=LanguageMap({"en-US": "voided"}))


def remote(server) -> RemoteLRS:  # type: ignore[no-untyped-def]
    return RemoteLRS(endpoint=server.endpoint, username=KEY, password=SECRET)


def make_statement(n: int, registration: str) -> Statement:
    return Statement(
        actor=Agent(name=f"Learner {n}", mbox=f"mailto:learner{n}@example.com"),
        verb=COMPLETED,
        object=Activity(
            id=f"http://example.com/activities/module-{n}",
            definition=ActivityDefinition(name=LanguageMap({"en-US": f"Module {n}"})),
        ),
        context=Context(registration=registration),
    )


def test_save_retrieve_query_page_void(server):
    lrs = remote(server)
    assert lrs.about().success

    registration = str(uuid.uuid4())
    single = make_statement(0, registration)
    saved = lrs.save_statement(single)
    assert saved.success, saved.data
    statement_id = str(saved.content.id)

    batch = [make_statement(n, registration) for n in range(1, 8)]
    saved_batch = lrs.save_statements(batch)
    assert saved_batch.success, saved_batch.data
    assert all(s.id for s in saved_batch.content)

    fetched = lrs.retrieve_statement(statement_id)
    assert fetched.success, fetched.data
    assert str(fetched.content.id) == statement_id
    assert fetched.content.verb.id == COMPLETED.id

    # Query by registration, 3 per page, following `more` to the end.
    first = lrs.query_statements({"registration": registration, "limit": 3})
    assert first.success, first.data
    seen = [str(s.id) for s in first.content.statements]
    result = first.content
    while result.more:
        page = lrs.more_statements(result)
        assert page.success, page.data
        result = page.content
        seen.extend(str(s.id) for s in result.statements)
    assert len(seen) == 8 and len(set(seen)) == 8
    assert statement_id in seen

    voiding = Statement(
        actor=Agent(name="Admin", mbox="mailto:admin@example.com"),
        verb=VOIDED,
        object=StatementRef(id=statement_id),
    )
    saved_voiding = lrs.save_statement(voiding)
    assert saved_voiding.success, saved_voiding.data

    assert lrs.retrieve_statement(statement_id).response.status == 404
    voided = lrs.retrieve_voided_statement(statement_id)
    assert voided.success, voided.data
    assert str(voided.content.id) == statement_id

    # The voided statement is gone from queries; the voiding statement matches the
    # registration filter through its target (Communication 2.1.3 StatementRef rule).
    after = lrs.query_statements({"registration": registration, "limit": 0})
    ids = {str(s.id) for s in after.content.statements}
    batch_ids = {str(s.id) for s in saved_batch.content}
    assert ids == batch_ids | {str(saved_voiding.content.id)}
