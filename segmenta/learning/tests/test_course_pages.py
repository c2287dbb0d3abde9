"""Learn → Courses pages: the list with progress, a module's readings from the knowledge base,
the quiz stored with its score, results with explanations, progress kept per practitioner and
clinic, the certificate (PDF text) and the clinic's accreditation."""

import io
import re
from html import unescape
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified, make_user
from segmenta.knowledge.base import load
from segmenta.learning import courses
from segmenta.learning.models_courses import CourseAccreditation, ModuleProgress, QuizAttempt
from segmenta.learning.views_courses import option_token


def right_answers(module):
    return {q["id"]: q["correct"] for q in module["questions"]}


def post_answers(client, module, answers):
    """Post option ids as the quiz page sends them: each as its token for the logged-in user."""
    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return client.post(reverse("learning:course_quiz", args=[module["id"]]), {
        qid: [option_token(user, module["id"], qid, option_id) for option_id in chosen]
        for qid, chosen in answers.items()})


def test_the_quiz_page_gives_no_answer_away_by_value_or_place(doctor_client, doctor):
    for module in courses.modules(load()):
        html = doctor_client.get(reverse("learning:course_quiz", args=[module["id"]])).content.decode()
        for question in module["questions"]:
            values = re.findall(rf'name="{question["id"]}" value="([^"]+)"', html)
            tokens = {option_token(doctor, module["id"], question["id"], o["id"]): o["id"] for o in question["options"]}
            # no a, b, c: the options are sent as this learner's tokens, shown in the tokens' order
            assert values == sorted(tokens)
            assert "correct" not in html and question["explanation"] not in unescape(html)


def test_the_right_option_is_shown_first_about_as_often_as_chance_would_have_it():
    # courses.yaml lists the right option first in most single-choice questions (3 options each)
    singles = [(m["id"], q) for m in courses.modules(load()) for q in m["questions"] if q["choice"] == "single"]
    assert sum(q["options"][0]["id"] in q["correct"] for _m, q in singles) > len(singles) / 2
    first_right = trials = 0
    for pk in range(1, 301):
        learner = SimpleNamespace(pk=pk)
        for module_id, question in singles:
            first = min(question["options"], key=lambda o: option_token(learner, module_id, question["id"], o["id"]))
            first_right += first["id"] in question["correct"]
            trials += 1
    assert 0.25 < first_right / trials < 0.42


def test_the_course_list_shows_every_module_in_order_with_its_progress(doctor_client):
    html = unescape(doctor_client.get(reverse("learning:courses")).content.decode())
    names = [m["name"] for m in sorted(load().all("course-module"), key=lambda m: m["order"])]
    positions = [html.index(name) for name in names]
    assert positions == sorted(positions)
    assert "0 of 7 modules passed" in html
    assert "It is not an accredited CME credit" in html
    assert reverse("learning:course_certificate") not in html


def test_a_module_page_renders_its_readings_from_the_knowledge_base_with_evidence_and_sources(doctor_client):
    kb = load()
    html = unescape(doctor_client.get(reverse("learning:course_module", args=["science"])).content.decode())
    study = kb.get("study", "vinyes-fischer-2023")
    assert study["name"] in html and study["result"] in html and study["design"] in html
    assert 'class="badge evidence-strong">Review</span>' in html
    assert kb.source("vinyes-fischer-2023")["name"].split(",")[0] in html
    assert "pass mark 80 %" in html
    # The answers stay off the module page.
    assert kb.get("course-module", "science")["questions"][0]["explanation"].split(".")[0] not in html


def test_opening_a_reading_counts_it_and_shows_the_entry(doctor_client, doctor, clinic):
    url = reverse("learning:course_reading", args=["huneke", "protocol", "huneke"])
    response = doctor_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:entry", args=["protocol", "huneke"])
    doctor_client.get(url)
    progress = ModuleProgress.objects.get(user=doctor, clinic=clinic, module="huneke")
    assert progress.readings_opened == ["protocol/huneke"]
    assert doctor_client.get(reverse("learning:course_reading", args=["huneke", "drug", "procaine"])).status_code == 404


def test_an_unknown_module_is_404(doctor_client):
    assert doctor_client.get(reverse("learning:course_module", args=["astrology"])).status_code == 404
    assert doctor_client.get(reverse("learning:course_quiz", args=["astrology"])).status_code == 404


def test_a_quiz_with_an_unanswered_question_is_refused_naming_it_and_nothing_is_stored(doctor_client):
    module = load().get("course-module", "huneke")
    answers = right_answers(module)
    missing = module["questions"][2]["id"]
    del answers[missing]
    response = post_answers(doctor_client, module, answers)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Choose an answer." in html
    assert f'name="{missing}"' in html
    assert not QuizAttempt.objects.exists()


def test_a_passing_attempt_is_stored_with_its_score_and_completes_the_module(doctor_client, doctor, clinic):
    module = load().get("course-module", "science")
    answers = right_answers(module)
    answers["science-approaches"] = ["a", "b"]  # two of the three right options: partial credit
    response = post_answers(doctor_client, module, answers)
    attempt = QuizAttempt.objects.get()
    assert response["Location"] == reverse("learning:course_attempt", args=["science", attempt.pk])
    assert (attempt.user, attempt.clinic, attempt.right_count, attempt.question_count) == (doctor, clinic, 4, 5)
    assert str(attempt.score) == "0.9333" and attempt.passed
    assert attempt.answers["science-approaches"] == ["a", "b"]
    assert attempt.kb_version == load().version
    progress = ModuleProgress.objects.get(user=doctor, module="science")
    assert progress.passed_at is not None and progress.passed_version == load().version
    html = unescape(doctor_client.get(response["Location"]).content.decode())
    assert "4 of 5 right (93 %)" in html and "Passed." in html
    assert "Partly right" in html
    assert all(q["explanation"].split(".")[0] in html for q in module["questions"])


def test_a_failed_attempt_after_a_pass_keeps_the_module_passed_and_the_quiz_is_repeatable(doctor_client, doctor):
    module = load().get("course-module", "dosing")
    post_answers(doctor_client, module, right_answers(module))
    passed_at = ModuleProgress.objects.get(user=doctor, module="dosing").passed_at
    wrong = {q["id"]: [next(o["id"] for o in q["options"] if o["id"] not in q["correct"])] for q in module["questions"]}
    response = post_answers(doctor_client, module, wrong)
    attempt = QuizAttempt.objects.order_by("-pk").first()
    assert (attempt.right_count, attempt.passed, str(attempt.score)) == (0, False, "0.0000")
    assert "Not passed: the pass mark is 80 %." in unescape(doctor_client.get(response["Location"]).content.decode())
    assert ModuleProgress.objects.get(user=doctor, module="dosing").passed_at == passed_at
    assert QuizAttempt.objects.filter(user=doctor, module="dosing").count() == 2


def test_attempts_and_progress_are_each_practitioners_own(doctor_client, clinic, other_clinic):
    module = load().get("course-module", "outcomes")
    post_answers(doctor_client, module, right_answers(module))
    attempt = QuizAttempt.objects.get()
    colleague = login_verified(doctor_client.__class__(), make_user("colleague", clinic))
    url = reverse("learning:course_attempt", args=["outcomes", attempt.pk])
    assert colleague.get(url).status_code == 404
    assert "0 of 7 modules passed" in unescape(colleague.get(reverse("learning:courses")).content.decode())
    assert "1 of 7 modules passed" in unescape(doctor_client.get(reverse("learning:courses")).content.decode())


def pass_everything(user, clinic):
    kb = load()
    for module in courses.modules(kb):
        courses.submit(user, clinic, kb, module, right_answers(module))


def certificate_text(client):
    response = client.get(reverse("learning:course_certificate"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return re.sub(r"\s+", " ", text)


def test_the_certificate_waits_for_every_module(doctor_client, doctor, clinic):
    kb = load()
    courses.submit(doctor, clinic, kb, kb.get("course-module", "science"), right_answers(kb.get("course-module", "science")))
    response = doctor_client.get(reverse("learning:course_certificate"))
    assert response.status_code == 302 and response["Location"] == reverse("learning:courses")


def test_the_certificate_names_the_practitioner_modules_dates_version_and_says_it_is_no_cme_credit(
        doctor_client, doctor, clinic):
    doctor.first_name, doctor.last_name = "Eva", "Sommer"
    doctor.save()
    pass_everything(doctor, clinic)
    html = unescape(doctor_client.get(reverse("learning:courses")).content.decode())
    assert reverse("learning:course_certificate") in html
    text = certificate_text(doctor_client)
    assert "Certificate of completion" in text
    assert "Eva Sommer has completed the neural therapy course" in text
    for module in load().all("course-module"):
        assert module["name"] in text
    progress = ModuleProgress.objects.filter(user=doctor).first()
    assert timezone.localdate(progress.passed_at).isoformat() in text
    assert f"Knowledge base version {load().version}" in text
    assert "This certificate is not an accredited CME credit." in text
    assert "Praxis Nord" in text


def test_with_an_accreditation_recorded_the_certificate_names_it_instead(doctor_client, doctor, clinic, admin_user):
    CourseAccreditation.objects.create(clinic=clinic, accredited_by="Ärztekammer Nordrhein", credits="12.0",
                                       reference="NT-2026-17", recorded_by=admin_user)
    pass_everything(doctor, clinic)
    text = certificate_text(doctor_client)
    assert "accredited by Ärztekammer Nordrhein for 12.0 CME credits (reference: NT-2026-17)" in text
    assert "not an accredited CME credit" not in text


def test_only_a_clinic_admin_records_an_accreditation(doctor_client, admin_client, clinic, admin_user):
    url = reverse("learning:course_accreditation")
    assert doctor_client.get(url).status_code == 404
    assert doctor_client.post(url, {"accredited_by": "X", "credits": "1"}).status_code == 404
    assert not CourseAccreditation.objects.exists()
    response = admin_client.post(url, {"accredited_by": "", "credits": "-1"})
    assert "This field is required." in unescape(response.content.decode())
    assert not CourseAccreditation.objects.exists()
    admin_client.post(url, {"accredited_by": "Landesärztekammer", "credits": "8", "reference": "A1"})
    saved = CourseAccreditation.objects.get()
    assert (saved.clinic, saved.accredited_by, str(saved.credits), saved.recorded_by) == (
        clinic, "Landesärztekammer", "8.0", admin_user)
    admin_client.post(url, {"withdraw": "1"})
    assert not CourseAccreditation.objects.exists()
    # Recording and withdrawing are on the audit trail with what the accreditation said.
    events = list(AuditEvent.objects.filter(object_type="courseaccreditation").order_by("id"))
    assert [(e.action, e.detail["accredited_by"], e.detail["reference"]) for e in events] == [
        ("create", "Landesärztekammer", "A1"), ("delete", "Landesärztekammer", "A1")]


def test_an_accreditation_without_a_reference_prints_none(doctor_client, doctor, clinic, admin_user):
    CourseAccreditation.objects.create(clinic=clinic, accredited_by="Ärztekammer Nordrhein", credits="12.0",
                                       recorded_by=admin_user)
    pass_everything(doctor, clinic)
    text = certificate_text(doctor_client)
    assert "accredited by Ärztekammer Nordrhein for 12.0 CME credits." in text and "reference" not in text


def test_the_learn_index_links_to_the_course(doctor_client):
    assert reverse("learning:courses") in unescape(doctor_client.get(reverse("knowledge:index")).content.decode())


def test_the_knowledge_base_page_of_a_module_shows_no_answers(doctor_client):
    module = load().get("course-module", "ganglia")
    html = unescape(doctor_client.get(reverse("knowledge:entry", args=["course-module", "ganglia"])).content.decode())
    assert module["objectives"][0] in html
    assert reverse("learning:course_module", args=["ganglia"]) in html
    assert module["questions"][0]["explanation"].split(";")[0] not in html


def test_a_german_reader_gets_the_modules_objectives_questions_and_explanations_in_german(doctor_client, doctor,
                                                                                          clinic):
    module = load().get("course-module", "dosing")
    german = module["i18n"]["de"]
    html = unescape(doctor_client.get(reverse("learning:course_module", args=["dosing"]),
                                      HTTP_ACCEPT_LANGUAGE="de").content.decode())
    assert german["name"] in html and german["objectives"][0] in html
    assert load().get("drug", "procaine")["i18n"]["de"]["name"] in html
    html = unescape(doctor_client.get(reverse("learning:course_quiz", args=["dosing"]),
                                      HTTP_ACCEPT_LANGUAGE="de").content.decode())
    assert german["questions"][0]["text"] in html and german["questions"][0]["options"][1]["text"] in html
    attempt = courses.submit(doctor, clinic, load(), module, right_answers(module))
    html = unescape(doctor_client.get(reverse("learning:course_attempt", args=["dosing", attempt.pk]),
                                      HTTP_ACCEPT_LANGUAGE="de").content.decode())
    assert all(q["explanation"].split(";")[0] in html for q in german["questions"])
    assert module["questions"][0]["explanation"] not in html


def test_a_clinic_admin_sees_each_members_modules_passed_and_others_cannot(doctor_client, admin_client, doctor,
                                                                           admin_user, clinic, outsider, other_clinic):
    kb = load()
    pass_everything(doctor, clinic)
    science = kb.get("course-module", "science")
    courses.submit(admin_user, clinic, kb, science, right_answers(science))
    courses.submit(outsider, other_clinic, kb, science, right_answers(science))  # another clinic's member
    url = reverse("learning:course_team")
    assert doctor_client.get(url).status_code == 404
    html = unescape(admin_client.get(url).content.decode())
    doctor_row = html[html.index("<strong>doctor</strong>"):]
    boss_row = html[html.index("<strong>boss</strong>"):]
    assert "7 of 7 modules passed" in doctor_row.split("</li>")[0] and "Course completed" in doctor_row.split("</li>")[0]
    assert "1 of 7 modules passed" in boss_row.split("</li>")[0]
    assert "outsider" not in html
