# -*- coding: utf-8 -*-
# Copyright: mailflow.exchange contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging a module's options with the connection options of its kind."""

from __future__ import annotations


def merged_argument_spec(connection_spec, *specs):
    """The connection options plus a module's own, refusing any name used twice
    (a connector setting must never shadow a connection option)."""
    merged = dict(connection_spec)
    for spec in specs:
        clash = set(merged) & set(spec)
        if clash:
            raise ValueError("options defined twice: %s" % ", ".join(sorted(clash)))
        merged.update(spec)
    return merged
