"""The EOP relay rule on its own: certificate names and connector attribution."""
import ipaddress

from exchange_lab.eop.relay_rule import Client, attributed_connector, is_accepted, name_matches


def connector(**values):
    return {"Name": "c", "Enabled": True, "ConnectorType": "OnPremises", "RequireTls": False,
            "SenderIPAddresses": [], "TlsSenderCertificateName": None, **values}


def client(ip="10.1.2.3", tls=False, names=()):
    return Client(ipaddress.ip_address(ip), tls, tuple(names))


def test_wildcard_is_the_domain_and_all_subdomains():
    # New-InboundConnector.md (TlsSenderCertificateName): "a domain and all subdomains".
    assert name_matches("*.contoso.com", "relay.contoso.com")
    assert name_matches("*.contoso.com", "RELAY.Contoso.com")
    assert name_matches("*.contoso.com", "a.relay.contoso.com")
    assert name_matches("*.contoso.com", "contoso.com")
    assert not name_matches("*.contoso.com", "notcontoso.com")
    assert not name_matches("*.contoso.com", "relay.fabrikam.com")
    assert name_matches("contoso.com", "contoso.com") and not name_matches("contoso.com", "relay.contoso.com")


def test_attribution_by_ip_and_certificate():
    by_ip = connector(Name="ip", SenderIPAddresses=["10.1.2.0/24"])
    by_cert = connector(Name="cert", TlsSenderCertificateName="*.contoso.com")
    assert attributed_connector([by_ip], client())["Name"] == "ip"
    assert attributed_connector([by_ip], client("10.1.3.3")) is None
    assert attributed_connector([by_cert], client(tls=True, names=["relay.contoso.com"]))["Name"] == "cert"
    assert attributed_connector([by_cert], client(tls=False, names=["relay.contoso.com"])) is None
    assert attributed_connector([connector(Enabled=False, SenderIPAddresses=["10.1.2.3"])], client()) is None
    assert attributed_connector([connector(ConnectorType="Partner", SenderIPAddresses=["10.1.2.3"])], client()) is None
    # RequireTls "applies only to Partner type connectors" (New-InboundConnector.md).
    assert attributed_connector([connector(RequireTls=True, SenderIPAddresses=["10.1.2.3"])], client())["Name"] == "c"


def test_accepted_domains():
    domains = [{"DomainName": "contoso.com", "MatchSubDomains": False},
               {"DomainName": "fabrikam.com", "MatchSubDomains": True}]
    assert is_accepted("Contoso.com", domains) and not is_accepted("sub.contoso.com", domains)
    assert is_accepted("sub.fabrikam.com", domains) and not is_accepted("external.example", domains)
