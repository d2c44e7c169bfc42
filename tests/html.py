"""Reading the register's HTML in tests: page text, sections, form fields as a browser would post them, field
errors and CSRF tokens."""

import re
from html import unescape
from html.parser import HTMLParser


def text(response):
    return response.get_data(as_text=True)


def visible_text(html):
    """What a person reads: the body without scripts, styles, tags and attribute values."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def words(response):
    """A page's visible text with its whitespace collapsed: "Ny version senast 2026-12-13"."""
    return " ".join(visible_text(text(response)).split())


class FormReader(HTMLParser):
    """What a browser would submit for the page's first form with fields (text, selects, textareas)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "radio", "submit"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "fieldset" and "data-choices" in a:
            self._choices = True
        elif tag == "input" and a.get("type") == "checkbox" and getattr(self, "_choices", False):
            # A checkbox list (templates/_macros.html, choice_list) posts a list, like a multiple select.
            if "data-select-kind" not in a:
                chosen = self.fields.setdefault(a["name"], [])
                if "checked" in a:
                    chosen.append(a.get("value", ""))
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.fields[a["name"]] = a.get("value") or "y"
        elif tag == "select":
            self._select = a["name"]
            self.fields[self._select] = [] if "multiple" in a else None
        elif tag == "option" and self._select:
            current, value = self.fields[self._select], a.get("value", "")
            if isinstance(current, list):
                if "selected" in a:
                    current.append(value)
            elif "selected" in a or current is None:
                self.fields[self._select] = value
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self._choices = False
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self.fields[self._textarea] = re.sub(r"^\r?\n", "", self.fields[self._textarea])
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(client, url):
    """GET a form page and return what submitting it unchanged would post."""
    response = client.get(url)
    assert response.status_code == 200, url
    reader = FormReader()
    reader.feed(text(response))
    reader.fields.pop("csrf_token", None)
    return reader.fields


def section(page, heading_id):
    """The HTML of the page's <section aria-labelledby=heading_id> (page: a response or its text)."""
    html = page if isinstance(page, str) else text(page)
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def csrf_token(client, url):
    """The CSRF token of the form on a page (for apps that check it; the tests' app does not)."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get(url)))
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def field_error(response, name):
    """The message shown beside a form field, or None."""
    found = re.search(rf'id="{name}-error">(.*?)</p>', text(response), re.S)
    return unescape(found.group(1)) if found else None
