#ifndef FACELET_CCRYPTO_SHIM_H
#define FACELET_CCRYPTO_SHIM_H
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/* A PEM passphrase callback that never supplies one: an encrypted key fails to load instead of
   OpenSSL prompting on the terminal (its default callback reads from the tty). */
static int facelet_no_passphrase(char *buf, int size, int rwflag, void *userdata) {
    (void)buf; (void)size; (void)rwflag; (void)userdata;
    return -1;
}

/* Reads a PEM private key (PKCS#8 "PRIVATE KEY") from memory; NULL on any error. */
static inline EVP_PKEY *facelet_read_private_key_pem(const void *data, int length) {
    BIO *bio = BIO_new_mem_buf(data, length);
    if (bio == NULL) return NULL;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, facelet_no_passphrase, NULL);
    BIO_free(bio);
    return key;
}

/* Reads a PEM SubjectPublicKeyInfo ("PUBLIC KEY") from memory; NULL on any error. */
static inline EVP_PKEY *facelet_read_public_key_pem(const void *data, int length) {
    BIO *bio = BIO_new_mem_buf(data, length);
    if (bio == NULL) return NULL;
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, facelet_no_passphrase, NULL);
    BIO_free(bio);
    return key;
}

/* BIO_get_mem_data is a macro over BIO_ctrl, which Swift cannot see. */
static inline long facelet_bio_mem_data(BIO *bio, char **out) {
    return BIO_get_mem_data(bio, out);
}
#endif
