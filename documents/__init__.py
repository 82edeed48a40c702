"""PDF rendering, upload checks, the signed document store and the consent archive.

Not yet an installed app: it arrives with the forms and timeline-attachment issues.
"""
