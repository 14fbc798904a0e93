"""Messages that the domain layer writes in Chinese and the renderer translates.

Services hold no request state, so they cannot know the reader's language. A service marks a
user-facing message with `N_("未知街道：%(street)s", street=name)`: the result is a `Message`, a `str`
whose value is the Chinese text exactly as before (so it is stored, logged, compared, exported and
serialised as it always was), and which also remembers its msgid and parameters. Where the message
is shown, `localize()` translates it into the request's language:

- the JSON error body (`security.json_error`, used by every API error handler);
- the HTML error page and every page template: the Jinja `finalize` hook translates a `Message`
  printed with `{{ ... }}`, and the `messages` filter joins a list of them (`{{ errs|messages }}`);
- a flashed message: the session keeps plain text, so views flash `localize(exc.message)` or
  `describe(exc)`, which are translated in the request that flashes them.

`N_` is one of pybabel's default keywords, so `make translations` extracts these msgids. Interpolated
values go in as `%(name)s` parameters (an f-string could not be translated); a parameter that is
itself a `Message`, or a plain Chinese label that the catalogue translates (a status, a role), is
translated too; `Listing(values)` passes a list ("a、b" in Chinese, "a, b" in English).
"""
import re
from collections.abc import Mapping

from flask import has_request_context
from flask_babel import get_locale, gettext

CJK = re.compile(r"[\u3400-\u9fff]")


class Message(str):
    """Chinese text that knows how to translate itself (see the module docstring)."""

    def __new__(cls, msgid: str, params: Mapping | None = None):
        params = dict(params or {})
        text = msgid % params if params else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self):  # copy and pickle keep the msgid and parameters
        return (Message, (self.msgid, self.params))

    def translate(self) -> str:
        """The text in the current request's language (the Chinese text outside a request)."""
        if chinese():
            return str(self)
        text = gettext(self.msgid)
        if self.params:
            return text % {name: _param(value) for name, value in self.params.items()}
        return text


class Listing(Message):
    """A list of values as one parameter: "a、b、c" in Chinese, "a, b, c" translated item by item."""

    def __new__(cls, items, sep: str = "、"):
        items = [str(item) for item in items]
        self = Message.__new__(cls, sep.join(items))
        self.items = items
        self.sep = sep
        return self

    def __reduce__(self):
        return (Listing, (self.items, self.sep))

    def translate(self) -> str:
        if chinese():
            return str(self)
        return ", ".join(_param(item) for item in self.items)


def N_(msgid: str, **params) -> Message:  # the conventional name of gettext's marker
    """Mark a user-facing message for translation at render time; `params` fill `%(name)s`."""
    return Message(msgid, params)


def _param(value):
    """A parameter in the reader's language: a `Message` is translated, and so is a plain Chinese value
    that the catalogue knows (the labels of the label maps, e.g. a status or a role); anything else,
    such as what the user typed, is shown as it is."""
    if isinstance(value, Message):
        return value.translate()
    if isinstance(value, str) and CJK.search(value):
        return gettext(value)
    return value


def chinese() -> bool:
    """Whether the reader reads Chinese (always, outside a request)."""
    if not has_request_context():
        return True
    locale = get_locale()
    return locale is None or locale.language == "zh"


def localize(value):
    """`value` with every `Message` in it (also inside lists and dicts) translated for this request."""
    if isinstance(value, Message):
        return value.translate()
    if isinstance(value, Mapping):
        return {key: localize(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [localize(item) for item in value]
    return value


def separator() -> str:
    """Between messages in one line: the full-width semicolon in Chinese, "; " in English."""
    return "；" if chinese() else "; "


def join_messages(messages) -> str:
    """A list of messages (or one message) as one translated line (the Jinja filter `messages`)."""
    if messages is None:
        return ""
    if isinstance(messages, str):
        return localize(messages)
    return separator().join(str(localize(m)) for m in messages)


def describe(exc) -> str:
    """A DomainError as one translated line: its message, then the field messages, e.g. for flash()."""
    message = localize(exc.message)
    details = [m for ms in (exc.errors or {}).values() for m in (ms if isinstance(ms, list) else [ms])
               if not isinstance(m, int)]
    if not details:
        return message
    colon = "：" if separator() == "；" else ": "
    return message + colon + join_messages(details)


def finalize(value):
    """Jinja's finalize hook: a `Message` printed in a template is translated (and still escaped)."""
    if isinstance(value, Message):
        return value.translate()
    return value


def type_name(business_type) -> str:
    """A business type (业态) in the reader's language: its English name in English when the
    catalogue has one, else the Chinese name (the Jinja filter `type_name`)."""
    if business_type is None:
        return ""
    if not chinese() and getattr(business_type, "name_en", ""):
        return business_type.name_en
    return business_type.name


def init_app(app) -> None:
    app.jinja_env.finalize = finalize
    app.add_template_filter(type_name, "type_name")
    app.jinja_env.filters["messages"] = join_messages
    app.jinja_env.filters["describe_error"] = describe
