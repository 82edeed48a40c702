"""@-mentions: "@姓名" of a team member in a post's text.

A mention is the family and given name written together after "@" (spaces
optional), the form the composer's completion inserts. Only people who may read
the patient can be mentioned; anyone else is plain text.
"""

import re

from django.utils.html import escape
from django.utils.safestring import mark_safe


def handle(user):
    return f"{user.last_name}{user.first_name}".replace(" ", "").replace("\u3000", "")


def handles_for(users):
    """{handle: user} for ``users`` (the people who may read the patient)."""
    return {handle(u): u for u in users if handle(u)}


def mentioned_users(text, handles):
    """The team members mentioned in ``text``."""
    compact = re.sub(r"[ \u3000]", "", text or "")
    return [user for name, user in handles.items() if f"@{name}" in compact]


def highlight(html, handles):
    """Wrap known mentions in already-escaped ``html`` with <span class="mention">."""
    result = str(html)
    if "@" not in result:
        return html
    for name in sorted(handles, key=len, reverse=True):
        token = "@" + escape(name)
        result = result.replace(token, f'<span class="mention">{token}</span>')
    return mark_safe(result)  # noqa: S308 (input is escaped HTML; names are escaped)
