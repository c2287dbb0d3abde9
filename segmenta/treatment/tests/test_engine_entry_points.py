import json
import subprocess
import sys

from django.urls import reverse

from segmenta.assessment.tests.cases import shared_case


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "segmenta", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


def test_safety_cli_and_api_agree(api_client):
    path = shared_case("safety-session-dose-limit.case.json")
    from_cli = json.loads(cli("safety", str(path)).stdout)
    from_api = api_client.post(reverse("api:safety"), path.read_text(), content_type="application/json").json()
    assert from_cli == from_api and from_cli["verdict"] == "block"


def test_huneke_api_classifies(api_client):
    path = shared_case("huneke-tooth-and-scar.case.json")
    result = api_client.post(reverse("api:huneke"), path.read_text(), content_type="application/json").json()
    assert [t["classification"] for t in result["tests"]] == ["huneke", "confirmed", "partial"]


def test_bad_planned_injection_is_named_by_cli_and_api(api_client):
    bad = {"format": "segmenta-case/1", "planned_injections": [
        {"target": "wheal", "drug": "procaine", "concentration_percent": "one", "volume_ml": 1}]}
    message = "planned_injections[0].concentration_percent: 'one' is not of type 'number'"
    result = cli("safety", "-", stdin=json.dumps(bad))
    assert result.returncode == 2 and result.stderr.strip().endswith(message)
    response = api_client.post(reverse("api:safety"), bad, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"] == message


def test_engines_need_a_token(db, client):
    assert client.post(reverse("api:safety"), {}, content_type="application/json").status_code == 401
