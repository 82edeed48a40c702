from django import forms
from django.utils.translation import gettext_lazy as _


class WithdrawalForm(forms.Form):
    reference = forms.CharField(
        label=_("受付番号（様式7 同意撤回書）"),
        max_length=50,
        help_text=_("同意撤回書の受付番号。削除証明書に記載されます。氏名は書かないでください。"),
        error_messages={"required": _("受付番号を入力してください。")},
    )
    reason = forms.CharField(
        label=_("区分"),
        max_length=100,
        required=False,
        help_text=_("例：本人の申出、家族の申出。個人を特定できることは書かないでください。"),
    )
    confirm = forms.BooleanField(
        label=_("この患者のすべての記録を完全に削除します。元に戻せないことを確認しました。"),
        error_messages={"required": _("削除の確認にチェックを入れてください。")},
    )
