"""Schemathesis against the service's own OpenAPI document, in process (ASGI), in dev mode on Anvil.

Every operation gets generated requests, valid and invalid; each answer must be below 500, carry a
status code and content type that the document declares for the operation, and match its response
schema. Examples per operation are bounded so that the run takes about a minute on 2 cores.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.services.support import licensed_twin, make_context
from twinledger.api import create_app
from twinledger.services.context import AppContext

MAX_EXAMPLES = 100
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_context(anvil, tmp_path_factory) -> Iterator[AppContext]:
    # A high rate limit: the generated requests all use one API key.
    context = make_context(anvil, tmp_path_factory.mktemp("fuzz"), api_rate_limit_per_minute=1_000_000)
    licensed_twin(context)  # ids 1 exist, so generated small ids reach the found paths too
    yield context
    context.close()


@pytest.fixture(scope="module")
def fuzz_key(fuzz_context: AppContext) -> str:
    return fuzz_context.api_keys.create("schema fuzz").secret


@pytest.fixture(scope="module")
def api_schema(fuzz_context: AppContext):
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_context, run_batcher=False))


def test_api_answers_within_its_schema(api_schema, fuzz_key: str) -> None:
    # Operations are walked here rather than through schemathesis' pytest plugin, whose fixture
    # loader does not run under pytest 9.
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            headers = dict(case.headers or {})
            headers["X-API-Key"] = fuzz_key
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # schemathesis raises a FailureGroup; collect, report together
            details = [str(error)] + [str(inner) for inner in getattr(error, "exceptions", ())]
            failures.append(f"{operation.label}: " + " | ".join(details)[:1500])

    if failures:
        pytest.fail(f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures), pytrace=False)
