"""Forms 1-8 and the user ledger: online forms, submissions, secretariat review and the 11 flows.

Not yet an installed app: it arrives with the public-forms and secretariat-review issues.
"""
