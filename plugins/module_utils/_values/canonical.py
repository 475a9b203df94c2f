# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every value kind in one import, for modules and property tables.

The rules live in the file of their kind: kind.py (what a kind is, the two errors), scalars.py (text,
booleans, numbers, enums), sizes_and_times.py, addresses.py (IP ranges, bindings), names.py (DNS names,
servers, identities), tls_certificate_name.py and domains.py (SMTP domains).
"""
from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._values.addresses import (
    BINDINGS,
    IP_RANGES,
    SENDER_IP_ADDRESSES,
    Bindings,
    IpRanges,
    SenderIpAddresses,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.domains import (
    SENDER_DOMAINS,
    SenderDomains,
    SmtpDomain,
    SmtpDomains,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.kind import (
    InvalidValue,
    Kind,
    MultiKind,
    TextKind,
    UnexpectedExchangeValue,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.names import (
    FQDN,
    IDENTITY,
    SERVER,
    Fqdn,
    Identity,
    Server,
    identity_problem,
    join_identity,
    same_name,
    split_identity,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.scalars import (
    BOOL,
    INT,
    STRING,
    UNLIMITED,
    UNLIMITED_INT,
    Bool,
    EnumKind,
    FlagsKind,
    Int,
    String,
    UnlimitedInt,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.sizes_and_times import (
    BYTE_SIZE,
    TIMESPAN,
    ByteSize,
    TimeSpan,
)
from ansible_collections.mailflow.exchange.plugins.module_utils._values.tls_certificate_name import (
    TLS_CERTIFICATE_NAME,
    TlsCertificateName,
    tls_certificate_name,
)

__all__ = [
    "BINDINGS", "BOOL", "BYTE_SIZE", "FQDN", "IDENTITY", "INT", "IP_RANGES", "SENDER_DOMAINS", "SENDER_IP_ADDRESSES",
    "SERVER", "STRING", "TIMESPAN", "TLS_CERTIFICATE_NAME", "UNLIMITED", "UNLIMITED_INT",
    "Bindings", "Bool", "ByteSize", "EnumKind", "FlagsKind", "Fqdn", "Identity", "Int", "InvalidValue", "IpRanges",
    "Kind", "MultiKind", "TextKind", "SenderDomains", "SenderIpAddresses", "Server", "SmtpDomain", "SmtpDomains", "String",
    "TimeSpan", "TlsCertificateName", "UnexpectedExchangeValue", "UnlimitedInt",
    "identity_problem", "join_identity", "same_name", "split_identity", "tls_certificate_name",
]
