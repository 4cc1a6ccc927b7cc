"""The page forms of accounts: setting a password from a link, the notice settings, the admin's account form
and the case page's invitation. They bound every input (lengths of the columns, email syntax, known choices)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp, ValidationError

from ..labels import ROLE_LABELS
from ..operations.accounts import MANAGED_ROLES, country_choices

_PASSWORD_MAX = _l("パスワードは128文字以内にしてください。")


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("新しいパスワード"),
        validators=[DataRequired(_l("パスワードを入力してください。")), Length(max=128, message=_PASSWORD_MAX)],
    )
    confirm = PasswordField(
        _l("新しいパスワード（確認）"),
        validators=[
            DataRequired(_l("確認のため、同じパスワードをもう一度入力してください。")),
            Length(max=128, message=_PASSWORD_MAX),
        ],
    )


class NoticeSettingsForm(FlaskForm):
    notify_tasks = BooleanField(_l("自分の受付箱にタスクが届いたとき・担当にされたときにメールで知らせる"))
    notify_digest = BooleanField(_l("期限が今日までのタスクと期限を過ぎたタスクを毎朝メールでまとめて知らせる"))


def _email_field(label: Any) -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired(_l("メールアドレスを入力してください。")),
            Length(max=200, message=_l("メールアドレスは200文字以内で入力してください。")),
            Email(_l("メールアドレスの形式が正しくありません。"), check_deliverability=False),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class InviteForm(FlaskForm):
    email = _email_field(_l("担当者のメールアドレス"))
    display_name = StringField(
        _l("担当者の氏名"),
        validators=[
            DataRequired(_l("担当者の氏名を入力してください。")),
            Length(max=120, message=_l("氏名は120文字以内で入力してください。")),
        ],
    )


class AccountForm(FlaskForm):
    username = StringField(
        _l("ユーザー名"),
        validators=[
            DataRequired(_l("ユーザー名を入力してください。")),
            Length(max=80, message=_l("ユーザー名は80文字以内で入力してください。")),
            Regexp(r"^[A-Za-z0-9._@+-]+$", message=_l("ユーザー名には半角英数字と . _ @ + - だけを使えます。")),
        ],
    )
    display_name = StringField(
        _l("表示名"),
        validators=[
            DataRequired(_l("表示名を入力してください。")),
            Length(max=120, message=_l("表示名は120文字以内で入力してください。")),
        ],
    )
    email = _email_field(_l("メールアドレス"))
    role = SelectField(_l("役割"), choices=[], validate_choice=False)
    is_lead = BooleanField(_l("リーダー（タスクの引き継ぎ・割り当てができる）"))
    countries = SelectMultipleField(_l("担当国（現地専門家）"), choices=[], validate_choice=False)

    def __init__(self, *args: Any, current_role: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        roles = [r.value for r in MANAGED_ROLES]
        if current_role and current_role not in roles:
            roles.append(current_role)  # an applicant's account keeps its role
        self.role.choices = [(r, ROLE_LABELS[r]) for r in roles]
        countries = country_choices()
        self.countries.choices = countries
        self._roles, self._countries = set(roles), {code for code, _name in countries}

    def validate_role(self, field: Any) -> None:
        if field.data not in self._roles:
            raise ValidationError(_l("役割を選択してください。"))

    def validate_countries(self, field: Any) -> None:
        if set(field.data or ()) - self._countries:
            raise ValidationError(_l("担当国を選択し直してください。"))
