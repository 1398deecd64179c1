#ifndef FACELET_CMICROHTTPD_SHIM_H
#define FACELET_CMICROHTTPD_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>

// MHD_start_daemon, MHD_get_daemon_info and MHD_set_connection_option are variadic, which
// Swift cannot call: these wrappers fix the options Facelet uses.

/// An unescape callback that leaves URLs and query arguments exactly as received, so a `%00`
/// or `%2e%2e` cannot turn into a NUL or `..` before the application sees the path.
static inline size_t facelet_mhd_keep_escapes(void *cls, struct MHD_Connection *connection,
                                              char *text) {
    (void)cls;
    (void)connection;
    return strlen(text);
}

/// Starts a daemon listening on `address` (an IPv4 or IPv6 socket address) with one thread per
/// connection, at most `connection_limit` connections, and `timeout_seconds` of inactivity
/// before a connection is closed. `completed` is called when a request ends (to free its
/// context). With `keep_escapes` non-zero, percent escapes in the URL are not decoded.
static inline struct MHD_Daemon *facelet_mhd_start(unsigned int flags,
                                                   const struct sockaddr *address,
                                                   MHD_AccessHandlerCallback handler,
                                                   void *handler_context,
                                                   MHD_RequestCompletedCallback completed,
                                                   void *completed_context,
                                                   unsigned int connection_limit,
                                                   unsigned int timeout_seconds,
                                                   int keep_escapes) {
    if (keep_escapes) {
        return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_context,
                                MHD_OPTION_SOCK_ADDR, address,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                                MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                                MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
                                MHD_OPTION_UNESCAPE_CALLBACK, facelet_mhd_keep_escapes, NULL,
                                MHD_OPTION_END);
    }
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_context,
                            MHD_OPTION_SOCK_ADDR, address,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
                            MHD_OPTION_END);
}

/// Sets one connection's inactivity timeout (0: none). Going from 0 to a value restarts the
/// connection's timer (https://www.gnu.org/software/libmicrohttpd/manual/html_node/
/// microhttpd_002doption-conn.html), which is how a handler that blocked for a while keeps
/// the time it spent from counting as the client's inactivity.
static inline enum MHD_Result facelet_mhd_set_timeout(struct MHD_Connection *connection,
                                                      unsigned int seconds) {
    return MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

/// The port the daemon's listening socket is bound to (the real one when port 0 was asked
/// for), or 0 when it cannot be told.
static inline uint16_t facelet_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// The number of connections the daemon has open now.
static inline unsigned int facelet_mhd_connection_count(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}

// Closed C enums import as Swift enums whose case spellings depend on the importer's prefix
// rules; these name the values the service uses once, plainly.

/// MHD_YES.
static inline enum MHD_Result facelet_mhd_yes(void) { return MHD_YES; }
/// MHD_NO.
static inline enum MHD_Result facelet_mhd_no(void) { return MHD_NO; }
/// Response bodies are copied by the daemon (the caller's buffer may go away at once).
static inline enum MHD_ResponseMemoryMode facelet_mhd_copy_body(void) {
    return MHD_RESPMEM_MUST_COPY;
}
/// The request headers.
static inline enum MHD_ValueKind facelet_mhd_header_kind(void) { return MHD_HEADER_KIND; }
/// The query arguments.
static inline enum MHD_ValueKind facelet_mhd_query_kind(void) { return MHD_GET_ARGUMENT_KIND; }

#endif
