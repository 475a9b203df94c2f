"""A local stand-in for Exchange, speaking the real protocols.

The lab never imports the collection's code (plugins/): it is an independent
reading of the same sources (the captures in data/ and Microsoft's cmdlet docs),
so that a shared wrong idea cannot make the lab and the modules agree.
"""
