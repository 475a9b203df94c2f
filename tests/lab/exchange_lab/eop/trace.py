"""The two Received headers a message gets in Exchange Online: the EOP front door, then Exchange Online.

Shapes follow EXCHANGE.md section 4 (``from <helo> (<ip>) by <host> (<ip>) with <protocol> ...;
<date>``) and the Exchange header the on-premises lab writes (``..smtp.headers``).
"""
import email.utils
from datetime import datetime, timedelta
from typing import Optional

from ..smtp.headers import fold

# GUESS: invented server names in the shapes Microsoft 365 headers show (an EOP frontend
# <name>.mail.protection.outlook.com, a mailbox server <name>.<region>.prod.outlook.com), fixed
# build numbers and addresses; only the shapes matter to the collection's received_hops filter.
EOP_SERVER = "AM2PEPF0001LAB1"
EOP_HOST = f"{EOP_SERVER}.mail.protection.outlook.com"
EOP_INTERNAL_HOST = f"{EOP_SERVER}.eurprd05.prod.outlook.com"
EOP_INTERNAL_IP = "10.167.16.74"
EXO_HOST = "DB9PR04MB8LAB.eurprd04.prod.outlook.com"
EXO_IP = "10.167.242.20"
EXO_BUILD = "15.20.7633.27"
# GUESS: EOP re-encrypts to Exchange Online with TLS 1.2 and this suite.
INTERNAL_TLS = {"version": "TLS1_2", "cipher": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}


def _protocol(tls: Optional[dict]) -> str:
    protocol = "Microsoft SMTP Server"
    if tls:
        protocol += f" (version={tls['version']}, cipher={tls['cipher']})"
    return protocol


def eop_received(helo: str, device: str, listener_ip: str, tls: Optional[dict], when: datetime) -> str:
    """``from <helo> (<device ip>) by <EOP host> (<ip>) with Microsoft SMTP Server (...) id <build>
    via Frontend Transport; <date>``.

    GUESS: EOP's frontend writes "via Frontend Transport" as Exchange's Front End Transport does.
    """
    value = (f"from {helo} ({device}) by {EOP_HOST} ({listener_ip}) with {_protocol(tls)} id {EXO_BUILD} "
             f"via Frontend Transport; {_date(when)}")
    return fold("Received", value)


def exo_received(when: datetime) -> str:
    """The hop from EOP's frontend to the mailbox server, a second later (GUESS: timing)."""
    value = (f"from {EOP_INTERNAL_HOST} ({EOP_INTERNAL_IP}) by {EXO_HOST} ({EXO_IP}) with "
             f"{_protocol(INTERNAL_TLS)} id {EXO_BUILD}; {_date(when + timedelta(seconds=1))}")
    return fold("Received", value)


def _date(when: datetime) -> str:
    return email.utils.format_datetime(when)
