"""Forms 1-8 and the user ledger (管理台帳), each defined once, as data.

A ``FormDefinition`` says everything about one form: its number and Japanese title, the
addressee, the fixed text (pledges, form 5's explanation for the patient), the fields in
sections with their labels and kinds, a table of rows (the ledger), the places for
signatures and seals (印), and the guide's notes. From this one definition come

- the blank A4 PDF and the filled PDF (``forms.pdf``), and
- the online Django form with its validation (``forms.online``).

So a label is typed once. ``version`` is a digest of the definition: a changed label,
note or field makes a new version, and the cached blank PDF of the old version is no
longer used.

Texts follow the regional recruitment guide (各種様式, 様式の記入のポイント).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

# Field kinds. The PDF and the online form both switch on these.
TEXT = "text"
TEXTAREA = "textarea"
KANA = "kana"
EMAIL = "email"
FACILITY_CODE = "facility_code"
PHONE = "phone"
POSTAL = "postal"
DATE = "date"  # a date of this era: printed 令和N年M月D日
BIRTH_DATE = "birth_date"  # any era since 明治
CHOICE = "choice"
NUMBER = "number"
AGREE = "agree"  # a check box that must be ticked

ADDRESSEE = "みまもりSNS事務局　御中"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = TEXT
    required: bool = True
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    confirm: bool = False  # asked twice online (e-mail addresses)
    lines: int = 1  # height of the box in the PDF, in lines
    max_length: int = 200
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    width: float  # share of the table width
    kind: str = TEXT


@dataclass(frozen=True)
class RowTable:
    """A table of rows to fill (the ledger): ``rows`` rows of ``columns``."""

    title: str
    columns: tuple[Column, ...]
    rows: int


@dataclass(frozen=True)
class Signature:
    label: str
    seal: bool = True  # a place for the seal (印)


@dataclass(frozen=True)
class FormDefinition:
    number: str  # "1".."8" or "ledger"
    slug: str
    title: str
    short_title: str
    addressee: str = ADDRESSEE
    dated: bool = True  # a date of application at the top right
    intro: str = ""
    body: tuple[tuple[str, str], ...] = ()  # (heading, text) blocks before the fields
    sections: tuple[Section, ...] = ()
    table: RowTable | None = None
    signatures: tuple[Signature, ...] = ()
    notes: tuple[str, ...] = ()
    who: str = ""  # who fills it in
    goes_to: str = ""  # where it goes
    submit_online: bool = True  # False: fill online to print only (form 4, the ledger)
    from_console: bool = False  # a facility admin may submit it from the facility console
    purpose: str = ""  # one line for the forms page

    @property
    def label(self) -> str:
        return "管理台帳" if self.number == "ledger" else f"様式{self.number}"

    @property
    def name(self) -> str:
        """様式1　利用申込書（事業所用）; the ledger is just 管理台帳."""
        return self.title if self.number == "ledger" else f"{self.label}　{self.title}"

    @property
    def heading(self) -> str:
        return f"「みまもりSNS」{self.title}"

    @property
    def fields(self) -> list[Field]:
        return [f for section in self.sections for f in section.fields]

    def table_fields(self) -> list[Field]:
        """The ledger's cells as fields named ``r<row>_<column>`` (all optional)."""
        if self.table is None:
            return []
        return [
            Field(f"r{row}_{col.name}", f"{row}行目 {col.label}", kind=col.kind, required=False)
            for row in range(1, self.table.rows + 1)
            for col in self.table.columns
        ]

    @property
    def version(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]


# --- Shared pieces -------------------------------------------------------------------------

FACILITY_KIND_CHOICES = (
    ("medical", "医科医療機関"),
    ("dental", "歯科医療機関"),
    ("pharmacy", "保険薬局"),
    ("visiting_nurse", "訪問看護ステーション"),
    ("home_care_support", "居宅介護支援事業所"),
    ("other_service", "その他のサービス事業所"),
)
YES_NO_NET = (("yes", "参加している"), ("no", "参加していない"))
SEX_CHOICES = (("female", "女"), ("male", "男"), ("other", "その他・回答しない"))
FAMILY_JOIN = (("no", "参加しない"), ("yes", "参加する"))
REQUESTER = (("self", "本人"), ("agent", "代理人"))

FACILITY_CODE_FIELD = Field(
    "facility_code",
    "事業所番号（10桁）",
    kind=FACILITY_CODE,
    help="介護保険・医療機関等の10桁の番号です。",
    max_length=10,
)
FACILITY_NAME = Field("facility_name", "施設名称")


def contact_section(title="申請担当者（連絡先）"):
    return Section(
        title,
        (
            Field("contact_name", "担当者氏名", max_length=100),
            Field("contact_phone", "担当者電話番号", kind=PHONE, required=False, max_length=20),
            Field(
                "contact_email",
                "担当者メールアドレス",
                kind=EMAIL,
                confirm=True,
                help="受付番号と署名済み書類の提出用リンクをお送りします。",
            ),
        ),
    )


NOTE_TYPED = "メールアドレスの間違いを防ぐため、できるだけワープロ打ち（このサイトでのオンライン入力）でご作成ください。"
NOTE_SIGNED_UPLOAD = "印刷して署名・押印のうえ、スキャンしたPDFまたは画像を受付番号のページから提出してください。"

# --- The forms -----------------------------------------------------------------------------

FORM_1 = FormDefinition(
    number="1",
    slug="form-1",
    title="利用申込書（事業所用）",
    short_title="利用申込書",
    purpose="新しく参加する施設・事業所の利用申込み（様式2とセットで提出）",
    who="施設内管理者",
    goes_to="事務局",
    intro="「みまもりSNS」の利用規約および誓約書の内容を承諾のうえ、次のとおり利用を申し込みます。",
    sections=(
        Section(
            "施設・事業所",
            (
                Field("facility_kind", "施設の種別", kind=CHOICE, choices=FACILITY_KIND_CHOICES),
                FACILITY_CODE_FIELD,
                FACILITY_NAME,
                Field("facility_name_kana", "施設名称（フリガナ）", kind=KANA),
                Field("postal_code", "郵便番号", kind=POSTAL, max_length=8),
                Field("address", "所在地", max_length=300),
                Field("phone", "電話番号", kind=PHONE, max_length=20),
                Field("fax", "FAX番号", kind=PHONE, required=False, max_length=20),
                Field("representative", "代表者氏名", max_length=100),
                Field(
                    "medical_net",
                    "ふくいメディカルネット（医療連携）",
                    kind=CHOICE,
                    choices=YES_NO_NET,
                ),
            ),
        ),
        Section(
            "施設内管理者",
            (
                Field("admin_name", "施設内管理者氏名", max_length=100),
                Field("admin_name_kana", "施設内管理者氏名（フリガナ）", kind=KANA, max_length=100),
                Field(
                    "admin_email",
                    "管理画面ログイン用メールアドレス",
                    kind=EMAIL,
                    confirm=True,
                    help="施設内管理者が管理画面にログインするためのアドレスです。利用者として登録することはできません。",
                ),
                Field(
                    "vpn_count",
                    "VPN申請数",
                    kind=NUMBER,
                    required=False,
                    min_value=1,
                    max_value=2,
                    help="原則1施設2個です。WEB会議を使用しない場合は空欄で結構です。",
                ),
            ),
        ),
        contact_section(),
    ),
    signatures=(Signature("代表者　氏名"),),
    notes=(
        "管理画面ログイン用メールアドレスは、施設内管理者が管理画面にログインする際に使用します。メンバー登録の案内とクライアント証明書は最初にこのアドレスへ送付されます。",
        "（注）管理画面ログイン用メールアドレスは利用者として登録することはできません。利用者には別のアドレスをご用意ください。",
        "（注）管理画面ログイン用メールアドレスの変更は原則禁止です。",
        "VPN申請数：WEB会議の際にセキュリティ向上のためVPNを使用します。1機関原則2個です。WEB会議を使用しない場合は空欄で結構です。",
        "様式2（利用に係る施設又は組織誓約書）とセットでご提出ください。",
        NOTE_TYPED,
    ),
)

FORM_2 = FormDefinition(
    number="2",
    slug="form-2",
    title="利用に係る施設又は組織誓約書",
    short_title="施設又は組織誓約書",
    purpose="施設・組織としての誓約（様式1とセットで提出）",
    who="施設内管理者",
    goes_to="事務局",
    intro="当施設（組織）は、「みまもりSNS」の利用にあたり、次の事項を遵守することを誓約します。",
    body=(
        (
            "誓約事項",
            "1. 利用規約および個人情報の保護に関する法令・ガイドラインを遵守します。\n"
            "2. SNSを利用する従事者と個人情報保護に関する誓約書（様式4）を交わし、管理者および利用者に定期的に教育を行います。\n"
            "3. 利用者と端末は管理台帳で管理し、退職・異動の際は速やかに利用を解除します。\n"
            "4. SNSで知り得た情報を、患者・家族の同意を得た目的以外に使用しません。\n"
            "5. 情報漏えい等の事故が発生した場合、またはそのおそれがある場合は、速やかに事務局へ報告します。",
        ),
    ),
    sections=(
        Section(
            "施設・組織",
            (
                FACILITY_CODE_FIELD,
                FACILITY_NAME,
                Field("address", "所在地", max_length=300),
                Field("representative", "施設又は組織の長　氏名", max_length=100),
            ),
        ),
        Section(
            "同意",
            (Field("agree", "上記の誓約事項を遵守します", kind=AGREE),),
        ),
        contact_section(),
    ),
    signatures=(Signature("施設又は組織の長　氏名"),),
    notes=("利用に関する誓約書です。様式1とセットでご提出ください。",),
)

FORM_3 = FormDefinition(
    number="3",
    slug="form-3",
    title="変更申請書（事業所用）",
    short_title="変更申請書",
    purpose="様式1で申請した内容（名称・所在地・代表者・施設内管理者など）の変更",
    who="施設内管理者",
    goes_to="事務局",
    from_console=True,
    intro="「みまもりSNS」の利用申込内容について、次のとおり変更を申請します。",
    sections=(
        Section(
            "施設・事業所",
            (FACILITY_CODE_FIELD, FACILITY_NAME, Field("representative", "代表者氏名", max_length=100)),
        ),
        Section(
            "変更内容",
            (
                Field(
                    "change_items",
                    "変更する項目",
                    help="例：名称、所在地、電話番号、代表者、施設内管理者",
                ),
                Field("before", "変更前", kind=TEXTAREA, lines=3, max_length=1000),
                Field("after", "変更後", kind=TEXTAREA, lines=3, max_length=1000),
                Field("change_date", "変更年月日", kind=DATE),
                Field("reason", "変更の理由", kind=TEXTAREA, required=False, lines=2, max_length=1000),
            ),
        ),
        contact_section(),
    ),
    signatures=(Signature("代表者　氏名"),),
    notes=(
        "様式1に基づき申請された内容から変更があった場合に、本様式を用いて提出してください。",
        "事業所番号（10桁）は変更後も10桁で登録します。",
        "管理画面ログイン用メールアドレスの変更は原則禁止です。やむを得ない場合は事務局にご相談ください。",
    ),
)

FORM_4 = FormDefinition(
    number="4",
    slug="form-4",
    title="業務情報保持に関する誓約書",
    short_title="業務情報保持誓約書",
    purpose="SNSを利用する従事者一人ひとりの誓約（施設で保管）",
    who="利用者（従事者）",
    goes_to="施設内管理者（施設で保管）",
    submit_online=False,
    addressee="施設又は組織の長　殿",
    intro="私は、「みまもりSNS」の利用にあたり、次の事項を遵守することを誓約します。",
    body=(
        (
            "誓約事項",
            "1. 就業規則やマニュアルなどの諸規定を遵守し、患者等の個人情報のみならず、事業所内で知り得た業務に関連する一切の情報を許可なく漏えいしません。\n"
            "2. 退職後も、知り得た情報を漏えいしません。\n"
            "3. IT機器について、適切な取扱いおよび管理を行います。\n"
            "4. 事業者が定めた利用目的以外での使用はしません。\n"
            "5. 患者その他の第三者のプライバシーその他の権利を侵害するような行為は一切しません。",
        ),
    ),
    sections=(
        Section(
            "誓約者",
            (
                FACILITY_NAME,
                Field("staff_name", "氏名", max_length=100),
                Field("staff_name_kana", "氏名（フリガナ）", kind=KANA, max_length=100),
                Field("job_title", "職種", max_length=50),
            ),
        ),
    ),
    signatures=(Signature("誓約者　署名"),),
    notes=(
        "施設又は組織の長は、SNSを利用する従事者と本誓約書を交わすとともに、SNS管理者および利用者に対して定期的に教育を行ってください。",
        "既に個人情報保護に関する誓約書を取り交わしている場合は省略できます。",
        "本誓約書は施設で保管してください（事務局への提出は不要です）。",
    ),
)

FORM_5_EXPLANATION = (
    "1. みまもりSNSとは\n"
    "あなた（患者さん）の在宅療養を支える診療所・歯科・薬局・訪問看護ステーション・居宅介護支援事業所などの関係者が、"
    "あなた専用の非公開のタイムラインで情報を共有し、連携を深めるための仕組みです。ご希望があれば、ご本人・ご家族も参加できます。\n"
    "2. 共有する情報\n"
    "氏名・生年月日・住所などの基本情報と、病状、服薬、訪問・ケアの記録、写真や文書など、療養に必要な情報です。\n"
    "3. 情報を見られる人\n"
    "あなたのチームに登録された施設の、担当として登録された職員（とご家族）だけです。事務局を含め、それ以外の人は見ることができません。\n"
    "4. 安全管理\n"
    "通信は暗号化され、利用者ごとのIDとパスワードに加えて端末の証明書等で本人確認を行います。閲覧や操作の記録が残ります。\n"
    "5. 同意しない場合・同意の撤回\n"
    "同意しなくても、これまでどおりの医療・介護を受けられます。同意はいつでも撤回できます（様式7）。撤回されると、SNS上のあなたの情報と投稿はすべて削除されます。"
)

FORM_5 = FormDefinition(
    number="5",
    slug="form-5",
    title="個人情報使用説明書・同意書",
    short_title="個人情報使用説明書・同意書",
    purpose="患者さん（ご家族）への説明と同意。患者さんのチームを作るとき・ご家族が加わるとき",
    who="患者・家族（主治医等が説明）",
    goes_to="原本は施設で保管、コピーを患者・家族へ、スキャンを事務局へ",
    from_console=True,
    addressee="",
    body=(
        ("個人情報使用説明書（患者・患者関係者用）", FORM_5_EXPLANATION),
        (
            "個人情報使用同意書",
            "私は、上記の説明を受け、内容を理解したうえで、「みまもりSNS」において私の個人情報を使用することに同意します。",
        ),
    ),
    sections=(
        Section(
            "患者（サービス利用者）",
            (
                Field("consent_date", "同意日", kind=DATE),
                Field("patient_name", "患者氏名", max_length=100),
                Field("patient_name_kana", "患者氏名（フリガナ）", kind=KANA, max_length=100),
                Field("patient_birth_date", "生年月日", kind=BIRTH_DATE),
                Field("patient_sex", "性別", kind=CHOICE, choices=SEX_CHOICES),
                Field("patient_address", "住所", max_length=300),
            ),
        ),
        Section(
            "ご家族の参加",
            (
                Field("family_join", "ご家族のSNS参加", kind=CHOICE, choices=FAMILY_JOIN),
                Field("family_name", "参加するご家族の氏名", required=False, max_length=100),
                Field("family_relation", "続柄", required=False, max_length=30),
                Field(
                    "family_email",
                    "ご家族のメールアドレス",
                    kind=EMAIL,
                    required=False,
                    confirm=True,
                    help="ご家族が参加する場合のみ。招待メールをお送りします。",
                ),
            ),
        ),
        Section(
            "説明者・チーム",
            (
                Field("explainer_facility", "説明した施設名称"),
                Field("explainer_name", "説明者氏名（主治医等）", max_length=100),
                Field(
                    "team_facilities",
                    "チームに参加する施設（名称・事業所番号）",
                    kind=TEXTAREA,
                    lines=3,
                    max_length=1000,
                ),
            ),
        ),
        contact_section(),
    ),
    signatures=(
        Signature("本人　署名", seal=False),
        Signature("代理人　署名（続柄）", seal=False),
        Signature("説明者　署名", seal=False),
    ),
    notes=(
        "主治医または主治医の指示を受けた多職種が、患者もしくはその家族へ説明書を用いて説明する際に使用してください。",
        "同意書を取得後、原本は施設で保管し、そのコピーを患者もしくはその家族に渡してください。",
        "同意書の情報をもとに施設と患者さんを紐づけるため、事務局にもご送付ください。",
        "正確を期するため、本様式への記入はワープロ打ち（オンライン入力）でお願いします。",
    ),
)

FORM_6 = FormDefinition(
    number="6",
    slug="form-6",
    title="利用解除申込書（事業所用）",
    short_title="利用解除申込書",
    purpose="施設・事業所としての利用解除",
    who="施設内管理者",
    goes_to="事務局",
    from_console=True,
    intro="「みまもりSNS」の利用について、事業所として次のとおり解除を申し込みます。",
    sections=(
        Section(
            "施設・事業所",
            (FACILITY_CODE_FIELD, FACILITY_NAME, Field("representative", "代表者氏名", max_length=100)),
        ),
        Section(
            "解除",
            (
                Field("end_date", "解除希望日", kind=DATE),
                Field("reason", "解除の理由", kind=TEXTAREA, required=False, lines=2, max_length=1000),
                Field(
                    "agree",
                    "解除後は過去に記入された記事を参照できなくなることを了承します",
                    kind=AGREE,
                ),
            ),
        ),
        contact_section(),
    ),
    signatures=(Signature("代表者　氏名"),),
    notes=(
        "事業所としてSNSの利用を解除する場合に使用してください。",
        "施設内の利用者の解除は、施設内管理者が管理画面から行ってください。その場合は管理台帳で管理してください。",
        "事業所として解除すると、過去に記入された記事の内容を参照することはできなくなります。",
    ),
)

FORM_7 = FormDefinition(
    number="7",
    slug="form-7",
    title="同意撤回書",
    short_title="同意撤回書",
    purpose="患者・家族からの同意撤回（SNS上の情報の完全削除）",
    who="患者・家族（かかりつけ医等を通じて）",
    goes_to="事務局",
    from_console=True,
    intro="私は、「みまもりSNS」における個人情報の使用について行った同意を撤回します。SNS上の私に関する情報と投稿が完全に削除されることを了承します。",
    sections=(
        Section(
            "患者（サービス利用者）",
            (
                Field("withdrawal_date", "撤回日", kind=DATE),
                Field("patient_name", "患者氏名", max_length=100),
                Field("patient_name_kana", "患者氏名（フリガナ）", kind=KANA, max_length=100),
                Field("patient_birth_date", "生年月日", kind=BIRTH_DATE),
                Field("requester", "申出者", kind=CHOICE, choices=REQUESTER),
                Field("agent_name", "代理人氏名（続柄）", required=False, max_length=100),
            ),
        ),
        Section(
            "取り次ぐ施設",
            (
                FACILITY_CODE_FIELD,
                FACILITY_NAME,
                Field("doctor_name", "かかりつけ医等　氏名", max_length=100),
            ),
        ),
        contact_section(),
    ),
    signatures=(Signature("本人または代理人　署名", seal=False),),
    notes=(
        "患者・家族から、SNSの内容の完全削除の希望があった場合に、かかりつけ医等から本様式を用いて事務局へ削除を依頼してください。",
        "撤回が受理されると、患者さんの情報・投稿・添付ファイルはすべて削除され、元に戻せません。",
    ),
)

FORM_8 = FormDefinition(
    number="8",
    slug="form-8",
    title="チーム登録申請書（事業所用）",
    short_title="チーム登録申請書",
    purpose="既にある患者さんのチームへの参加",
    who="施設内管理者",
    goes_to="事務局",
    from_console=True,
    intro="既に「みまもりSNS」に登録されている患者さんのチームへ、次のとおり参加を申請します。",
    sections=(
        Section(
            "施設・事業所",
            (
                FACILITY_CODE_FIELD,
                FACILITY_NAME,
                Field("representative", "代表者氏名", max_length=100),
            ),
        ),
        Section(
            "参加するチーム",
            (
                Field("patient_name", "患者氏名", max_length=100),
                Field("patient_name_kana", "患者氏名（フリガナ）", kind=KANA, max_length=100),
                Field("patient_birth_date", "患者生年月日", kind=BIRTH_DATE),
                Field("start_date", "参加希望日", kind=DATE),
            ),
        ),
        contact_section(),
    ),
    signatures=(Signature("代表者　氏名"),),
    notes=(
        "既に存在しているチームへの新たな参加を希望する施設又は組織は、本申請書を事務局まで提出してください。",
        "新規での参加を希望する場合は、様式1と様式2も一緒に提出してください。",
    ),
)

LEDGER = FormDefinition(
    number="ledger",
    slug="ledger",
    title="管理台帳",
    short_title="管理台帳",
    purpose="施設内の利用者と端末の管理（施設で保管）",
    who="施設内管理者",
    goes_to="施設で保管",
    submit_online=False,
    addressee="",
    dated=False,
    sections=(
        Section(
            "施設",
            (
                FACILITY_CODE_FIELD,
                FACILITY_NAME,
                Field("admin_name", "施設内管理者氏名", max_length=100),
            ),
        ),
    ),
    table=RowTable(
        "利用者",
        (
            Column("name", "氏名", 0.17),
            Column("job", "職種", 0.10),
            Column("email", "利用者用メールアドレス", 0.27),
            Column("device", "端末", 0.12),
            Column("vpn", "VPN番号", 0.09),
            Column("start", "登録日", 0.125, kind=DATE),
            Column("end", "解除日", 0.125, kind=DATE),
        ),
        rows=12,
    ),
    notes=(
        "施設内の利用者の状況を台帳にて管理してください。本台帳は施設内で管理してください。",
        "利用者の追加・変更、チームへの追加は、管理画面で行ったうえで本台帳に記録してください。",
        "災害時には、人の生命の保護を優先する観点から、SNSを災害時連絡手段として利用するため、管理台帳に記載していない端末の使用が特別に許可されます。",
    ),
)

FORMS: tuple[FormDefinition, ...] = (
    FORM_1,
    FORM_2,
    FORM_3,
    FORM_4,
    FORM_5,
    FORM_6,
    FORM_7,
    FORM_8,
    LEDGER,
)
BY_SLUG = {form.slug: form for form in FORMS}
BY_NUMBER = {form.number: form for form in FORMS}
NUMBER_CHOICES = [(form.number, form.label) for form in FORMS]


def get(slug: str) -> FormDefinition | None:
    return BY_SLUG.get(slug)


# --- Which forms a situation needs (the guide's 提出様式の早見表) ------------------------------

CREATE = "●"
IF_NEEDED = "■"
EXPLAIN = "▲"
MARK_MEANINGS = (
    (CREATE, "作成する"),
    (IF_NEEDED, "必要であれば作成する"),
    (EXPLAIN, "患者への説明・同意（様式5の説明書で説明し、同意を得る）"),
)


@dataclass(frozen=True)
class Situation:
    key: str
    title: str
    flow: str
    forms: tuple[tuple[str, str], ...]  # (form number, mark)
    note: str = ""
    steps: tuple[str, ...] = field(default=())


SITUATIONS: tuple[Situation, ...] = (
    Situation(
        "new",
        "新規登録（施設として初めて参加する）",
        "施設⇒事務局",
        (("1", CREATE), ("2", CREATE), ("4", IF_NEEDED), ("5", EXPLAIN), ("ledger", CREATE)),
        "患者さんを中心としたチームをすぐに作れる場合は、様式5も提出してください。",
        (
            "様式1・2をオンラインで入力し、印刷して署名・押印します。",
            "受付番号のページから署名済みの書類をアップロードします。",
            "事務局が受理すると、管理画面ログイン用メールアドレスに仮登録の案内が届きます。",
        ),
    ),
    Situation(
        "patient",
        "患者・家族が登録されSNSに参加する",
        "施設⇒事務局",
        (("5", CREATE),),
        "主治医等が様式5の説明書で説明し、同意書を取得します。まだ参加していない施設は様式1・2も提出します。",
        (
            "様式5で説明し、同意書に署名をもらいます（原本は施設で保管、コピーを患者・家族へ）。",
            "様式5をオンラインで入力し、署名済みのスキャンを事務局へ提出します。",
            "事務局が患者を登録し、施設をチームに紐づけます。",
        ),
    ),
    Situation(
        "join_team",
        "事業所が新たにチームに参加する",
        "施設⇒事務局",
        (("8", CREATE), ("1", IF_NEEDED), ("2", IF_NEEDED), ("4", IF_NEEDED)),
        "まだSNSに参加していない施設は、様式1と様式2も一緒に提出してください。",
        ("様式8を提出します。", "事務局が施設をチームに紐づけ、既存のチームへ連絡します。"),
    ),
    Situation(
        "change_users",
        "自施設の利用者を変更する",
        "施設",
        (("ledger", CREATE),),
        "施設内管理者が管理画面で利用者を追加・削除し、管理台帳に記録します。事務局への提出は不要です。",
    ),
    Situation(
        "add_user_to_team",
        "自施設の利用者を新たにチームに追加する",
        "施設",
        (("ledger", CREATE),),
        "施設内管理者が管理画面で利用者を患者に追加し、管理台帳に記録します。事務局への提出は不要です。",
    ),
    Situation(
        "change_admin",
        "自施設の施設内管理者等を変更する",
        "施設⇒事務局",
        (("3", CREATE),),
        "施設の名称・所在地・代表者などの変更も様式3で申請します。",
    ),
    Situation(
        "add_family",
        "家族を追加する",
        "家族⇒施設⇒事務局",
        (("5", CREATE),),
        "ご家族に様式5で説明し、同意書を取得して事務局へ提出します。",
    ),
    Situation(
        "withdraw",
        "患者より同意撤回の依頼があった",
        "家族⇒施設⇒事務局",
        (("7", CREATE),),
        "撤回が受理されると、その患者さんの情報と投稿はすべて削除されます。",
    ),
    Situation(
        "deregister",
        "事業所として利用を解除する",
        "施設⇒事務局",
        (("6", CREATE),),
        "解除すると、過去に記入された記事を参照できなくなります。",
    ),
)
SITUATION_BY_KEY = {s.key: s for s in SITUATIONS}
