#ifndef FACELET_CCRYPTO_SHIM_H
#define FACELET_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
