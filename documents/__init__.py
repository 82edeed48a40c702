"""Upload checks and the signed document store (scans of signed forms).

``uploads.check_upload`` decides what a file is by its content; ``scans`` adds the rules
for signed scans; ``store`` keeps them with a SHA-256 digest and the system's Ed25519
signature, which ``manage.py verify_documents`` checks again.
"""
