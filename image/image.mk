# image/ hashes with OpenSSL's libcrypto (SHA-NI/AVX2 code paths, several times a portable C sha256),
# dlopen()ed by image/digest.c at the first hash (headers only: no link flag here).
