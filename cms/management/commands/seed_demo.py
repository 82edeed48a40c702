"""Demo data: a secretariat, four facilities with admins and staff, three patients.

Idempotent: running it again changes nothing. Every account gets the same demo
password; the secretariat and facility admins get a TOTP device with a fixed
demo key, printed only when DEBUG is on.
"""

import datetime
import hashlib
from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from django_otp.plugins.otp_totp.models import TOTPDevice

from network import services
from network.access import SECRETARIAT_GROUP
from network.models import (
    Facility,
    FacilityKind,
    FacilityMembership,
    FacilityStatus,
    MembershipRole,
    PatientPage,
    PatientsIndexPage,
)

DEMO_PASSWORD = "Mimamori-demo-2026"
DOMAIN = "demo.mimamori.example"

FACILITIES = [
    {
        "key": "clinic",
        "kind": FacilityKind.MEDICAL,
        "code": "1810000001",
        "name": "みまもり在宅クリニック",
        "name_kana": "みまもりざいたくくりにっく",
        "medical_net": True,
        "admin": ("管理", "診療所", "かんり", "しんりょうじょ"),
        "staff": [
            ("clinic-doctor", "山田", "一郎", "やまだ", "いちろう", "医師"),
            ("clinic-nurse", "佐藤", "花子", "さとう", "はなこ", "看護師"),
        ],
    },
    {
        "key": "pharmacy",
        "kind": FacilityKind.PHARMACY,
        "code": "1840000002",
        "name": "さくら調剤薬局",
        "name_kana": "さくらちょうざいやっきょく",
        "medical_net": False,
        "admin": ("管理", "薬局", "かんり", "やっきょく"),
        "staff": [
            ("pharmacy-1", "鈴木", "健", "すずき", "けん", "薬剤師"),
            ("pharmacy-2", "高橋", "美穂", "たかはし", "みほ", "薬剤師"),
        ],
    },
    {
        "key": "nurse",
        "kind": FacilityKind.VISITING_NURSE,
        "code": "1860000003",
        "name": "ひまわり訪問看護ステーション",
        "name_kana": "ひまわりほうもんかんごすてーしょん",
        "medical_net": False,
        "admin": ("管理", "訪問看護", "かんり", "ほうもんかんご"),
        "staff": [
            ("nurse-1", "田中", "由美", "たなか", "ゆみ", "看護師"),
            ("nurse-2", "伊藤", "翔", "いとう", "しょう", "理学療法士"),
        ],
    },
    {
        "key": "care",
        "kind": FacilityKind.HOME_CARE_SUPPORT,
        "code": "1870000004",
        "name": "あおぞら居宅介護支援事業所",
        "name_kana": "あおぞらきょたくかいごしえんじぎょうしょ",
        "medical_net": False,
        "admin": ("管理", "居宅", "かんり", "きょたく"),
        "staff": [
            ("care-1", "渡辺", "恵", "わたなべ", "めぐみ", "介護支援専門員（ケアマネジャー）"),
            ("care-2", "中村", "大輔", "なかむら", "だいすけ", "介護支援専門員（ケアマネジャー）"),
        ],
    },
]

# (name, kana, birth date, sex, {facility key: [staff keys linked]}, family members)
PATIENTS = [
    (
        "福井 トメ",
        "ふくい とめ",
        "1936-04-12",
        "female",
        {
            "clinic": ["clinic-doctor", "clinic-nurse"],
            "pharmacy": ["pharmacy-1"],
            "nurse": ["nurse-1", "nurse-2"],
            "care": ["care-1"],
        },
        [
            ("family-1", "福井", "美咲", "ふくい", "みさき", "長女"),
            ("family-2", "福井", "健太", "ふくい", "けんた", "長男"),
        ],
    ),
    (
        "越前 一郎",
        "えちぜん いちろう",
        "1941-09-30",
        "male",
        {"clinic": ["clinic-doctor"], "nurse": ["nurse-1"]},
        [],
    ),
    (
        "若狭 ミツ",
        "わかさ みつ",
        "1939-01-05",
        "female",
        {"pharmacy": ["pharmacy-2"], "care": ["care-2"]},
        [],
    ),
]


DEMO_POSTS = [
    ("福井 トメ", "nurse-1", "本日訪問。体温36.8度、血圧132/78、SpO2 97%。\n仙骨部の発赤は昨日より縮小しています。", {}),
    ("福井 トメ", "pharmacy-1", "処方変更に伴い、明日から一包化の内容が変わります。服薬カレンダーを差し替えました。", {}),
    (
        "福井 トメ",
        "clinic-doctor",
        "定期往診。浮腫が軽減しているため利尿薬を減量します。",
        {"next_visit_date": datetime.date(2026, 12, 3), "plan_change": "フロセミド 20mg → 10mg", "care_cautions": "立ち上がり時のふらつきに注意"},
    ),
    ("福井 トメ", "care-1", "来週からデイサービスを週2回に増やします。送迎は午前9時頃です。", {}),
    ("越前 一郎", "nurse-1", "本日は入浴介助を行いました。皮膚トラブルはありません。", {}),
]


# Forms waiting in the secretariat's review inbox (fictitious facility and people).
DEMO_SUBMISSIONS = [
    (
        "1",
        {
            "facility_kind": "dental",
            "facility_code": "1819900001",
            "facility_name": "みどり歯科クリニック",
            "facility_name_kana": "みどりしかくりにっく",
            "postal_code": "910-0005",
            "address": "福井県福井市大手3-10-1",
            "phone": "0776-00-1111",
            "representative": "緑川 一郎",
            "medical_net": "no",
            "admin_name": "緑川 花子",
            "admin_name_kana": "みどりかわ はなこ",
            "admin_email": f"admin-dental@{DOMAIN}",
            "vpn_count": "2",
            "contact_name": "緑川 花子",
            "contact_email": f"office-dental@{DOMAIN}",
        },
        None,
    ),
    (
        "8",
        {
            "facility_name": "みまもり在宅クリニック",
            "representative": "山田 一郎",
            "patient_name": "若狭 ミツ",
            "patient_name_kana": "わかさ みつ",
            "patient_birth_date": "1938-03-03",
            "start_date": "2026-12-01",
            "contact_name": "山田 一郎",
            "contact_email": f"admin-clinic@{DOMAIN}",
        },
        "clinic",
    ),
]


def access_visible(user, patient):
    from network.access import can_post

    return can_post(user, patient)


def demo_email(local):
    return f"{local}@{DOMAIN}"


def demo_totp_key(email):
    """A fixed, per-account demo key (hex, 20 bytes) so the demo codes survive re-seeding."""
    return hashlib.sha1(f"mimamori-demo:{email}".encode()).hexdigest()  # noqa: S324 (demo only)


class Command(BaseCommand):
    help = "Create the demo secretariat, facilities, staff, patients and teams (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            accounts = self._seed()
        self._report(accounts)

    def _user(self, local, last, first, last_kana, first_kana, totp=False):
        User = get_user_model()
        email = demo_email(local)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = services.create_user(
                email, last, first, last_kana, first_kana, password=DEMO_PASSWORD
            )
        if totp and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(
                user=user, name="認証アプリ（デモ）", key=demo_totp_key(email), confirmed=True
            )
        return user

    def _membership(self, user, facility, role, **fields):
        exists = FacilityMembership.objects.active().filter(user=user, facility=facility)
        if not exists.exists():
            services.add_membership(user, facility, role, **fields)

    def _seed(self):
        accounts = []
        secretariat = self._user("jimukyoku", "事務局", "太郎", "じむきょく", "たろう", totp=True)
        secretariat.groups.add(Group.objects.get(name=SECRETARIAT_GROUP))
        accounts.append(("事務局", secretariat, True))

        facilities, staff = {}, {}
        for spec in FACILITIES:
            admin_email = demo_email(f"admin-{spec['key']}")
            facility = Facility.objects.filter(code=spec["code"]).first()
            if facility is None:
                facility = services.save_facility(
                    Facility(
                        kind=spec["kind"],
                        code=spec["code"],
                        name=spec["name"],
                        name_kana=spec["name_kana"],
                        address="福井県福井市大手3-17-1",
                        phone="0776-00-0000",
                        representative="代表 太郎",
                        admin_email=admin_email,
                        medical_net=spec["medical_net"],
                        vpn_request_count=2,
                        status=FacilityStatus.ACTIVE,
                    )
                )
            facilities[spec["key"]] = facility
            admin = self._user(f"admin-{spec['key']}", *spec["admin"], totp=True)
            self._membership(admin, facility, MembershipRole.ADMIN)
            accounts.append((f"施設内管理者（{facility.name}）", admin, True))
            for local, last, first, last_kana, first_kana, job in spec["staff"]:
                user = self._user(local, last, first, last_kana, first_kana)
                self._membership(user, facility, MembershipRole.STAFF, job_title=job)
                staff[local] = (user, facility)
                accounts.append((f"{job}（{facility.name}）", user, False))

        index = PatientsIndexPage.objects.get()
        for name, kana, birth, sex, team, family in PATIENTS:
            patient = PatientPage.objects.filter(title=name, name_kana=kana).first()
            if patient is None:
                patient = services.create_patient(
                    index, name, kana, birth_date=birth, sex=sex, consent_date="2026-04-01"
                )
            for key, members in team.items():
                services.link_facility(patient, facilities[key])
                for local in members:
                    user, facility = staff[local]
                    services.link_member(patient, user, facility)
            for local, last, first, last_kana, first_kana, relation in family:
                user = self._user(local, last, first, last_kana, first_kana)
                services.add_family_member(patient, user, relation)
                accounts.append((f"家族（{name} さんの{relation}）", user, False))
            self._posts(patient, staff)
        self._submissions(facilities["clinic"])
        return accounts

    def _submissions(self, clinic):
        """Two forms in the secretariat's review inbox, once: a new dental clinic's form 1
        and the clinic's form 8 for 若狭 ミツ. They go through the online form's checks."""
        from forms import definitions, online
        from forms.models import Submission
        from forms.services import create_submission

        if Submission.objects.exists():
            return
        for number, values, facility in DEMO_SUBMISSIONS:
            definition = definitions.BY_NUMBER[number]
            data = {**values, "facility_code": values.get("facility_code") or clinic.code}
            if "contact_email" in data:
                data["contact_email_confirm"] = data["contact_email"]
            if "admin_email" in data:
                data["admin_email_confirm"] = data["admin_email"]
            form = online.form_class(definition)(data)
            if not form.is_valid():
                raise CommandError(f"demo form {number}: {form.errors.as_json()}")
            create_submission(
                definition,
                online.to_json(definition, form.cleaned_data),
                facility=clinic if facility == "clinic" else None,
            )

    def _posts(self, patient, staff):
        """A few realistic posts, once per patient (nothing is added on later runs)."""
        from timeline.models import Post
        from timeline.services import create_post

        if Post.objects.filter(patient=patient).exists():
            return
        for patient_name, local, body, extra in DEMO_POSTS:
            user, facility = staff[local]
            if patient_name != patient.title or not access_visible(user, patient):
                continue
            membership = FacilityMembership.objects.active().get(user=user, facility=facility)
            create_post(user, patient, facility, membership.job_title, {"body": body, **extra})

    def _report(self, accounts):
        self.stdout.write(self.style.SUCCESS("デモデータを用意しました（何度実行しても同じ状態になります）。"))
        self.stdout.write(f"パスワード（全アカウント共通・デモ専用）: {DEMO_PASSWORD}")
        for role, user, totp in accounts:
            line = f"  {role:<40} {user.email}"
            if totp and settings.DEBUG:
                key = b32encode(bytes.fromhex(demo_totp_key(user.email))).decode()
                line += f"  TOTPキー: {key}"
            self.stdout.write(line)
        if settings.DEBUG:
            self.stdout.write("確認コードは、デモ環境ではコード入力画面にも表示されます。")
