"""Requests PyKMIP's clients cannot build, made from PyKMIP's own kmip.core primitives.

Real clients send shapes PyKMIP's payload classes do not produce: a Locate whose filter sits in
a Template-Attribute (FortiOS), vendor attributes of any type in a KMIP 2.0 Attributes
structure. :class:`Node` is a Structure with arbitrary children and :class:`RawRequestPayload`
a Request Payload with arbitrary children; both encode through PyKMIP's TTLV writer, so the
bytes on the wire come from the same library as every other scenario, and the request goes out
through ``KMIPProxy.send_request_payload`` over its TLS connection. PyKMIP decodes the response
with its usual payload class for the operation.
"""

from kmip.core import enums, primitives, utils
from kmip.core.messages import payloads


def _write_children(self, ostream, kmip_version):
    buf = utils.BytearrayStream()
    for child in self.children:
        child.write(buf, kmip_version=kmip_version)
    self.length = buf.length()
    primitives.Struct.write(self, ostream, kmip_version=kmip_version)
    ostream.write(buf.buffer)


class Node(primitives.Struct):
    """A TTLV Structure with the given tag and children (any PyKMIP primitives or Nodes)."""

    def __init__(self, tag, children):
        super(Node, self).__init__(tag)
        self.children = list(children)

    def write(self, ostream, kmip_version=enums.KMIPVersion.KMIP_1_0):
        _write_children(self, ostream, kmip_version)


class RawRequestPayload(payloads.RequestPayload):
    """A Request Payload holding exactly ``children``, in order."""

    def __init__(self, children):
        super(RawRequestPayload, self).__init__()
        self.children = list(children)

    def write(self, ostream, kmip_version=enums.KMIPVersion.KMIP_1_0):
        _write_children(self, ostream, kmip_version)


def text(tag, value):
    return primitives.TextString(value, tag=tag)


def v1_attribute(name, value):
    """A KMIP 1.x ``Attribute``: Attribute Name, then the value retagged as Attribute Value."""
    value.tag = enums.Tags.ATTRIBUTE_VALUE
    return Node(enums.Tags.ATTRIBUTE, [text(enums.Tags.ATTRIBUTE_NAME, name), value])


def v1_name(value):
    """A 1.x Name attribute (Name Value + Name Type Uninterpreted Text String)."""
    return v1_attribute("Name", Node(enums.Tags.ATTRIBUTE_VALUE, [
        text(enums.Tags.NAME_VALUE, value),
        primitives.Enumeration(enums.NameType, enums.NameType.UNINTERPRETED_TEXT_STRING,
                               tag=enums.Tags.NAME_TYPE),
    ]))


def v2_vendor_attribute(vendor, name, value):
    """A KMIP 2.x vendor attribute (2.0 §2.1.1: Vendor Identification, Attribute Name, Value)."""
    value.tag = enums.Tags.ATTRIBUTE_VALUE
    return Node(enums.Tags.ATTRIBUTE, [
        text(enums.Tags.VENDOR_IDENTIFICATION, vendor),
        text(enums.Tags.ATTRIBUTE_NAME, name),
        value,
    ])
