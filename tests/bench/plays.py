# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's playbooks and inventories, written as JSON (which YAML reads as is).

Every play runs against lab hosts whose connection details are host variables:
``lab_server`` (LAB-SRV-NN), ``lab_host``/``lab_port``/``lab_user``/``lab_password`` (on-prem)
and ``exo_*`` (the lab tenant). ``direct`` runs the modules on ``connection: local`` (each
task opens its own runspace / gets its own token); ``session`` puts the host on the
session connection plugins (contract S), which keep one runspace / token per host.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

ONPREM_DEFAULTS = {
    "host": "{{ lab_host }}", "port": "{{ lab_port }}", "auth": "ntlm", "use_ssl": False,
    "username": "{{ lab_user }}", "password": "{{ lab_password }}",
}
ONLINE_DEFAULTS = {
    "tenant": "{{ exo_tenant }}", "client_id": "{{ exo_client_id }}", "certificate": "{{ exo_certificate }}",
    "private_key": "{{ exo_private_key }}", "authority_url": "{{ exo_authority_url }}",
    "exchange_url": "{{ exo_exchange_url }}", "allow_custom_endpoints": True, "ca_path": "{{ exo_ca_path }}",
}
MODULE_DEFAULTS = {"group/mailflow.exchange.onprem": ONPREM_DEFAULTS,
                   "group/mailflow.exchange.online": ONLINE_DEFAULTS}
ONPREM_SESSION = "mailflow.exchange.onprem_session"
ONLINE_SESSION = "mailflow.exchange.online_session"


def _base_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def host_vars(server, python: str, mode: str, target: str) -> dict:
    """Variables of one lab host; ``target`` is ``onprem`` or ``online`` (which session plugin)."""
    psrp, online = server.info["psrp"], server.info["online"]
    variables = {
        "lab_server": server.name, "lab_host": psrp["host"], "lab_port": psrp["port"],
        "lab_user": psrp["username"], "lab_password": psrp["password"],
        "exo_tenant": online["tenant_id"], "exo_client_id": online["client_id"],
        "exo_certificate": online["certificate"], "exo_private_key": online["private_key"],
        "exo_authority_url": _base_url(online["authority"]), "exo_exchange_url": _base_url(online["rest_base_url"]),
        "exo_ca_path": online["ca_path"],
        "ansible_python_interpreter": python,
    }
    if mode == "direct":
        variables["ansible_connection"] = "local"
    elif target == "onprem":
        variables.update({
            "ansible_connection": ONPREM_SESSION, "ansible_host": psrp["host"], "ansible_port": psrp["port"],
            "ansible_user": psrp["username"], "ansible_password": psrp["password"],
            "mailflow_exchange_auth": "ntlm", "mailflow_exchange_use_ssl": False,
        })
    else:
        variables["ansible_connection"] = ONLINE_SESSION
        variables.update({f"mailflow_exo_{key}": f"{{{{ exo_{key} }}}}" for key in
                          ("tenant", "client_id", "certificate", "private_key", "ca_path")})
        variables["mailflow_exo_authority_url"] = "{{ exo_authority_url }}"
        variables["mailflow_exo_exchange_url"] = "{{ exo_exchange_url }}"
        variables["mailflow_exo_allow_custom_endpoints"] = True
    return variables


def write_inventory(path: Path, servers, python: str, mode: str, target: str) -> Path:
    hosts = {server.name.lower(): host_vars(server, python, mode, target) for server in servers}
    path.write_text(json.dumps({"all": {"hosts": hosts}}, indent=1))
    return path


def _play(name: str, tasks: list, **extra) -> list:
    return [{"name": name, "hosts": "all", "gather_facts": False, "module_defaults": MODULE_DEFAULTS,
             "tasks": tasks, **extra}]


def receive_connector_play(count: int, prefix: str, slot: int) -> list:
    """``count`` tasks alternating a relay connector and its relay right (a: on-prem).

    Exchange refuses two connectors with the same bindings and remote ranges: each play
    gets its own ``slot`` (second octet of the device addresses).
    """
    tasks = []
    for index in range(1, count + 1):
        number = (index + 1) // 2
        connector = f"{prefix} {number:02d}"
        if index % 2:
            tasks.append({"name": f"connector {connector}", "mailflow.exchange.receive_connector": {
                "name": connector, "server": "{{ lab_server }}", "usage": "Custom",
                "transport_role": "FrontendTransport", "bindings": [f"0.0.0.0:{2600 + number}"],
                "remote_ip_ranges": [f"10.{slot}.{number}.10"], "permission_groups": ["AnonymousUsers"]}})
        else:
            tasks.append({"name": f"relay right on {connector}", "mailflow.exchange.ad_permission": {
                "connector": connector, "server": "{{ lab_server }}", "user": "NT AUTHORITY\\ANONYMOUS LOGON",
                "extended_rights": ["ms-Exch-SMTP-Accept-Any-Recipient"]}})
    return _play("a: receive connectors and relay rights", tasks)


def inbound_connector_play(count: int, prefix: str) -> list:
    tasks = [{"name": f"inbound connector {index}", "mailflow.exchange.inbound_connector": {
        "name": f"{prefix} {index:02d}", "connector_type": "OnPremises", "sender_domains": ["*"],
        "sender_ip_addresses": [f"203.0.113.{index}"], "restrict_domains_to_ip_addresses": True}}
        for index in range(1, count + 1)]
    return _play("b: inbound connectors", tasks)


def relay_role_play(prefix: str, slot: int) -> list:
    role = {"role": "mailflow.exchange.onprem_relay", "vars": {
        "onprem_relay_style": "anonymous", "onprem_relay_servers": ["{{ lab_server }}"],
        "onprem_relay_connector_prefix": prefix, "onprem_relay_devices": [f"10.{slot}.2.3", f"10.{slot}.2.4"],
        # The SMTP proof talks to the lab's SMTP listeners, not to Exchange's PowerShell: left out.
        "onprem_relay_verify": False}}
    return [{"name": "c: onprem_relay role", "hosts": "all", "gather_facts": False,
             "module_defaults": MODULE_DEFAULTS, "roles": [role]}]


def ping_play(count: int) -> list:
    return [{"name": "ping floor", "hosts": "all", "gather_facts": False,
             "tasks": [{"name": f"ping {index}", "ansible.builtin.ping": None} for index in range(count)]}]


def info_loop_play(count: int) -> list:
    """``count`` no-change reads in one looped task (the memory run)."""
    return _play("memory: receive_connector_info loop", [{
        "name": "read one connector", "mailflow.exchange.receive_connector_info": {
            "server": "{{ lab_server }}", "name": "Default Frontend {{ lab_server }}"},
        "loop": f"{{{{ range({count}) | list }}}}", "loop_control": {"label": "{{ item }}"}}])


def write_play(path: Path, play: list) -> Path:
    path.write_text(json.dumps(play, indent=1))
    return path
