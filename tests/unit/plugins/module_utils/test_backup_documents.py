# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a backup holds: the export's variables, so that applying it restores what the task changed."""

from __future__ import annotations

from ansible_collections.mailflow.exchange.plugins.module_utils._inbound_connector import backup as inbound
from ansible_collections.mailflow.exchange.plugins.module_utils._receive_connector import backup as onprem
from ansible_collections.mailflow.exchange.plugins.module_utils._values.principals import Principal

CONNECTOR = dict(name="Relay", server="MAIL1", remote_ip_ranges=["10.1.2.3"], banner=None, enabled=True)


def test_a_receive_connector_as_the_export_writes_it_without_nulls():
    label, document, header = onprem.connector_backup("MAIL1", "relay", CONNECTOR)
    assert label == "MAIL1\\Relay"
    assert document == {"receive_connectors": [dict(name="Relay", server="MAIL1", remote_ip_ranges=["10.1.2.3"],
                                                    enabled=True)]}
    assert "mailflow.exchange.receive_connector" in header


def test_a_receive_connector_that_did_not_exist_is_absent():
    assert onprem.connector_backup("MAIL1", "Relay", None)[1] == \
        {"receive_connectors": [dict(name="Relay", server="MAIL1", state="absent")]}


def test_several_connectors_in_one_file():
    label, document, dummy = onprem.connectors_backup([CONNECTOR, dict(CONNECTOR, name="Client")])
    assert label == "MAIL1_2_connectors"
    assert [c["name"] for c in document["receive_connectors"]] == ["Relay", "Client"]


def test_a_principals_rights_as_the_whole_list_by_sid():
    dummy, document, dummy = onprem.permission_backup("MAIL1", "Relay", Principal.from_input("anonymous"), [],
                                                      ["10.1.2.3"], 256)
    assert document == {"ad_permissions": [dict(connector="Relay", server="MAIL1", user="S-1-5-7",
                                                extended_rights=dict(set=[]))]}


def test_anonymous_relay_on_broad_ranges_is_said_openly():
    relay = ["ms-Exch-SMTP-Accept-Any-Recipient"]
    entry = onprem.permission_backup("MAIL1", "Relay", Principal.from_input("S-1-5-7"), relay, ["10.0.0.0/8"],
                                     256)[1]["ad_permissions"][0]
    assert entry["allow_broad_relay"] is True and entry["relay_max_addresses"] == 256
    narrow = onprem.permission_backup("MAIL1", "Relay", Principal.from_input("S-1-5-7"), relay, ["10.1.2.3"],
                                      256)[1]["ad_permissions"][0]
    assert "allow_broad_relay" not in narrow


def test_an_inbound_connector_and_an_absent_one():
    values = dict(name="Devices", connector_type="OnPremises", sender_domains=["*"], sender_ip_addresses=[],
                  tls_sender_certificate_name=None, comment=None)
    label, document, dummy = inbound.connector_backup("devices", values)
    assert label == "Devices"
    # What the tenant holds against the open-relay guard is written openly, as the export does.
    assert document == {"inbound_connectors": [dict(name="Devices", connector_type="OnPremises", sender_domains=["*"],
                                                    sender_ip_addresses=[], allow_unrestricted=True)]}
    assert inbound.connector_backup("Devices", None)[1] == {"inbound_connectors": [dict(name="Devices",
                                                                                        state="absent")]}
