"""What a cmdlet hands back to the REST layer."""
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CmdletResult:
    output: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed: bool = False
