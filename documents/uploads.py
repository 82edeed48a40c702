"""Checks for files attached to timeline posts: photos (JPEG, PNG, HEIC) and PDFs.

Everything a user uploads goes through :func:`check_upload` before it is stored. The type is
decided by the content (libmagic, then a real parser), never by the file name, because the
name is whatever the sender's phone or PC chose and can lie. Every refusal is a
``ValidationError`` with a Japanese message and a code, so that a form can show it as is.

- Photos are decoded completely and re-encoded from the pixels alone. This removes EXIF
  (GPS position of the patient's home, camera serial numbers, time), XMP, comments and text
  chunks, and anything appended to the file. The ICC colour profile is kept when it is a
  valid profile: it describes colours, not people, and dropping it shifts the wide-gamut
  colours of phone photos (Display P3), which matters when judging redness of a wound.
- PDFs are stored byte for byte, but only after their whole object graph has been checked
  for active content (scripts, automatic actions, launching programs, embedded files,
  forms that send data). Such PDFs are refused rather than cleaned: a referral letter or a
  report may be signed, and rewriting it would break the signature and change a medical
  document behind the author's back. The sender can re-export it (e.g. by "printing to
  PDF"), which drops the active content.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

import magic
import pillow_heif
from PIL import Image, ImageFile, ImageOps
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    TextStringObject,
)

# HEIC photos (iPhone's default) open through Pillow once pillow-heif's opener is registered.
# Registering twice (Wagtail's image library may do it too) is harmless.
pillow_heif.register_heif_opener()

MAGIC_PREFIX_BYTES = 2048
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
THUMBNAIL_SIDE = 480
DISPLAY_NAME_MAX = 100
# An ICC profile bigger than this is not a colour profile a phone or scanner writes.
MAX_ICC_BYTES = 1024 * 1024

# Lazy: the message is chosen when shown, in the reader's language.
MSG_EMPTY = _("ファイルが空です。内容のあるファイルを選んでください。")
MSG_TOO_LARGE = _("ファイルが大きすぎます。添付できるのは1ファイル{mb}MBまでです。")
MSG_UNREADABLE = _("ファイルを読み込めませんでした。もう一度お試しください。")
MSG_UNSUPPORTED = _(
    "この種類のファイルは添付できません。写真（JPEG・PNG・HEIC）またはPDFを選んでください。"
)
MSG_IMAGE_BROKEN = _("画像ファイルが壊れているか、途中までしかありません。")
MSG_IMAGE_TOO_MANY_PIXELS = _(
    "画像の画素数が多すぎます（上限{limit}万画素）。縮小してから添付してください。"
)
MSG_PDF_BROKEN = _("PDFファイルが壊れているため、読み取れません。")
MSG_PDF_ENCRYPTED = _(
    "パスワードや暗号化で保護されたPDFは、中身を確認できないため添付できません。"
    "保護を解除してから添付してください。"
)
MSG_PDF_ACTIVE = _(
    "このPDFにはスクリプトや自動実行などの機能が含まれているため、添付できません。"
    "印刷機能などでPDFを作り直してから添付してください。"
)

# libmagic's answer -> Pillow format(s) we let parse it. Restricting the formats keeps a file
# that libmagic calls JPEG from being decoded by some other, less hardened Pillow plugin.
# libmagic 5.44 names HEIF files by their major brand: heic/heix -> image/heic,
# hevc/hevx -> image/heic-sequence, mif1/heim/heis -> image/heif, msf1 -> image/heif-sequence,
# avif -> image/avif. pillow-heif's HEIF opener reads the first four and refuses AVIF, so
# image/avif is not accepted (this pillow-heif build has no AV1 decoder either).
IMAGE_TYPES = {
    "image/jpeg": ("JPEG",),
    "image/png": ("PNG",),
    "image/heic": ("HEIF",),
    "image/heif": ("HEIF",),
    "image/heic-sequence": ("HEIF",),
    "image/heif-sequence": ("HEIF",),
}
PDF_TYPE = "application/pdf"

# Names that make a PDF do something by itself or carry other files. They are refused wherever
# they appear, as a dictionary key or as a value (an action's /S /Launch, a stream's
# /Type /EmbeddedFile, an annotation's /Subtype /RichMedia).
# Plain links (/URI actions to http, https, mailto, tel) and jumps inside the document
# (/GoTo, /Named) are allowed: referral letters and reports legitimately contain them, and
# viewers ask before leaving the document.
PDF_FORBIDDEN_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",  # additional (automatic) actions on open/close/page/field events
        "/Launch",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/EF",
        "/FileAttachment",
        "/RichMedia",
        "/3D",  # 3D annotations can carry their own scripts
        "/Rendition",
        "/Movie",
        "/Sound",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",  # opens another file; on Windows a UNC path leaks credentials
    }
)
ALLOWED_URI = re.compile(r"^(https?|mailto|tel):", re.IGNORECASE)
# A PDF name token in the raw bytes (PDF 32000-1 §7.3.5): "/" then regular characters.
RAW_NAME = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*")
RAW_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
RAW_STREAM_BODY = re.compile(rb"stream(?:\r\n|\n|\r).*?endstream", re.DOTALL)

# Characters dropped from display names: controls, format characters (bidi overrides such as
# U+202E that make "gpj.exe" look like "exe.jpg", zero-width characters), surrogates and
# line/paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "image" or "pdf"
    content: bytes  # what will be stored: images re-encoded, PDFs as received (after checks)
    content_type: str  # "image/jpeg", "image/png" or "application/pdf"
    extension: str  # ".jpg", ".png" or ".pdf"
    thumbnail: bytes | None  # JPEG, longest side 480 px, for images; None for PDFs
    width: int | None
    height: int | None
    display_name: str  # the user's file name, safe for display, with the real extension
    sha256: str  # hex digest of content


def check_upload(uploaded, *, max_bytes=None) -> CheckedUpload:
    """Check one uploaded file and return what may be stored, or raise ``ValidationError``.

    ``uploaded`` is a Django ``UploadedFile``. ``max_bytes`` defaults to
    ``settings.MAX_UPLOAD_BYTES``. No other exception type escapes: parsers of untrusted
    files fail in many ways, and the caller must be able to show one message to the user.
    """
    if max_bytes is None:
        max_bytes = settings.MAX_UPLOAD_BYTES
    data = _read_limited(uploaded, max_bytes)
    try:
        mime = magic.from_buffer(data[:MAGIC_PREFIX_BYTES], mime=True)
    except Exception:
        mime = ""
    name = getattr(uploaded, "name", None)

    if mime in IMAGE_TYPES:
        content, content_type, extension, thumbnail, width, height = _check_image(
            data, IMAGE_TYPES[mime]
        )
        kind = "image"
    elif mime == PDF_TYPE:
        _check_pdf(data)
        content, content_type, extension = data, PDF_TYPE, ".pdf"
        thumbnail = width = height = None
        kind = "pdf"
    else:
        raise ValidationError(MSG_UNSUPPORTED, code="unsupported_type")

    return CheckedUpload(
        kind=kind,
        content=content,
        content_type=content_type,
        extension=extension,
        thumbnail=thumbnail,
        width=width,
        height=height,
        display_name=safe_display_name(name, extension, "写真" if kind == "image" else "文書"),
        sha256=hashlib.sha256(content).hexdigest(),
    )


# --- Reading -------------------------------------------------------------------------------


def _too_large(max_bytes: int) -> ValidationError:
    mb = max_bytes / (1024 * 1024)
    shown = f"{mb:.0f}" if mb >= 1 and mb == int(mb) else f"{mb:.1f}"
    return ValidationError(MSG_TOO_LARGE.format(mb=shown), code="too_large")


def _read_limited(uploaded, max_bytes: int) -> bytes:
    """Read at most ``max_bytes + 1`` bytes, refusing empty and oversized files.

    ``.size`` comes from the upload handler and is checked first (cheap), but the bytes
    actually read are counted too: a file object can hold more than its declared size.
    """
    size = getattr(uploaded, "size", None)
    if isinstance(size, int):
        if size > max_bytes:
            raise _too_large(max_bytes)
    try:
        if hasattr(uploaded, "seek"):
            uploaded.seek(0)
        parts = []
        remaining = max_bytes + 1
        while remaining > 0:
            part = uploaded.read(min(remaining, 64 * 1024))
            if not part:
                break
            if not isinstance(part, bytes):
                raise TypeError("upload must be read as bytes")
            parts.append(part)
            remaining -= len(part)
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError(MSG_UNREADABLE, code="unreadable") from exc
    data = b"".join(parts)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    if not data:
        raise ValidationError(MSG_EMPTY, code="empty")
    return data


# --- Images --------------------------------------------------------------------------------


def _pixel_limit() -> int:
    """Our limit, and never above Pillow's own warning threshold.

    Pillow warns (``DecompressionBombWarning``) above ``Image.MAX_IMAGE_PIXELS`` and raises
    above twice that. Taking the smaller limit turns its warning case into a refusal without
    changing the process-wide warnings filters (``warnings.catch_warnings`` is not thread-safe)
    or Pillow's global limit, which Wagtail's image handling shares.
    """
    limit = int(settings.MAX_IMAGE_PIXELS)
    if Image.MAX_IMAGE_PIXELS:
        limit = min(limit, int(Image.MAX_IMAGE_PIXELS))
    return limit


def _too_many_pixels() -> ValidationError:
    limit = int(settings.MAX_IMAGE_PIXELS)
    shown = f"{limit // 10000:,}" if limit >= 10000 else f"{limit / 10000:g}"
    return ValidationError(
        MSG_IMAGE_TOO_MANY_PIXELS.format(limit=shown), code="image_too_many_pixels"
    )


def _check_image(data: bytes, formats: tuple[str, ...]):
    """Decode the whole image, apply EXIF orientation and re-encode it without metadata.

    ``Image.open`` only reads the header, so the pixel count is checked before anything is
    decoded: a 30000x30000 PNG of a few kilobytes would otherwise need gigabytes.
    ``load()`` then decodes everything, so truncated files are refused here rather than
    stored half grey (``ImageFile.LOAD_TRUNCATED_IMAGES`` must stay False).
    """
    broken = ValidationError(MSG_IMAGE_BROKEN, code="image_broken")
    try:
        img = Image.open(io.BytesIO(data), formats=list(formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception:  # UnidentifiedImageError, OSError, SyntaxError, ValueError, ...
        raise broken from None

    try:
        width, height = img.size
        if width <= 0 or height <= 0:
            raise broken
        if width * height > _pixel_limit():
            raise _too_many_pixels()
        if ImageFile.LOAD_TRUNCATED_IMAGES:  # pragma: no cover - a misconfiguration
            raise broken
        try:
            img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:
            raise broken from None

        icc, icc_space = _valid_icc(img.info.get("icc_profile"))
        is_png = img.format == "PNG"
        try:
            oriented = ImageOps.exif_transpose(img)
        except Exception:
            # Unreadable EXIF: the pixels are fine, only the rotation hint is lost.
            oriented = img.copy()
        if oriented.mode == "CMYK" and icc_space == "CMYK":
            # Print-workflow JPEGs: convert through their profile, not by naive arithmetic.
            try:
                oriented = _cmyk_to_srgb(oriented, icc)
            except Exception:
                oriented = oriented.convert("RGB")
        if is_png:
            clean = _png_mode(oriented)
        else:
            clean = _jpeg_mode(oriented)
        # Nothing from the original file may travel along: Pillow's encoders take some
        # entries (ICC, transparency, comment) from ``info`` when it is not emptied.
        clean.info = {}

        out = io.BytesIO()
        if is_png:
            clean.save(
                out, format="PNG", icc_profile=_fitting(icc, icc_space, clean)
            )
            content_type, extension = "image/png", ".png"
        else:
            clean.save(
                out,
                format="JPEG",
                quality=JPEG_QUALITY,
                icc_profile=_fitting(icc, icc_space, clean),
            )
            content_type, extension = "image/jpeg", ".jpg"

        thumb = _jpeg_mode(clean)
        thumb.info = {}
        thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
        thumb_out = io.BytesIO()
        thumb.save(
            thumb_out,
            format="JPEG",
            quality=THUMBNAIL_QUALITY,
            icc_profile=_fitting(icc, icc_space, thumb),
        )
    except ValidationError:
        raise
    except Exception:
        raise broken from None
    finally:
        img.close()

    return (
        out.getvalue(),
        content_type,
        extension,
        thumb_out.getvalue(),
        clean.width,
        clean.height,
    )


def _valid_icc(icc) -> tuple[bytes | None, str | None]:
    """The ICC profile and its colour space if littlecms can parse it; else (None, None)."""
    if not icc or not isinstance(icc, bytes) or len(icc) > MAX_ICC_BYTES:
        return None, None
    try:
        from PIL import ImageCms

        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
    except Exception:
        return None, None
    return icc, space


def _fitting(icc: bytes | None, space: str | None, img: Image.Image) -> bytes | None:
    """The profile if it matches the pixels' colour space: a CMYK profile on RGB is worse than none."""
    if space == "RGB" and img.mode in ("RGB", "RGBA"):
        return icc
    if space == "GRAY" and img.mode in ("L", "LA"):
        return icc
    return None


def _cmyk_to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    from PIL import ImageCms

    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    target = ImageCms.createProfile("sRGB")
    return ImageCms.profileToProfile(img, source, target, outputMode="RGB")


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit and float greyscale (scanners, some medical PNGs) to 8-bit greyscale."""
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        return img.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    if img.mode == "1":
        return img.convert("L")
    return img


def _png_mode(img: Image.Image) -> Image.Image:
    """A mode PNG stores directly; palette and tRNS transparency become a real alpha channel."""
    img = _to_8bit(img)
    if img.mode in ("L", "RGB") and "transparency" not in img.info:
        return img
    if img.mode in ("LA", "RGBA"):
        return img
    return img.convert("RGBA" if _has_alpha(img) else "RGB")


def _jpeg_mode(img: Image.Image) -> Image.Image:
    """RGB or greyscale for JPEG: CMYK converted, transparency flattened onto white."""
    img = _to_8bit(img)
    if _has_alpha(img):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if img.mode in ("L", "RGB"):
        return img.copy()
    return img.convert("RGB")


# --- PDFs ----------------------------------------------------------------------------------


def _check_pdf(data: bytes) -> None:
    """Refuse unparsable, encrypted and active PDFs; the bytes themselves are not changed.

    Two lines of defence: pypdf's object graph (names are normalised there, so an obfuscated
    ``/J#61vaScript`` is seen as ``/JavaScript``, and objects inside compressed object
    streams are seen too), and the raw bytes outside stream data (objects that pypdf's
    repaired cross-reference table does not reach, earlier incremental revisions), where
    ``#xx`` escapes are decoded as well.
    """
    active = ValidationError(MSG_PDF_ACTIVE, code="pdf_active_content")
    if _raw_has_forbidden_name(data):
        raise active
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        found = False if encrypted else _graph_has_active_content(reader)
    except Exception:
        raise ValidationError(MSG_PDF_BROKEN, code="pdf_broken") from None
    if encrypted:
        raise ValidationError(MSG_PDF_ENCRYPTED, code="pdf_encrypted")
    if found:
        raise active


def _raw_has_forbidden_name(data: bytes) -> bool:
    # Stream data (page contents, images, fonts, usually compressed) is skipped: random
    # compressed bytes contain "/JS " or "/AA " often enough to refuse innocent PDFs.
    text = RAW_STREAM_BODY.sub(b"stream endstream", data)
    for match in RAW_NAME.finditer(text):
        token = RAW_HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group())
        if token.decode("latin-1") in PDF_FORBIDDEN_NAMES:
            return True
    return False


def _graph_has_active_content(reader: PdfReader) -> bool:
    """Walk everything reachable from the trailer, then every object in the xref tables."""
    roots: list = [reader.trailer]
    for generation, entries in list(reader.xref.items()):
        for idnum in list(entries):
            roots.append(IndirectObject(idnum, generation, reader))
    for idnum in list(reader.xref_objStm):
        roots.append(IndirectObject(idnum, 0, reader))

    visited: set[tuple[int, int]] = set()
    stack = roots
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in visited:
                continue
            visited.add(key)
            obj = obj.get_object()
        if isinstance(obj, NameObject):
            if str(obj) in PDF_FORBIDDEN_NAMES:
                return True
        elif isinstance(obj, DictionaryObject):  # includes streams
            for name, value in dict.items(obj):
                if str(name) in PDF_FORBIDDEN_NAMES:
                    return True
                if name == "/URI" and not _allowed_uri(value):
                    return True
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))
    return False


def _allowed_uri(value) -> bool:
    """A /URI action may only point to http(s), mailto or tel, not file:, javascript: or UNC."""
    if isinstance(value, IndirectObject):
        value = value.get_object()
    if isinstance(value, DictionaryObject):  # the catalog's /URI << /Base ... >> dictionary
        return True
    if isinstance(value, (TextStringObject, ByteStringObject, str, bytes)):
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        text = "".join(ch for ch in text if ch > " ")
        return bool(ALLOWED_URI.match(text))
    return False


# --- File names ----------------------------------------------------------------------------


def safe_display_name(name, extension: str, fallback_stem: str) -> str:
    """The user's file name, made safe to show and to offer as a download name.

    Only the last path component is kept, the text is NFC-normalised (macOS sends NFD),
    control and bidi-override characters are removed, the length is capped, and the
    extension is replaced by the one matching the checked content.
    """
    text = name if isinstance(name, str) else ""
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES or ch in "\t\n\r"
    )
    text = " ".join(text.split())
    text = _EXTENSION.sub("", text)
    text = text.strip(" .")
    text = text[: DISPLAY_NAME_MAX - len(extension)].rstrip(" .")
    return f"{text or fallback_stem}{extension}"
