# image/ hashes with OpenSSL's libcrypto (SHA-NI/AVX2 code paths, several times a portable C sha256).
LIBS += $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
