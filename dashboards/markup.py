"""HTML that is safe by construction: text is escaped unless it is already `Markup`.

Every text from repositories or the database (names, paths, identities, failure reasons, definitions)
is untrusted. Pages are built with `el`, which escapes plain `str` children and attribute values, so
forgetting to escape is not possible; only constants of this package become `Markup` unescaped.
JSON embedded in a page goes through `script_json`, which cannot close the `<script>` element.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable
from typing import Any

# U+2028/2029 are line breaks to older JavaScript parsers; `<`, `>` and `&` could end the element.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029]")
_INLINE_UNSAFE = re.compile(r"</script|<!--", re.IGNORECASE)
_TAG = re.compile(r"[a-z][a-z0-9]*")
_ATTRIBUTE = re.compile(r"[a-z][a-z0-9-]*")


class Markup(str):
    """Text that is already HTML: it is inserted as is."""

    __slots__ = ()


Child = str | int | Markup | None


def escape(text: object) -> Markup:
    return Markup(html.escape(str(text), quote=True))


def render(child: Child) -> Markup:
    if child is None:
        return Markup("")
    if isinstance(child, Markup):
        return child
    return escape(child)


def join(children: Iterable[Child], separator: str = "") -> Markup:
    return Markup(escape(separator).join(render(child) for child in children))


def el(tag: str, *children: Child, **attributes: str | int | bool | None) -> Markup:
    """`<tag attributes>children</tag>`. Attribute names use `_` for `-`; a trailing `_` is dropped
    (`class_`); `True` writes a bare attribute and `None`/`False` leaves it out."""
    if not _TAG.fullmatch(tag):
        raise ValueError(f"not a tag name: {tag!r}")
    return Markup(f"<{tag}{_attributes(attributes)}>{join(children)}</{tag}>")


def void(tag: str, **attributes: str | int | bool | None) -> Markup:
    """An element without content or end tag (`meta`, `link`, `br`)."""
    if not _TAG.fullmatch(tag):
        raise ValueError(f"not a tag name: {tag!r}")
    return Markup(f"<{tag}{_attributes(attributes)}>")


def _attributes(attributes: dict[str, str | int | bool | None]) -> str:
    parts = []
    for key, value in attributes.items():
        name = key.rstrip("_").replace("_", "-")
        if not _ATTRIBUTE.fullmatch(name):
            raise ValueError(f"not an attribute name: {name!r}")
        if value is True:
            parts.append(f" {name}")
        elif value is not None and value is not False:
            parts.append(f' {name}="{escape(value)}"')
    return "".join(parts)


def script_json(data: Any, *, encoder: type[json.JSONEncoder] | None = None) -> Markup:
    """Compact JSON that is safe inside `<script>`: no `<`, `>`, `&`, U+2028 or U+2029 survive."""
    text = json.dumps(data, cls=encoder, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Markup(_JSON_UNSAFE.sub(lambda match: _JSON_ESCAPES[match.group()], text))


def json_block(element_id: str, data: Markup, **attributes: str) -> Markup:
    """A data block: `<script type="application/json">`, which browsers never run (nor CSP checks)."""
    return el("script", data, type="application/json", id=element_id, **attributes)


def inline_script(source: str) -> Markup:
    """Our own JavaScript (plotly.js, report.js) inlined. It is refused if it holds `</script` or
    `<!--`, which would end or confuse the element (neither plotly.js nor report.js does)."""
    if _INLINE_UNSAFE.search(source):
        raise ValueError("this script cannot be inlined: it contains `</script` or `<!--`")
    return el("script", Markup(source))


def script_hash(source: str) -> str:
    """The CSP source (`'sha256-…'`) that allows `inline_script(source)` to run."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(script_sources: Iterable[str]) -> str:
    """Nothing may load but our scripts. Plotly draws with inline styles, hence `style-src
    'unsafe-inline'` (styles cannot run code); its PNG export draws through `data:`/`blob:` images."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {' '.join(script_sources)}",
            "style-src 'unsafe-inline'",
            "img-src data: blob:",
            "font-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "object-src 'none'",
        )
    )
