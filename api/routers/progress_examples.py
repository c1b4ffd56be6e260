"""Examples of the progress view's answers, for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

LEARNER_EXAMPLE: dict[str, Any] = {
    "position": 1042,
    "learner": {"objectType": "Agent", "mbox": "mailto:ann@example.com", "name": "Ann"},
    "activities": [
        {
            "activityId": "http://example.com/courses/safety/module-2", "registration": None,
            "status": "passed", "attempts": 2, "firstActivity": "2026-11-02T09:00:00.000000Z",
            "lastActivity": "2026-11-03T10:12:00.000000Z", "completedAt": "2026-11-03T10:12:00.000000Z",
            "bestScaledScore": 0.9, "lastScaledScore": 0.9, "timeSpentSeconds": 1860.0, "progress": 100.0,
        }
    ],
    "statusCounts": {"in progress": 0, "completed": 0, "failed": 0, "passed": 1},
    "more": False,
}


ACTIVITY_EXAMPLE: dict[str, Any] = {
    "position": 1042,
    "activityId": "http://example.com/courses/safety",
    "learners": 40,
    "statusCounts": {"in progress": 12, "completed": 8, "failed": 4, "passed": 16},
    "completionRate": 0.6, "passRate": 0.8, "averageScaledScore": 0.74, "medianSecondsToComplete": 5400.0,
    "children": [{"activityId": "http://example.com/courses/safety/module-1", "relation": "parent", "learners": 38}],
}


DETAIL_EXAMPLE: dict[str, Any] = {
    "position": 1042,
    "records": [
        {
            "activityId": "http://example.com/courses/safety/module-2", "registration": None,
            "status": "passed", "attempts": 2, "firstActivity": "2026-11-02T09:00:00.000000Z",
            "lastActivity": "2026-11-03T10:12:00.000000Z", "completedAt": "2026-11-03T10:12:00.000000Z",
            "bestScaledScore": 0.9, "lastScaledScore": 0.9, "timeSpentSeconds": 1860.0, "progress": 100.0,
            "learner": {"objectType": "Agent", "mbox": "mailto:ann@example.com", "name": "Ann"},
            "evidence": {
                "status": ["7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f"],
                "attempts": ["1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d", "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"],
                "bestScore": "7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f",
                "lastScore": "7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f",
                "first": "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d",
                "last": "7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f",
            },
        }
    ],
}


COHORT_EXAMPLE: dict[str, Any] = {
    "position": 1042,
    "activityId": "http://example.com/courses/safety",
    "children": ["http://example.com/courses/safety/module-1", "http://example.com/courses/safety/module-2"],
    "learners": [
        {
            "learner": {"objectType": "Agent", "mbox": "mailto:ann@example.com", "name": "Ann"},
            "status": "in progress",
            "children": {
                "http://example.com/courses/safety/module-1": "completed",
                "http://example.com/courses/safety/module-2": "not attempted",
            },
            "completedChildren": 1,
            "percentComplete": 50.0,
        }
    ],
    "totalLearners": 1,
    "more": False,
}
