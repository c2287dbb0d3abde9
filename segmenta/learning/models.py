"""Learning's own records (course progress, quiz attempts, simulator runs)."""

from .models_ce import ClinicRequirement, TrainingCycle  # noqa: E402,F401  (continuing education)
from .models_courses import CourseAccreditation, ModuleProgress, QuizAttempt  # noqa: E402,F401  (courses)
from .models_sim import SimulatorRun  # noqa: E402,F401  (the case simulator)
