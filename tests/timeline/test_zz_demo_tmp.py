# Renders demo PDFs through pytest fixtures into /tmp (not part of the project).
import io, datetime
import pytest
from tests.timeline.test_export import *  # noqa
from tests.timeline import test_export as t

def test_demo(record, team):
    open("/tmp/record.pdf", "wb").write(record)

def test_long(team):
    body = "\n".join(f"{n}行目：" + t.LONG_PARAGRAPH for n in range(40))
    t._post(team, "nurse", t._at(3), body=body)
    open("/tmp/long.pdf", "wb").write(t._render(team))
