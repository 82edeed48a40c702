from django import template

from timeline import mentions

register = template.Library()


@register.filter
def with_mentions(html, handles):
    """Highlight @-mentions of team members in escaped post HTML."""
    if not handles:
        return html
    return mentions.highlight(html, handles)
