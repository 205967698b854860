# netns/: NAT and published ports go through libnftables (links through libnl, in the Makefile's PKGS).
NFT_CFLAGS := $(shell pkg-config --cflags libnftables 2>/dev/null)
NFT_LIBS := $(shell pkg-config --libs libnftables 2>/dev/null)
override CFLAGS += $(NFT_CFLAGS)
LIBS += $(NFT_LIBS)
