def test_front_page(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "Use the city" in r.get_data(as_text=True)


def test_login(client, member, auth):
    r = auth.login(member)
    assert r.status_code == 302
    r = client.get("/profile")
    assert member.email in r.get_data(as_text=True)
