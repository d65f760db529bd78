"""Reports for staff: course progress, summaries with charts, question statistics, the programme view.

Read-only: it reads accounts, catalog and learning (and credentials once it exists); nothing imports it.
"""
