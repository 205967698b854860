# netns/: NAT and published ports go through libnftables, dlopen()ed by netns/nft.c at the first rule
# change (headers only here); links go through libnl (in the Makefile's PKGS).
NFT_CFLAGS := $(shell pkg-config --cflags libnftables 2>/dev/null)
override CFLAGS += $(NFT_CFLAGS)
