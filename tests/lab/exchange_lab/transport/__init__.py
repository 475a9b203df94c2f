"""Exchange remote PowerShell as pypsrp sees it: HTTP(S), WSMan shells, PSRP runspace pools.

Modules, outermost first: ``listeners`` (both endpoints together), ``http``
(HTTP server), ``auth``/``sealing``/``credentials`` (NTLM with encryption,
Basic), ``wsman``/``soap``/``faults`` (SOAP actions), ``shells`` (psrpcore
runspace pools), ``pipelines``/``records`` (cmdlet calls and error records).
"""
from .listeners import RemotePowerShell, start_remote_powershell
from .wsman import CONFIGURATION_NAME, EXCHANGE_RESOURCE_URI

__all__ = ["CONFIGURATION_NAME", "EXCHANGE_RESOURCE_URI", "RemotePowerShell", "start_remote_powershell"]
