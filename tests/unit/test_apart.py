"""miado_events.apart: a pure function run in a short-lived child process."""
from __future__ import annotations

import os

import pytest

from miado_events import apart


def _pid_bytes(prefix: bytes) -> bytes:
    return prefix + str(os.getpid()).encode()


def _fails() -> bytes:
    raise ValueError("broken layout")


@pytest.fixture
def render_apart(app):
    app.config["PDF_RENDER_APART"] = True
    with app.app_context():
        yield


def test_the_function_runs_in_a_child_and_its_bytes_come_back(render_apart):
    out = apart.run(_pid_bytes, b"pid:" * 20_000)  # more than a pipe's buffer
    assert out.startswith(b"pid:" * 20_000)
    assert out != _pid_bytes(b"pid:" * 20_000)  # another process made it


def test_a_failure_in_the_child_is_an_error_in_the_caller(render_apart):
    with pytest.raises(RuntimeError):
        apart.run(_fails)


def test_without_a_child_process_the_function_runs_here(render_apart, monkeypatch):
    def no_fork():
        raise OSError("no memory")

    monkeypatch.setattr(apart.os, "fork", no_fork)
    assert apart.run(_pid_bytes, b"pid:") == _pid_bytes(b"pid:")
