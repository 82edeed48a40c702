"""Forms 1-8 and the user ledger: definitions, PDFs, online forms and submissions.

The secretariat's review of submissions and the effects of accepting them belong to the
review workflow, which reads ``forms.models.Submission``.
"""
