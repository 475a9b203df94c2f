"""The Kerberos listener against a real MIT KDC (``exchange-lab serve --kerberos``).

An unmodified pypsrp client (pyspnego + python-gssapi) runs cmdlets over
Kerberos with message encryption; NTLM and bad tickets are refused. Needs
Debian's krb5-kdc and krb5-user (``make kerberos-deps``).
"""
import os
import shutil
import stat
import subprocess

import pytest
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from exchange_lab.kdc import find_tool, KdcError

pytestmark = pytest.mark.skipif(
    shutil.which("krb5kdc", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None,
    reason="MIT Kerberos KDC not installed (make kerberos-deps)")


@pytest.fixture(scope="module")
def kerberos_lab(tmp_path_factory):
    from conftest import LabProcess

    process = LabProcess(tmp_path_factory.mktemp("kerberos-lab") / "state", "--kerberos")
    try:
        yield process.wait_ready()
    finally:
        process.stop()


@pytest.fixture
def client_env(kerberos_lab, tmp_path, monkeypatch):
    """This process as a Kerberos client of the lab realm, with a cache of its own."""
    monkeypatch.setenv("KRB5_CONFIG", kerberos_lab["kerberos"]["krb5_conf"])
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path}/cc")
    return dict(os.environ)


def run_cmdlet(endpoint: dict, auth: str, username, password, host=None):
    wsman = WSMan(host or endpoint["host"], port=endpoint["port"], path=endpoint["path"], ssl=False,
                  auth=auth, username=username, password=password, negotiate_service="HTTP",
                  connection_timeout=10, operation_timeout=5, reconnection_retries=0)
    with RunspacePool(wsman, configuration_name=endpoint["configuration_name"]) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-ReceiveConnector")
        output = ps.invoke()
        assert not ps.had_errors
        return output


def test_lab_json_describes_the_realm(kerberos_lab):
    kdc, endpoint = kerberos_lab["kerberos"], kerberos_lab["psrp_kerberos"]
    assert kdc["realm"] == "LAB.TEST"
    assert kdc["service_principal"] == f"HTTP/{kdc['service_host']}@LAB.TEST"
    assert kdc["kdc"].startswith("127.0.0.1:")
    assert endpoint["auth"] == "kerberos" and endpoint["username"] == kdc["user_principal"]
    assert kerberos_lab["env_kerberos"]["EXCHANGE_KERBEROS_KDC"] == kdc["kdc"]
    assert endpoint["port"] not in (kerberos_lab["psrp"]["port"], kerberos_lab["psrp_https"]["port"])
    for secret in ("service_keytab", "user_keytab"):
        assert stat.S_IMODE(os.stat(kdc[secret]).st_mode) & 0o077 == 0


@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_password_runs_cmdlets_with_encryption(kerberos_lab, client_env, auth):
    endpoint = kerberos_lab["psrp_kerberos"]
    output = run_cmdlet(endpoint, auth, endpoint["username"], endpoint["password"])
    assert output and all("Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector"
                          in obj.types[0] for obj in output)


def test_kinit_ticket_cache(kerberos_lab, client_env):
    kdc = kerberos_lab["kerberos"]
    subprocess.run([find_tool("kinit"), kdc["user_principal"]], input=kdc["password"] + "\n", text=True,
                   env=client_env, check=True, capture_output=True, timeout=30)
    assert run_cmdlet(kerberos_lab["psrp_kerberos"], "kerberos", None, None)


def test_wrong_password_is_refused_by_the_kdc(kerberos_lab, client_env):
    endpoint = kerberos_lab["psrp_kerberos"]
    with pytest.raises(Exception, match="integrity|Preauthentication"):
        run_cmdlet(endpoint, "kerberos", endpoint["username"], "wrong-password")


def test_ntlm_through_negotiate_is_refused(kerberos_lab, client_env):
    """A stock Exchange accepts Kerberos only on /PowerShell: NTLM inside Negotiate gets 401."""
    endpoint = kerberos_lab["psrp_kerberos"]
    with pytest.raises(AuthenticationError):
        run_cmdlet(endpoint, "negotiate", "LAB\\exadmin", endpoint["password"])


def test_unknown_service_principal(kerberos_lab, client_env):
    endpoint = kerberos_lab["psrp_kerberos"]
    with pytest.raises(Exception, match="HTTP/127.0.0.1@LAB.TEST not found"):
        run_cmdlet(endpoint, "kerberos", endpoint["username"], endpoint["password"], host="127.0.0.1")


def test_missing_tool_names_the_make_target(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("exchange_lab.kdc._SBIN", ())
    with pytest.raises(KdcError, match="make kerberos-deps"):
        find_tool("krb5kdc")
