"""The lab's SMTP side: listeners that behave like the Exchange receive connectors in the model.

Modules: ``listeners`` (the set of listeners, rebuilt when the model changes), ``session``
(one connection under its connector's rules, on aiosmtpd), ``selection`` (which connector
takes a connection: a pure rule), ``source_map`` (the lab's 127/8 -> 10/8 device
convention), ``tls``, ``headers``, ``mailboxes``, ``replies``.
"""
from .listeners import SmtpLab
from .selection import plan_listeners, select_connector
from .source_map import SOURCE_MAP, device_address

__all__ = ["SOURCE_MAP", "SmtpLab", "device_address", "plan_listeners", "select_connector"]
