"""Invoices from the chart: fee schedules as sourced knowledge, proposals from a signed
session's injections, gap-free numbered invoices with Factur-X, payments and reminders.

It sits above outcomes and below the API, which exposes it."""
