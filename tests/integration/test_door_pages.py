"""The door pages on a phone carry no site menu: the scanner and the self
check-in screen show neither the site navigation nor anyone's personal menu
(the door index, an ordinary page, keeps it)."""
from __future__ import annotations

from miado_events.models.accounts import Role
from miado_events.models.checkin import DoorAssignment

from .test_checkin_views import running_now


def test_scanner_and_self_check_in_screen_have_no_site_or_personal_menu(client, db, login, make_user):
    event = running_now(db)
    door = make_user(Role.DOOR, name="Doris Door")
    db.session.add(DoorAssignment(event_id=event.id, user_id=door.id))
    db.session.commit()
    session_id = event.sessions[0].id
    login(door)
    for url in (f"/door/sessions/{session_id}", f"/door/sessions/{session_id}/self-checkin"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        header = html.split("<header", 1)[1].split("</header>", 1)[0]
        assert 'class="site-menu"' not in header, url
        assert "/logout" not in header and "/my/registrations" not in header, url
    index = client.get("/door/").get_data(as_text=True)
    assert 'class="site-menu"' in index.split("</header>", 1)[0]
