# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``commands`` result: writes rendered for review, the same in check mode as in the real run."""

from __future__ import annotations

import pytest

from ansible_collections.mailflow.exchange.plugins.module_utils._common.commands import (
    MASK,
    ReviewedClient,
    render_command,
    render_pipeline,
)


class FakeClient:
    """Records what reaches it; answers a read with one object and a write with none."""

    def __init__(self):
        self.sent = []
        self.applied = ["confirmed"]
        self.entered = self.exited = False

    def __enter__(self):
        self.entered = True
        return self

    def __exit__(self, *exc_info):
        self.exited = True

    def invoke_pipeline(self, commands):
        self.sent.append(commands)
        return [{"Name": "read"}] if commands[0][0].startswith("Get-") else []


def test_a_set_with_its_identity_values_lists_and_an_add_remove_edit():
    line = render_command("Set-ReceiveConnector", {
        "Identity": "7b3c6e2a-5f0d-4c1e-9a8b-2d4f6e8a0c1b",
        "RemoteIPRanges": {"Add": ["10.1.2.5"], "Remove": ["10.1.2.4"]},
        "Banner": "220 O'Brien's relay",
        "MaxMessageSize": "26214400",
        "MaxRecipientsPerMessage": 200,
        "Bindings": ["0.0.0.0:25", "[::]:25"],
        "Comment": None,
        "RequireTLS": True,
        "PermissionGroups": [],
    })
    assert line == ("Set-ReceiveConnector -Identity '7b3c6e2a-5f0d-4c1e-9a8b-2d4f6e8a0c1b' "
                    "-RemoteIPRanges @{Add='10.1.2.5'; Remove='10.1.2.4'} -Banner '220 O''Brien''s relay' "
                    "-MaxMessageSize '26214400' -MaxRecipientsPerMessage 200 -Bindings '0.0.0.0:25','[::]:25' "
                    "-Comment $null -RequireTLS:$true -PermissionGroups @()")


def test_the_identity_comes_first_wherever_it_was_added():
    assert render_command("Set-ReceiveConnector", {"Banner": "220 x", "Identity": "guid", "Enabled": True}) == \
        "Set-ReceiveConnector -Identity 'guid' -Banner '220 x' -Enabled:$true"


def test_confirm_false_binds_as_a_switch_and_the_odata_annotation_is_not_shown():
    assert render_command("Remove-ReceiveConnector", {"Identity": "guid", "Confirm": False}) == \
        "Remove-ReceiveConnector -Identity 'guid' -Confirm:$false"
    edit = {"@odata.type": "#Exchange.GenericHashTable", "Add": ["203.0.113.7"]}
    assert render_command("Set-InboundConnector", {"SenderIPAddresses": edit}) == \
        "Set-InboundConnector -SenderIPAddresses @{Add='203.0.113.7'}"


@pytest.mark.parametrize("quote", ["'", "\u2018", "\u2019", "\u201a", "\u201b"])
def test_every_single_quote_powershell_knows_is_doubled(quote):
    # A comment closing the string early would turn the rest of the line into PowerShell.
    line = render_command("Set-ReceiveConnector", {"Comment": "x%s; Remove-Item C:\\ -Recurse; %s" % (quote, quote)})
    doubled = quote * 2
    assert line == "Set-ReceiveConnector -Comment 'x%s; Remove-Item C:\\ -Recurse; %s'" % (doubled, doubled)


@pytest.mark.parametrize("name", ["Password", "AuthenticationCredential", "ClientSecret", "AccessToken",
                                  "PrivateKey", "CertificateData", "PfxBlob"])
def test_a_parameter_that_may_hold_a_secret_is_masked(name):
    line = render_command("New-Thing", {"Name": "n", name: "Hunter2-Secret"})
    assert "Hunter2" not in line
    assert line == "New-Thing -Name 'n' -%s %s" % (name, MASK)


def test_a_secret_named_key_inside_a_hashtable_is_masked_too():
    line = render_command("Set-Thing", {"Settings": {"Add": "x", "Password": "Hunter2-Secret"}})
    assert line == "Set-Thing -Settings @{Add='x'; Password=%s}" % MASK


def test_a_pipeline_is_one_line():
    assert render_pipeline([("Get-ReceiveConnector", {"Identity": "a"}), ("Set-ReceiveConnector", {"Enabled": False})]) \
        == "Get-ReceiveConnector -Identity 'a' | Set-ReceiveConnector -Enabled:$false"


def test_check_mode_lists_the_writes_sends_only_the_reads():
    fake = FakeClient()
    client = ReviewedClient(fake, check_mode=True)
    assert client.invoke("Get-ReceiveConnector", {"Identity": "MAIL1\\Relay"}) == [{"Name": "read"}]
    assert client.invoke("Set-ReceiveConnector", {"Identity": "guid", "Enabled": False}) == []
    assert fake.sent == [[("Get-ReceiveConnector", {"Identity": "MAIL1\\Relay"})]]
    assert client.commands == ["Set-ReceiveConnector -Identity 'guid' -Enabled:$false"]


def test_the_real_run_lists_the_same_lines_and_sends_them():
    lines = {}
    for check_mode in (True, False):
        fake = FakeClient()
        client = ReviewedClient(fake, check_mode=check_mode)
        client.invoke("Get-ReceiveConnector", {"Identity": "MAIL1\\Relay"})
        client.invoke("Set-ReceiveConnector", {"Identity": "guid", "Enabled": False})
        client.invoke("Remove-ReceiveConnector", {"Identity": "guid", "Confirm": False})
        lines[check_mode] = client.commands
        assert len(fake.sent) == (1 if check_mode else 3)
    assert lines[True] == lines[False]


def test_reads_alone_list_nothing():
    client = ReviewedClient(FakeClient())
    client.invoke_pipeline([("Get-ReceiveConnector", {}), ("Get-ADPermission", {})])
    assert client.commands == []


def test_before_first_write_runs_once_before_the_first_write_is_sent():
    fake = FakeClient()
    calls = []

    def before():
        calls.append(len(fake.sent))

    client = ReviewedClient(fake, before_first_write=before)
    client.invoke("Get-ReceiveConnector")
    client.invoke("Set-ReceiveConnector", {"Enabled": True})
    client.invoke("Set-ReceiveConnector", {"Enabled": False})
    assert calls == [1]  # after the read, before any write


def test_no_write_goes_out_when_before_first_write_fails_and_it_is_tried_again():
    fake = FakeClient()

    def before():
        raise OSError("disk full")

    client = ReviewedClient(fake, before_first_write=before)
    for dummy in range(2):
        with pytest.raises(OSError):
            client.invoke("Set-ReceiveConnector", {"Enabled": True})
    assert fake.sent == []
    assert client.commands == []


def test_check_mode_never_calls_before_first_write():
    client = ReviewedClient(FakeClient(), check_mode=True, before_first_write=lambda: pytest.fail("called"))
    client.invoke("New-ReceiveConnector", {"Name": "n"})


def test_the_wrapped_client_is_opened_closed_and_keeps_its_applied_list():
    fake = FakeClient()
    with ReviewedClient(fake) as client:
        assert client.applied == ["confirmed"]
    assert fake.entered and fake.exited
