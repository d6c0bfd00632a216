"""Account methods: balances and account information (USER_DATA, weight 5).

They take no params besides ``recv_window``. In single-asset mode the totals are in USDT; in
multi-assets mode they are the USD value of every asset.

Naming: the Go connector calls the ``account.status`` requests ``AccountInformation`` and
``AccountInformationV2``, which are also the names of their result models here. As with
``SessionStatusRequest``, a builder whose Go name is taken by a model gets a ``Request``
suffix: :class:`AccountInformationRequest`, :class:`AccountInformationV2Request`.
"""

from __future__ import annotations

from .._models import AccountBalance, AccountInformation, AccountInformationV2
from .._requests import Builds, Security, Service
from ._common import DOCS, SignedRequest

__all__ = [
    "AccountApi",
    "AccountInformationRequest",
    "AccountInformationV2Request",
    "FuturesAccountBalance",
    "FuturesAccountBalanceV2",
]

_ACCOUNT = f"{DOCS}/account/websocket-api"


class FuturesAccountBalance(SignedRequest[list[AccountBalance]]):
    """Balance of every asset of the futures account."""

    method = "account.balance"
    security = Security.USER_DATA
    result = list[AccountBalance]
    weight = "5"
    docs = f"{_ACCOUNT}/Futures-Account-Balance"


class FuturesAccountBalanceV2(SignedRequest[list[AccountBalance]]):
    """Balance of every asset of the futures account (V2)."""

    method = "v2/account.balance"
    security = Security.USER_DATA
    result = list[AccountBalance]
    weight = "5"
    docs = f"{_ACCOUNT}/Futures-Account-Balance-V2"


class AccountInformationRequest(SignedRequest[AccountInformation]):
    """Account information (V1): totals, assets and the positions of every symbol."""

    method = "account.status"
    security = Security.USER_DATA
    result = AccountInformation
    weight = "5"
    docs = f"{_ACCOUNT}/Account-Information"


class AccountInformationV2Request(SignedRequest[AccountInformationV2]):
    """Account information (V2): positions only of symbols with a position or open orders."""

    method = "v2/account.status"
    security = Security.USER_DATA
    result = AccountInformationV2
    weight = "5"
    docs = f"{_ACCOUNT}/Account-Information-V2"


class AccountApi(Service):
    """Balances and account information; each method returns a fresh request builder."""

    futures_account_balance = Builds(FuturesAccountBalance)
    futures_account_balance_v2 = Builds(FuturesAccountBalanceV2)
    account_information = Builds(AccountInformationRequest)
    account_information_v2 = Builds(AccountInformationV2Request)
