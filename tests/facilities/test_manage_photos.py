"""Photos: checked by their real content, resized, stored, served to the right people, removed."""
from __future__ import annotations

import io
import struct
import warnings
import zlib

import pytest
from PIL import Image

from booking.audit.models import AuditEvent
from booking.errors import RuleViolation
from booking.extensions import db
from booking.facilities.models import FacilityPhoto, FacilityStatus
from booking.storage import FolderStorage, get_storage


def image_bytes(size=(3000, 2000), mode="RGB", fmt="PNG", colour=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt)
    return out.getvalue()


def upload(client, facility, data: bytes, name="photo.png", alt="The hall seen from the stage"):
    return client.post(f"/manage/{facility.id}/photos", data={"photo": (io.BytesIO(data), name), "alt_text": alt},
                       content_type="multipart/form-data", follow_redirects=True)


def test_a_large_png_is_resized_with_a_thumbnail(client, auth, manager, facility):
    auth.login(manager)
    response = upload(client, facility, image_bytes())
    assert "The photo is added." in response.get_data(as_text=True)
    [photo] = facility.photos
    assert (photo.width, photo.height) == (1600, 1067)
    assert photo.content_type == "image/jpeg"  # no transparency: stored as JPEG
    full = client.get(f"/manage/photos/{photo.storage_key}?size=full")
    thumb = client.get(f"/manage/photos/{photo.storage_key}?size=thumb")
    assert full.mimetype == thumb.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(full.data)).size == (1600, 1067)
    assert Image.open(io.BytesIO(thumb.data)).size == (480, 320)
    page = client.get(f"/manage/{facility.id}/photos").get_data(as_text=True)
    assert 'alt="The hall seen from the stage"' in page
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "facility.photo_added"))
    assert event.after["photo"] == photo.storage_key and event.department_id == facility.department_id


def test_transparent_png_stays_png(client, auth, manager, facility):
    auth.login(manager)
    upload(client, facility, image_bytes((400, 300), "RGBA", colour=(0, 0, 0, 0)))
    [photo] = facility.photos
    assert photo.content_type == "image/png" and (photo.width, photo.height) == (400, 300)


def test_a_file_that_only_pretends_to_be_an_image_is_refused(client, auth, manager, facility):
    auth.login(manager)
    response = upload(client, facility, b"<?php echo 'hello'; ?>" * 10, name="photo.jpg")
    assert response.status_code == 422
    assert "This file is not a JPEG, PNG, WebP or GIF image." in response.get_data(as_text=True)
    # A real image of a kind we do not take (BMP) is refused too.
    response = upload(client, facility, image_bytes((50, 50), fmt="BMP"), name="photo.png")
    assert "This file is not a JPEG, PNG, WebP or GIF image." in response.get_data(as_text=True)
    # A truncated PNG: right header, broken body.
    response = upload(client, facility, image_bytes((500, 500))[:200])
    assert "This file is not a JPEG, PNG, WebP or GIF image." in response.get_data(as_text=True)
    assert facility.photos == []


def test_too_large_a_file_is_refused(app, client, auth, manager, facility):
    app.config["UPLOAD_MAX_BYTES"] = 1_000_000
    auth.login(manager)
    response = upload(client, facility, image_bytes((1500, 1500), colour=(1, 2, 3), fmt="BMP"), name="big.bmp")
    assert response.status_code == 422
    assert "The photo is larger than 1.0 MB; make it smaller and try again." in response.get_data(as_text=True)
    assert facility.photos == []


def test_missing_alt_text_and_file(client, auth, manager, facility):
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/photos", data={"alt_text": ""},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    response = client.post(f"/manage/{facility.id}/photos", data={"alt_text": "A photo"},
                           content_type="multipart/form-data")
    assert "Choose a photo to upload." in response.get_data(as_text=True)


def test_alt_text_and_removal(app, client, auth, manager, facility):
    auth.login(manager)
    upload(client, facility, image_bytes((800, 600)))
    [photo] = facility.photos
    key = photo.storage_key
    response = client.post(f"/manage/{facility.id}/photos/{photo.id}",
                           data={f"p{photo.id}-alt_text": "Chairs set out for a concert", f"p{photo.id}-position": "3"},
                           follow_redirects=True)
    assert "The photo is saved." in response.get_data(as_text=True)
    db.session.refresh(photo)
    assert photo.alt_text == "Chairs set out for a concert" and photo.position == 3
    response = client.post(f"/manage/{facility.id}/photos/{photo.id}/delete", follow_redirects=True)
    assert "The photo is removed." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(FacilityPhoto.id))) == 0
    storage = get_storage()
    assert not storage.exists(f"photos/{key}-full.jpg") and not storage.exists(f"photos/{key}-thumb.jpg")
    assert client.get(f"/manage/photos/{key}").status_code == 404


def test_photos_of_drafts_are_only_for_their_managers(client, auth, manager, facility, member):
    auth.login(manager)
    upload(client, facility, image_bytes((800, 600)))
    key = facility.photos[0].storage_key
    auth.logout()
    response = client.get(f"/manage/photos/{key}?size=thumb")
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]
    assert client.get(f"/manage/photos/{key}", headers={"If-None-Match": response.headers["ETag"]}).status_code in (
        200, 304)
    assert client.get(f"/manage/photos/{key}?size=huge").status_code == 404
    facility.status = FacilityStatus.draft
    db.session.commit()
    assert client.get(f"/manage/photos/{key}").status_code == 404
    auth.login(member)
    assert client.get(f"/manage/photos/{key}").status_code == 404
    auth.logout()
    auth.login(manager)
    response = client.get(f"/manage/photos/{key}")
    assert response.status_code == 200 and "private" in response.headers["Cache-Control"]


def test_folder_storage_refuses_keys_that_leave_its_folder(tmp_path):
    storage = FolderStorage(tmp_path)
    storage.save("photos/a.jpg", b"x")
    assert storage.load("photos/a.jpg") == b"x" and storage.exists("photos/a.jpg")
    for key in ("../evil", "/etc/passwd", "photos/../../x", "Photos/A.jpg"):
        with pytest.raises(ValueError):
            storage.save(key, b"x")
    storage.delete("photos/a.jpg")
    storage.delete("photos/a.jpg")  # deleting twice is fine
    assert storage.load("photos/a.jpg") is None


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app, facility, english):
    from booking.errors import RuleViolation
    from booking.facilities import services

    bomb = image_bytes((8000, 8000), mode="1", colour=0)  # 64 megapixels in a few kilobytes
    assert len(bomb) < 100_000
    with pytest.raises(RuleViolation) as refused:
        services.add_photo(facility, bomb, "Nothing")
    assert refused.value.field_errors == {
        "photo": ["The image has too many pixels; make it smaller than 40 megapixels."]}


# --- pixels are counted before anything is decoded -------------------------------------------

def huge_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of any size in a few kilobytes: zlib squeezes the blank rows."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if an image is decoded."""
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("the image was decoded"))


TOO_MANY = "The image has too many pixels; make it smaller than 40 megapixels."


@pytest.mark.usefixtures("no_decoding")
def test_a_small_file_of_too_many_pixels_is_refused_before_decoding(client, auth, manager, facility):
    bomb = huge_png(10_000, 5_000)  # 50 megapixels: more than a photo needs
    assert len(bomb) < 50_000
    auth.login(manager)
    response = upload(client, facility, bomb)
    assert response.status_code == 422 and TOO_MANY in response.get_data(as_text=True)
    assert facility.photos == []


@pytest.mark.usefixtures("no_decoding")
def test_pillows_own_bomb_checks_become_the_same_message(client, auth, manager, facility, english):
    from booking.facilities import services

    auth.login(manager)
    response = upload(client, facility, huge_png(20_000, 20_000))  # past twice Pillow's limit: it refuses at open
    assert response.status_code == 422 and TOO_MANY in response.get_data(as_text=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow only warns between its limit and twice it
        with pytest.raises(RuleViolation) as refused:
            services.prepare_photo(huge_png(10_000, 10_000))
    assert refused.value.field_errors == {"photo": [TOO_MANY]}


def test_a_photo_of_forty_megapixels_is_taken(app, facility, english):
    from booking.facilities import services

    photo = services.prepare_photo(huge_png(8_000, 5_000))
    assert (photo.width, photo.height) == (1600, 1000) and photo.content_type == "image/jpeg"


def test_the_photo_is_decoded_before_the_unit_of_work(client, auth, manager, facility, in_unit_of_work):
    from booking.facilities import services

    steps = in_unit_of_work(services, "prepare_photo", "add_photo")
    auth.login(manager)
    assert "The photo is added." in upload(client, facility, image_bytes((800, 600))).get_data(as_text=True)
    assert steps == [("prepare_photo", False), ("add_photo", True)]
