"""Finds markup that an injected payload managed to create in a rendered page."""

from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "srcdoc"}
NEVER_EXPECTED = {"iframe", "math", "object", "embed", "base", "frame", "frameset", "applet"}


class _Finder(HTMLParser):
    def __init__(self, marker):
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.findings = []
        self.bodies = 0
        self._in = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = [(name.lower(), value or "") for name, value in attrs]
        if tag == "body":
            self.bodies += 1
        if tag in NEVER_EXPECTED:
            self.findings.append(f"<{tag}>")
        if tag == "svg" and any(self.marker in v for _n, v in attrs):
            self.findings.append("<svg> with payload")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}=...>")
            cleaned = "".join(ch for ch in value if ch > " ").lower()
            if name in URL_ATTRIBUTES and cleaned.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.findings.append(f"<{tag} {name}={value[:40]}>")
            # A typed URL becomes a link on purpose; a form or base pointing away must not appear.
            if name in ("action", "formaction") and "evil.example" in cleaned:
                self.findings.append(f"<{tag} {name}={value[:40]}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.findings.append("<img src=x>")
        if tag == "input" and "autofocus" in dict(attrs) and self.marker in str(attrs):
            self.findings.append("<input autofocus>")
        # json_script data blocks are not executed (and escape < > &).
        if tag == "style" or tag == "script" and dict(attrs).get("type") != "application/json":
            self._in, self._text = tag, []

    def handle_endtag(self, tag):
        if tag == self._in:
            if self.marker in "".join(self._text):
                self.findings.append(f"<{tag}> holding the payload")
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


def injected_markup(html, marker):
    finder = _Finder(marker)
    finder.feed(html)
    finder.close()
    if finder.bodies > 1:
        finder.findings.append("second <body>")
    return finder.findings
