"""The SerializationData blob of an ExchangeCertificate ([MS-NRBF] BinaryFormatter stream).

Over remote PowerShell an ExchangeCertificate carries only RawData and this
blob; Services, Status, RootCAType and the private-key flag exist nowhere else
(see data/GetExchangeCertificate-MultipleMatches.xml). The writer reproduces
the captured streams byte for byte: same records, same object ids (the
formatter numbers libraries, objects and boxed enums from one counter; value
types get negative ids), same List<IisService> layout.
"""
import struct
from dataclasses import dataclass, field
from typing import Optional

_MANAGEMENT = "Microsoft.Exchange.Management, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35"
_SYSTEM = "System, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"
_NS = "Microsoft.Exchange.Management.SystemConfigurationTasks"
_CERTIFICATE = f"{_NS}.ExchangeCertificate"
_IIS_SERVICE = f"{_NS}.IisService"
_IIS_LIST = f"System.Collections.Generic.List`1[[{_IIS_SERVICE}, {_MANAGEMENT}]]"
_URL_VALIDATION = f"{_NS}.UrlValidation"

# RecordTypeEnumeration, BinaryTypeEnumeration and PrimitiveTypeEnumeration values ([MS-NRBF] 2.1.2).
_HEADER, _CLASS_WITH_ID, _SYSTEM_CLASS, _CLASS = 0x00, 0x01, 0x04, 0x05
_STRING, _BINARY_ARRAY, _REFERENCE, _NULL, _END, _LIBRARY = 0x06, 0x07, 0x09, 0x0A, 0x0B, 0x0C
_NULLS_256, _PRIMITIVE_ARRAY = 0x0D, 0x0F
_T_PRIMITIVE, _T_STRING, _T_SYSTEM_CLASS, _T_CLASS, _T_PRIMITIVE_ARRAY = 0, 1, 3, 4, 7
_P_BOOLEAN, _P_BYTE, _P_INT32 = 1, 2, 8

# Enums of Microsoft.Exchange.Management (AllowedServices is [Flags]).
SERVICES = {"None": 0, "IMAP": 1, "POP": 2, "UM": 4, "IIS": 8, "SMTP": 16, "Federation": 32, "UMCallRouter": 64}
# Valid = 1 is captured; GUESS: the other values follow the order of Get-ExchangeCertificate.md's list.
STATUS = {"Unknown": 0, "Valid": 1, "Revoked": 2, "DateInvalid": 3, "Untrusted": 4, "Invalid": 5,
          "RevocationCheckFailure": 6, "PendingRequest": 7}
# None = 0 and Registry = 3 are captured; GUESS: the rest in the order Get-ExchangeCertificate.md lists them.
ROOT_CA_TYPE = {"None": 0, "ThirdParty": 1, "Enterprise": 2, "Registry": 3, "GroupPolicy": 4, "Unknown": 5}


@dataclass
class CertificateFields:
    """The fields ExchangeCertificate serializes, in its order."""

    cert_data: bytes            # X509Certificate2.Export(SerializedCert): a store element with properties
    self_signed: bool
    status: int
    root_ca_type: int
    services: int
    iis_services: list[str] = field(default_factory=list)  # "IIS://SERVER/W3SVC/1", ...
    private_key_exportable: bool = False
    identity: Optional[str] = None  # "SERVER-FQDN\\THUMBPRINT"


def encode(fields: CertificateFields) -> bytes:
    return _Writer().certificate(fields)


def services_text(value: int) -> str:
    """AllowedServices.ToString()."""
    names = [name for name, bit in SERVICES.items() if bit and value & bit]
    return ", ".join(names) if names else "None"


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()
        self._next_id = 0
        self._libraries: dict[str, int] = {}
        self._url_validation_id: Optional[int] = None
        self._iis_service_id = 0

    # ---------------------------------------------------------------- basics
    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _int(self, value: int) -> None:
        self.out += struct.pack("<i", value)

    def _string(self, text: str) -> None:
        """LengthPrefixedString: 7-bit encoded byte length, then UTF-8."""
        data = text.encode("utf-8")
        length = len(data)
        while True:
            byte = length & 0x7F
            length >>= 7
            self.out.append(byte | (0x80 if length else 0))
            if not length:
                break
        self.out += data

    def _library(self, name: str) -> int:
        if name not in self._libraries:
            self._libraries[name] = self._id()
            self.out.append(_LIBRARY)
            self._int(self._libraries[name])
            self._string(name)
        return self._libraries[name]

    def _object_string(self, text: Optional[str]) -> None:
        if text is None:
            self.out.append(_NULL)
            return
        self.out.append(_STRING)
        self._int(self._id())
        self._string(text)

    def _enum(self, type_name: str, value: int, library: int) -> None:
        """A boxed enum: a one-member class "value__" with a negative (value type) id."""
        self.out.append(_CLASS)
        self._int(-self._id())
        self._string(type_name)
        self._int(1)
        self._string("value__")
        self.out += bytes([_T_PRIMITIVE, _P_INT32])
        self._int(library)
        self._int(value)

    # ---------------------------------------------------------------- records
    def certificate(self, fields: CertificateFields) -> bytes:
        root = self._id()
        self.out += bytes([_HEADER]) + struct.pack("<iiii", root, -1, 1, 0)
        library = self._library(_MANAGEMENT)
        members = ["CertData", "SelfSigned", "Status", "RootCAType", "Services", "IISServices",
                   "PrivateKeyExportable", "Identity"]
        self.out.append(_CLASS)
        self._int(root)
        self._string(_CERTIFICATE)
        self._int(len(members))
        for member in members:
            self._string(member)
        self.out += bytes([_T_PRIMITIVE_ARRAY, _T_PRIMITIVE, _T_CLASS, _T_CLASS, _T_CLASS, _T_SYSTEM_CLASS,
                           _T_PRIMITIVE, _T_STRING])
        self.out.append(_P_BYTE)
        self.out.append(_P_BOOLEAN)
        for enum_type in ("CertificateStatus", "CertificateAuthorityType", "AllowedServices"):
            self._string(f"{_NS}.{enum_type}")
            self._int(library)
        self._string(_IIS_LIST)
        self.out.append(_P_BOOLEAN)
        self._int(library)
        # Member values; reference types are written after the root, in the order referenced.
        cert_data_id = self._reference()
        self.out.append(int(fields.self_signed))
        self._enum(f"{_NS}.CertificateStatus", fields.status, library)
        self._enum(f"{_NS}.CertificateAuthorityType", fields.root_ca_type, library)
        self._enum(f"{_NS}.AllowedServices", fields.services, library)
        list_id = self._reference()
        self.out.append(int(fields.private_key_exportable))
        self._object_string(fields.identity)
        self._byte_array(cert_data_id, fields.cert_data)
        self._iis_list(list_id, fields.iis_services, library)
        self.out.append(_END)
        return bytes(self.out)

    def _reference(self) -> int:
        object_id = self._id()
        self.out.append(_REFERENCE)
        self._int(object_id)
        return object_id

    def _byte_array(self, object_id: int, data: bytes) -> None:
        self.out.append(_PRIMITIVE_ARRAY)
        self._int(object_id)
        self._int(len(data))
        self.out.append(_P_BYTE)
        self.out += data

    def _iis_list(self, object_id: int, services: list[str], library: int) -> None:
        """List<IisService>: _items (capacity 0 or 4, 8, ...), _size, _version."""
        self.out.append(_SYSTEM_CLASS)
        self._int(object_id)
        self._string(_IIS_LIST)
        self._int(3)
        for member in ("_items", "_size", "_version"):
            self._string(member)
        self.out += bytes([_T_CLASS, _T_PRIMITIVE, _T_PRIMITIVE])
        self._string(f"{_IIS_SERVICE}[]")
        self._int(library)
        self.out += bytes([_P_INT32, _P_INT32])
        items_id = self._reference()
        self._int(len(services))
        self._int(1)  # _version as captured (for 0 and for 2 entries)
        capacity = 0
        if services:
            capacity = 4  # List<T> grows 0 -> 4 -> 8 ...
            while capacity < len(services):
                capacity *= 2
        self.out.append(_BINARY_ARRAY)
        self._int(items_id)
        self.out.append(0)  # BinaryArrayTypeEnumeration.Single
        self._int(1)        # rank
        self._int(capacity)
        self.out.append(_T_CLASS)
        self._string(_IIS_SERVICE)
        self._int(library)
        element_ids = [self._reference() for _ in services]
        self._nulls(capacity - len(services))
        for index, (element_id, name) in enumerate(zip(element_ids, services)):
            self._iis_service(element_id, name, library, first=index == 0)

    def _nulls(self, count: int) -> None:
        if count == 1:
            self.out.append(_NULL)
        elif count > 1:
            # GUESS: runs of 256 or more (ObjectNullMultiple) never occur with the lab's lists.
            self.out += bytes([_NULLS_256, count])

    def _iis_service(self, object_id: int, name: str, library: int, first: bool) -> None:
        if first:
            system = self._library(_SYSTEM)
            self.out.append(_CLASS)
            self._int(object_id)
            self._string(_IIS_SERVICE)
            members = ["serviceName", "internalUrl", "internalUrlValid", "externalUrl", "externalUrlValid"]
            self._int(len(members))
            for member in members:
                self._string(member)
            self.out += bytes([_T_STRING, _T_CLASS, _T_CLASS, _T_CLASS, _T_CLASS])
            for type_name, type_library in (("System.Uri", system), (_URL_VALIDATION, library)) * 2:
                self._string(type_name)
                self._int(type_library)
            self._int(library)
            self._iis_service_id = object_id
        else:
            self.out.append(_CLASS_WITH_ID)
            self._int(object_id)
            self._int(self._iis_service_id)
        self._object_string(name)
        for _url in ("internal", "external"):
            self.out.append(_NULL)  # GUESS: the lab's IIS bindings carry no internal/external URL
            self._url_validation(library)

    def _url_validation(self, library: int) -> None:
        if self._url_validation_id is None:
            self._url_validation_id = -(self._next_id + 1)
            self._enum(_URL_VALIDATION, 0, library)
            return
        self.out.append(_CLASS_WITH_ID)
        self._int(-self._id())
        self._int(self._url_validation_id)
        self._int(0)
