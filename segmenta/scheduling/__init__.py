"""Running the practice's days: appointments and courses booked as series, reminders,
the recall list, the practitioner's calendar feed and the dashboard for the day.

It sits above outcomes (a reminder carries the questionnaire due for that visit) and below
the API, which exposes it."""
