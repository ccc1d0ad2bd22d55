"""Berlin wall-clock times become the right UTC instants across DST changes."""
from datetime import date, datetime, time, timezone

from miado_events.timeutil import local_to_utc, to_local


def test_winter_and_summer_offsets():
    assert local_to_utc(date(2027, 3, 9), time(18)) == datetime(2027, 3, 9, 17, tzinfo=timezone.utc)
    assert local_to_utc(date(2027, 4, 13), time(18)) == datetime(2027, 4, 13, 16, tzinfo=timezone.utc)


def test_nonexistent_spring_time_moves_forward_on_the_wall_clock():
    moment = local_to_utc(date(2027, 3, 28), time(2, 30))
    assert moment == datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc)
    assert to_local(moment).time() == time(3, 30)


def test_ambiguous_autumn_time_takes_the_first_occurrence():
    moment = local_to_utc(date(2027, 10, 31), time(2, 30))
    assert moment == datetime(2027, 10, 31, 0, 30, tzinfo=timezone.utc)
    assert to_local(moment).utcoffset().total_seconds() == 7200
