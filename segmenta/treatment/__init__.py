"""Treatment: plans, sessions, injections, the safety engine and signed notes."""
