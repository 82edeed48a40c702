"""Patient timelines: posts, attachments, read receipts and edit history.

Every view reaches a patient through ``network.access``; nothing here decides who may see.
"""
