"""Learning's own records (course progress, quiz attempts, simulator runs)."""
