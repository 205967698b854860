#!/usr/bin/env python3
"""Copies a single-image OCI layout into a layout whose index.json holds a nested image index with two
platforms: linux/arm64 (a config claiming arm64, same layers) listed first, and linux/amd64 (the real one)."""
import hashlib, json, os, shutil, sys

src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst)


def put(obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(dst, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return "sha256:" + h, len(data)


def get(digest):
    with open(os.path.join(dst, "blobs", "sha256", digest.split(":")[1])) as f:
        return json.load(f)


index = json.load(open(os.path.join(dst, "index.json")))
desc = index["manifests"][0]
manifest = get(desc["digest"])
config = get(manifest["config"]["digest"])
config["architecture"] = "arm64"
config["variant"] = "v8"
cd, cs = put(config)
arm = dict(manifest)
arm["config"] = dict(manifest["config"], digest=cd, size=cs)
ad, asz = put(arm)
inner = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ad, "size": asz,
         "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": desc["digest"],
         "size": desc["size"], "platform": {"os": "linux", "architecture": "amd64"}},
    ],
}
idig, isz = put(inner)
index["manifests"] = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": idig, "size": isz,
                       "annotations": {"org.opencontainers.image.ref.name": "multi"}}]
json.dump(index, open(os.path.join(dst, "index.json"), "w"))
