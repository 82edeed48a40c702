"""The timeline as a care-record PDF (支援経過記録): content, paging, escaping, metadata, 和暦."""

import datetime
import hashlib
import io
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from network import services as network_services
from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline import export
from timeline.export import render_timeline_pdf, wareki
from timeline.models import Post
from timeline.services import create_post, delete_post, edit_post

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime.date(2026, 11, 1)
END = datetime.date(2026, 11, 25)
GENERATED = datetime.datetime(2026, 11, 25, 14, 3, tzinfo=TOKYO)

LONG_PARAGRAPH = (
    "本日午前に訪問し、バイタルサインを確認したところ体温は三十七度八分で軽度の発熱を認めた。"
    "咳嗽と喀痰が続いており、夜間の睡眠も浅いとのことでご家族が心配されていた。"
    "食事摂取量は普段の半分程度で、水分も十分とは言えないため、脱水に注意が必要である。"
    "主治医に電話で報告し、明日の臨時往診と採血を依頼した。"
    "ご家族には経口補水液をこまめに勧めるよう説明し、呼吸が苦しそうな時や意識がはっきりしない時は"
    "すぐに訪問看護ステーションへ連絡するようお伝えした。"
)


def _upload(name, kind="pdf", size=2048):
    """What ``documents.uploads.check_upload`` hands to ``create_post``, without a real file."""
    content = b"%PDF-1.4\n" + b"0" * (size - 9)
    return SimpleNamespace(
        kind=kind,
        content=content,
        content_type="application/pdf" if kind == "pdf" else "image/jpeg",
        extension=".pdf" if kind == "pdf" else ".jpg",
        thumbnail=None,
        width=None,
        height=None,
        display_name=name,
        sha256=hashlib.sha256(content).hexdigest(),
    )


@pytest.fixture
def team(db):
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    doctor = make_staff(clinic, job_title="医師", last_name="山田", first_name="一郎")
    nurse = make_staff(station, job_title="看護師", last_name="田中", first_name="花子")
    patient = make_patient("福井 トメ", "ふくい とめ", birth_date=datetime.date(1936, 4, 12))
    join_team(patient, clinic, doctor)
    join_team(patient, station, nurse)
    return SimpleNamespace(
        patient=patient, doctor=doctor, nurse=nurse, clinic=clinic, station=station
    )


def _post(team, who, at, uploads=(), **data):
    author, facility = (team.nurse, team.station) if who == "nurse" else (team.doctor, team.clinic)
    post = create_post(
        author, team.patient, facility, author.memberships.get().job_title, data, uploads
    )
    Post.objects.filter(pk=post.pk).update(created_at=at)
    return post


def _posts(patient):
    return (
        Post.objects.for_patient(patient)
        .select_related("author", "facility")
        .prefetch_related("attachments")
    )


def _render(team, **kwargs):
    return render_timeline_pdf(
        team.patient,
        _posts(team.patient),
        start=START,
        end=END,
        requested_by=team.doctor,
        generated_at=GENERATED,
        **kwargs,
    )


def _text(pdf):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _squeeze(text):
    return re.sub(r"\s+", "", text)


def _at(day, hour=10, minute=0):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def record(team):
    """A small timeline with every kind of content, rendered once."""
    _post(team, "nurse", _at(3, 9, 5), body="体温37.8度。\n咳あり。\n\n水分摂取を促した。")
    _post(team, "nurse", _at(4), body=LONG_PARAGRAPH)
    _post(
        team,
        "doctor",
        _at(5, 16, 30),
        body="定期診察",
        next_visit_date=datetime.date(2026, 12, 3),
        plan_change="利尿薬を減量",
        care_cautions="転倒に注意\n夜間のトイレ歩行時は付き添う",
    )
    _post(
        team,
        "doctor",
        _at(6),
        body="検査結果を添付します",
        uploads=[_upload("血液検査_11月.pdf", size=123_456), _upload("褥瘡の写真.jpg", "image")],
    )
    edited = _post(team, "nurse", _at(7), body="血圧 130/80")
    edit_post(edited, team.nurse, {"body": "血圧 132/84"}, expected_version=1)
    gone = _post(team, "nurse", _at(8), body="誤って書いた内容 MARKER-DEL")
    delete_post(gone, team.nurse)
    return _render(team)


def test_pdf_is_a_pdf_with_the_record_header(record):
    assert record.startswith(b"%PDF")
    text = _text(record)
    assert "支援経過記録（みまもりSNS）" in text
    assert "福井 トメ" in text and "ふくい とめ" in text
    assert "1936年4月12日（昭和11年4月12日）" in text
    assert "2026年11月1日〜2026年11月25日" in text
    assert "令和8年11月1日〜令和8年11月25日" in text
    assert "山田 一郎" in text  # who exported
    assert "2026年11月25日 14:03" in text
    assert "6件（うち削除 1件）" in text


def test_posts_are_printed_oldest_first_with_author_job_and_facility(record):
    text = _text(record)
    assert "体温37.8度。\n咳あり。" in text
    assert "水分摂取を促した。" in text
    assert text.index("体温37.8度") < text.index("定期診察") < text.index("検査結果を添付します")
    assert "2026年11月3日（火） 09:05" in text
    assert "田中 花子（看護師）" in text and "ひまわり訪問看護" in text
    assert "山田 一郎（医師）" in text and "みまもり在宅クリニック" in text


def test_long_unspaced_japanese_is_wrapped_by_character_and_nothing_is_lost(record):
    text = _text(record)
    assert LONG_PARAGRAPH not in text  # broken over several lines ...
    assert LONG_PARAGRAPH in _squeeze(text)  # ... with every character kept, in order
    for piece in ("バイタルサイン", "脱水に注意が必要", "明日の臨時往診と採血"):
        assert piece in _squeeze(text)


def test_structured_fields_are_labelled(record):
    text = _text(record)
    assert "【次回訪問日】2026年12月3日（木）" in text
    assert "【治療方針の変更】" in text and "利尿薬を減量" in text
    assert "【ケア上の注意点】" in text and "転倒に注意\n夜間のトイレ歩行時は付き添う" in text


def test_attachments_are_listed_by_name_type_and_size(record):
    text = _text(record)
    assert "血液検査_11月.pdf（PDF、120.6 KB）" in text
    assert "褥瘡の写真.jpg（写真、2.0 KB）" in text
    assert "ファイル本体は含みません" in text


def test_edited_and_deleted_posts(record):
    text = _text(record)
    assert "血圧 132/84" in text and "血圧 130/80" not in text
    assert "（編集あり）" in text
    assert "この投稿は削除されました" in text
    deleted_part = text[text.index("2026年11月8日") :]
    assert "田中 花子" in deleted_part and "この投稿は削除されました" in deleted_part
    assert "MARKER-DEL" not in text


def test_deregistered_facility_is_marked(team):
    _post(team, "nurse", _at(3), body="訪問しました")
    network_services.deregister_facility(team.station)
    text = _text(_render(team))
    assert "ひまわり訪問看護（利用解除済み）" in text


def test_markup_in_text_is_printed_literally(team):
    _post(
        team,
        "nurse",
        _at(3),
        body='<b>&amp;<script>alert(1)</script> <a href="x">link</a>',
        plan_change="A < B & C > D",
        care_cautions="<br/>改行ではない",
    )
    pdf = _render(team)
    text = _text(pdf)
    assert '<b>&amp;<script>alert(1)</script> <a href="x">link</a>' in text
    assert "A < B & C > D" in text
    assert "<br/>改行ではない" in text
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert "/Annots" not in page  # no link was made from the text


def test_indentation_and_odd_characters_survive(team):
    _post(team, "nurse", _at(3), body="経過:\r\n\u3000食事は全量摂取\r\n  服薬確認\x07済み")
    text = _text(_render(team))
    assert "食事は全量摂取" in text and "服薬確認済み" in text


def test_characters_missing_from_the_font_print_as_geta_mark_not_as_nothing(team):
    _post(team, "nurse", _at(3), body="絵文字😀と髙橋さんと①②")
    text = _text(_render(team))
    assert "絵文字〓と髙橋さんと①②" in text
    assert "「〓」は、このPDFの書体にない文字" in _squeeze(text)
    assert "\x00" not in text


def test_no_geta_note_when_every_character_prints(record):
    assert "〓" not in _text(record)


def test_many_posts_run_over_pages_with_numbers_and_the_patient_on_each(team):
    for i in range(80):
        _post(
            team,
            "nurse",
            _at(1 + i % 24, 8 + i % 10),
            body=f"定期訪問の記録その{i:03d}。\n状態は安定。",
        )
    reader = PdfReader(io.BytesIO(_render(team)))
    total = len(reader.pages)
    assert total >= 4
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"{number} / {total}" in text
        assert "福井 トメ 様" in text
    everything = "\n".join(page.extract_text() for page in reader.pages)
    for i in range(80):
        assert f"定期訪問の記録その{i:03d}。" in everything


def test_a_very_long_post_splits_across_pages_without_gaps_or_losses(team):
    body = "\n".join(f"{n}行目：" + LONG_PARAGRAPH for n in range(40))
    _post(team, "nurse", _at(3), body=body)
    reader = PdfReader(io.BytesIO(_render(team)))
    assert len(reader.pages) >= 3
    furniture = re.compile(
        r"^(福井 トメ 様|支援経過記録（みまもりSNS）|個人情報を含みます。.*|\d+ / \d+)$"
    )
    text = "\n".join(
        line
        for page in reader.pages
        for line in page.extract_text().splitlines()
        if not furniture.match(line.strip())
    )
    assert _squeeze(body) in _squeeze(text)
    # reportlab's own split re-wraps the rest of a CJK paragraph with stray spaces mid-line.
    assert not re.findall(r"[ぁ-んァ-ヶ一-龯、。] +[ぁ-んァ-ヶ一-龯]", text[text.index("0行目") :])


def test_no_posts_in_the_period(team):
    text = _text(_render(team))
    assert "対象期間の投稿はありません。" in text and "0件" in text


def _objects(node, seen=None):
    """Every dictionary and array reachable from ``node``, following indirect references."""
    seen = set() if seen is None else seen
    if isinstance(node, IndirectObject):
        if (node.idnum, node.generation) in seen:
            return
        seen.add((node.idnum, node.generation))
        node = node.get_object()
    if isinstance(node, DictionaryObject):
        yield node
        for value in node.values():
            yield from _objects(value, seen)
    elif isinstance(node, ArrayObject):
        for value in node:
            yield from _objects(value, seen)


def test_metadata_names_no_patient_and_there_is_no_active_content(record):
    reader = PdfReader(io.BytesIO(record))
    meta = reader.metadata
    assert meta.title == "支援経過記録"
    assert meta.author == "みまもりSNS"
    for value in meta.values():
        assert "福井" not in str(value) and "ふくい" not in str(value)
    assert reader.xmp_metadata is None
    catalog = reader.trailer["/Root"]
    for key in ("/OpenAction", "/AA", "/Names", "/AcroForm", "/Outlines"):
        assert key not in catalog
    active = {
        "/JS",
        "/JavaScript",
        "/OpenAction",
        "/AA",
        "/A",
        "/Annots",
        "/Launch",
        "/URI",
        "/SubmitForm",
        "/EmbeddedFiles",
        "/RichMedia",
    }
    for obj in _objects(reader.trailer.raw_get("/Root")):
        assert not active & set(obj.keys()), obj


@pytest.mark.skipif(
    not export.os.path.exists(export.IPAEX_GOTHIC_PATH),
    reason="Debian fonts-ipaexfont is not installed",
)
def test_ipaex_gothic_is_embedded_when_installed(record):
    fonts = [
        f
        for page in PdfReader(io.BytesIO(record)).pages
        for f in page["/Resources"]["/Font"].values()
    ]
    assert any("IPAexGothic" in str(f.get_object()["/BaseFont"]) for f in fonts)
    assert b"/FontFile2" in record


def test_falls_back_to_the_built_in_cid_font(team, monkeypatch):
    monkeypatch.setattr(export, "IPAEX_GOTHIC_PATH", "/nonexistent/ipaexg.ttf")
    _post(team, "nurse", _at(3), body="フォントなしでも読める😀")
    pdf = _render(team)
    assert b"HeiseiKakuGo-W5" in pdf and b"/FontFile2" not in pdf
    assert "フォントなしでも読める〓" in _text(pdf)


def test_default_generated_at_is_now_in_tokyo_time(team, monkeypatch):
    fixed = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)  # 12月1日 08:30 JST
    monkeypatch.setattr(export.timezone, "now", lambda: fixed)
    pdf = render_timeline_pdf(team.patient, [], start=START, end=END, requested_by=team.nurse)
    assert "2026年12月1日 08:30" in _text(pdf)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2019, 4, 30), "平成31年4月30日"),
        (datetime.date(2019, 5, 1), "令和元年5月1日"),
        (datetime.date(2019, 12, 31), "令和元年12月31日"),
        (datetime.date(2020, 1, 1), "令和2年1月1日"),
        (datetime.date(2026, 11, 25), "令和8年11月25日"),
        (datetime.date(1989, 1, 7), "昭和64年1月7日"),
        (datetime.date(1989, 1, 8), "平成元年1月8日"),
        (datetime.date(1936, 4, 12), "昭和11年4月12日"),
        (datetime.date(1926, 12, 24), "大正15年12月24日"),
        (datetime.date(1926, 12, 25), "昭和元年12月25日"),
        (datetime.date(1912, 7, 29), "明治45年7月29日"),
        (datetime.date(1912, 7, 30), "大正元年7月30日"),
        (datetime.date(1873, 1, 1), "明治6年1月1日"),
    ],
)
def test_wareki(day, expected):
    assert wareki(day) == expected


def test_wareki_takes_an_aware_datetime_as_its_tokyo_date():
    # 2019-04-30 15:00 UTC is already 2019-05-01 in Tokyo: the first day of 令和.
    assert wareki(datetime.datetime(2019, 4, 30, 15, 0, tzinfo=datetime.UTC)) == "令和元年5月1日"


def test_wareki_refuses_dates_before_the_gregorian_calendar_in_japan():
    with pytest.raises(ValueError):
        wareki(datetime.date(1872, 12, 31))
