"""様式2 情報管理体制セルフチェックシート: the self-check items, as data (order = order on the sheet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

GROUPS = {
    "policy": _l("方針・組織体制"),
    "identification": _l("営業秘密の特定・区分"),
    "physical": _l("物理的管理"),
    "technical": _l("技術的管理"),
    "personnel": _l("人的管理（採用時・在籍時・退職時、派遣従業員・出向者・転入者を含む）"),
    "external": _l("社外（関連会社・取引先等）との関係"),
    "incident": _l("漏えい発生時の対応"),
    "risk": _l("リスク評価"),
}


@dataclass(frozen=True)
class SelfCheckItem:
    code: str
    group: str  # a key of GROUPS
    text: Any  # lazy Japanese question

    @property
    def group_label(self) -> Any:
        return GROUPS[self.group]


SELF_CHECK_ITEMS: tuple[SelfCheckItem, ...] = (
    SelfCheckItem("policy_rules", "policy", _l("営業秘密管理に関する基本方針・規程（マニュアル）を定めている")),
    SelfCheckItem("policy_owner", "policy", _l("情報管理の責任者・担当部門を定めている")),
    SelfCheckItem("identify_list", "identification", _l("自社の営業秘密を特定し、保有情報をリスト化している")),
    SelfCheckItem(
        "identify_marking",
        "identification",
        _l("情報の重要度に応じて区分し、「極秘」「秘」「社外秘」等の秘密表示をしている"),
    ),
    SelfCheckItem("physical_storage", "physical", _l("秘密情報を他の情報と分離して保管し、施錠・入退室管理をしている")),
    SelfCheckItem(
        "physical_copy", "physical", _l("秘密情報の持ち出し・複製を制限し、不要になった情報を確実に廃棄している")
    ),
    SelfCheckItem(
        "technical_access", "technical", _l("アクセス権限を必要な者に限定し、ID・パスワードを適切に管理している")
    ),
    SelfCheckItem(
        "technical_security",
        "technical",
        _l("PC・ネットワークのセキュリティ対策（外部記憶媒体の制限、ログの取得、暗号化等）をしている"),
    ),
    SelfCheckItem(
        "personnel_hiring",
        "personnel",
        _l("採用時に秘密保持誓約書を取得し、雇用契約・就業規則に秘密保持義務を定めている"),
    ),
    SelfCheckItem(
        "personnel_in_service", "personnel", _l("在籍中の従業員に秘密保持義務を周知し、定期的に教育・研修をしている")
    ),
    SelfCheckItem(
        "personnel_leaving",
        "personnel",
        _l("退職時に秘密保持誓約書（必要に応じて競業避止義務契約）を取得し、情報の返還・消去を確認している"),
    ),
    SelfCheckItem("personnel_dispatched", "personnel", _l("派遣従業員・出向者・転入者にも秘密保持義務を課している")),
    SelfCheckItem(
        "external_contracts",
        "external",
        _l("取引先・委託先等に秘密情報を提供する際は秘密保持契約を締結し、提供した情報を記録している"),
    ),
    SelfCheckItem(
        "external_partners",
        "external",
        _l("関連会社・取引先の管理体制を確認し、契約に監査・返還等の条項を定めている"),
    ),
    SelfCheckItem(
        "external_inflow", "external", _l("他社の営業秘密が混入（流入）しないよう、受け入れ時の確認手順がある")
    ),
    SelfCheckItem(
        "incident_response",
        "incident",
        _l("漏えい・不正な持ち出しが起きた場合の報告・対応手順を定め、証拠を保全できるようにしている"),
    ),
    SelfCheckItem(
        "risk_assessment",
        "risk",
        _l("情報漏えいのリスク（発生の可能性・被害の影響）を評価し、対策の優先順位を決めている"),
    ),
)
