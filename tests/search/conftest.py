import io

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline import services as timeline_services

IPAEX = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"


def japanese_pdf(text, name="紹介状.pdf"):
    """A real PDF with Japanese text (IPAex embedded when installed)."""
    import os

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if os.path.exists(IPAEX):
        pdfmetrics.registerFont(TTFont("IPAexGothic", IPAEX))
        font = "IPAexGothic"
    else:
        pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
        font = "HeiseiKakuGo-W5"
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont(font, 12)
    pdf.drawString(72, 760, text)
    pdf.showPage()
    pdf.save()
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def team():
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    other = FacilityFactory(name="よその薬局", kind="pharmacy")
    doctor = make_staff(clinic, job_title="医師", last_name="山田")
    nurse = make_staff(station, job_title="看護師", last_name="田中")
    outsider = make_staff(other, job_title="薬剤師")
    patient = make_patient("福井 トメ", "ふくい とめ")
    other_patient = make_patient("若狭 ミツ", "わかさ みつ")
    join_team(patient, clinic, doctor)
    join_team(patient, station, nurse)
    join_team(other_patient, other, outsider)
    return {
        "patient": patient,
        "other_patient": other_patient,
        "doctor": doctor,
        "nurse": nurse,
        "outsider": outsider,
        "clinic": clinic,
        "station": station,
        "other": other,
    }


def write(author, patient, facility, body, **data):
    return timeline_services.create_post(author, patient, facility, "看護師", {"body": body, **data})
