"""Regenerates the bundled demo content: `slides/` and `assets/fallback.png`.

    python tools/make_demo_slides.py

The eight "Migrants Contribute" slides are designed cards; the answers are
stand-ins for #MigrationMeans photos (a person holding an answer card), with
bilingual captions in sidecars. Among them are a portrait photo, JPEGs whose
pixels are stored sideways with an EXIF orientation tag (they only look
right when the tag is honoured), a PNG, a WebP, an AVIF and an iPhone-style
HEIC (sideways, in Display P3). Output is deterministic.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.colour: the Display P3 profile
FONT_BOLD = ROOT / "assets" / "fonts" / "NanumGothicBold.ttf"
FONT_REGULAR = ROOT / "assets" / "fonts" / "NanumGothic.ttf"
W, H = 1920, 1080

CAMPAIGN_LINE = "International Migrants Day  ·  18–24 December  ·  Seoul Plaza"
PARTNERS = "IOM Seoul  ·  Seoul Metropolitan Government  ·  Global Village"

CONTRIBUTE = [
    {
        "name": "01-foreign-languages",
        "title": ("Foreign languages", "외국어"),
        "body": (
            "Migrants speak the languages of the world and open doors\nfor Korean businesses, schools and hospitals.",
            "이주민은 세계의 언어로 기업, 학교, 병원에 새로운 문을 엽니다.",
        ),
        "colours": ((18, 72, 140), (255, 196, 61)),
        "motif": "bubbles",
        "caption": "Follow the #MigrationMeans banners on Jongno and Mugyo-ro to Seoul Plaza\n"
        "종로와 무교로의 거리 배너를 따라 서울광장으로 오세요",
    },
    {
        "name": "02-different-cultures",
        "title": ("Different cultures", "다양한 문화"),
        "body": (
            "Food, music, festivals and stories from home\nmake our neighbourhoods richer.",
            "고향의 음식, 음악, 축제와 이야기가 우리 동네를 풍요롭게 합니다.",
        ),
        "colours": ((150, 32, 64), (255, 170, 120)),
        "motif": "circles",
    },
    {
        "name": "03-new-ideas",
        "title": ("New ideas", "새로운 아이디어"),
        "body": (
            "Fresh eyes find new solutions: migrants start companies,\ndo research and create.",
            "새로운 시선이 새로운 해법을 찾습니다. 이주민은 창업하고, 연구하고, 창작합니다.",
        ),
        "colours": ((46, 26, 110), (120, 220, 232)),
        "motif": "rays",
    },
    {
        "name": "04-technical-skills",
        "title": ("Technical skills", "기술"),
        "body": (
            "Engineers, technicians and skilled workers\nkeep Korean industry running.",
            "엔지니어, 기술자, 숙련 노동자가 한국 산업을 움직입니다.",
        ),
        "colours": ((20, 90, 80), (250, 220, 90)),
        "motif": "gears",
        "caption": "From 19 December an ice rink opens in Seoul Plaza: come and skate beside the display\n"
        "12월 19일부터 서울광장 스케이트장이 문을 엽니다",
    },
    {
        "name": "05-hard-work",
        "title": ("Hard work", "땀과 노력"),
        "body": (
            "On farms, at sea and in factories,\nmigrant workers feed and build the country.",
            "농장에서, 바다에서, 공장에서 이주노동자가 나라를 먹이고 세웁니다.",
        ),
        "colours": ((120, 60, 20), (255, 210, 150)),
        "motif": "fields",
    },
    {
        "name": "06-care",
        "title": ("Care", "돌봄"),
        "body": (
            "Caregivers and nurses from abroad look after\nour parents and our children.",
            "해외에서 온 돌봄 노동자와 간호사가 우리의 부모와 아이를 돌봅니다.",
        ),
        "colours": ((160, 40, 100), (255, 200, 220)),
        "motif": "hearts",
    },
    {
        "name": "07-families-and-neighbours",
        "title": ("Families and neighbours", "가족과 이웃"),
        "body": (
            "Multicultural families are part of\nevery Korean community.",
            "다문화 가족은 모든 한국 공동체의 일부입니다.",
        ),
        "colours": ((30, 100, 150), (170, 230, 170)),
        "motif": "houses",
    },
    {
        "name": "08-together",
        "title": ("1.7 million neighbours", "170만 명의 이웃"),
        "body": (
            "Korea is home to 1.7 million international migrants,\n400,000 of them in Seoul.",
            "한국에는 170만 명의 이주민이 살고, 그중 40만 명이 서울에 삽니다.",
        ),
        "colours": ((15, 40, 80), (255, 120, 80)),
        "motif": "dots",
        "caption": "Celebration ceremony · 21 December · Korea Support Center for Foreign Workers\n"
        "기념식 · 12월 21일 · 한국외국인력지원센터",
        "seconds": 15,
    },
]

# (English, Korean, who[, the answer in its writer's own language and script])
ANSWERS = [
    ("To me, migration means hoping together.", "저에게 이주란 함께 희망하는 것입니다.", "Mayor of Seoul · 서울특별시장"),
    ("Migration means a second home.", "이주란 두 번째 고향입니다.", "Lan, Viet Nam", "Di cư nghĩa là một quê hương thứ hai."),
    ("Migration means learning something new every day.", "이주란 매일 새로운 것을 배우는 것입니다.", "Amara, Nigeria"),
    ("Migration means courage.", "이주란 용기입니다.", "Dilnoza, Uzbekistan", "Migratsiya — bu jasorat."),
    ("Migration means sharing food and stories.", "이주란 음식과 이야기를 나누는 것입니다.", "Maria, Philippines", "Ang migrasyon ay pagbabahagi ng pagkain at kuwento."),
    ("Migration means my children speak two languages.", "이주란 우리 아이들이 두 언어를 하는 것입니다.", "Bolor, Mongolia", "Миний хүүхдүүд хоёр хэлээр ярьдаг."),
    ("Migration means building bridges.", "이주란 다리를 놓는 것입니다.", "Ji-hoon, Seoul"),
    ("Migration means new friends.", "이주란 새로운 친구입니다.", "Somchai, Thailand", "การย้ายถิ่นฐานคือเพื่อนใหม่"),
    ("Migration means hard work and big dreams.", "이주란 성실함과 큰 꿈입니다.", "Rahim, Bangladesh", "অভিবাসন মানে কঠোর পরিশ্রম আর বড় স্বপ্ন।"),
    ("Migration means family, far and near.", "이주란 멀리 또 가까이 있는 가족입니다.", "Siti, Indonesia", "Migrasi berarti keluarga, jauh dan dekat."),
    ("Migration means opportunity for everyone.", "이주란 모두를 위한 기회입니다.", "Carlos, Peru"),
    ("Migration means being welcomed.", "이주란 환영받는 것입니다.", "Aziz, Kyrgyzstan"),
    ("Migration means starting over, and not giving up.", "이주란 포기하지 않고 다시 시작하는 것입니다.", "Elena, Russia", "Миграция — это начать заново и не сдаваться."),
    ("Migration means growing together.", "이주란 함께 성장하는 것입니다.", "Min-seo, Busan"),
    ("Migration means our differences make us stronger.", "이주란 다름이 우리를 더 강하게 만드는 것입니다.", "Grace, Kenya"),
    ("Migration means seeing my own city with new eyes.", "이주란 내 도시를 새로운 눈으로 보는 것입니다.", "Soo-ah, Seoul"),
    ("Migration means kimchi and tortillas at the same table.", "이주란 김치와 토르티야가 한 식탁에 오르는 것입니다.", "Lucía, Mexico"),
    ("Migration means a bigger world.", "이주란 더 넓은 세상입니다.", "Tenzin, Nepal", "बसाइँसराइ भनेको अझ ठूलो संसार हो।"),
    ("Migration means respect.", "이주란 존중입니다.", "Hamid, Pakistan", "ہجرت کا مطلب ہے احترام۔"),
    ("Migration means dreams that travel.", "이주란 여행하는 꿈입니다.", "Chen, China", "移民就是让梦想去旅行。"),
    ("Migration means a neighbour I can count on.", "이주란 믿을 수 있는 이웃입니다.", "Young-ja, Ansan"),
    ("Migration means music without borders.", "이주란 국경 없는 음악입니다.", "Kofi, Ghana"),
    ("Migration means caring for each other.", "이주란 서로를 돌보는 것입니다.", "Rosa, Philippines"),
    ("Migration means the future of Korea.", "이주란 한국의 미래입니다.", "Dong-hyun, Incheon"),
    ("Migration means home is where we meet.", "이주란 우리가 만나는 곳이 집이라는 것입니다.", "Anh, Viet Nam"),
    ("Migration means learning to say 감사합니다.", "이주란 '감사합니다'를 배우는 것입니다.", "Olivia, Canada"),
    ("Migration means hope.", "이주란 희망입니다.", "Sokha, Cambodia", "ការធ្វើចំណាកស្រុក មានន័យថា ក្តីសង្ឃឹម។"),
    ("Migration means a new beginning.", "이주란 새로운 시작입니다.", "Nimal, Sri Lanka",
     "සංක්\u200dරමණය යනු නව ආරම්භයකි."),
    ("Migration means patience and hope.", "이주란 인내와 희망입니다.", "Aung, Myanmar",
     "ရွှေ့ပြောင်းနေထိုင်ခြင်းသည် သည်းခံခြင်းနှင့် မျှော်လင့်ချက်ဖြစ်သည်။"),
]


def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size)


def gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    width, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    return column.resize(size)


def shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    red, green, blue = (max(0, min(255, round(c * factor))) for c in colour)
    return red, green, blue


def draw_motif(draw: ImageDraw.ImageDraw, motif: str, accent: tuple[int, int, int], rng: random.Random) -> None:
    """A simple illustration on the right-hand side of a contribute card."""
    cx, cy = 1450, 470
    soft = accent + (70,)
    strong = accent + (220,)
    if motif == "bubbles":
        words = ["Hello", "안녕하세요", "Xin chào", "Salam", "Hola", "Bonjour", "Сайн уу", "Kumusta"]
        for i, word in enumerate(words):
            x = 1290 if i % 2 == 0 else 1640
            y = 250 + (i // 2) * 150 + (0 if i % 2 == 0 else 70)
            f = font(44)
            box = draw.textbbox((x, y), word, font=f, anchor="mm")
            pad = 24
            draw.rounded_rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), 30, fill=strong)
            draw.text((x, y), word, font=f, fill=(20, 30, 60), anchor="mm")
    elif motif == "circles":
        for _ in range(26):
            r = rng.randint(30, 120)
            x, y = cx + rng.randint(-330, 330), cy + rng.randint(-300, 300)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=accent + (rng.randint(60, 200),))
    elif motif == "rays":
        for i in range(18):
            angle = i / 18 * 2 * math.pi
            draw.line((cx, cy, cx + math.cos(angle) * 380, cy + math.sin(angle) * 380), fill=soft, width=18)
        draw.ellipse((cx - 130, cy - 130, cx + 130, cy + 130), fill=strong)
    elif motif == "gears":
        for gx, gy, r in ((cx - 150, cy - 60, 170), (cx + 170, cy + 140, 120), (cx + 160, cy - 210, 80)):
            for i in range(12):
                angle = i / 12 * 2 * math.pi
                tx, ty = gx + math.cos(angle) * r, gy + math.sin(angle) * r
                draw.ellipse((tx - r * 0.22, ty - r * 0.22, tx + r * 0.22, ty + r * 0.22), fill=strong)
            draw.ellipse((gx - r, gy - r, gx + r, gy + r), fill=strong)
            draw.ellipse((gx - r * 0.4, gy - r * 0.4, gx + r * 0.4, gy + r * 0.4), fill=(0, 0, 0, 0))
    elif motif == "fields":
        for i in range(7):
            y = cy - 250 + i * 80
            draw.rounded_rectangle((cx - 380, y, cx + 380, y + 50), 25, fill=accent + (80 + i * 20,))
        draw.ellipse((cx + 150, cy - 380, cx + 330, cy - 200), fill=strong)
    elif motif == "hearts":
        for i in range(9):
            x, y = cx + rng.randint(-320, 320), cy + rng.randint(-280, 280)
            r = rng.randint(40, 100)
            draw.ellipse((x - r, y - r, x, y), fill=accent + (170,))
            draw.ellipse((x, y - r, x + r, y), fill=accent + (170,))
            draw.polygon(((x - r, y - r // 2), (x + r, y - r // 2), (x, y + r)), fill=accent + (170,))
    elif motif == "houses":
        for i, x in enumerate(range(cx - 360, cx + 361, 180)):
            h = 160 + (i % 3) * 60
            base = cy + 220
            draw.rectangle((x - 70, base - h, x + 70, base), fill=strong)
            draw.polygon(((x - 90, base - h), (x + 90, base - h), (x, base - h - 90)), fill=accent + (255,))
            draw.rectangle((x - 20, base - 60, x + 20, base), fill=(30, 40, 60, 255))
    elif motif == "dots":
        for i in range(17):
            for j in range(10):
                x, y = cx - 400 + i * 50, cy - 230 + j * 50
                filled = j * 17 + i < 40  # 170 dots of 10,000 people: the 40 bright ones live in Seoul
                r = 16
                draw.ellipse((x - r, y - r, x + r, y + r), fill=strong if filled else soft)


def contribute_card(spec: dict, rng: random.Random) -> Image.Image:
    base, accent = spec["colours"]
    card = gradient((W, H), shade(base, 1.25), shade(base, 0.7)).convert("RGBA")
    art = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    draw_motif(ImageDraw.Draw(art), spec["motif"], accent, rng)
    # Scale the illustration into the right-hand column so it never meets the text.
    art = art.crop(art.getbbox())
    area = (1220, 210, 1820, 800)
    scale = min((area[2] - area[0]) / art.width, (area[3] - area[1]) / art.height)
    art = art.resize((round(art.width * scale), round(art.height * scale)), Image.Resampling.LANCZOS)
    layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    layer.paste(art, ((area[0] + area[2] - art.width) // 2, (area[1] + area[3] - art.height) // 2))
    card = Image.alpha_composite(card, layer)
    draw = ImageDraw.Draw(card)
    white = (255, 255, 255)
    column = 1020
    draw.text((110, 110), "MIGRANTS CONTRIBUTE", font=font(40), fill=accent)
    draw.text((110, 165), "이주민이 기여합니다", font=font(34, bold=False), fill=white)
    title_en, title_ko = spec["title"]
    title_px = 104
    while font(title_px).getlength(title_en) > column:
        title_px -= 4
    draw.text((104, 300 + (104 - title_px)), title_en, font=font(title_px), fill=white)
    draw.text((108, 430), title_ko, font=font(80), fill=accent)
    body_en, body_ko = spec["body"]
    en = _wrap_card_text(body_en.replace("\n", " "), font(40, bold=False), column)
    ko = _wrap_card_text(body_ko, font(34, bold=False), column)
    draw.multiline_text((110, 560), en, font=font(40, bold=False), fill=white, spacing=14)
    en_bottom = draw.multiline_textbbox((110, 560), en, font=font(40, bold=False), spacing=14)[3]
    draw.multiline_text((110, en_bottom + 24), ko, font=font(34, bold=False), fill=(235, 235, 235), spacing=12)
    ko_bottom = draw.multiline_textbbox((110, en_bottom + 24), ko, font=font(34, bold=False), spacing=12)[3]
    # The bottom quarter stays free for the caption band and the footer overlay.
    draw.rectangle((110, ko_bottom + 40, 290, ko_bottom + 48), fill=accent)
    draw.text((W - 110, 110), PARTNERS, font=font(28, bold=False), fill=(230, 230, 230), anchor="ra")
    return card.convert("RGB")


def answer_photo(index: int, text: str, portrait: bool, rng: random.Random) -> Image.Image:
    """A stand-in for a campaign photo: a person in the plaza holding their answer."""
    size = (1200, 1600) if portrait else (1600, 1200)
    width, height = size
    sky = [(40, 60, 110), (90, 70, 120), (30, 90, 120), (110, 80, 60), (50, 50, 70)][index % 5]
    photo = gradient(size, shade(sky, 1.4), shade(sky, 0.5)).convert("RGBA")
    lights = Image.new("RGBA", size, (0, 0, 0, 0))
    ld = ImageDraw.Draw(lights)
    for _ in range(40):  # out-of-focus city lights behind the person
        r = rng.randint(20, 70)
        x, y = rng.randint(0, width), rng.randint(0, height // 2)
        colour = rng.choice([(255, 210, 120), (255, 160, 90), (180, 220, 255), (255, 255, 255)])
        ld.ellipse((x - r, y - r, x + r, y + r), fill=colour + (rng.randint(40, 110),))
    photo = Image.alpha_composite(photo, lights.filter(ImageFilter.GaussianBlur(12)))
    draw = ImageDraw.Draw(photo)
    cx = width // 2 + rng.randint(-80, 80)
    unit = min(width, height)
    head_r = unit // 11
    head_y = int(height * (0.30 if portrait else 0.26))
    skin = rng.choice([(241, 194, 160), (198, 134, 86), (141, 85, 54), (224, 172, 105), (255, 219, 172)])
    coat = rng.choice([(200, 40, 50), (40, 90, 160), (30, 120, 90), (220, 160, 40), (90, 60, 140), (60, 60, 60)])
    hair = rng.choice([(30, 20, 15), (70, 45, 25), (20, 20, 20), (120, 80, 40)])
    draw.ellipse((cx - head_r * 3.2, head_y + head_r * 1.0, cx + head_r * 3.2, height + head_r * 6), fill=coat + (255,))
    draw.ellipse((cx - head_r, head_y - head_r * 1.15, cx + head_r, head_y + head_r * 0.6), fill=hair + (255,))
    draw.ellipse((cx - head_r * 0.85, head_y - head_r, cx + head_r * 0.85, head_y + head_r), fill=skin + (255,))
    card_w = int(unit * 0.78)
    card_h = int(card_w * 0.56)
    card_top = head_y + int(head_r * 2.0)
    card_box = (cx - card_w // 2, card_top, cx + card_w // 2, card_top + card_h)
    draw.rounded_rectangle(card_box, 18, fill=(250, 248, 240, 255), outline=(220, 215, 200, 255), width=4)
    draw.text((cx, card_top + card_h * 0.12), "#MigrationMeans", font=font(card_w // 14), fill=(200, 40, 60), anchor="ma")
    wrapped = _wrap_card_text(text, font(card_w // 13, bold=False), card_w * 0.86)
    draw.multiline_text(
        (cx, card_top + card_h * 0.6), wrapped, font=font(card_w // 13, bold=False),
        fill=(30, 30, 40), anchor="mm", align="center", spacing=12,
    )
    for hand_x in (card_box[0] + 30, card_box[2] - 30):
        draw.ellipse((hand_x - 28, card_box[3] - 40, hand_x + 28, card_box[3] + 16), fill=skin + (255,))
    photo = photo.convert("RGB")
    grain = Image.frombytes("L", size, rng.randbytes(width * height)).convert("RGB")
    return Image.blend(photo, grain, 0.05)


def _wrap_card_text(text: str, f: ImageFont.FreeTypeFont, width: float) -> str:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if f.getlength(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return "\n".join(lines)


def fallback_card() -> Image.Image:
    card = gradient((W, H), (22, 50, 100), (10, 20, 45)).convert("RGBA")
    glow = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    gd = ImageDraw.Draw(glow)
    for i in range(12):
        r = 120 + i * 60
        gd.ellipse((W // 2 - r, H // 2 - r, W // 2 + r, H // 2 + r), outline=(90, 160, 255, 40), width=6)
    card = Image.alpha_composite(card, glow)
    draw = ImageDraw.Draw(card)
    draw.text((W // 2, 330), "International Migrants Day", font=font(96), fill=(255, 255, 255), anchor="mm")
    draw.text((W // 2, 460), "세계 이주민의 날", font=font(84), fill=(255, 205, 90), anchor="mm")
    draw.text((W // 2, 610), "#MigrationMeans", font=font(60), fill=(255, 255, 255), anchor="mm")
    draw.text((W // 2, 720), "Seoul Plaza · 서울광장 · 18–24 December", font=font(44, bold=False),
              fill=(220, 230, 250), anchor="mm")
    draw.text((W // 2, 940), PARTNERS, font=font(30, bold=False), fill=(190, 200, 230), anchor="mm")
    return card.convert("RGB")


def yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(out_slides: Path, out_assets: Path) -> dict[Path, bytes]:
    """Returns every file to write, path -> bytes."""
    import io

    files: dict[Path, bytes] = {}

    def save(image: Image.Image, path: Path, **options) -> None:
        buffer = io.BytesIO()
        image.save(buffer, **options)
        files[path] = buffer.getvalue()

    for number, spec in enumerate(CONTRIBUTE):
        rng = random.Random(f"contribute-{number}")
        save(contribute_card(spec, rng), out_slides / "contribute" / f"{spec['name']}.png", format="PNG", optimize=True)
        if "caption" in spec:
            lines = ["caption: |"] + [f"  {line}" for line in spec["caption"].split("\n")]
            if "seconds" in spec:
                lines.append(f"seconds: {spec['seconds']}")
            files[out_slides / "contribute" / f"{spec['name']}.yaml"] = ("\n".join(lines) + "\n").encode()

    for number, (english, korean, who, *own) in enumerate(ANSWERS, start=1):
        rng = random.Random(f"answer-{number}")
        stem = out_slides / "answers" / f"answer-{number:03d}"
        portrait = number in (2, 3, 9, 15)
        photo = answer_photo(number, english, portrait, rng)
        if number in (3, 20):
            # Stored sideways like a phone camera does; only the EXIF tag makes it upright.
            exif = Image.Exif()
            exif[0x0112] = 6  # rotate 90 degrees clockwise to display
            save(photo.transpose(Image.Transpose.ROTATE_90), stem.with_suffix(".jpg"),
                 format="JPEG", quality=86, exif=exif.tobytes())
        elif number == 11:
            save(photo, stem.with_suffix(".png"), format="PNG", optimize=True)
        elif number == 17:
            save(photo, stem.with_suffix(".webp"), format="WEBP", quality=85)
        elif number == 23:
            # As an iPhone saves it: HEIC, stored sideways, in Display P3. Only the orientation
            # makes it upright, and only the conversion to sRGB gives it its true colours.
            import pillow_heif
            from PIL import ImageCms

            from tests.colour import display_p3_profile

            pillow_heif.register_heif_opener()
            p3 = display_p3_profile("Display P3")
            in_p3 = ImageCms.profileToProfile(photo, ImageCms.createProfile("sRGB"),
                                              ImageCms.ImageCmsProfile(io.BytesIO(p3)), outputMode="RGB")
            exif = Image.Exif()
            exif[0x0112] = 6
            save(in_p3.transpose(Image.Transpose.ROTATE_90), stem.with_suffix(".heic"), format="HEIF", quality=55,
                 exif=exif.tobytes(), icc_profile=p3)
        elif number == 26:
            save(photo, stem.with_suffix(".avif"), format="AVIF", quality=75)  # as many Android phones save it
        else:
            save(photo, stem.with_suffix(".jpg"), format="JPEG", quality=86)
        # An answer written in its writer's own language carries it, with the Korean;
        # the English is on the photo itself.
        caption = f"“{own[0]}”\n“{korean}”\n— {who}" if own else f"“{english}”\n“{korean}”\n— {who}"
        if number % 4 == 0:
            files[stem.with_suffix(".txt")] = (caption + "\n").encode()
        else:
            lines = ["caption: |"] + [f"  {line}" for line in caption.split("\n")]
            if number == 1:
                lines.append("seconds: 12")
            files[stem.with_suffix(".yaml")] = ("\n".join(lines) + "\n").encode()

    save(fallback_card(), out_assets / "fallback.png", format="PNG", optimize=True)
    return files


def main() -> int:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    files = build(ROOT / "slides", ROOT / "assets")
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    print(f"wrote {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
