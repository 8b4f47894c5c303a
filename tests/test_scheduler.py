"""Only one scheduler process leads: on PostgreSQL through an advisory lock, on SQLite by construction."""
import pytest

from booking import jobs


def test_a_second_scheduler_exits_while_the_first_leads(app, is_postgres):
    first = jobs._leader_lock()
    if not is_postgres:
        assert first is None  # one machine, one scheduler: nothing to lock
        return
    try:
        with pytest.raises(SystemExit, match="another scheduler"):
            jobs._leader_lock()
    finally:
        jobs._release(first)
    # Once the leader is gone, the next one may lead.
    jobs._release(jobs._leader_lock())


def test_scheduler_once_runs_every_job(runner):
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
