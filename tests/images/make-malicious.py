#!/usr/bin/env python3
"""Writes the malicious-archive corpus: one OCI layout per attack under OUT/<case>/, each with a single
layer and correct digests (so that the unpacker, not the digest check, has to catch it), plus the
digest-mismatch cases. CANARY is a directory outside the store that no case may touch.

usage: make-malicious.py OUT CANARY"""
import gzip, hashlib, io, json, os, sys, tarfile

out, canary = sys.argv[1], os.path.abspath(sys.argv[2])
up = "../" * 16


def member(tf, name, kind="file", data=b"pwned\n", target=None, mode=0o644, major=0, minor=0):
    ti = tarfile.TarInfo(name)
    ti.mode = mode
    ti.mtime = 1700000000
    if kind == "file":
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
        return
    ti.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
               "chr": tarfile.CHRTYPE}[kind]
    if target is not None:
        ti.linkname = target
    ti.devmajor, ti.devminor = major, minor
    tf.addfile(ti)


def layer(build):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        build(tf)
    return buf.getvalue()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layout(case, tar, gz=True, diff_id=None, corrupt_blob=False, precomputed=None):
    d = os.path.join(out, case)
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
    blobs = {}

    def put(data):
        h = sha(data)
        blobs[h] = data
        return h, len(data)

    if precomputed:
        lay, diff_id = precomputed
    else:
        lay = gzip.compress(tar, compresslevel=9, mtime=0) if gz else tar
    ld, ls = put(lay)
    cfg = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
           "rootfs": {"type": "layers", "diff_ids": [diff_id or sha(tar)]}}
    cd, cs = put(json.dumps(cfg).encode())
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else ""),
                       "digest": ld, "size": ls}]}
    md, ms = put(json.dumps(man).encode())
    for h, data in blobs.items():
        if corrupt_blob and h == ld:
            data = data[:-8] + b"\0" * 8
        with open(os.path.join(d, "blobs", "sha256", h.split(":")[1]), "wb") as f:
            f.write(data)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
             "annotations": {"org.opencontainers.image.ref.name": "evil"}}]}, f)


rel_canary = canary.lstrip("/")
layout("traversal", layer(lambda t: member(t, up + rel_canary + "/pwned-traversal")))
layout("traversal-inner", layer(lambda t: (member(t, "a", "dir", mode=0o755),
                                           member(t, "a/../../" + up + rel_canary + "/pwned-inner"))))
layout("absolute", layer(lambda t: member(t, canary + "/pwned-absolute")))
layout("symlink-write", layer(lambda t: (member(t, "escape", "symlink", target=canary),
                                         member(t, "escape/pwned-symlink"))))
layout("symlink-relative-write", layer(lambda t: (member(t, "up", "symlink", target=up.rstrip("/")),
                                                  member(t, "up/" + rel_canary + "/pwned-relsymlink"))))
layout("symlink-dir-chain", layer(lambda t: (member(t, "d", "dir", mode=0o755),
                                             member(t, "d/link", "symlink", target="/"),
                                             member(t, "d/link" + canary + "/pwned-chain"))))
layout("hardlink-shadow", layer(lambda t: member(t, "shadow", "hardlink", target="/etc/shadow")))
layout("hardlink-shadow-relative", layer(lambda t: member(t, "shadow", "hardlink", target=up + "etc/shadow")))
layout("hardlink-through-symlink", layer(lambda t: (member(t, "etc", "symlink", target="/etc"),
                                                    member(t, "shadow", "hardlink", target="etc/shadow"))))
layout("device", layer(lambda t: (member(t, "dev", "dir", mode=0o755),
                                  member(t, "dev/evil-mem", "chr", mode=0o666, major=1, minor=1))))
layout("digest-mismatch", layer(lambda t: member(t, "hello", data=b"hello\n")),
       diff_id="sha256:" + "0" * 64)
layout("blob-corrupt", layer(lambda t: member(t, "hello", data=b"hello\n")), corrupt_blob=True)


def bomb():
    """A tar holding 256 MiB of zeros, gzip-compressed as a stream (about 250 KiB, 1000x expansion)."""
    import zlib
    ti = tarfile.TarInfo("zeros")
    ti.size = 256 << 20
    ti.mtime = 1700000000
    header = ti.tobuf(format=tarfile.PAX_FORMAT)
    h = hashlib.sha256()
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [z.compress(header)]
    h.update(header)
    chunk = bytes(1 << 20)
    for _ in range(ti.size >> 20):
        h.update(chunk)
        out.append(z.compress(chunk))
    tail = bytes(1024)  # two zero blocks end the archive
    h.update(tail)
    out.append(z.compress(tail))
    out.append(z.flush())
    return b"".join(out), "sha256:" + h.hexdigest()


gz, diff = bomb()
layout("gzip-bomb", None, precomputed=(gz, diff))
