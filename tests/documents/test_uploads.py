"""Upload checks for timeline attachments. Every sample is built here; no binary fixtures."""

import hashlib
import io
import struct
import zlib

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

import pillow_heif
import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from documents import uploads
from documents.uploads import (
    MSG_EMPTY,
    MSG_IMAGE_BROKEN,
    MSG_PDF_ACTIVE,
    MSG_PDF_BROKEN,
    MSG_PDF_ENCRYPTED,
    MSG_UNSUPPORTED,
    CheckedUpload,
    check_upload,
)

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _clear_axes():
    """Override the suite-wide fixture: these checks touch no database, so none is set up."""


def upload(content: bytes, name: str = "file.bin") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def refused(content: bytes, name: str = "file.bin", **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_upload(upload(content, name), **kwargs)
    return info.value


# --- sample builders -----------------------------------------------------------------------


def two_colour_image(size=(60, 40), mode="RGB") -> Image.Image:
    """Left half red, right half blue: shows which way an image was rotated."""
    img = Image.new(mode, size, (0, 0, 255) if mode == "RGB" else 0)
    img.paste((255, 0, 0) if mode == "RGB" else 255, (0, 0, size[0] // 2, size[1]))
    return img


def jpeg_bytes(img: Image.Image, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **params)
    return buf.getvalue()


def png_bytes(img: Image.Image, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **params)
    return buf.getvalue()


def heic_bytes(img: Image.Image, **params) -> bytes:
    buf = io.BytesIO()
    pillow_heif.from_pillow(img).save(buf, quality=60, **params)
    return buf.getvalue()


def noisy_jpeg(side=256) -> bytes:
    """Enough entropy that cutting the file in half really loses scan data."""
    return jpeg_bytes(Image.frombytes("RGB", (side, side), bytes(range(256)) * (side * 3)))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_flood(width: int, height: int, *, complete: bool) -> bytes:
    """A 1-bit greyscale PNG declaring width x height.

    ``complete``: the full zlib stream of all-zero rows (a real bomb, ~1000:1, built row by
    row so the test never holds the raw pixels); otherwise just one row of data.
    """
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height if complete else 1))
    idat += compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def pdf_writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    return writer


def pdf_bytes(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def js_action(writer: PdfWriter):
    return writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('x');"),
            }
        )
    )


def link_annotation(writer: PdfWriter, action: DictionaryObject) -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 100, 100)]),
            NameObject("/A"): action,
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def raw_pdf(objects: list[bytes], *, extra: bytes = b"", size: int | None = None) -> bytes:
    """A PDF written by hand (object 1 is the catalog), with a correct xref table.

    ``extra`` is placed in the body but not listed in the xref table.
    """
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    out += extra
    xref = len(out)
    count = len(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % count
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size or count, xref)
    return out


PAGES = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
]


def pdf_in_object_stream(catalog: bytes) -> bytes:
    """PDF 1.5 whose catalog lives in a compressed object stream, with an xref stream."""
    head = b"1 0 "
    objstm_data = zlib.compress(head + catalog)
    header = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    out = header
    offsets = {}
    for number, body in ((2, PAGES[0]), (3, PAGES[1])):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[4] = len(out)
    out += (
        b"4 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(head), len(objstm_data))
        + objstm_data
        + b"\nendstream\nendobj\n"
    )
    offsets[5] = len(out)
    rows = [
        b"\x00" + struct.pack(">I", 0) + b"\xff\xff",
        b"\x02" + struct.pack(">I", 4) + b"\x00\x00",
    ]
    rows += [b"\x01" + struct.pack(">I", offsets[n]) + b"\x00\x00" for n in (2, 3, 4, 5)]
    xref_data = b"".join(rows)
    out += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(xref_data)
        + xref_data
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[5]
    return out


# --- images --------------------------------------------------------------------------------


def test_jpeg_exif_gps_and_orientation():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretPhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (35.0, 41.0, 22.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (139.0, 41.0, 30.0),
    }
    original = jpeg_bytes(
        two_colour_image(), exif=exif, xmp=b"<x:xmpmeta>patient home</x:xmpmeta>", comment=b"note"
    )
    assert b"Exif" in original and b"SecretPhoneMaker" in original

    result = check_upload(upload(original, "IMG_1234.JPG"))

    assert isinstance(result, CheckedUpload)
    assert (result.kind, result.content_type, result.extension) == ("image", "image/jpeg", ".jpg")
    assert (result.width, result.height) == (40, 60)  # orientation 6 applied: sides swapped
    assert result.display_name == "IMG_1234.jpg"
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    for forbidden in (b"Exif", b"SecretPhoneMaker", b"xmpmeta", b"http://ns.adobe.com", b"note"):
        assert forbidden not in result.content
    stored = Image.open(io.BytesIO(result.content))
    assert stored.format == "JPEG"
    assert len(stored.getexif()) == 0
    assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "xmp", "comment"} & stored.info.keys()
    # Rotated 90° clockwise: the red left half of the sensor image is now the top.
    red, blue = stored.convert("RGB").getpixel((20, 5)), stored.convert("RGB").getpixel((20, 55))
    assert red[0] > 200 and red[2] < 60
    assert blue[2] > 200 and blue[0] < 60

    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert thumb.format == "JPEG" and thumb.size == (40, 60)  # small images are not enlarged
    assert b"Exif" not in result.thumbnail


def test_thumbnail_longest_side_is_480():
    result = check_upload(upload(jpeg_bytes(two_colour_image((1200, 900))), "a.jpg"))
    assert (result.width, result.height) == (1200, 900)
    assert Image.open(io.BytesIO(result.thumbnail)).size == (480, 360)
    portrait = check_upload(upload(png_bytes(two_colour_image((300, 1000))), "b.png"))
    assert Image.open(io.BytesIO(portrait.thumbnail)).size == (144, 480)


def test_png_metadata_removed_transparency_kept():
    img = Image.new("RGBA", (50, 30), (0, 128, 0, 255))
    img.paste((0, 0, 0, 0), (0, 0, 10, 30))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "山田花子")
    info.add_itxt("Comment", "患者宅で撮影", lang="ja")
    info.add_text("Location", "35.69,139.69", zip=True)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhoneMaker"
    original = png_bytes(img, pnginfo=info, exif=exif)

    result = check_upload(upload(original, "スクリーンショット.png"))

    assert (result.kind, result.content_type, result.extension) == ("image", "image/png", ".png")
    assert result.display_name == "スクリーンショット.png"
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"SecretPhoneMaker"):
        assert chunk not in result.content
    stored = Image.open(io.BytesIO(result.content))
    assert stored.text == {}
    assert len(stored.getexif()) == 0
    assert stored.mode == "RGBA"
    assert stored.getpixel((5, 5))[3] == 0
    assert stored.getpixel((30, 5)) == (0, 128, 0, 255)
    # The JPEG thumbnail flattens transparency onto white, not black.
    assert Image.open(io.BytesIO(result.thumbnail)).convert("RGB").getpixel((2, 15))[0] > 240


def test_palette_png_with_transparent_index_keeps_transparency():
    img = Image.new("P", (20, 20), 1)
    img.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    img.paste(0, (0, 0, 10, 20))
    result = check_upload(upload(png_bytes(img, transparency=0), "p.png"))
    stored = Image.open(io.BytesIO(result.content)).convert("RGBA")
    assert stored.getpixel((2, 2))[3] == 0
    assert stored.getpixel((15, 2)) == (200, 0, 0, 255)


def test_valid_icc_profile_kept_and_broken_one_dropped():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    kept = check_upload(upload(jpeg_bytes(two_colour_image(), icc_profile=srgb), "a.jpg"))
    assert Image.open(io.BytesIO(kept.content)).info.get("icc_profile") == srgb
    assert Image.open(io.BytesIO(kept.thumbnail)).info.get("icc_profile") == srgb
    png = check_upload(upload(png_bytes(two_colour_image(), icc_profile=srgb), "a.png"))
    assert Image.open(io.BytesIO(png.content)).info.get("icc_profile") == srgb

    junk = b"not a colour profile, maybe hidden data " * 10
    dropped = check_upload(upload(jpeg_bytes(two_colour_image(), icc_profile=junk), "b.jpg"))
    assert "icc_profile" not in Image.open(io.BytesIO(dropped.content)).info
    assert b"hidden data" not in dropped.content


def test_cmyk_jpeg_becomes_rgb():
    result = check_upload(
        upload(jpeg_bytes(Image.new("CMYK", (30, 30), (0, 255, 255, 0))), "c.jpg")
    )
    stored = Image.open(io.BytesIO(result.content))
    assert stored.mode == "RGB"
    r, g, b = stored.getpixel((15, 15))
    assert r > 200 and g < 60 and b < 60


def test_heic_accepted_as_jpeg():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Orientation] = 6
    original = heic_bytes(two_colour_image((64, 32)), exif=exif.tobytes())

    result = check_upload(upload(original, "IMG_0001.HEIC"))

    assert (result.kind, result.content_type, result.extension) == ("image", "image/jpeg", ".jpg")
    assert result.display_name == "IMG_0001.jpg"
    # pillow-heif applies the rotation itself and resets the EXIF tag: rotated exactly once.
    assert (result.width, result.height) == (32, 64)
    stored = Image.open(io.BytesIO(result.content))
    assert stored.format == "JPEG" and len(stored.getexif()) == 0
    assert b"Exif" not in result.content and b"Apple" not in result.content
    assert Image.open(io.BytesIO(result.thumbnail)).format == "JPEG"


@pytest.mark.parametrize("brand", [b"heix", b"mif1"])
def test_heif_brands_libmagic_calls_differently_are_accepted(brand):
    original = heic_bytes(two_colour_image((16, 16)))
    assert original[8:12] == b"heic"
    result = check_upload(upload(original[:8] + brand + original[12:], "x.heif"))
    assert result.content_type == "image/jpeg"


def test_heic_labelled_avif_is_refused():
    original = heic_bytes(two_colour_image((16, 16)))
    error = refused(original[:8] + b"avif" + original[12:], "x.avif")
    assert error.code == "unsupported_type" and error.messages == [MSG_UNSUPPORTED]


def test_truncated_jpeg_refused():
    data = noisy_jpeg()
    error = refused(data[: len(data) // 2], "cut.jpg")
    assert error.code == "image_broken" and error.messages == [MSG_IMAGE_BROKEN]


def test_truncated_png_and_heic_refused():
    png = png_bytes(Image.frombytes("RGB", (128, 128), bytes(range(256)) * 192))
    assert refused(png[: len(png) // 2], "cut.png").messages == [MSG_IMAGE_BROKEN]
    heic = heic_bytes(two_colour_image((64, 64)))
    assert refused(heic[: len(heic) // 2], "cut.heic").messages == [MSG_IMAGE_BROKEN]


@pytest.mark.parametrize(
    ("width", "height", "complete"),
    [
        (30000, 30000, False),  # Pillow itself raises DecompressionBombError on open
        (30000, 30000, True),  # the same, with a complete and valid ~110 KB zlib stream
        (7000, 7000, False),  # 49 MP: only our 40 MP limit stops it
    ],
)
def test_pixel_flood_refused_before_decoding(monkeypatch, width, height, complete):
    data = png_flood(width, height, complete=complete)
    assert len(data) < 200_000

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    error = refused(data, "flood.png")
    assert error.code == "image_too_many_pixels"
    assert "画素数が多すぎます" in error.messages[0] and "4,000万画素" in error.messages[0]


def test_pixel_limit_comes_from_settings(settings):
    settings.MAX_IMAGE_PIXELS = 300
    error = refused(png_bytes(two_colour_image((20, 20))), "a.png")
    assert error.code == "image_too_many_pixels" and "画素数が多すぎます" in error.messages[0]
    assert check_upload(upload(png_bytes(two_colour_image((10, 10))), "b.png")).width == 10


def test_load_truncated_images_is_off():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- PDFs ----------------------------------------------------------------------------------


def test_plain_pdf_accepted_unchanged():
    data = pdf_bytes(pdf_writer())
    result = check_upload(upload(data, "紹介状.pdf"))
    assert (result.kind, result.content_type, result.extension) == (
        "pdf",
        "application/pdf",
        ".pdf",
    )
    assert result.content == data
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.thumbnail is None and result.width is None and result.height is None
    assert result.display_name == "紹介状.pdf"


def test_pdf_with_web_link_accepted():
    writer = pdf_writer()
    link_annotation(
        writer,
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/URI"),
                NameObject("/URI"): TextStringObject("https://example.jp/guide"),
            }
        ),
    )
    assert check_upload(upload(pdf_bytes(writer), "a.pdf")).kind == "pdf"


def test_names_inside_stream_data_are_not_mistaken_for_active_content():
    content = b"/JS /AA /OpenAction /Launch BT ET"  # operands in a content stream: inert
    data = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES[0],
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        ]
    )
    assert check_upload(upload(data, "a.pdf")).content == data


def _openaction_js():
    writer = pdf_writer()
    writer._root_object[NameObject("/OpenAction")] = js_action(writer)
    return pdf_bytes(writer)


def _page_aa():
    writer = pdf_writer()
    named = DictionaryObject(
        {NameObject("/S"): NameObject("/Named"), NameObject("/N"): NameObject("/NextPage")}
    )
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): named})
    return pdf_bytes(writer)


def _launch():
    writer = pdf_writer()
    link_annotation(
        writer,
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("C:\\Windows\\System32\\calc.exe"),
            }
        ),
    )
    return pdf_bytes(writer)


def _embedded_file():
    writer = pdf_writer()
    writer.add_attachment("memo.txt", b"hidden")
    return pdf_bytes(writer)


def _uri(target):
    def build():
        writer = pdf_writer()
        link_annotation(
            writer,
            DictionaryObject(
                {
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): TextStringObject(target),
                }
            ),
        )
        return pdf_bytes(writer)

    return build


def _hex_obfuscated():
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Op#65nAction 4 0 R >>",
            *PAGES,
            b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
        ]
    )


ACTIVE_PDFS = {
    "openaction-javascript": _openaction_js,
    "additional-actions": _page_aa,
    "launch": _launch,
    "embedded-files": _embedded_file,
    "hex-obfuscated-javascript": _hex_obfuscated,
    "uri-javascript-scheme": _uri("javascript:app.alert(1)"),
    "uri-file-scheme": _uri("file:///C:/Windows/System32/calc.exe"),
    "uri-unc-path": _uri("\\\\attacker.example\\share\\x"),
}


@pytest.mark.parametrize("build", ACTIVE_PDFS.values(), ids=ACTIVE_PDFS.keys())
def test_active_pdfs_refused(build):
    data = build()
    error = refused(data, "doc.pdf")
    assert error.code == "pdf_active_content"
    assert error.messages == [MSG_PDF_ACTIVE]
    # The object-graph walk catches each on its own (the raw scan is the second line).
    assert uploads._graph_has_active_content(PdfReader(io.BytesIO(data), strict=False))


def test_hex_obfuscated_names_are_normalised_by_pypdf():
    reader = PdfReader(io.BytesIO(_hex_obfuscated()), strict=False)
    assert "/OpenAction" in reader.trailer["/Root"]


def test_active_content_only_in_compressed_object_stream_refused():
    data = pdf_in_object_stream(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (x) >> >>"
    )
    assert b"JavaScript" not in data  # invisible to a raw scan
    assert not uploads._raw_has_forbidden_name(data)
    assert refused(data, "a.pdf").messages == [MSG_PDF_ACTIVE]
    # and the same file without the action is fine
    clean = pdf_in_object_stream(b"<< /Type /Catalog /Pages 2 0 R >>")
    assert check_upload(upload(clean, "b.pdf")).kind == "pdf"


def test_active_object_outside_xref_caught_by_raw_scan():
    orphan = b"9 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n"
    data = raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", *PAGES], extra=orphan)
    assert not uploads._graph_has_active_content(PdfReader(io.BytesIO(data), strict=False))
    assert refused(data, "a.pdf").messages == [MSG_PDF_ACTIVE]


@pytest.mark.parametrize("user_password", ["secret", ""])
def test_encrypted_pdf_refused(user_password):
    writer = pdf_writer()
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    error = refused(pdf_bytes(writer), "locked.pdf")
    assert error.code == "pdf_encrypted" and error.messages == [MSG_PDF_ENCRYPTED]


def test_unparsable_pdf_refused():
    error = refused(b"%PDF-1.7\n" + b"\x00garbage" * 50, "broken.pdf")
    assert error.code == "pdf_broken" and error.messages == [MSG_PDF_BROKEN]


# --- wrong types ---------------------------------------------------------------------------


def _gif():
    buf = io.BytesIO()
    two_colour_image().save(buf, "GIF")
    return buf.getvalue()


def _zip():
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("a.txt", "x")
    return buf.getvalue()


WRONG_TYPES = {
    "html-as-jpg": (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "a.jpg"),
    "elf-as-pdf": (
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200,
        "a.pdf",
    ),
    "exe-as-pdf": (b"MZ\x90\x00" + b"\x00" * 200, "a.pdf"),
    "gif": (_gif(), "a.gif"),
    "svg": (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
        b"<script>alert(1)</script></svg>",
        "a.svg",
    ),
    "zip": (_zip(), "a.jpg"),
    "text": ("患者メモ\n".encode() * 10, "a.png"),
}


@pytest.mark.parametrize(("content", "name"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_types_refused(content, name):
    error = refused(content, name)
    assert error.code == "unsupported_type"
    assert error.messages == [MSG_UNSUPPORTED]


def test_extension_is_ignored_for_the_decision():
    result = check_upload(upload(png_bytes(two_colour_image()), "scan.pdf"))
    assert result.content_type == "image/png" and result.display_name == "scan.png"


# --- sizes ---------------------------------------------------------------------------------


def test_empty_refused():
    error = refused(b"", "empty.jpg")
    assert error.code == "empty" and error.messages == [MSG_EMPTY]


def test_default_limit_is_5mb():
    error = refused(b"\x00" * (5 * MB + 1), "big.pdf")
    assert error.code == "too_large"
    assert "5MBまで" in error.messages[0]


def test_small_limit():
    data = pdf_bytes(pdf_writer())
    assert check_upload(upload(data, "a.pdf"), max_bytes=len(data)).kind == "pdf"
    error = refused(data, "a.pdf", max_bytes=len(data) - 1)
    assert error.code == "too_large" and "MBまで" in error.messages[0]


def test_limit_follows_settings(settings):
    settings.MAX_UPLOAD_BYTES = 2 * MB
    assert "2MBまで" in refused(b"\x00" * (2 * MB + 1)).messages[0]


class CountingFile(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_declared_size_is_not_trusted_and_reading_stops_early():
    data = b"\x00" * (20 * MB)
    counting = CountingFile(data)
    lying = UploadedFile(file=counting, name="big.jpg", size=1000)
    with pytest.raises(ValidationError) as info:
        check_upload(lying, max_bytes=MB)
    assert info.value.messages == ["ファイルが大きすぎます。添付できるのは1ファイル1MBまでです。"]
    assert counting.bytes_read <= MB + 1


def test_declared_size_alone_refuses_without_reading():
    counting = CountingFile(b"\xff\xd8\xff")
    with pytest.raises(ValidationError) as info:
        check_upload(UploadedFile(file=counting, name="a.jpg", size=6 * MB))
    assert "5MBまで" in info.value.messages[0]
    assert counting.bytes_read == 0


def test_already_read_upload_is_read_from_the_start():
    data = png_bytes(two_colour_image())
    uploaded = upload(data, "a.png")
    uploaded.read()
    assert check_upload(uploaded).content_type == "image/png"


# --- display names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\yamada\\Desktop\\褥瘡 経過.JPG", "褥瘡 経過.jpg"),
        ("写真\x00\x1b\x07 1\t2\n.jpeg", "写真 1 2.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.jpg"),
        ("\u200b\ufeff右\u202d左\u2066.png", "右左.jpg"),
        ("か\u3099ん.jpg", "がん.jpg"),  # NFD from macOS becomes NFC
        ("Dr. Tanaka", "Dr. Tanaka.jpg"),
        ("report.pdf", "report.jpg"),
        ("...", "写真.jpg"),
        ("\u202e.jpg", "写真.jpg"),
    ],
)
def test_display_name(name, expected):
    assert check_upload(upload(jpeg_bytes(two_colour_image((8, 8))), name)).display_name == expected


def test_long_japanese_name_is_cut_and_keeps_real_extension():
    result = check_upload(
        upload(png_bytes(two_colour_image((8, 8))), "褥瘡の経過写真" * 40 + ".jpeg")
    )
    assert len(result.display_name) == 100
    assert result.display_name.endswith("褥瘡の経過.png")  # 96 characters of stem, cut
    assert result.display_name.startswith("褥瘡の経過写真")


def test_pdf_fallback_name():
    uploaded = upload(pdf_bytes(pdf_writer()), "x")
    uploaded.name = None
    assert check_upload(uploaded).display_name == "文書.pdf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Django's UploadedFile already refuses these names; the helper copes on its own.
        ("", "文書.pdf"),
        ("/", "文書.pdf"),
        ("..", "文書.pdf"),
        (None, "文書.pdf"),
        ("a/b\\c\x00d\u202ee\u2028f.txt", "cdef.pdf"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_display_name_helper(name, expected):
    assert uploads.safe_display_name(name, ".pdf", "文書") == expected


# --- anything at all -----------------------------------------------------------------------

SEEDS = [
    b"",
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"%PDF-1.7\n",
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    noisy_jpeg(64)[:600],
    png_bytes(two_colour_image((16, 16))),
    pdf_bytes(pdf_writer()),
]


@st.composite
def fuzz_inputs(draw):
    kind = draw(st.sampled_from(["random", "prefixed", "mutated"]))
    if kind == "random":
        return draw(st.binary(min_size=1, max_size=3000))
    seed = draw(st.sampled_from(SEEDS))
    if kind == "prefixed":
        return seed + draw(st.binary(max_size=2000))
    data = bytearray(seed or b"\x00")
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(1, len(data)))])


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fuzz_inputs())
def test_random_bytes_only_ever_raise_validation_error(data):
    try:
        result = check_upload(upload(data, "fuzz.jpg"))
    except ValidationError as error:
        assert error.code and error.messages
        event(error.code)
    else:
        assert result.kind in ("image", "pdf")
        event(f"accepted {result.kind}")
