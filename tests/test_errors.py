"""The exception tree in kiosk/core/errors.py's docstring is the real one."""

import inspect
import re

from kiosk.core import errors


def test_the_docstring_draws_every_exception_with_its_parent():
    drawn = {}
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        match = re.match(r"^(\s*)(?:[│ ]*[├└]── )?([A-Z][A-Za-z]+)\b", line)
        if not match or not hasattr(errors, match.group(2)):
            continue
        depth = line.find(match.group(2))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        drawn[match.group(2)] = stack[-1][1] if stack else None
        stack.append((depth, match.group(2)))
    classes = {name: cls for name, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, Exception)}
    assert set(drawn) == set(classes)
    for name, parent in drawn.items():
        assert parent is None or classes[name].__bases__[0].__name__ == parent, name


def test_every_error_is_a_kiosk_error():
    for _name, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, Exception):
            assert issubclass(cls, errors.KioskError)


def test_a_sync_failure_says_whether_to_retry():
    assert errors.SyncFailed("HTTP 500").retry
    assert not errors.SyncFailed("HTTP 404", retry=False).retry
    assert isinstance(errors.Interrupted("cut off"), errors.SyncFailed)
