"""`segmenta demo`: a demonstration practice to explore the app. Safe to run again."""

import random
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from segmenta.accounts.models import Clinic, Membership, PractitionerProfile, Role, TrainingRecord
from segmenta.demo.calendar import create_demo_calendar
from segmenta.demo.practice import create_demo_course, create_demo_patient, demo_patients, demo_products
from segmenta.demo.synthetic import generate
from segmenta.patients.models import Patient

DEMO_PASSWORD = "segmenta-demo"

CLINICS = {
    "Demo Praxis": [
        # username, first, last, role, profession
        ("demo-admin", "Anna", "Admin", Role.ADMIN, "physician"),
        ("demo-doctor", "Daniel", "Doktor", Role.PRACTITIONER, "physician"),
        ("demo-hp", "Hanna", "Praktiker", Role.PRACTITIONER, "heilpraktiker"),
        ("demo-assistant", "Aylin", "Assistenz", Role.ASSISTANT, ""),
    ],
    "Other Clinic": [
        ("other-doctor", "Oskar", "Other", Role.PRACTITIONER, "physician"),
    ],
}

TRAINING = {
    "demo-doctor": ("Neural therapy basic course", "Demo teaching society", date(2019, 5, 18), 40,
                    ["wheal", "scar", "trigger_point", "paravertebral", "tooth", "stellate"]),
    "demo-hp": ("Segmental wheals for Heilpraktiker", "Demo teaching society", date(2021, 3, 6), 16, ["wheal"]),
    "other-doctor": ("Neural therapy basic course", "Demo teaching society", date(2017, 10, 7), 40,
                     ["wheal", "scar", "paravertebral"]),
}


class Command(BaseCommand):
    help = "Create the demo clinics, users and patients (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="allow in production (never on real data)")
        parser.add_argument("--synthetic", type=int, metavar="N",
                            help="instead: add N synthetic patients with 20 sessions each (benchmarks)")

    def handle(self, *args, force, synthetic=None, **options):
        if settings.PRODUCTION and not force:
            raise CommandError("refusing to create demo accounts with a known password in production; "
                               "use --force only on a throwaway installation", returncode=2)
        if synthetic is not None:
            if synthetic < 1:
                raise CommandError("--synthetic: give a number of patients above 0", returncode=2)
            made = generate(synthetic)
            self.stdout.write(f"Synthetic Practice: {made['patients']} patients, {made['sessions']} sessions added")
            return
        User = get_user_model()
        with transaction.atomic():
            for clinic_name, people in CLINICS.items():
                clinic, _ = Clinic.objects.get_or_create(name=clinic_name, defaults={"jurisdiction": "DE"})
                verifier = None  # the clinic's admin, listed first, vouches for the others
                for username, first, last, role, profession in people:
                    user, created = User.objects.get_or_create(
                        username=username, defaults={"first_name": first, "last_name": last}
                    )
                    if created:
                        user.set_password(DEMO_PASSWORD)
                        user.save()
                    Membership.objects.update_or_create(user=user, clinic=clinic, defaults={"role": role})
                    verifier = verifier or (user if role == Role.ADMIN else None)
                    profile, _ = PractitionerProfile.objects.get_or_create(user=user)
                    if profession and not profile.verified_profession:
                        # Demo professions count as verified by the clinic's admin.
                        profile.profession = profession
                        profile.licence_number = f"DEMO-{user.pk:04d}"
                        profile.licence_jurisdiction = "DE"
                        profile.verified_by = verifier
                        profile.verified_at = timezone.now()
                        profile.save()
                    if username in TRAINING and not profile.training_records.exists():
                        course, provider, when, hours, techniques = TRAINING[username]
                        # A made-up society ("other"), one CME point per hour as chambers usually count.
                        TrainingRecord.objects.create(profile=profile, course=course, provider=provider,
                                                      date=when, hours=hours, techniques=techniques,
                                                      awarding_body="other", credits=hours)
                practitioner = next(User.objects.get(username=u) for u, _f, _l, role, prof in people
                                    if prof == "physician" and role != Role.ADMIN)
                demo_products(clinic)
                rng = random.Random(clinic_name)
                for entry in demo_patients()[clinic_name]:
                    if not Patient.objects.filter(clinic=clinic, record_number=entry["record_number"]).exists():
                        create_demo_course(create_demo_patient(clinic, entry), practitioner, rng)
                create_demo_calendar(clinic, practitioner, practitioner)
        self.stdout.write(
            "Demo ready: clinic 'Demo Praxis' (demo-admin, demo-doctor, demo-hp, demo-assistant) and "
            f"'Other Clinic' (other-doctor). Every demo password is: {DEMO_PASSWORD}"
        )
