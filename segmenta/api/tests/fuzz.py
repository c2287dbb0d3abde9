"""schemathesis against the API, in process: what test_api_fuzz.py runs sampled in CI and
benchmarks/fuzz_api.py runs at full size.

Requests are generated from the OpenAPI document, sent through the WSGI application with a
real bearer token, and every answer is checked: never a server error, a documented status,
the documented content type and a body valid against the documented schema. Ids in paths
are drawn from a demo-like chart (a patient with every kind of entry, a session with an
injection) as often as at random, so operations get past their 404."""

import json
from contextlib import contextmanager
from datetime import timedelta

import hypothesis
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from segmenta.accounts.models import ApiToken
from segmenta.conftest import complete_chart, make_patient
from segmenta.treatment.models import Product

from .openapi import URL
from .test_chart_api import EXAMPLES

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@contextmanager
def in_test_transaction():
    """The WSGI handler closes the database connection around each request, which would end
    the test's transaction; Django's test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def demo_chart(clinic, user):
    """A chart like the demo's, made through the API itself; returns the ids per path parameter."""
    _token, raw = ApiToken.issue(user, "fuzz")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    patient = complete_chart(make_patient(clinic), user)
    Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                           concentration_percent=1)

    def post(url, body):
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    items = [post(f"/api/v1/patients/{patient.pk}/{kind}", body) for kind, body in EXAMPLES.items()]
    started = (timezone.now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    sessions = [post(f"/api/v1/patients/{patient.pk}/sessions", {"started_at": started}) for _ in range(2)]
    injection = post(f"/api/v1/sessions/{sessions[0]}/injections",
                     {"target": "wheal", "concentration_percent": 1, "volume_ml": 0.5,
                      "override_reason": "skin test, tolerated before"})
    # An appointment for the calendar's operations, tomorrow at ten, in the first room and type.
    from segmenta.scheduling.booking import types_of
    from segmenta.scheduling.models import Room

    tomorrow = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    Room.objects.create(clinic=clinic, name="Room 1")
    appointment = post("/api/v1/appointments", {"patient": patient.pk, "practitioner": user.get_username(),
                                                "type": types_of(clinic).first().pk,
                                                "starts_at": tomorrow.isoformat()})
    return raw, {"patient_id": [patient.pk], "item_id": items, "session_id": sessions,
                 "injection_id": [injection], "appointment_id": [appointment]}


def load_schema(token, ids):
    """The document as the app serves it, with the token sent on every request and real ids
    offered for every id in a path."""
    config = schemathesis.Config.from_dict({"headers": {"Authorization": f"Bearer {token}"},
                                            "generation": {"mode": "all"}})
    schema = schemathesis.openapi.from_wsgi(URL, get_wsgi_application(), config=config)

    @schema.hook
    def before_generate_path_parameters(context, strategy):
        names = [name for name in ids if f"{{{name}}}" in context.operation.path]
        if not names:
            return strategy
        real = st.fixed_dictionaries({name: st.sampled_from(ids[name]) for name in names})
        return st.one_of(real, strategy)

    return schema


def settings(examples):
    return hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                               suppress_health_check=list(HealthCheck), print_blob=True,
                               stateful_step_count=max(5, min(examples, 20)))


class Tally(dict):
    """The statuses each operation answered: operation label -> {status: count}."""

    def add(self, case, response):
        statuses = self.setdefault(case.operation.label, {})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    def succeeded(self):
        """The operations that answered a 2xx at least once."""
        return {label for label, statuses in self.items() if any(200 <= status < 300 for status in statuses)}


def call_and_check(case, tally, **kwargs):
    response = case.call()
    tally.add(case, response)
    case.validate_response(response, checks=CHECKS, **kwargs)


def run_stateless(schema, examples, tally):
    """Every operation with ``examples`` generated requests, valid ones and invalid ones (each
    request breaking the schema somewhere); returns the failures as text, one per operation."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=st.one_of(operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                                         operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)))
        @settings(examples)
        def test(case):
            call_and_check(case, tally)

        try:
            test()
        except Exception as error:  # noqa: BLE001  (each operation's failure is collected, then reported)
            failures.append(f"{operation.label}: {error}")
    return failures


def run_stateful(schema, examples, tally):
    """Sequences of calls, each using what an earlier answer returned (links that schemathesis
    infers from the document: a created patient's id to read, change and chart it)."""
    machine = schema.as_state_machine()

    class Checked(machine):
        # Each sequence starts from the same chart (what one changed is rolled back), so a
        # sequence replays alike when Hypothesis runs it again to shrink or confirm a failure.
        def setup(self):
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            tally.add(case, response)
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None,
                                   recorder=self.recorder)

    Checked.run(settings=settings(examples))
