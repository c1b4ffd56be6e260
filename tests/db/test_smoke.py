from lrs import log
from lrs.events import NewEvent


def test_a_fresh_database_has_an_empty_log(engine):
    with engine.connect() as conn:
        assert log.head(conn) == (0, None)
    with log.writing(engine) as writer:
        writer.append("default", [NewEvent("test.happened", "s", "e1", "{}")])
    with engine.connect() as conn:
        assert log.head(conn)[0] == 1
