"""Account methods: balances and account information (USER_DATA, weight 5).

They take no params besides ``recv_window``. In single-asset mode the totals are in USDT; in
multi-assets mode they are the USD value of every asset.
"""

from __future__ import annotations

from .._models import AccountBalanceResult, AccountInformationResult, AccountInformationV2Result
from .._requests import Builds, Security, Service
from ._common import DOCS, SignedRequest

__all__ = [
    "AccountApi",
    "AccountInformation",
    "AccountInformationV2",
    "FuturesAccountBalance",
    "FuturesAccountBalanceV2",
]

_ACCOUNT = f"{DOCS}/account/websocket-api"


class FuturesAccountBalance(SignedRequest[list[AccountBalanceResult]]):
    """Balance of every asset of the futures account."""

    method = "account.balance"
    security = Security.USER_DATA
    result = list[AccountBalanceResult]
    weight = "5"
    docs = f"{_ACCOUNT}/Futures-Account-Balance"


class FuturesAccountBalanceV2(SignedRequest[list[AccountBalanceResult]]):
    """Balance of every asset of the futures account (V2)."""

    method = "v2/account.balance"
    security = Security.USER_DATA
    result = list[AccountBalanceResult]
    weight = "5"
    docs = f"{_ACCOUNT}/Futures-Account-Balance-V2"


class AccountInformation(SignedRequest[AccountInformationResult]):
    """Account information (V1): totals, assets and the positions of every symbol."""

    method = "account.status"
    security = Security.USER_DATA
    result = AccountInformationResult
    weight = "5"
    docs = f"{_ACCOUNT}/Account-Information"


class AccountInformationV2(SignedRequest[AccountInformationV2Result]):
    """Account information (V2): positions only of symbols with a position or open orders."""

    method = "v2/account.status"
    security = Security.USER_DATA
    result = AccountInformationV2Result
    weight = "5"
    docs = f"{_ACCOUNT}/Account-Information-V2"


class AccountApi(Service):
    """Balances and account information; each method returns a fresh request builder."""

    futures_account_balance = Builds(FuturesAccountBalance)
    futures_account_balance_v2 = Builds(FuturesAccountBalanceV2)
    account_information = Builds(AccountInformation)
    account_information_v2 = Builds(AccountInformationV2)
