#!/usr/bin/env python3
"""Python's `cryptography` package as an independent Ed25519 implementation for the tests.

Commands (each prints one JSON object):
  verify PUBLIC_PEM DIGEST SIGNATURE_B64   load our SPKI PEM, verify our signature
  read-private PRIVATE_PEM                 load our PKCS#8 PEM, report its public key
  sign DIR DIGEST                          make a key, write DIR/py.key and DIR/py.pub, sign
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)

RAW = dict(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def message(digest):
    return ("facelet-signature-v1\n" + digest).encode("utf-8")


def describe(public_key):
    raw = public_key.public_bytes(**RAW)
    return {"public_key": base64.b64encode(raw).decode("ascii"),
            "key_id": "ed25519:" + hashlib.sha256(raw).hexdigest()[:32]}


def main(argv):
    command = argv[1]
    if command == "verify":
        with open(argv[2], "rb") as f:
            key = serialization.load_pem_public_key(f.read())
        assert isinstance(key, Ed25519PublicKey)
        try:
            key.verify(base64.b64decode(argv[4], validate=True), message(argv[3]))
            valid = True
        except InvalidSignature:
            valid = False
        print(json.dumps(dict(describe(key), valid=valid)))
    elif command == "read-private":
        with open(argv[2], "rb") as f:
            text = f.read()
        key = serialization.load_pem_private_key(text, password=None)
        assert isinstance(key, Ed25519PrivateKey)
        print(json.dumps(dict(describe(key.public_key()),
                              pkcs8=text.startswith(b"-----BEGIN PRIVATE KEY-----"))))
    elif command == "sign":
        key = Ed25519PrivateKey.generate()
        directory, digest = argv[2], argv[3]
        private = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        with open(os.path.join(directory, "py.key"), "wb") as f:
            f.write(private)
        with open(os.path.join(directory, "py.pub"), "wb") as f:
            f.write(public)
        signature = key.sign(message(digest))
        print(json.dumps(dict(describe(key.public_key()), algorithm="ed25519",
                              signature=base64.b64encode(signature).decode("ascii"))))
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)
