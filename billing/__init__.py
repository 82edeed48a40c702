"""Fee rules (facility kind × medical net × SNS → monthly fee, tax excluded) as data.

The secretariat edits them as a Wagtail snippet; the public fees page renders them and the
annual invoicing reads them through ``billing.fees.monthly_fee``.
"""
