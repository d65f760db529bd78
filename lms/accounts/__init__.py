"""Accounts: people, their organisations and roles; register, log in, profile."""
