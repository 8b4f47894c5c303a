"""Draw the demo photos (simple illustrations, no real places): `python assets/demo/photos/generate.py`.

They are committed; this script only shows how they were made and can remake them.
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).parent
W, H = 960, 640


def sky(draw, top=(120, 170, 220), bottom=(215, 230, 245), height=H):
    for y in range(height):
        t = y / height
        draw.line([(0, y), (W, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))


def hall():
    image = Image.new("RGB", (W, H), (70, 60, 55))
    d = ImageDraw.Draw(image)
    d.rectangle([0, 0, W, 380], fill=(110, 95, 85))
    d.rectangle([180, 60, 780, 300], fill=(40, 30, 35))
    d.rectangle([150, 300, 810, 330], fill=(140, 100, 60))
    for x in range(200, 780, 60):
        d.ellipse([x, 70, x + 30, 100], fill=(255, 230, 160))
    for row in range(5):
        y = 400 + row * 48
        for x in range(40 + row * 10, W - 40, 52):
            d.rectangle([x, y, x + 36, y + 30], fill=(150, 30, 40))
    return image


def field():
    image = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(image)
    sky(d, height=260)
    d.rectangle([0, 220, W, 260], fill=(60, 110, 60))
    d.polygon([(0, 260), (W, 260), (W, H), (0, H)], fill=(50, 140, 70))
    for i in range(6):
        d.polygon([(i * 170, 260), (i * 170 + 85, 260), (i * 220 - 60, H), (i * 220 - 170, H)], fill=(60, 155, 80))
    d.line([(480, 260), (480, H)], fill=(240, 240, 240), width=5)
    d.ellipse([380, 380, 580, 520], outline=(240, 240, 240), width=5)
    d.rectangle([40, 300, 140, 360], outline=(250, 250, 250), width=6)
    return image


def square():
    image = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(image)
    sky(d, height=330)
    colours = [(200, 170, 120), (170, 60, 50), (230, 220, 200), (90, 110, 140)]
    x = 0
    for i, width in enumerate((180, 220, 160, 240, 200)):
        top = 120 + (i * 37) % 80
        d.rectangle([x, top, x + width, 340], fill=colours[i % 4])
        for wx in range(x + 20, x + width - 30, 45):
            for wy in range(top + 25, 320, 55):
                d.rectangle([wx, wy, wx + 22, wy + 32], fill=(60, 70, 90))
        x += width
    d.rectangle([0, 340, W, H], fill=(150, 145, 140))
    for y in range(350, H, 22):
        for x in range((y // 22) % 2 * 20, W, 40):
            d.rectangle([x, y, x + 36, y + 18], outline=(125, 120, 118))
    for x in (200, 480, 760):
        d.rectangle([x, 400, x + 90, 470], fill=(240, 240, 230))
        d.polygon([(x - 10, 400), (x + 100, 400), (x + 45, 370)], fill=(200, 50, 50))
    return image


def lab():
    image = Image.new("RGB", (W, H), (225, 230, 232))
    d = ImageDraw.Draw(image)
    d.rectangle([0, 0, W, 90], fill=(245, 248, 250))
    for x in range(60, W, 300):
        d.rectangle([x, 120, x + 200, 330], fill=(200, 210, 215), outline=(150, 160, 165), width=4)
    for row in range(3):
        y = 380 + row * 85
        d.rectangle([40, y, W - 40, y + 40], fill=(40, 50, 60))
        for x in range(80, W - 80, 120):
            d.rectangle([x, y - 40, x + 14, y], fill=(120, 180, 220))
            d.ellipse([x + 30, y - 30, x + 60, y], fill=(170, 220, 160))
    return image


def workshop():
    image = Image.new("RGB", (W, H), (180, 170, 150))
    d = ImageDraw.Draw(image)
    d.rectangle([0, 0, W, 300], fill=(210, 205, 195))
    for x in range(40, W, 60):
        d.line([(x, 60), (x, 260)], fill=(90, 80, 70), width=3)
        d.rectangle([x - 8, 60, x + 8, 90], fill=(160, 40, 30))
    for x in range(60, W - 100, 300):
        d.rectangle([x, 380, x + 240, 420], fill=(160, 120, 70))
        d.rectangle([x + 10, 420, x + 30, 560], fill=(90, 70, 50))
        d.rectangle([x + 210, 420, x + 230, 560], fill=(90, 70, 50))
        d.rectangle([x + 60, 320, x + 160, 380], fill=(70, 90, 110))
    return image


def meeting_room():
    image = Image.new("RGB", (W, H), (235, 232, 225))
    d = ImageDraw.Draw(image)
    d.rectangle([600, 40, 920, 400], fill=(170, 200, 225))
    d.line([(760, 40), (760, 400)], fill=(240, 240, 240), width=6)
    d.rectangle([80, 80, 420, 280], fill=(30, 30, 35))
    d.ellipse([160, 380, 800, 560], fill=(150, 110, 75))
    for i in range(8):
        x = 170 + i * 80
        d.rectangle([x, 350 if i % 2 else 540, x + 50, 390 if i % 2 else 590], fill=(60, 90, 120))
    return image


def lakeside():
    image = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(image)
    sky(d, top=(240, 170, 120), bottom=(250, 220, 180), height=300)
    d.polygon([(0, 300), (300, 220), (620, 280), (W, 230), (W, 300)], fill=(40, 80, 50))
    for y in range(300, H):
        t = (y - 300) / (H - 300)
        d.line([(0, y), (W, y)], fill=(int(70 + 60 * t), int(110 + 40 * t), int(150 + 30 * t)))
    d.rectangle([520, 360, 940, 390], fill=(120, 90, 60))
    d.rectangle([620, 250, 820, 360], fill=(110, 60, 40))
    d.polygon([(600, 250), (840, 250), (720, 190)], fill=(60, 40, 30))
    return image


def gym():
    image = Image.new("RGB", (W, H), (200, 205, 210))
    d = ImageDraw.Draw(image)
    d.rectangle([0, 0, W, 300], fill=(225, 228, 232))
    for x in range(40, W, 150):
        d.rectangle([x, 30, x + 110, 120], fill=(250, 250, 245), outline=(170, 175, 180), width=3)
    d.polygon([(0, 300), (W, 300), (W, H), (0, H)], fill=(205, 160, 105))
    for y in range(310, H, 26):
        d.line([(0, y), (W, y)], fill=(190, 145, 95), width=2)
    d.line([(480, 300), (480, H)], fill=(30, 90, 170), width=5)
    d.ellipse([400, 400, 560, 500], outline=(30, 90, 170), width=5)
    for x in (60, 820):
        d.rectangle([x + 30, 150, x + 40, 300], fill=(90, 90, 95))
        d.rectangle([x, 140, x + 70, 190], fill=(250, 250, 250), outline=(60, 60, 60), width=3)
        d.ellipse([x + 15, 190, x + 55, 205], outline=(220, 90, 30), width=4)
    return image


def park():
    image = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(image)
    sky(d, top=(110, 165, 225), height=300)
    d.polygon([(0, 300), (W, 260), (W, H), (0, H)], fill=(90, 160, 80))
    d.polygon([(380, H), (560, H), (520, 280), (480, 280)], fill=(205, 190, 150))
    for x, size in ((80, 90), (230, 70), (700, 100), (850, 80)):
        d.rectangle([x - 8, 280 - size // 3, x + 8, 330], fill=(100, 70, 45))
        d.ellipse([x - size, 120 - size // 2, x + size, 300 - size // 3], fill=(45, 115, 55))
    d.rectangle([600, 430, 760, 450], fill=(120, 80, 50))
    d.rectangle([610, 450, 620, 490], fill=(80, 60, 40))
    d.rectangle([740, 450, 750, 490], fill=(80, 60, 40))
    return image


PHOTOS = {"hall.jpg": hall, "field.jpg": field, "square.jpg": square, "lab.jpg": lab, "workshop.jpg": workshop,
          "meeting-room.jpg": meeting_room, "lakeside.jpg": lakeside, "gym.jpg": gym, "park.jpg": park}

if __name__ == "__main__":
    for name, draw in PHOTOS.items():
        draw().filter(ImageFilter.SMOOTH).save(HERE / name, "JPEG", quality=72, optimize=True)
        print(name, (HERE / name).stat().st_size)
