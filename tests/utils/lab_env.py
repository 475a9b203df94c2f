#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn a running lab's ``lab.json`` into settings for the collection.

``exports`` prints ``export EXCHANGE_...=...`` lines (the lab's ``env`` map,
``env_https`` with ``--https``, ``env_kerberos`` with ``--kerberos``, the ``EXO_*`` of ``env_online`` with
``--online``) for a shell to ``eval``; ``make demo`` runs ansible-playbook with them.

``integration-config`` writes ansible-test's
``tests/integration/integration_config.yml``. ansible-test does not pass the
caller's environment to the playbooks it runs, but it loads that file as extra
vars, so the lab's address travels as variables.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from urllib.parse import urlsplit

import yaml


def load_lab(state_dir):
    """Return the parsed lab.json of the lab whose state is in ``state_dir``."""
    path = os.path.join(state_dir, 'lab.json')
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except FileNotFoundError:
        sys.exit('no running lab: %s is missing (make lab-start)' % path)


def shell_exports(env):
    """Return ``export NAME=value`` lines for the ``env`` mapping."""
    return ''.join('export %s=%s\n' % (name, shlex.quote(str(value)))
                   for name, value in sorted(env.items()))


def base_url(url):
    """``scheme://host[:port]`` of ``url``: the collection appends the tenant to authority_url itself."""
    parts = urlsplit(url)
    return '%s://%s' % (parts.scheme, parts.netloc)


def online_vars(online):
    """The variables the Exchange Online targets connect to the lab's tenant with."""
    return {
        'exo_tenant': online['tenant_id'],
        'exo_tenant_domain': online['tenant_domain'],
        'exo_client_id': online['client_id'],
        'exo_certificate': online['certificate'],
        'exo_private_key': online['private_key'],
        'exo_authority_url': base_url(online['authority']),
        'exo_exchange_url': base_url(online['rest_base_url']),
        'exo_ca_path': online['ca_path'],
        # For the authentication tests: the same app as PFX, the app with a client secret,
        # and a certificate the app does not have (the EOP client certificate).
        'exo_pfx': online['pfx'],
        'exo_pfx_password': online['pfx_password'],
        'exo_secret_client_id': online['client_secret_app']['client_id'],
        'exo_client_secret': online['client_secret_app']['client_secret'],
        'exo_foreign_certificate': online['eop']['client_certificate'],
        'exo_foreign_private_key': online['eop']['client_key'],
        # A second tenant of the same service, with its own certificate app.
        'exo_second_tenant': online['second_tenant']['tenant_id'],
        'exo_second_client_id': online['second_tenant']['client_id'],
        'exo_second_certificate': online['second_tenant']['certificate'],
        'exo_second_private_key': online['second_tenant']['private_key'],
    }


def kerberos_vars(lab):
    """The variables of the Kerberos listener and its KDC (the lab runs with --kerberos)."""
    psrp, kdc = lab['psrp_kerberos'], lab['kerberos']
    return {
        'exchange_kerberos_host': psrp['host'],
        'exchange_kerberos_port': psrp['port'],
        'exchange_kerberos_username': kdc['user_principal'],
        'exchange_kerberos_password': kdc['password'],
        'exchange_kerberos_realm': kdc['realm'],
        'exchange_kerberos_kdc': kdc['kdc'],
        'exchange_kerberos_keytab': kdc['user_keytab'],
        'exchange_kerberos_krb5_conf': kdc['krb5_conf'],
    }


def integration_vars(lab, state_dir):
    """Return the variables the integration targets connect to the lab with."""
    psrp = lab['psrp']
    https = lab['psrp_https']
    online = online_vars(lab['online']) if 'online' in lab else {}
    online.update(kerberos_vars(lab) if 'kerberos' in lab else {})
    return dict(online, **{
        'exchange_host': psrp['host'],
        'exchange_port': psrp['port'],
        'exchange_auth': psrp['auth'],
        'exchange_use_ssl': psrp['ssl'],
        'exchange_username': psrp['username'],
        'exchange_password': psrp['password'],
        'exchange_ca_path': https['ca_path'],
        'exchange_https_host': https['host'],
        'exchange_https_port': https['port'],
        'exchange_https_auth': https['auth'],
        'exchange_https_username': https['username'],
        'exchange_https_password': https['password'],
        'lab_stats_path': lab['stats'],
        'lab_state_dir': os.path.abspath(state_dir),
        # The language the lab was started in (EXCHANGE_LAB_LANGUAGE), for assertions on localised names.
        'lab_language': os.environ.get('EXCHANGE_LAB_LANGUAGE', 'en'),
        # The variants the lab plays (name -> value), for targets whose assertions depend on one.
        'lab_variants': lab.get('variants', {}),
    })


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('action', choices=('exports', 'integration-config'))
    parser.add_argument('--state', default='.lab/state', help='lab state directory')
    parser.add_argument('--https', action='store_true', help='exports: use the HTTPS/Basic listener')
    parser.add_argument('--kerberos', action='store_true', help='exports: use the Kerberos listener')
    parser.add_argument('--online', action='store_true', help="exports: the lab's Exchange Online (EXO_*)")
    parser.add_argument('--out', help='integration-config: file to write')
    args = parser.parse_args(argv)
    lab = load_lab(args.state)

    if args.action == 'exports':
        env = 'env_https' if args.https else 'env_kerberos' if args.kerberos else 'env_online' if args.online else 'env'
        sys.stdout.write(shell_exports(lab[env]))
        return 0

    if not args.out:
        parser.error('integration-config needs --out')
    with open(args.out, 'w', encoding='utf-8') as handle:
        handle.write('# Written by tests/utils/lab_env.py from %s; do not edit.\n'
                     % os.path.join(os.path.abspath(args.state), 'lab.json'))
        yaml.safe_dump(integration_vars(lab, args.state), handle, default_flow_style=False)
    return 0


if __name__ == '__main__':
    sys.exit(main())
