"""lab.json as the SMTP listeners rewrite it: never before the lab is ready, never after it stops."""
import json
import stat

from exchange_lab.cli import LabJson


def test_rewritten_on_update_only_while_published(tmp_path):
    path = tmp_path / "lab.json"
    published = LabJson(path, {"psrp": {"port": 1}, "pid": 7})

    published.update({"smtp": []})
    assert not path.exists()                       # not ready yet: nothing advertised

    published.publish()
    assert json.loads(path.read_text()) == {"psrp": {"port": 1}, "pid": 7, "smtp": []}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    published.update({"smtp": [{"connector": "Relay", "port": 2525}]})
    assert json.loads(path.read_text()) == {"psrp": {"port": 1}, "pid": 7,
                                            "smtp": [{"connector": "Relay", "port": 2525}]}

    published.withdraw()
    published.update({"smtp": []})                 # a late change from the SMTP thread
    assert not path.exists()
