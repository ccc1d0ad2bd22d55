"""Secrets generated into instance/ on first start."""
from __future__ import annotations

import base64
import multiprocessing

from miado_events.config import load_secret_key, load_ticket_signing_key


def _load_after(barrier, instance: str, queue) -> None:
    barrier.wait()
    queue.put(load_ticket_signing_key(instance))


def test_processes_starting_at_once_share_one_complete_key(tmp_path, monkeypatch):
    """Workers (or test processes) that start together each read the whole
    key the first one wrote, never an empty or half-written file."""
    monkeypatch.delenv("TICKET_SIGNING_KEY", raising=False)
    ctx = multiprocessing.get_context("fork")
    for attempt in range(5):
        instance = tmp_path / f"instance-{attempt}"
        barrier, queue = ctx.Barrier(6), ctx.Queue()
        procs = [ctx.Process(target=_load_after, args=(barrier, str(instance), queue)) for _ in range(6)]
        for p in procs:
            p.start()
        keys = [queue.get(timeout=30) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert len(set(keys)) == 1, keys
        assert len(base64.urlsafe_b64decode(keys[0])) == 32
        assert (instance / "ticket_signing_key").read_text() == keys[0]
        assert [p.name for p in instance.iterdir()] == ["ticket_signing_key"]  # no temporary file left


def test_a_key_from_the_environment_wins_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert load_secret_key(str(tmp_path)) == "from-the-environment"
    assert list(tmp_path.iterdir()) == []


def test_a_generated_key_is_kept_for_the_next_start(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(str(tmp_path))
    assert len(first) == 64 and load_secret_key(str(tmp_path)) == first
