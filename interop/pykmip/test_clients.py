"""Real-client patterns (issue #6), each replayed with PyKMIP at every client KMIP version.

Each scenario sends what a known KMIP client sends (FortiOS, Synology DSM, NetApp ONTAP and
other storage arrays, MongoDB's libmongocrypt, Percona), where PyKMIP cannot build the shape
with the low-level payload classes or rawkmip.Node, and checks the server's answers: the
object Locate finds, the bytes Get returns, the State Get Attributes reports after each step.
Versions a pattern cannot be expressed in are skipped with the reason.
"""

import enum
import os
import time
import uuid

from kmip.core import enums, objects as cobjects, primitives
from kmip.core.factories import attributes as attribute_factories
from kmip.core.messages import payloads
from kmip.pie import objects

import rawkmip
from harness import expect_failure, scenario, version_id

V1_2 = enums.KMIPVersion.KMIP_1_2
V1_4 = enums.KMIPVersion.KMIP_1_4
V2_0 = enums.KMIPVersion.KMIP_2_0
CLIENTS = "#6 real-client patterns"
LIFECYCLE = "#4 lifecycle"
Tags = enums.Tags

ATTRS = attribute_factories.AttributeFactory()


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex)


def is2x(kmip_version):
    return kmip_version.value >= V2_0.value


def attributes_of(client, uid, *names):
    """``{attribute name: value}`` from Get Attributes (the first instance of each)."""
    _, attrs = client.get_attributes(uid, list(names))
    out = {}
    for a in attrs:
        name = a.attribute_name.value
        value = a.attribute_value
        out.setdefault(name, getattr(value, "value", value))
    return out


def state_of(client, uid):
    return attributes_of(client, uid, "State")["State"]


def retire(client, uid):
    """Revoke (if needed) and Destroy, so no active object outlives the scenario."""
    try:
        client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid)
    except Exception:
        pass  # not active, or already revoked
    client.destroy(uid)


def aes_key(name, length=256):
    key = objects.SymmetricKey(enums.CryptographicAlgorithm.AES, length, os.urandom(length // 8),
                               masks=[enums.CryptographicUsageMask.ENCRYPT,
                                      enums.CryptographicUsageMask.DECRYPT],
                               name=name)
    return key


def locate_uids(proxy, children):
    result = proxy.send_request_payload(enums.Operation.LOCATE, rawkmip.RawRequestPayload(children))
    return list(result.unique_identifiers or [])


# --- FortiOS: Locate with the Name filter inside a Template-Attribute (KMIP 1.x) ------------

def template_locate(proxy, name):
    """FortiOS's Locate: Request Payload { Template-Attribute { Attribute(Name) } }.

    KMIP 1.x Locate carries bare Attributes; FortiOS wraps its Name filter in a
    Template-Attribute (the Create/Register shape). PyKMIP's LocateRequestPayload cannot
    express that, so the payload is built from kmip.core primitives."""
    return locate_uids(proxy, [rawkmip.Node(Tags.TEMPLATE_ATTRIBUTE, [rawkmip.v1_name(name)])])


@scenario(issue=CLIENTS, until=enums.KMIPVersion.KMIP_1_4,
          why="KMIP 2.0 has no Template-Attribute; FortiOS speaks KMIP 1.x")
def test_fortios_locate_name_in_template_attribute(client, proxy, kmip_version):
    name = unique("fortios")
    uid = client.register(aes_key(name))
    try:
        assert template_locate(proxy, name) == [uid]
        assert template_locate(proxy, name + "-missing") == []
        # And the key it then fetches.
        got = client.get(uid)
        assert got.cryptographic_length == 256 and len(got.value) == 32
    finally:
        client.destroy(uid)


# --- Synology DSM (KMIP 1.0): Operation Policy Name, then activation by Activation Date -------

@scenario(issue=CLIENTS, until=enums.KMIPVersion.KMIP_1_4,
          why="Operation Policy Name was removed in KMIP 2.0 (PyKMIP cannot even encode it)")
def test_synology_register_with_operation_policy_name(client, kmip_version):
    key = aes_key(unique("synology"))
    key.operation_policy_name = "default"
    uid = client.register(key)
    try:
        attrs = attributes_of(client, uid, "Operation Policy Name", "State")
        assert attrs == {"Operation Policy Name": "default", "State": enums.State.PRE_ACTIVE}
        got = client.get(uid)
        assert got.value == key.value
    finally:
        client.destroy(uid)


def activation_date_attribute(when):
    return ATTRS.create_attribute(enums.AttributeType.ACTIVATION_DATE, int(when))


@scenario(issue=CLIENTS)
def test_synology_modify_activation_date_activates(client, proxy, kmip_version):
    """Synology registers a key (Pre-Active, no Activation Date) and activates it with Modify
    Attribute(Activation Date = now) rather than Activate. At 1.x kmipd lets Modify set the
    absent single-valued attribute, as Synology needs; KMIP 2.0's Modify needs an existing
    instance, so there the key is registered with an Activation Date a day ahead and moved."""
    now = int(time.time())
    if is2x(kmip_version):
        template = cobjects.TemplateAttribute(attributes=[
            ATTRS.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK,
                                   [enums.CryptographicUsageMask.ENCRYPT]),
            activation_date_attribute(now + 86400),
        ])
        key = aes_key(unique("key"))
        from kmip.pie import factory
        secret = factory.ObjectFactory().convert(key)
        result = proxy.register(enums.ObjectType.SYMMETRIC_KEY, template, secret)
        assert result.result_status.value == enums.ResultStatus.SUCCESS, result.result_message
        uid = result.uuid
    else:
        uid = client.register(aes_key(unique("synology")))
    try:
        assert state_of(client, uid) == enums.State.PRE_ACTIVE
        if is2x(kmip_version):
            new = cobjects.NewAttribute(attribute=primitives.DateTime(now, tag=Tags.ACTIVATION_DATE))
            client.modify_attribute(unique_identifier=uid, new_attribute=new)
        else:
            got_uid, echoed = client.modify_attribute(
                unique_identifier=uid, attribute=activation_date_attribute(now))
            assert got_uid == uid
            assert echoed.attribute_name.value == "Activation Date"
            assert echoed.attribute_value.value == now
        attrs = attributes_of(client, uid, "State", "Activation Date")
        assert attrs == {"State": enums.State.ACTIVE, "Activation Date": now}
        # Active now: Destroy must be refused until it is revoked.
        expect_failure(lambda: client.destroy(uid), (enums.ResultReason.PERMISSION_DENIED,
                                                     enums.ResultReason.WRONG_KEY_LIFECYCLE_STATE))
    finally:
        retire(client, uid)


# --- NetApp ONTAP and other arrays: vendor attributes of every type, Locate by them ----------

class VendorEnum(enum.IntEnum):
    """Any enumeration: a vendor attribute's Enumeration values are the vendor's own."""
    PRIMARY = 0x01
    MIRROR = 0x8000_0002


def vendor_values(tag):
    """Twelve vendor attributes (name, PyKMIP primitive) of eight TTLV types, values unique to
    this run so Locate can only find this run's object."""
    t = int(tag[-8:], 16)
    return [
        ("KeyId", primitives.TextString(tag)),
        ("ClusterName", primitives.TextString("cluster-" + tag)),
        ("NodeName", primitives.TextString("node-01." + tag)),
        ("KeyTag", primitives.ByteString(bytes.fromhex(tag))),
        ("Nonce", primitives.ByteString(bytes.fromhex(tag[:16]))),
        ("Generation", primitives.Integer(t % 2_000_000_000)),
        ("VolumeCount", primitives.Integer(-(t % 1000) - 1)),
        ("Created", primitives.DateTime(1_700_000_000 + t % 100_000_000)),
        ("Serial", primitives.LongInteger(t * 4096 + 7)),
        ("Encrypted", primitives.Boolean(True)),
        ("Role", primitives.Enumeration(VendorEnum, VendorEnum.MIRROR)),
        ("Retention", primitives.Interval(t % 86400 + 1)),
    ]


def vendor_attribute(kmip_version, vendor, name, value):
    if is2x(kmip_version):
        return rawkmip.v2_vendor_attribute(vendor, name, value)
    return rawkmip.v1_attribute("x-%s-%s" % (vendor, name), value)


def register_with_vendor_attributes(proxy, kmip_version, vendor, values, key):
    from kmip.pie import factory
    secret = factory.ObjectFactory().convert(key)
    mask = primitives.Integer(enums.CryptographicUsageMask.ENCRYPT.value
                              | enums.CryptographicUsageMask.DECRYPT.value,
                              tag=Tags.CRYPTOGRAPHIC_USAGE_MASK)
    attrs = [vendor_attribute(kmip_version, vendor, n, v) for n, v in values]
    if is2x(kmip_version):
        container = rawkmip.Node(Tags.ATTRIBUTES, [mask] + attrs)
    else:
        container = rawkmip.Node(Tags.TEMPLATE_ATTRIBUTE,
                                 [rawkmip.v1_attribute("Cryptographic Usage Mask", mask)] + attrs)
    payload = rawkmip.RawRequestPayload([
        primitives.Enumeration(enums.ObjectType, enums.ObjectType.SYMMETRIC_KEY, tag=Tags.OBJECT_TYPE),
        container, secret])
    return proxy.send_request_payload(enums.Operation.REGISTER, payload).unique_identifier


def vendor_locate(proxy, kmip_version, vendor, values):
    attrs = [vendor_attribute(kmip_version, vendor, n, v) for n, v in values]
    if is2x(kmip_version):
        return locate_uids(proxy, [rawkmip.Node(Tags.ATTRIBUTES, attrs)])
    return locate_uids(proxy, attrs)


@scenario(issue=CLIENTS)
def test_netapp_vendor_attributes_register_and_locate(client, proxy, kmip_version):
    """ONTAP-style Register carrying a dozen x-NETAPP-* attributes (1.x names; at 2.0 the same
    as Vendor Identification "NETAPP" + Attribute Name), then Locate by each one alone, by all
    together, and by a value that differs in one of them."""
    tag = uuid.uuid4().hex
    values = vendor_values(tag)
    uid = register_with_vendor_attributes(proxy, kmip_version, "NETAPP", values, aes_key(unique("key")))
    try:
        assert vendor_locate(proxy, kmip_version, "NETAPP", values) == [uid]
        for name, value in vendor_values(tag):
            assert vendor_locate(proxy, kmip_version, "NETAPP", [(name, value)]) == [uid], \
                "Locate by x-NETAPP-%s (%s) did not find exactly the object" % (name, type(value).__name__)
        other = vendor_values(tag)
        other[5] = ("Generation", primitives.Integer(other[5][1].value + 1))
        assert vendor_locate(proxy, kmip_version, "NETAPP", other) == []
        # Same name, other vendor: not the same attribute.
        assert vendor_locate(proxy, kmip_version, "OTHERVENDOR", values[:1]) == []
        if not is2x(kmip_version):
            # PyKMIP reads any x- attribute as a Text String, so only those read back here.
            _, attrs = client.get_attributes(uid, ["x-NETAPP-KeyId", "x-NETAPP-ClusterName"])
            got = {a.attribute_name.value: a.attribute_value.value for a in attrs}
            assert got == {"x-NETAPP-KeyId": tag, "x-NETAPP-ClusterName": "cluster-" + tag}
    finally:
        client.destroy(uid)


# --- MongoDB (libmongocrypt KMIP provider) and Percona: 96-byte Secret Data -----------------

def register_secret(client):
    value = os.urandom(96)
    secret = objects.SecretData(value, enums.SecretDataType.SEED, name=unique("mongodb-cmk"))
    return client.register(secret), value


@scenario(issue=LIFECYCLE)
def test_mongodb_secret_data_register_activate_get(client, kmip_version):
    """libmongocrypt registers its 96-byte customer master key as Secret Data, Activates it and
    Gets it back (KMIP 1.0 with its legacy option, 1.2 otherwise; valid at every version)."""
    uid, value = register_secret(client)
    try:
        assert state_of(client, uid) == enums.State.PRE_ACTIVE
        client.activate(uid)
        assert state_of(client, uid) == enums.State.ACTIVE
        got = client.get(uid)
        assert isinstance(got, objects.SecretData)
        assert got.data_type == enums.SecretDataType.SEED
        assert got.value == value
    finally:
        retire(client, uid)


@scenario(issue=LIFECYCLE)
def test_percona_secret_data_revoke_then_destroy(client, kmip_version):
    """Percona Server retires a key by Revoke then Destroy: Destroy of the Active key is refused,
    after Revoke it is Deactivated and Destroy succeeds; a later Get finds nothing."""
    uid, value = register_secret(client)
    destroyed = False
    try:
        client.activate(uid)
        assert client.get(uid).value == value
        expect_failure(lambda: client.destroy(uid), (enums.ResultReason.PERMISSION_DENIED,
                                                     enums.ResultReason.WRONG_KEY_LIFECYCLE_STATE))
        client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid,
                      revocation_message="retired by the interop scenario")
        assert state_of(client, uid) == enums.State.DEACTIVATED
        client.destroy(uid)
        destroyed = True
        reasons = (enums.ResultReason.ITEM_NOT_FOUND,)
        if is2x(kmip_version):
            reasons += (enums.ResultReason.OBJECT_DESTROYED,)
        expect_failure(lambda: client.get(uid), reasons)
    finally:
        if not destroyed:
            retire(client, uid)
