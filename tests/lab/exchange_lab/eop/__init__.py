"""Exchange Online Protection for the lab: the SMTP front door ``<tenant>.mail.protection.outlook.com``.

Modules: ``certificates`` (EOP server certificate, the relay's client certificate and PFX),
``relay_rule`` (direct send, inbound connector attribution, 5.7.64), ``session`` (aiosmtpd
hooks, delivery), ``trace`` (the EOP and Exchange Online Received headers), ``listener``.
"""
from .listener import EopListener

__all__ = ["EopListener"]
