"""Crypto through PyKMIP's client (issue #5): Encrypt/Decrypt, Sign/Signature Verify and MAC.

Keys are made here (Python's ``cryptography``) and Registered, so every server result is checked
by an independent implementation: AES ciphertexts and tags are decrypted locally, RSA PKCS#1 v1.5
signatures compared byte for byte (they are deterministic), PSS and ECDSA signatures verified
locally, HMACs compared with ``hmac`` and an RFC 4231 vector. One scenario also signs with a
key pair kmipd generated (Create Key Pair). Encrypt, Decrypt, Sign, Signature Verify and MAC are
KMIP 1.2 operations; AES-GCM needs the Authenticated Encryption fields of KMIP 1.4.
"""

import base64
import hashlib
import hmac
import os
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils as asym_utils
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import padding as sym_padding
from kmip.core import attributes as core_attributes, enums
from kmip.core.messages import payloads
from kmip.pie import objects

from harness import expect_failure, scenario

V1_2 = enums.KMIPVersion.KMIP_1_2
V1_4 = enums.KMIPVersion.KMIP_1_4
CRYPTO = "#5 crypto via PyKMIP's client"
Mask = enums.CryptographicUsageMask


def name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex)


def register_active(client, managed_object):
    """Register, Activate (crypto needs an Active key) and return the uid."""
    uid = client.register(managed_object)
    client.activate(uid)
    return uid


def retire(client, *uids):
    for uid in uids:
        try:
            client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid)
        except Exception:
            pass
        client.destroy(uid)


def aes(client, key):
    return register_active(client, objects.SymmetricKey(
        enums.CryptographicAlgorithm.AES, len(key) * 8, key,
        masks=[Mask.ENCRYPT, Mask.DECRYPT], name=name("aes")))


# --- AES-CBC (pie client's encrypt/decrypt) --------------------------------------------------

CBC = {"cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
       "block_cipher_mode": enums.BlockCipherMode.CBC,
       "padding_method": enums.PaddingMethod.PKCS5}


@scenario(issue=CRYPTO, since=V1_2)
def test_aes_cbc_encrypt_decrypt(client, kmip_version):
    key, iv = os.urandom(32), os.urandom(16)
    data = os.urandom(100)  # not a block multiple: PKCS#5 padding to 112 bytes
    uid = aes(client, key)
    try:
        # Client-supplied IV: the ciphertext is exactly what AES-256-CBC + PKCS#7 gives.
        ct, iv_back = client.encrypt(data, uid=uid, cryptographic_parameters=CBC, iv_counter_nonce=iv)
        padder = sym_padding.PKCS7(128).padder()
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        assert ct == enc.update(padder.update(data) + padder.finalize()) + enc.finalize()
        assert iv_back in (None, iv)
        assert client.decrypt(ct, uid=uid, cryptographic_parameters=CBC, iv_counter_nonce=iv) == data

        # Server-generated IV (Random IV): returned, and it decrypts locally.
        ct2, iv2 = client.encrypt(data, uid=uid, cryptographic_parameters=dict(CBC, random_iv=True))
        assert isinstance(iv2, bytes) and len(iv2) == 16
        dec = Cipher(algorithms.AES(key), modes.CBC(iv2)).decryptor()
        unpadder = sym_padding.PKCS7(128).unpadder()
        assert unpadder.update(dec.update(ct2) + dec.finalize()) + unpadder.finalize() == data
        assert client.decrypt(ct2, uid=uid, cryptographic_parameters=CBC, iv_counter_nonce=iv2) == data
    finally:
        retire(client, uid)


# --- AES-GCM (low-level payloads: the pie client does not pass AAD or the tag) ---------------

def gcm_params(tag_length=16):
    return core_attributes.CryptographicParameters(
        cryptographic_algorithm=enums.CryptographicAlgorithm.AES,
        block_cipher_mode=enums.BlockCipherMode.GCM, tag_length=tag_length)


@scenario(issue=CRYPTO, since=V1_4)
def test_aes_gcm_encrypt_decrypt_with_aad(proxy, client, kmip_version):
    key, nonce, aad = os.urandom(32), os.urandom(12), b"header: not secret"
    uid = aes(client, key)
    try:
        for size in (64, 4096):
            data = os.urandom(size)
            res = proxy.send_request_payload(enums.Operation.ENCRYPT, payloads.EncryptRequestPayload(
                unique_identifier=uid, cryptographic_parameters=gcm_params(), data=data,
                iv_counter_nonce=nonce, auth_additional_data=aad))
            assert res.auth_tag is not None and len(res.auth_tag) == 16
            # AESGCM takes ciphertext || tag.
            assert AESGCM(key).decrypt(nonce, res.data + res.auth_tag, aad) == data
            dec = proxy.send_request_payload(enums.Operation.DECRYPT, payloads.DecryptRequestPayload(
                unique_identifier=uid, cryptographic_parameters=gcm_params(), data=res.data,
                iv_counter_nonce=nonce, auth_additional_data=aad, auth_tag=res.auth_tag))
            assert dec.data == data
        # Locally encrypted, server decrypts; a flipped tag bit is refused, not returned.
        data = b"sealed elsewhere"
        sealed = AESGCM(key).encrypt(nonce, data, aad)
        ct, tag = sealed[:-16], sealed[-16:]
        dec = proxy.send_request_payload(enums.Operation.DECRYPT, payloads.DecryptRequestPayload(
            unique_identifier=uid, cryptographic_parameters=gcm_params(), data=ct,
            iv_counter_nonce=nonce, auth_additional_data=aad, auth_tag=tag))
        assert dec.data == data
        bad = bytes([tag[0] ^ 1]) + tag[1:]
        expect_failure(lambda: proxy.send_request_payload(
            enums.Operation.DECRYPT, payloads.DecryptRequestPayload(
                unique_identifier=uid, cryptographic_parameters=gcm_params(), data=ct,
                iv_counter_nonce=nonce, auth_additional_data=aad, auth_tag=bad)),
            enums.ResultReason.CRYPTOGRAPHIC_FAILURE)
    finally:
        retire(client, uid)


# --- Sign / Signature Verify -----------------------------------------------------------------

def der_private(key):
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def der_public(key):
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def register_pair(client, algorithm, length, key):
    priv = register_active(client, objects.PrivateKey(
        algorithm, length, der_private(key), enums.KeyFormatType.PKCS_8,
        masks=[Mask.SIGN], name=name("priv")))
    pub = register_active(client, objects.PublicKey(
        algorithm, length, der_public(key), enums.KeyFormatType.X_509,
        masks=[Mask.VERIFY], name=name("pub")))
    return priv, pub


def check_verify(client, pub, message, signature, params):
    ok = client.signature_verify(message, signature, uid=pub, cryptographic_parameters=params)
    assert ok == enums.ValidityIndicator.VALID
    bad = bytes([signature[0] ^ 0x80]) + signature[1:]
    assert client.signature_verify(message, bad, uid=pub, cryptographic_parameters=params) \
        == enums.ValidityIndicator.INVALID
    assert client.signature_verify(message + b"!", signature, uid=pub,
                                   cryptographic_parameters=params) == enums.ValidityIndicator.INVALID


RSA_PKCS1 = {"cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
             "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
             "padding_method": enums.PaddingMethod.PKCS1v15}
RSA_PSS = {"cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
           "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
           "padding_method": enums.PaddingMethod.PSS}


@scenario(issue=CRYPTO, since=V1_2)
def test_rsa_sign_verify_pkcs1_and_pss(client, kmip_version):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv, pub = register_pair(client, enums.CryptographicAlgorithm.RSA, 2048, key)
    message = b"interop: RSA-2048 signature over this message " + os.urandom(16)
    try:
        # PKCS#1 v1.5 is deterministic: the exact bytes a local signer makes.
        sig = client.sign(message, uid=priv, cryptographic_parameters=RSA_PKCS1)
        assert sig == key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        check_verify(client, pub, message, sig, RSA_PKCS1)

        # PSS is randomised: verified locally (salt length = digest length, MGF1-SHA-256).
        pss = client.sign(message, uid=priv, cryptographic_parameters=RSA_PSS)
        assert len(pss) == 256
        key.public_key().verify(pss, message, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                                hashes.SHA256())
        check_verify(client, pub, message, pss, RSA_PSS)
        # A locally made PSS signature verifies on the server too.
        local = key.sign(message, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        assert client.signature_verify(message, local, uid=pub, cryptographic_parameters=RSA_PSS) \
            == enums.ValidityIndicator.VALID
    finally:
        retire(client, priv, pub)


@scenario(issue=CRYPTO, since=V1_2)
def test_rsa_create_key_pair_sign_verified_locally(client, kmip_version):
    pub, priv = client.create_key_pair(
        enums.CryptographicAlgorithm.RSA, 2048,
        public_usage_mask=[Mask.VERIFY], private_usage_mask=[Mask.SIGN])
    try:
        client.activate(priv)
        client.activate(pub)
        message = b"signed with a key pair the server made"
        sig = client.sign(message, uid=priv, cryptographic_parameters=RSA_PKCS1)
        public = client.get(pub)
        assert public.cryptographic_algorithm == enums.CryptographicAlgorithm.RSA
        assert public.cryptographic_length == 2048
        if public.key_format_type == enums.KeyFormatType.PKCS_1:
            local = load_pkcs1_public(public.value)
        else:
            local = serialization.load_der_public_key(public.value)
        local.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
        check_verify(client, pub, message, sig, RSA_PKCS1)
    finally:
        retire(client, priv, pub)


def load_pkcs1_public(der):
    """An RSAPublicKey (PKCS#1) DER, the format Get returns by default, as a key object."""
    body = base64.encodebytes(der)
    return serialization.load_pem_public_key(
        b"-----BEGIN RSA PUBLIC KEY-----\n" + body + b"-----END RSA PUBLIC KEY-----\n")


ECDSA = {"cryptographic_algorithm": enums.CryptographicAlgorithm.ECDSA,
         "hashing_algorithm": enums.HashingAlgorithm.SHA_256}
ECDSA_BY_DSA = {"digital_signature_algorithm": enums.DigitalSignatureAlgorithm.ECDSA_WITH_SHA256}


def ecdsa_der(sig):
    """ECDSA signatures travel DER-encoded (X9.62 Ecdsa-Sig-Value), as PyKMIP and the OASIS
    TC-ECDSA vectors use; decoding and re-encoding must give the same bytes."""
    r, s = asym_utils.decode_dss_signature(sig)
    assert asym_utils.encode_dss_signature(r, s) == sig, "ECDSA signature is not strict DER"
    return sig


@scenario(issue=CRYPTO, since=V1_2)
def test_ecdsa_p256_sign_verify(client, kmip_version):
    key = ec.generate_private_key(ec.SECP256R1())
    priv, pub = register_pair(client, enums.CryptographicAlgorithm.EC, 256, key)
    message = b"interop: ECDSA P-256 " + os.urandom(16)
    try:
        for params in (ECDSA_BY_DSA, ECDSA):
            sig = client.sign(message, uid=priv, cryptographic_parameters=params)
            key.public_key().verify(ecdsa_der(sig), message, ec.ECDSA(hashes.SHA256()))
            check_verify(client, pub, message, sig, params)
    finally:
        retire(client, priv, pub)


# --- MAC (HMAC-SHA256) ------------------------------------------------------------------------

def hmac_key(client, key):
    return register_active(client, objects.SymmetricKey(
        enums.CryptographicAlgorithm.HMAC_SHA256, len(key) * 8, key,
        masks=[Mask.MAC_GENERATE, Mask.MAC_VERIFY], name=name("hmac")))


@scenario(issue=CRYPTO, since=V1_2)
def test_hmac_sha256_mac(client, kmip_version):
    # RFC 4231 test case 1, then a random key and message against Python's hmac.
    rfc_key = bytes([0x0B]) * 20
    uid = hmac_key(client, rfc_key)
    uid2 = None
    try:
        _, mac = client.mac(b"Hi There", uid=uid, algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
        assert mac == bytes.fromhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        key, data = os.urandom(32), os.urandom(1000)
        uid2 = hmac_key(client, key)
        _, mac = client.mac(data, uid=uid2, algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
        assert mac == hmac.new(key, data, hashlib.sha256).digest()
    finally:
        retire(client, uid, *([uid2] if uid2 else []))
